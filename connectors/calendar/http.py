"""The HTTP underneath the Google and Graph clients and ICS feeds: JSON GETs, token requests, errors.

Retries are the policy every HTTP source shares (`connectors/retry.py`). Errors are raised with
the status and the API's own error code, never with headers, tokens, secrets or a feed's
address: their text ends up in `sync_runs`, which the dashboard shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import requests

from connectors.retry import RetriesExhausted, RetryLater, RetryPolicy, raise_if_later, status_of
from dashboard.core.redaction import error_body

T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()
ERROR_CODE_CHARS = 80
"""An API's error code is a word or two; anything longer is a page, not a code."""


class ApiError(RuntimeError):
    """A calendar API answered with an error (or not at all)."""


class ResyncRequired(ApiError):
    """The incremental cursor is no longer valid (HTTP 410 Gone): a full sync is needed."""


def full_pull(pull: Callable[[], T], what: str) -> T:
    """A full pull, started again once if a page token expires half-way (410 Gone, resync codes).

    A full pull has no cursor to fall back on, so the only cure is to begin again; a second
    expiry in a row is an error, not a loop.
    """
    try:
        return pull()
    except ResyncRequired:
        pass
    try:
        return pull()
    except ResyncRequired as again:
        raise ApiError(f"the {what} expired twice in a row during a full sync ({again})") from None


SECRET_FIELDS = ("client_secret", "refresh_token", "assertion")
"""Form fields of a token request that are credentials."""


def _credentials(headers: Mapping | None, form: Mapping | None = None) -> tuple[str, ...]:
    """What a request carried that its error answer must not bring back: the bearer token, the
    client secret, the refresh token."""
    bearer = (headers or {}).get("Authorization", "").partition(" ")[2]
    return tuple(s for s in (bearer, *((form or {}).get(key, "") for key in SECRET_FIELDS)) if s)


def _error_code(response: requests.Response, secrets: tuple[str, ...] = ()) -> str:
    """The API's own short error code from a Google or Graph error body, if there is one,
    redacted and cut short: a server may echo the request in it."""
    return error_body(_raw_error_code(response), secrets, limit=ERROR_CODE_CHARS)


def _raw_error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    if isinstance(error, dict):
        reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
        return str(
            error.get("code")
            if isinstance(error.get("code"), str)
            else (reasons[0] if reasons else error.get("status", ""))
        )
    return str(error or "")


def gave_up(exhausted: RetriesExhausted, timeout: float, secrets: tuple[str, ...] = ()) -> str:
    """Why retrying did not help, without the URL (a feed's address is a secret)."""
    error, after = exhausted.last, f" after {exhausted.retries} retries" if exhausted.retries else ""
    if isinstance(error, RetryLater):
        return f"HTTP {status_of(error)} {_error_code(error.response, secrets)}".strip() + after
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout:g} s ({type(error).__name__}){after}; see [calendar].timeout_seconds"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return f"the answer broke off ({type(error).__name__}){after}"
    if isinstance(error, requests.ConnectionError):
        return f"the connection failed ({type(error).__name__}){after}"
    return f"no answer ({type(error).__name__}){after}"


def retried(policy: RetryPolicy, attempt: Callable[[], T], timeout: float, secrets: tuple[str, ...] = ()) -> T:
    """`attempt()` under the policy; a fault that outlasts it, or a request that cannot be sent, is an `ApiError`."""
    try:
        return policy.run(attempt)
    except RetriesExhausted as exhausted:
        raise ApiError(gave_up(exhausted, timeout, secrets)) from None
    except requests.RequestException as error:
        raise ApiError(f"the request failed ({type(error).__name__})") from None


def get_json(
    session: requests.Session,
    url: str,
    *,
    params: Mapping | None = None,
    headers: Mapping | None = None,
    timeout: float = 30,
    resync_codes: tuple[str, ...] = (),
    policy: RetryPolicy = DEFAULT_POLICY,
) -> dict:
    """GET a JSON document, retried under the shared policy.

    410 Gone, or an error whose code is one of `resync_codes`, raises `ResyncRequired`; an answer
    that is not a JSON object raises `ApiError`, so a cut-off page never passes for an empty one.
    """
    secrets = _credentials(headers)
    response = retried(
        policy, lambda: raise_if_later(session.get(url, params=params, headers=headers, timeout=timeout)), timeout, secrets
    )
    if response.status_code == 200:
        try:
            document = response.json()
        except ValueError as error:
            raise ApiError(f"the answer is not valid JSON ({error})") from None
        if not isinstance(document, dict):
            raise ApiError(f"the answer is JSON but not an object (a {type(document).__name__})")
        return document
    code = _error_code(response, secrets)
    if response.status_code == 410 or (code and code in resync_codes):
        raise ResyncRequired(f"HTTP {response.status_code} {code}".strip())
    raise ApiError(f"HTTP {response.status_code} {code}".strip())


def post_token(
    session: requests.Session, url: str, form: Mapping[str, str], timeout: float = 30, policy: RetryPolicy = DEFAULT_POLICY
) -> tuple[str, float]:
    """An OAuth token request, retried like any other: the access token and when it expires (monotonic seconds)."""
    secrets = _credentials(None, form)
    try:
        response = retried(
            policy, lambda: raise_if_later(session.post(url, data=dict(form), timeout=timeout)), timeout, secrets
        )
    except ApiError as error:
        raise ApiError(f"token request failed: {error}") from None
    if response.status_code != 200:
        raise ApiError(f"token request refused: HTTP {response.status_code} {_error_code(response, secrets)}".strip())
    try:
        body = response.json()
    except ValueError:
        raise ApiError("token request answered with something that is not valid JSON") from None
    return body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)) - 60
