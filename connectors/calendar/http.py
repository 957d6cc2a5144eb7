"""The HTTP underneath the Google and Graph clients: JSON GETs, retries, token requests, errors.

Errors are raised with the status and the API's own error code, never with headers, tokens or
secrets: their text ends up in `sync_runs`, which the dashboard shows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 30.0


class ApiError(RuntimeError):
    """A calendar API answered with an error (or not at all)."""


class ResyncRequired(ApiError):
    """The incremental cursor is no longer valid (HTTP 410 Gone): a full sync is needed."""


def _error_code(response: requests.Response) -> str:
    """The API's own short error code from a Google or Graph error body, if there is one."""
    try:
        error = response.json().get("error")
    except ValueError:
        return ""
    if isinstance(error, dict):
        reasons = [e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)]
        return str(
            error.get("code")
            if isinstance(error.get("code"), str)
            else (reasons[0] if reasons else error.get("status", ""))
        )
    return str(error or "")


def _wait(response: requests.Response, attempt: int) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "")), MAX_WAIT_SECONDS)
    except ValueError:
        return min(0.5 * 2**attempt, MAX_WAIT_SECONDS)


def get_json(
    session: requests.Session,
    url: str,
    *,
    params: Mapping | None = None,
    headers: Mapping | None = None,
    timeout: float = 30,
    resync_codes: tuple[str, ...] = (),
) -> dict:
    """GET a JSON document, retrying throttling and server errors as the APIs ask (Retry-After).

    410 Gone, or an error whose code is one of `resync_codes`, raises `ResyncRequired`.
    """
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = session.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as error:
            if attempt == MAX_ATTEMPTS - 1:
                raise ApiError(f"no answer: {type(error).__name__}") from None
            time.sleep(min(0.5 * 2**attempt, MAX_WAIT_SECONDS))
            continue
        if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS - 1:
            time.sleep(_wait(response, attempt))
            continue
        if response.status_code == 200:
            return response.json()
        code = _error_code(response)
        if response.status_code == 410 or (code and code in resync_codes):
            raise ResyncRequired(f"HTTP {response.status_code} {code}".strip())
        raise ApiError(f"HTTP {response.status_code} {code}".strip())
    raise ApiError("gave up after retries")  # pragma: no cover - the loop returns or raises


def post_token(session: requests.Session, url: str, form: Mapping[str, str], timeout: float = 30) -> tuple[str, float]:
    """An OAuth token request: the access token and when it expires (monotonic seconds)."""
    try:
        response = session.post(url, data=dict(form), timeout=timeout)
    except requests.RequestException as error:
        raise ApiError(f"token request failed: {type(error).__name__}") from None
    if response.status_code != 200:
        raise ApiError(f"token request refused: HTTP {response.status_code} {_error_code(response)}".strip())
    body = response.json()
    return body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)) - 60
