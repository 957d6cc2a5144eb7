"""Posting a chat message to a Slack or Microsoft Teams incoming webhook, retried as syncs retry.

Slack answers 200 "ok", a Teams workflow 202: any 2xx means the message was taken. A fault that
means "later" is retried by the shared policy (`connectors.retry.RetryPolicy`): 429 (after the
service's `Retry-After`, capped at `MAX_WAIT`), any 5xx, a refused or reset connection, no answer
within `[digest.webhooks.<name>].timeout_seconds`. Any other answer (400 a payload refused, 403,
404 a webhook deleted, a redirect) would come back the same, so it fails at once.

The URL is the credential: whoever holds it can post to the channel. It comes from `$<url_env>`
or that key of `.streamlit/secrets.toml`, goes to `requests` only, and no message this module
raises or logs names it (requests' own exception texts and urllib3's debug lines do, so neither is
passed on: faults are told by their kind and the HTTP status, the webhook by its name).
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests

from connectors.retry import RetriesExhausted, RetryPolicy, is_transient, status_of
from dashboard.core.config import Webhook
from dashboard.core.file_limits import FileRefused
from dashboard.core.secrets import SECRETS_FILE, secret
from dashboard.notify.smtp import SendError

MAX_WAIT = 30.0
"""The longest wait a `Retry-After` gets: a digest run is not held up for minutes by one channel."""
ERROR_CODE = re.compile(r"[A-Za-z_]{1,64}")
"""An error code a service answers with (Slack's `invalid_payload`, a workflow's `error.code`): safe to repeat."""


class Refused(Exception):
    """A non-2xx answer; `response` lets the retry policy read its `Retry-After`."""

    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response, self.status_code = response, response.status_code


def address(name: str, webhook: Webhook, secrets_file: Path | None = None) -> str:
    """The webhook's URL from `$<url_env>` or the secrets file; raises `SendError` naming where it belongs."""
    try:
        found = secret(webhook.url_env, secrets_file)
    except FileRefused as error:
        raise SendError(str(error)) from None
    if not found:
        raise SendError(f"no URL for {webhook.kind} webhook {name!r}: set the environment variable {webhook.url_env} "
                        f"(or {webhook.url_env} = \"...\" in {SECRETS_FILE}); [digest.webhooks.{name}].url_env names it")
    return found


def policy_for(webhook: Webhook, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
    return RetryPolicy(max_retries=webhook.max_retries, max_delay=MAX_WAIT, sleep=sleep)


def post(webhook: Webhook, url: str, payload: dict, *, name: str, policy: RetryPolicy | None = None) -> None:
    """Post `payload` as JSON to `url`, retried per `policy` (default `policy_for(webhook)`); raises `SendError`
    naming the webhook `name` when it was not taken."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    policy = policy or policy_for(webhook)
    try:
        with _unlogged(url):
            policy.run(lambda: _attempt(url, body, webhook.timeout_seconds), transient)
    except (RetriesExhausted, Refused, requests.RequestException) as error:
        raise SendError(f"{webhook.kind} webhook {name!r}: {describe(error, webhook)}") from None


def _attempt(url: str, body: bytes, timeout: float) -> None:
    response = requests.post(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"},
                             timeout=timeout, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise Refused(response)


def transient(error: Exception) -> bool:
    """Whether asking again later can succeed (see the module's docstring)."""
    status = status_of(error)
    if status is not None:
        return status == 429 or status >= 500
    return is_transient(error)


def describe(error: Exception, webhook: Webhook) -> str:
    """A fault in words that name its kind and the HTTP status, never the URL."""
    if isinstance(error, RetriesExhausted):
        return f"{describe(error.last, webhook)} (after {error.retries} retries)"
    if isinstance(error, Refused):
        code = _error_code(error.response)
        return f"HTTP {error.status_code}" + (f" {code}" if code else "")
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS failed: the service's certificate did not verify"
    if isinstance(error, requests.Timeout):
        return f"no answer within {webhook.timeout_seconds:g} s"
    if isinstance(error, requests.ConnectionError):
        return "could not connect"
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema |
                  requests.exceptions.InvalidSchema):
        return f"not an http(s) URL in {webhook.url_env}"
    return type(error).__name__


def _error_code(response: requests.Response) -> str:
    """Slack's plain-text error code, or a workflow's JSON `error.code`; nothing else of the answer is repeated."""
    text = response.text.strip()[:2000]
    try:
        found = json.loads(text)
    except ValueError:
        found = text
    if isinstance(found, dict):
        inner = found.get("error")
        found = inner.get("code") if isinstance(inner, dict) else inner
    return found if isinstance(found, str) and ERROR_CODE.fullmatch(found) else ""


class _Redact(logging.Filter):
    """urllib3 logs each request's path and query at debug level: for a webhook those are the secret."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets and isinstance(record.args, tuple):
            record.args = tuple("<webhook>" if isinstance(arg, str) and any(s in arg for s in self.secrets) else arg
                                for arg in record.args)
        return True


_REDACT = _Redact()
logging.getLogger("urllib3.connectionpool").addFilter(_REDACT)


@contextmanager
def _unlogged(url: str) -> Iterator[None]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    secrets = {target} if len(target) > 1 else {url}
    _REDACT.secrets |= secrets
    try:
        yield
    finally:
        _REDACT.secrets -= secrets
