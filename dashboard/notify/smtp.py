"""Sending through the organisation's mail server with the standard library's SMTP client.

One connection serves a run: STARTTLS on a plain connection (port 587) or TLS from the first
byte (port 465), certificates verified, then a login when `[digest.smtp].username` is set. A
fault that means "later" is retried by the shared policy (`connectors.retry.RetryPolicy`) on a
fresh connection: a 4xx reply (RFC 5321 §4.2.1: transient), a refused, reset or timed-out
connection, a server that hung up. A 5xx reply, a failed login or a certificate that does not
verify would fail the same way again, so it fails at once.

The password comes from `$<password_env>` or that key of `.streamlit/secrets.toml` and is handed
to `smtplib` only: no message this module raises contains it.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

from connectors.retry import RetriesExhausted, RetryPolicy
from dashboard.core.config import Smtp
from dashboard.core.file_limits import FileRefused
from dashboard.core.secrets import SECRETS_FILE, secret


class SendError(RuntimeError):
    """A message could not be handed to the server; the text is safe to print and store."""


def password(config: Smtp, secrets_file: Path | None = None) -> str | None:
    """The password from `$<password_env>`, else the top-level key of that name in the secrets file."""
    try:
        return secret(config.password_env, secrets_file)
    except FileRefused as error:
        raise SendError(str(error)) from None


def transient(error: Exception) -> bool:
    """Whether asking again later can succeed (see the module's docstring)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError | ssl.SSLError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | TimeoutError)


def describe(error: Exception) -> str:
    """A fault in words that name the server's reply, never the credentials."""
    if isinstance(error, RetriesExhausted):
        return f"{describe(error.last)} (after {error.retries} retries)"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the server refused the login (SMTP {error.smtp_code}): check [digest.smtp].username and the password"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{who} refused (SMTP {code} {_reply(text)})" for who, (code, text) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code} {_reply(error.smtp_error)}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or type(error).__name__}"
    return f"{type(error).__name__}: {error}"


def _reply(text: bytes | str) -> str:
    return (text.decode(errors="replace") if isinstance(text, bytes) else str(text))[:200]


class Mailer:
    """A connection to the server for one run; `send` reconnects after a transient fault."""

    def __init__(self, config: Smtp, secret: str | None, policy: RetryPolicy | None = None,
                 tls: ssl.SSLContext | None = None):
        if config.username and not secret:
            raise SendError(f"no SMTP password: set the environment variable {config.password_env} "
                            f"(or {config.password_env} = \"...\" in {SECRETS_FILE}); [digest.smtp].password_env names it")
        self.config, self._secret = config, secret
        self.policy = policy or RetryPolicy(max_retries=config.max_retries)
        self.tls = tls or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def send(self, mail: EmailMessage) -> None:
        """Hand `mail` to the server, retried per the shared policy; raises `SendError` when it was not taken."""
        try:
            self.policy.run(lambda: self._attempt(mail), transient)
        except (RetriesExhausted, smtplib.SMTPException, OSError) as error:
            self.close()
            raise SendError(describe(error)) from None

    def _attempt(self, mail: EmailMessage) -> None:
        try:
            self._connected().send_message(mail)
        except Exception:
            self.close()
            raise

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        config = self.config
        if config.security == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_seconds, context=self.tls)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        try:
            if config.security == "starttls":
                client.starttls(context=self.tls)
            if config.username:
                client.login(config.username, self._secret or "")
        except Exception:
            _quietly_close(client)
            raise
        self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            _quietly_close(self._client)
            self._client = None


def _quietly_close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
