"""The HTTP underneath the Google and Graph clients: JSON GETs, retries, token requests, errors.

Errors are raised with the status and the API's own error code, never with headers, tokens or
secrets: their text ends up in `sync_runs`, which the dashboard shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import requests

T = TypeVar("T")
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_WAIT_SECONDS = 30.0


class ApiError(RuntimeError):
    """A calendar API answered with an error (or not at all)."""


class ResyncRequired(ApiError):
    """The incremental cursor is no longer valid (HTTP 410 Gone): a full sync is needed."""


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait before asking again after throttling, a 5xx or no answer.

    The API's own `Retry-After` wins; otherwise 1, 2, 4, ... times `base_delay`, never more
    than `max_wait`. Tests pass a `sleep` that records instead of waiting.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    max_wait: float = MAX_WAIT_SECONDS
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def wait(self, retry: int, retry_after: str | None = None) -> None:
        try:
            seconds = float(retry_after) if retry_after is not None else None
        except ValueError:
            seconds = None
        if seconds is None:
            seconds = self.base_delay * 2 ** (retry - 1)
        self.sleep(min(max(seconds, 0.0), self.max_wait))


DEFAULT_BACKOFF = Backoff()


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


def _error_code(response: requests.Response) -> str:
    """The API's own short error code from a Google or Graph error body, if there is one."""
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


def _no_answer(error: requests.RequestException, timeout: float, retries: int) -> str:
    """Why a request got no answer, without the URL (a feed's address is a secret)."""
    after = f" after {retries} retries" if retries else ""
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout:g} s ({type(error).__name__}){after}; see [calendar].timeout_seconds"
    if isinstance(error, requests.ConnectionError):
        return f"the connection failed ({type(error).__name__}){after}"
    return f"no answer ({type(error).__name__}){after}"


def get(
    session,
    url: str,
    *,
    params: Mapping | None = None,
    headers: Mapping | None = None,
    timeout: float = 30,
    backoff: Backoff = DEFAULT_BACKOFF,
    stream: bool = False,
) -> tuple[requests.Response, int]:
    """GET with retries of throttling, server errors and lost connections, as the APIs ask.

    Returns the last response, whatever its status, and how many retries it took; raises
    `ApiError` when no answer came at all.
    """
    retries = 0
    while True:
        try:
            response = session.get(url, params=params, headers=headers, timeout=timeout, stream=stream)
        except requests.RequestException as error:
            if retries >= backoff.max_retries:
                raise ApiError(_no_answer(error, timeout, retries)) from None
            retries += 1
            backoff.wait(retries)
            continue
        if response.status_code in RETRY_STATUSES and retries < backoff.max_retries:
            retries += 1
            backoff.wait(retries, response.headers.get("Retry-After"))
            continue
        return response, retries


def get_json(
    session: requests.Session,
    url: str,
    *,
    params: Mapping | None = None,
    headers: Mapping | None = None,
    timeout: float = 30,
    resync_codes: tuple[str, ...] = (),
    backoff: Backoff = DEFAULT_BACKOFF,
) -> dict:
    """GET a JSON document (see `get` for the retries).

    410 Gone, or an error whose code is one of `resync_codes`, raises `ResyncRequired`; an answer
    that is not a JSON object raises `ApiError`, so a cut-off page never passes for an empty one.
    """
    response, retries = get(session, url, params=params, headers=headers, timeout=timeout, backoff=backoff)
    if response.status_code == 200:
        try:
            document = response.json()
        except ValueError as error:
            raise ApiError(f"the answer is not valid JSON ({error})") from None
        if not isinstance(document, dict):
            raise ApiError(f"the answer is JSON but not an object (a {type(document).__name__})")
        return document
    code = _error_code(response)
    if response.status_code == 410 or (code and code in resync_codes):
        raise ResyncRequired(f"HTTP {response.status_code} {code}".strip())
    after = f" after {retries} retries" if retries else ""
    raise ApiError(f"HTTP {response.status_code} {code}".strip() + after)


def post_token(session: requests.Session, url: str, form: Mapping[str, str], timeout: float = 30) -> tuple[str, float]:
    """An OAuth token request: the access token and when it expires (monotonic seconds)."""
    try:
        response = session.post(url, data=dict(form), timeout=timeout)
    except requests.RequestException as error:
        raise ApiError(f"token request failed: {type(error).__name__}") from None
    if response.status_code != 200:
        raise ApiError(f"token request refused: HTTP {response.status_code} {_error_code(response)}".strip())
    try:
        body = response.json()
    except ValueError:
        raise ApiError("token request answered with something that is not valid JSON") from None
    return body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)) - 60
