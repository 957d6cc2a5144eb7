"""Microsoft Graph: `calendarView` for a window, `calendarView/delta` for incremental syncs.

With `incremental = true` (the default) a full sync is the first round of
`/users/{id}/calendarView/delta` for the window: it pages with `@odata.nextLink` and ends with
an `@odata.deltaLink`, kept whole as the cursor (the window is encoded in it). The next sync
follows the deltaLink and gets changed occurrences and `@removed` ones; 410 Gone (or
`syncStateNotFound`/`resyncRequired`) or a window that has moved means a full sync again.
With `incremental = false` every sync reads `/users/{id}/calendarView` for the window.

Times are asked for in UTC (`Prefer: outlook.timezone="UTC"`). App credentials come from the
environment: `PRODOPS_GRAPH_TENANT_ID`, `PRODOPS_GRAPH_CLIENT_ID` and
`PRODOPS_GRAPH_CLIENT_SECRET` (client credentials with the `Calendars.Read` application
permission), or a ready-made `PRODOPS_GRAPH_ACCESS_TOKEN`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from connectors.calendar.http import DEFAULT_POLICY, ApiError, ResyncRequired, full_pull, get_json, post_token
from connectors.calendar.normalize import UTC, Fetched, Occurrence, Owner, Window, local_midnight, other_attendees
from connectors.retry import RetryPolicy
from dashboard.core.config import GraphCalendarSource

SOURCE = "graph"
SCOPE = "https://graph.microsoft.com/.default"
RESYNC_CODES = ("syncStateNotFound", "resyncRequired", "SyncStateNotFound")
_RESPONSES = {
    "organizer": "accepted",
    "accepted": "accepted",
    "tentativelyAccepted": "tentative",
    "declined": "declined",
    "notResponded": "needsAction",
}
_SHOW_AS = {
    "free": "free",
    "tentative": "tentative",
    "busy": "busy",
    "oof": "oof",
    "workingElsewhere": "workingElsewhere",
}


class GraphClient:
    """Authenticated GETs against Graph, following links only to Graph itself."""

    def __init__(
        self,
        source: GraphCalendarSource,
        *,
        session: requests.Session | None = None,
        timeout: float = 30,
        env: Mapping[str, str] | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ):
        self.source, self.timeout, self.policy = source, timeout, policy
        self.session = session or requests.Session()
        self.env = os.environ if env is None else env
        self._token: tuple[str, float] | None = None
        if not (
            self.env.get("PRODOPS_GRAPH_ACCESS_TOKEN")
            or all(self.env.get(f"PRODOPS_GRAPH_{name}") for name in ("TENANT_ID", "CLIENT_ID", "CLIENT_SECRET"))
        ):
            raise ApiError(
                "no Graph credentials: set PRODOPS_GRAPH_TENANT_ID, PRODOPS_GRAPH_CLIENT_ID"
                " and PRODOPS_GRAPH_CLIENT_SECRET"
            )

    @property
    def base(self) -> str:
        return self.source.api_url.rstrip("/")

    def token(self) -> str:
        if self.env.get("PRODOPS_GRAPH_ACCESS_TOKEN"):
            return self.env["PRODOPS_GRAPH_ACCESS_TOKEN"]
        if self._token is None or self._token[1] <= time.monotonic():
            tenant = quote(self.env["PRODOPS_GRAPH_TENANT_ID"], safe="")
            self._token = post_token(
                self.session,
                f"{self.source.login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token",
                {
                    "grant_type": "client_credentials",
                    "client_id": self.env["PRODOPS_GRAPH_CLIENT_ID"],
                    "client_secret": self.env["PRODOPS_GRAPH_CLIENT_SECRET"],
                    "scope": SCOPE,
                },
                self.timeout,
                self.policy,
            )
        return self._token[0]

    def pages(self, url: str, params: dict | None = None) -> Iterator[dict]:
        """Every page from `url` on, following `@odata.nextLink`; the last page holds any deltaLink."""
        while url:
            if not url.startswith(self.base + "/"):
                raise ApiError("a paging link pointed away from the configured Graph address")
            headers = {
                "Authorization": f"Bearer {self.token()}",
                "Accept": "application/json",
                "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={self.source.page_size}',
            }
            page = get_json(
                self.session, url, params=params, headers=headers, timeout=self.timeout, resync_codes=RESYNC_CODES,
                policy=self.policy,
            )
            yield page
            url, params = page.get("@odata.nextLink"), None


def fetch_graph(client: GraphClient, user: str, owner: Owner, window: Window, cursor: dict | None) -> Fetched:
    """Pull one user's calendar: by the deltaLink when it still holds, else in full."""
    incremental = client.source.incremental
    if incremental and cursor and cursor.get("window") == window.key and cursor.get("delta_link"):
        try:
            return _pull(client, cursor["delta_link"], None, owner, window, full=False)
        except ResyncRequired:
            pass  # the delta state is gone: start again from a full sync
    path = "calendarView/delta" if incremental else "calendarView"
    bounds = {"startDateTime": _stamp(window.start), "endDateTime": _stamp(window.end)}
    url = f"{client.base}/users/{quote(user, safe='@')}/{path}"
    return full_pull(lambda: _pull(client, url, bounds, owner, window, full=True), "paging link ($skiptoken)")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pull(client: GraphClient, url: str, params: dict | None, owner: Owner, window: Window, full: bool) -> Fetched:
    fetched, delta_link = Fetched(full=full), None
    for page in client.pages(url, params):
        for item in page.get("value", []):
            fetched.touched.add(item["id"])
            if "@removed" in item or item.get("isCancelled") or item.get("type") == "seriesMaster":
                continue
            fetched.occurrences.append(graph_occurrence(item, owner))
        delta_link = page.get("@odata.deltaLink", delta_link)
    if client.source.incremental:
        if not delta_link:
            raise ApiError("the last delta page carried no @odata.deltaLink")
        fetched.cursor = {"window": window.key, "delta_link": delta_link}
    return fetched


def _when(value: dict, owner: Owner, all_day: bool) -> datetime:
    moment = datetime.fromisoformat(value["dateTime"])
    if all_day:
        return local_midnight(moment.date(), owner.zone)
    zone_name = value.get("timeZone") or "UTC"
    try:
        zone = UTC if zone_name.upper() == "UTC" else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(f"unknown time zone {zone_name!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def graph_occurrence(item: dict, owner: Owner) -> Occurrence:
    """One Graph `event` occurrence (not cancelled, not removed) in `owner`'s calendar."""
    all_day = bool(item.get("isAllDay"))
    try:
        start, end = _when(item["start"], owner, all_day), _when(item["end"], owner, all_day)
    except (KeyError, ValueError) as error:
        raise ApiError(f"event {item.get('id')}: unreadable start or end ({type(error).__name__}: {error})") from None
    attendees = item.get("attendees", [])
    people = [(a.get("emailAddress") or {}).get("address", "") for a in attendees if a.get("type") != "resource"]
    organizer = ((item.get("organizer") or {}).get("emailAddress") or {}).get("address", "").lower()
    others = other_attendees(owner, people, organizer)
    said = (item.get("responseStatus") or {}).get("response", "none")
    if said in _RESPONSES:
        response = _RESPONSES[said]
    else:
        response = "accepted" if item.get("isOrganizer") or not people or organizer in owner.emails else "needsAction"
    return Occurrence(
        uid=item["id"],
        start_utc=start,
        end_utc=max(start, end),
        all_day=all_day,
        title=item.get("subject") or "",
        attendee_count=len(others) + 1,
        response=response,
        recurring=item.get("type") in ("occurrence", "exception") or bool(item.get("seriesMasterId")),
        show_as=_SHOW_AS.get(item.get("showAs", "busy"), "busy"),
        organizer=organizer,
        others=others,
        categories=tuple(item.get("categories") or ()),
    )
