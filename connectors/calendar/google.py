"""Google Calendar API v3: `events.list` with `singleEvents=true`, incremental with `syncToken`.

A full sync lists every instance (recurring series expanded by Google) with no time bounds,
because a `syncToken` cannot be combined with `timeMin`/`timeMax`; the window is applied on our
side. Its last page carries `nextSyncToken`, kept as the cursor together with the window it was
taken for. The next sync sends only the token and gets what changed, deletions included; a 410
Gone (token expired) or a window that has moved (a new week) means a full sync again.
With `incremental = false` every sync is a full one bounded by `timeMin`/`timeMax`.

Credentials come from the environment only:
- `PRODOPS_GOOGLE_SERVICE_ACCOUNT` (the key JSON, or a path to it) or
  `GOOGLE_APPLICATION_CREDENTIALS` (a path): a service account with domain-wide delegation,
  acting as each calendar's owner in turn (needs the `google-auth` package);
- `PRODOPS_GOOGLE_CLIENT_ID`, `PRODOPS_GOOGLE_CLIENT_SECRET`, `PRODOPS_GOOGLE_REFRESH_TOKEN`: one
  user's OAuth consent, reading the calendars shared with that user;
- `PRODOPS_GOOGLE_ACCESS_TOKEN`: a ready-made bearer token (short runs and tests).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import requests

from connectors.calendar.http import DEFAULT_POLICY, ApiError, ResyncRequired, full_pull, get_json, post_token
from connectors.calendar.normalize import UTC, Fetched, Occurrence, Owner, Window, local_midnight, other_attendees
from connectors.retry import RetryPolicy
from dashboard.core.config import GoogleCalendarSource

SOURCE = "google"
SCOPE = "https://www.googleapis.com/auth/calendar.events.readonly"
_RESPONSES = {"accepted": "accepted", "tentative": "tentative", "declined": "declined", "needsAction": "needsAction"}


class GoogleCredentials:
    """Bearer tokens for the Calendar API, from whichever credentials the environment holds."""

    def __init__(self, env: Mapping[str, str], token_url: str, session: requests.Session, timeout: float, policy: RetryPolicy):
        self.env, self.token_url, self.session, self.timeout, self.policy = env, token_url, session, timeout, policy
        self._cache: dict[str, tuple[str, float]] = {}
        self.kind = self._kind()

    def _kind(self) -> str:
        env = self.env
        if env.get("PRODOPS_GOOGLE_SERVICE_ACCOUNT") or env.get("GOOGLE_APPLICATION_CREDENTIALS"):
            return "service_account"
        if all(env.get(f"PRODOPS_GOOGLE_{name}") for name in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN")):
            return "oauth"
        if env.get("PRODOPS_GOOGLE_ACCESS_TOKEN"):
            return "token"
        raise ApiError(
            "no Google credentials: set PRODOPS_GOOGLE_SERVICE_ACCOUNT (or GOOGLE_APPLICATION_CREDENTIALS), "
            "or PRODOPS_GOOGLE_CLIENT_ID, PRODOPS_GOOGLE_CLIENT_SECRET and PRODOPS_GOOGLE_REFRESH_TOKEN"
        )

    def token(self, calendar_id: str) -> str:
        """A token acting for `calendar_id` (service account) or for the one consenting user."""
        subject = calendar_id if self.kind == "service_account" else ""
        cached = self._cache.get(subject)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        if self.kind == "token":
            return self.env["PRODOPS_GOOGLE_ACCESS_TOKEN"]
        if self.kind == "oauth":
            fresh = post_token(
                self.session,
                self.token_url,
                {
                    "grant_type": "refresh_token",
                    "client_id": self.env["PRODOPS_GOOGLE_CLIENT_ID"],
                    "client_secret": self.env["PRODOPS_GOOGLE_CLIENT_SECRET"],
                    "refresh_token": self.env["PRODOPS_GOOGLE_REFRESH_TOKEN"],
                },
                self.timeout,
                self.policy,
            )
        else:
            fresh = self._service_account_token(subject)
        self._cache[subject] = fresh
        return fresh[0]

    def _service_account_token(self, subject: str) -> tuple[str, float]:
        """Sign a JWT with the service account's key and trade it for a token acting as `subject`."""
        try:
            from google.auth.transport.requests import Request
            from google.oauth2 import service_account
        except ImportError:
            raise ApiError(
                "a Google service account needs the google-auth package (pip install -r requirements.txt)"
            ) from None
        raw = self.env.get("PRODOPS_GOOGLE_SERVICE_ACCOUNT") or self.env["GOOGLE_APPLICATION_CREDENTIALS"]
        try:
            info = json.loads(raw) if raw.lstrip().startswith("{") else json.loads(Path(raw).read_text())
            credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE], subject=subject)
            credentials.refresh(Request(self.session))
        except Exception as error:  # noqa: BLE001 - never echo the key: name the kind of failure only
            raise ApiError(f"service account token refused for {subject}: {type(error).__name__}") from None
        return credentials.token, time.monotonic() + 3000


class GoogleClient:
    """`events.list` pages for one calendar at a time."""

    def __init__(
        self,
        source: GoogleCalendarSource,
        *,
        session: requests.Session | None = None,
        timeout: float = 30,
        env: Mapping[str, str] | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ):
        self.source, self.timeout, self.policy = source, timeout, policy
        self.session = session or requests.Session()
        self.credentials = GoogleCredentials(
            os.environ if env is None else env, source.token_url, self.session, timeout, policy
        )

    def pages(self, calendar_id: str, params: dict) -> Iterator[dict]:
        url = f"{self.source.api_url.rstrip('/')}/calendars/{quote(calendar_id, safe='@')}/events"
        page_token = None
        while True:
            headers = {"Authorization": f"Bearer {self.credentials.token(calendar_id)}", "Accept": "application/json"}
            page = get_json(
                self.session,
                url,
                params={**params, **({"pageToken": page_token} if page_token else {})},
                headers=headers,
                timeout=self.timeout,
                resync_codes=("fullSyncRequired",),
                policy=self.policy,
            )
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return


def fetch_google(client: GoogleClient, calendar_id: str, owner: Owner, window: Window, cursor: dict | None) -> Fetched:
    """Pull one calendar: incrementally when the cursor still holds, else in full."""
    incremental = client.source.incremental
    if incremental and cursor and cursor.get("window") == window.key and cursor.get("sync_token"):
        try:
            return _pull(client, calendar_id, owner, window, {"syncToken": cursor["sync_token"]}, full=False)
        except ResyncRequired:
            pass  # the token expired: start again from a full sync
    bounds = {} if incremental else {"timeMin": window.start.isoformat(), "timeMax": window.end.isoformat()}
    return full_pull(lambda: _pull(client, calendar_id, owner, window, bounds, full=True), "page token")


def _pull(client: GoogleClient, calendar_id: str, owner: Owner, window: Window, extra: dict, full: bool) -> Fetched:
    params = {"singleEvents": "true", "maxResults": str(client.source.page_size), **extra}
    fetched, token = Fetched(full=full), None
    for page in client.pages(calendar_id, params):
        for item in page.get("items", []):
            fetched.touched.add(item["id"])
            if item.get("status") != "cancelled":
                fetched.occurrences.append(google_occurrence(item, owner))
        token = page.get("nextSyncToken", token)
    if client.source.incremental:
        if not token:
            raise ApiError("the last page carried no nextSyncToken")
        fetched.cursor = {"window": window.key, "sync_token": token}
    return fetched


def _when(value: dict, owner: Owner) -> tuple[datetime, bool]:
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"])
        return (moment if moment.tzinfo else moment.replace(tzinfo=owner.zone)).astimezone(UTC), False
    return local_midnight(date.fromisoformat(value["date"]), owner.zone), True


def google_occurrence(item: dict, owner: Owner) -> Occurrence:
    """One `calendar#event` instance (not cancelled) as an occurrence in `owner`'s calendar."""
    try:
        start, all_day = _when(item["start"], owner)
        end, _ = _when(item.get("end") or item["start"], owner)
    except (KeyError, ValueError) as error:
        raise ApiError(f"event {item.get('id')}: unreadable start or end ({type(error).__name__}: {error})") from None
    attendees = item.get("attendees", [])
    people = [a.get("email", "") for a in attendees if not a.get("resource")]
    organizer = (item.get("organizer") or {}).get("email", "").lower()
    mine = next((a for a in attendees if a.get("self") or a.get("email", "").lower() in owner.emails), None)
    if mine is not None:
        response = _RESPONSES.get(mine.get("responseStatus", ""), "needsAction")
    else:
        response = (
            "accepted"
            if not people or (item.get("organizer") or {}).get("self") or organizer in owner.emails
            else "needsAction"
        )
    others = other_attendees(owner, people, organizer)
    event_type = item.get("eventType", "default")
    show_as = {"outOfOffice": "oof", "workingLocation": "workingElsewhere"}.get(event_type)
    if show_as is None:
        show_as = "free" if item.get("transparency") == "transparent" else "busy"
    return Occurrence(
        uid=item["id"],
        start_utc=start,
        end_utc=max(end, start),
        all_day=all_day,
        title=item.get("summary", ""),
        attendee_count=len(others) + 1,
        response=response,
        recurring="recurringEventId" in item,
        show_as=show_as,
        organizer=organizer,
        others=others,
        event_type=event_type,
    )
