"""The sign-in configuration: the `[auth]` section of `.streamlit/secrets.toml`, read and checked.

Sign-in fails closed. "No sign-in" (the open dashboard) is only ever the answer when there is
no secrets file at all, or one that parses and has no `[auth]`. A secrets file that does not
parse or cannot be read, an `[auth]` that is not a table, or one with a field missing, empty or
of the wrong type is a `SignInConfigError`: the dashboard then serves nothing but that message.
Reading such a file as "sign-in off" would hand every page to anyone, as ops.

Messages name the file, the table and the field, never a value: the values are secrets.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

import streamlit as st
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator
from streamlit.errors import StreamlitSecretNotFoundError

SECRETS = ".streamlit/secrets.toml"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
NOT_PROVIDERS = frozenset({"client_kwargs"})
"""Tables `[auth]` may hold that are options of its default provider, not providers of their own."""

Filled = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class SignInConfigError(RuntimeError):
    """Sign-in is configured but cannot be used as configured. The message holds no secret."""


def _web_address(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise ValueError("must be an http(s):// address")
    return value


class Provider(BaseModel):
    """One OpenID Connect provider: what `st.login` needs of it (Streamlit's own options pass through)."""

    model_config = ConfigDict(extra="allow")
    client_id: Filled
    client_secret: Filled
    server_metadata_url: Filled

    _address = field_validator("server_metadata_url")(_web_address)


class AuthSection(BaseModel):
    """The keys every provider shares."""

    model_config = ConfigDict(extra="allow")
    redirect_uri: Filled
    cookie_secret: Filled

    @field_validator("redirect_uri")
    @classmethod
    def _callback(cls, value: str) -> str:
        """Streamlit answers the provider only at `/oauth2callback`: another path can never sign anyone in."""
        _web_address(value)
        if not value.rstrip("/").endswith("/oauth2callback"):
            raise ValueError("must end in /oauth2callback")
        return value


def _plain(value: Any) -> Any:
    """Streamlit's secrets as plain dicts, so pydantic checks them as it checks any table."""
    return {key: _plain(item) for key, item in value.items()} if isinstance(value, Mapping) else value


def _problems(error: ValidationError, table: str) -> list[str]:
    """Pydantic's complaints as `[auth.okta] client_secret: is missing`, without the offending values."""
    found = []
    for item in error.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "(table)"
        message = "is missing" if item["type"] == "missing" else item["msg"].removeprefix("Value error, ")
        found.append(f"{table} {field}: {message}")
    return found


def _check(table: str, model: type[BaseModel], values: Mapping) -> list[str]:
    try:
        model.model_validate(values)
    except ValidationError as error:
        return _problems(error, table)
    return []


def providers(section: Any) -> list[str | None]:
    """The providers a valid `[auth]` offers: None for the one in `[auth]` itself, a name per `[auth.<name>]`.

    Raises:
        SignInConfigError: naming every missing, empty or mistyped field, each provider's included.
    """
    if not isinstance(section, Mapping):
        raise SignInConfigError(f"{SECRETS}: `auth` must be a table ([auth]), not a single value")
    section = _plain(section)
    problems = _check("[auth]", AuthSection, section)
    named = [name for name, value in section.items() if isinstance(value, Mapping) and name not in NOT_PROVIDERS]
    default = any(key in section for key in PROVIDER_KEYS)
    if default:
        problems += _check("[auth]", Provider, {key: section[key] for key in PROVIDER_KEYS if key in section})
    for name in named:
        if "_" in name:
            problems.append(f"[auth.{name}]: a provider's name may not contain an underscore")
        problems += _check(f"[auth.{name}]", Provider, section[name])
    if not default and not named:
        problems.append("[auth]: no provider: set client_id, client_secret and server_metadata_url, "
                        "in [auth] or in an [auth.<provider>] table")
    if problems:
        raise SignInConfigError(f"{SECRETS}: sign-in is configured but incomplete:\n" + "\n".join(f"- {p}" for p in problems))
    return ([None] if default else []) + named


def auth_section() -> Mapping | None:
    """`[auth]` of the secrets; None only when there is no secrets file, or it has no `[auth]`.

    Raises:
        SignInConfigError: the secrets exist but cannot be read, so whether sign-in is on is unknown.
    """
    try:
        secrets = st.secrets.to_dict()
    except StreamlitSecretNotFoundError as error:
        if error.error_id == "no-secrets-found":
            return None
        raise SignInConfigError(_unreadable(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SignInConfigError(f"{SECRETS} cannot be read ({type(error).__name__}): fix or remove it") from None
    return secrets.get("auth")


def _unreadable(error: StreamlitSecretNotFoundError) -> str:
    """Where the file breaks (tomllib's line and column), not its text: that line may hold a secret."""
    if error.error_id != "failed-parsing-secrets-file":
        return f"the secrets cannot be read: {error}"  # Streamlit names the path, nothing more
    position = re.search(r"\(at line \d+, column \d+\)", str(error.__cause__ or ""))
    where = f" {position.group(0)}" if position else ""
    return f"{error.exec_kwargs.get('path', SECRETS)} is not valid TOML{where}: text values need quotes, e.g. client_id = \"...\""
