"""A fake Microsoft Graph on 127.0.0.1: `calendarView`, `calendarView/delta` and the token endpoint.

Real shapes and paging (calendar_survey.md §3.2): `value` pages with an absolute
`@odata.nextLink` (`$skiptoken`), the last delta page with `@odata.deltaLink` (`$deltatoken`),
`Prefer: odata.maxpagesize` honoured and acknowledged in `Preference-Applied`, both window
parameters required, `$select` refused on delta, deleted or moved-away occurrences as
`{"id": ..., "@removed": {"reason": "deleted"}}`, and 410 Gone (`syncStateNotFound`) when the
delta state has expired (`expire_delta_tokens()`, or `gone = True`).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

from tests.fakes.google_calendar import JsonServer, Logged

UTC = UTC
__all__ = ["GraphCalendarFake", "Logged", "graph_event"]


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def _error(code: str, message: str) -> dict:
    return {
        "error": {"code": code, "message": message, "innerError": {"date": "2026-01-01T00:00:00", "request-id": "fake"}}
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def graph_event(
    event_id: str,
    start: datetime,
    end: datetime,
    subject: str = "",
    *,
    attendees: tuple[str, ...] = (),
    response: str = "accepted",
    organizer: str = "",
    is_organizer: bool = False,
    show_as: str = "busy",
    categories: tuple[str, ...] = (),
    series_master_id: str | None = None,
    is_cancelled: bool = False,
    is_all_day: bool = False,
    rooms: tuple[str, ...] = (),
) -> dict:
    """An `event` as calendarView returns it, times in UTC (Prefer: outlook.timezone="UTC")."""
    kind = "occurrence" if series_master_id else "singleInstance"
    return {
        "@odata.etag": f'W/"{event_id}"',
        "id": event_id,
        "createdDateTime": "2026-01-01T00:00:00Z",
        "lastModifiedDateTime": "2026-01-01T00:00:00Z",
        "categories": list(categories),
        "subject": subject,
        "bodyPreview": "",
        "importance": "normal",
        "sensitivity": "normal",
        "isAllDay": is_all_day,
        "isCancelled": is_cancelled,
        "isOrganizer": is_organizer,
        "showAs": show_as,
        "type": kind,
        "seriesMasterId": series_master_id,
        "responseRequested": True,
        "responseStatus": {"response": "organizer" if is_organizer else response, "time": "2026-01-01T00:00:00Z"},
        "start": {"dateTime": _stamp(start), "timeZone": "UTC"},
        "end": {"dateTime": _stamp(end), "timeZone": "UTC"},
        "originalStartTimeZone": "W. Europe Standard Time",
        "originalEndTimeZone": "W. Europe Standard Time",
        "location": {"displayName": ""},
        "onlineMeetingProvider": "teamsForBusiness",
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted", "time": "2026-01-01T00:00:00Z"},
                "emailAddress": {"name": a.split("@")[0], "address": a},
            }
            for a in attendees
        ]
        + [
            {
                "type": "resource",
                "status": {"response": "accepted", "time": "2026-01-01T00:00:00Z"},
                "emailAddress": {"name": r, "address": r},
            }
            for r in rooms
        ],
        "organizer": {"emailAddress": {"name": (organizer or "x").split("@")[0], "address": organizer}},
    }


def _instant(when: dict) -> datetime:
    return datetime.fromisoformat(when["dateTime"][:19]).replace(tzinfo=UTC)


def _param_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GraphCalendarFake(JsonServer):
    """Users' occurrences with versions; delta tokens point into the version history."""

    def __init__(self, access_token: str = "fake-graph-token", page_cap: int = 1000):
        super().__init__()
        self.access_token, self.page_cap = access_token, page_cap
        self.tenant, self.client_id, self.client_secret = "fake-tenant", "fake-app", "fake-app-secret"
        self.users: dict[str, dict[str, tuple[int, dict | None]]] = {}  # user -> id -> (version, event or None=deleted)
        self.version = 0
        self.oldest_valid_token = 0
        self.gone = False

    def fault_answer(self, fault):
        code = {429: "TooManyRequests", 410: "syncStateNotFound", 503: "serviceNotAvailable"}.get(fault.status, "generalException")
        return fault.status, fault.body or _error(code, fault.message or "injected")

    # --- data --------------------------------------------------------------------------------
    def put(self, user: str, event: dict) -> None:
        with self.lock:
            self.version += 1
            self.users.setdefault(user, {})[event["id"]] = (self.version, event)

    def delete(self, user: str, event_id: str) -> None:
        with self.lock:
            self.version += 1
            self.users[user][event_id] = (self.version, None)

    def expire_delta_tokens(self) -> None:
        with self.lock:
            self.oldest_valid_token = self.version + 1

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def login_url(self) -> str:
        return self.url

    def requests_to(self, fragment: str) -> list[Logged]:
        return [entry for entry in self.log if fragment in entry.path]

    # --- protocol ------------------------------------------------------------------------------
    def handle(self, method, path, params, headers, body):
        if method == "POST" and path == f"/{self.tenant}/oauth2/v2.0/token":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
                "client_credentials",
                self.client_id,
                self.client_secret,
            ):
                return (
                    401,
                    {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                    {},
                )
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": self.access_token}, {}
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, _error("InvalidAuthenticationToken", "Access token is empty."), {}
        parts = path.split("/")  # ['', 'v1.0', 'users', user, 'calendarView', ('delta')]
        if (
            len(parts) < 5
            or parts[1:3] != ["v1.0", "users"]
            or parts[4] != "calendarView"
            or parts[3] not in self.users
        ):
            return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}
        params = {k: v[-1] for k, v in params.items()}
        size = min(self._max_page_size(headers.get("Prefer", "")), self.page_cap)
        applied = {"Preference-Applied": f"odata.maxpagesize={size}"}
        delta = len(parts) == 6 and parts[5] == "delta"
        if delta and any(p in params for p in ("$select", "$filter", "$orderby", "$expand", "$search")):
            return 400, _error("ErrorInvalidParameter", "Query option is not supported with delta."), {}
        status, body = self._view(parts[3], params, size, delta)
        return status, body, applied

    @staticmethod
    def _max_page_size(prefer: str) -> int:
        for part in prefer.split(","):
            name, _, value = part.strip().partition("=")
            if name == "odata.maxpagesize":
                return int(value)
        return 10

    def _view(self, user: str, params: dict[str, str], size: int, delta: bool) -> tuple[int, dict]:
        if "$skiptoken" in params:
            state = _decode(params["$skiptoken"])
        elif "$deltatoken" in params:
            state = _decode(params["$deltatoken"])
            if self.gone or state["since"] < self.oldest_valid_token:
                return 410, _error("syncStateNotFound", "The sync state generation is not found.")
            state = {**state, "offset": 0}
        else:
            if "startDateTime" not in params or "endDateTime" not in params:
                return 400, _error(
                    "ErrorInvalidParameter",
                    "This request requires a time window specified by the query string parameters"
                    " StartDateTime and EndDateTime.",
                )
            state = {
                "start": params["startDateTime"],
                "end": params["endDateTime"],
                "since": None,
                "offset": 0,
                "top": int(params.get("$top", size)),
            }
        items = self._select(user, state)
        step = min(size, state.get("top", size))
        page = items[state["offset"] : state["offset"] + step]
        base = f"{self.api_url}/users/{user}/calendarView" + ("/delta" if delta else "")
        answer = {"@odata.context": f"{self.api_url}/$metadata#Collection(event)", "value": page}
        if state["offset"] + step < len(items):
            answer["@odata.nextLink"] = (
                base + "?" + urlencode({"$skiptoken": _encode({**state, "offset": state["offset"] + step})}, safe="$")
            )
        elif delta:
            token = {"start": state["start"], "end": state["end"], "since": self.version}
            answer["@odata.deltaLink"] = base + "?" + urlencode({"$deltatoken": _encode(token)}, safe="$")
        return 200, answer

    def _select(self, user: str, state: dict) -> list[dict]:
        start, end = _param_time(state["start"]), _param_time(state["end"])

        def inside(event: dict | None) -> bool:
            return event is not None and _instant(event["end"]) > start and _instant(event["start"]) < end

        entries = sorted(self.users[user].items(), key=lambda kv: (kv[1][0], kv[0]))
        if state["since"] is None:
            return [event for _, (_, event) in entries if inside(event)]
        changed = [(eid, event) for eid, (version, event) in entries if version > state["since"]]
        return [
            event
            if inside(event)
            else {"@odata.type": "#microsoft.graph.event", "id": eid, "@removed": {"reason": "deleted"}}
            for eid, event in changed
        ]
