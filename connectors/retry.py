"""One retry policy for every HTTP source: Jira, Google Calendar, Microsoft Graph and ICS feeds.

A fault that means "later, not never" is retried: HTTP 429, 500, 502, 503 and 504, a connection
refused or reset, a timeout, and an answer that breaks off half-way. The wait is the server's
own `Retry-After` (seconds or an HTTP date) when it sends one, else 1, 2, 4, ... times
`base_delay`; never more than `max_delay`, and at most `max_retries` times (`[jira].max_retries`,
`[calendar].max_retries`). Anything else (401, 403, 404, a certificate that does not verify,
...) would fail the same way again, so it fails at once. docs/deployment.md states this table;
tests/connectors/test_retry.py holds a test per row.

A connector wraps each request, body included, in `RetryPolicy.run`; an answer whose status
means "later" becomes `RetryLater` so the policy can see it. When the retries run out the last
fault comes back as `RetriesExhausted`, carrying how many retries were made, for the message.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import requests

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
"""Refused, reset, timed out, or cut short mid-answer (requests' names for them)."""
FINAL_ERRORS = (requests.exceptions.SSLError, requests.exceptions.InvalidURL)
"""Connection errors that asking again cannot cure."""


class RetryLater(Exception):
    """An answer whose status means "later" (429, 5xx), raised so the policy retries it."""

    def __init__(self, response: requests.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class RetriesExhausted(Exception):
    """A passing fault that did not pass: `last` is the final one, after `retries` retries."""

    def __init__(self, last: Exception, retries: int):
        super().__init__(f"{last} (after {retries} retries)")
        self.last, self.retries = last, retries


def raise_if_later(response: requests.Response) -> requests.Response:
    """The response, unless its status means "later"."""
    if response.status_code in RETRY_STATUSES:
        raise RetryLater(response)
    return response


def _response(error: Exception) -> requests.Response | None:
    response = getattr(error, "response", None)
    return response if isinstance(response, requests.Response) else None


def status_of(error: Exception) -> int | None:
    """The HTTP status a fault carries (a `RetryLater`, the jira client's `JIRAError`), if any."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return status
    response = _response(error)
    return response.status_code if response is not None else None


def is_transient(error: Exception) -> bool:
    if isinstance(error, FINAL_ERRORS):
        return False
    return isinstance(error, TRANSIENT_ERRORS) or status_of(error) in RETRY_STATUSES


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` is seconds or an HTTP date (RFC 9110); a date in the past means now."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime.now(UTC)).total_seconds()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before asking again. Tests pass a `sleep` that records."""

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """The server's `Retry-After` when it sends one, else 1, 2, 4, ... times the base delay."""
        wait = retry_after_seconds(retry_after)
        if wait is None:
            wait = self.base_delay * 2 ** (retry - 1)
        return min(self.max_delay, max(0.0, wait))

    def run(self, attempt: Callable[[], T], transient: Callable[[Exception], bool] = is_transient) -> T:
        """`attempt()`, again after each transient fault while retries remain.

        `transient` tells a passing fault from a final one: HTTP's table above by default; another
        protocol (SMTP's 4xx replies) passes its own, and keeps the same waits and limits.

        Raises:
            RetriesExhausted: the fault was transient but outlasted `max_retries`.
            Exception: whatever `attempt` raised that is not transient, at once.
        """
        retries = 0
        while True:
            try:
                return attempt()
            except Exception as error:
                if not transient(error):
                    raise
                if retries >= self.max_retries:
                    raise RetriesExhausted(error, retries) from error
                retries += 1
                response = _response(error)
                self.sleep(self.delay(retries, response.headers.get("Retry-After") if response is not None else None))
