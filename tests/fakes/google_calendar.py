"""A fake Google Calendar API v3 on 127.0.0.1: `events.list` and the OAuth token endpoint.

It answers in the API's real shapes (calendar_survey.md §3.1): `calendar#events` pages with
`nextPageToken`, `nextSyncToken` on the last page only, instances as `singleEvents=true` gives
them, a cancelled instance reduced to `id`, `recurringEventId` and `originalStartTime` in an
incremental answer, 400 when a `syncToken` comes with `timeMin`/`timeMax`, and 410 Gone with
`fullSyncRequired` when a sync token has expired (`expire_sync_tokens()`, or `gone = True`).
Data is mutable in memory; every request is logged.

    with GoogleCalendarFake() as fake:
        fake.put("pm@example.com", fake_event(...))
        ... GoogleCalendarSource(calendars=[...], api_url=fake.api_url, token_url=fake.token_url) ...

`JsonServer` is the small threaded server both calendar fakes stand on; `inject(Fault(...))`
makes chosen requests misbehave (tests/fakes/faults.py).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.faults import Fault, FaultyServer, broken, cut, first_firing, reset

UTC = UTC


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    params: dict[str, list[str]]
    status: int


class JsonServer(FaultyServer):
    """A threaded HTTP server on a free local port that hands each request to `handle`."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Logged] = []
        self._server: ThreadingHTTPServer | None = None

    def fault_answer(self, fault: Fault) -> tuple[int, object]:
        """What a "status" fault answers: its own body, or the API's error shape for the status."""
        return fault.status, fault.body if fault.body is not None else {"error": {"code": fault.status, "message": fault.message or "injected"}}

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(
        self, method: str, path: str, params: dict[str, list[str]], headers, body: bytes
    ) -> tuple[int, dict, dict]:
        """Answer (status, JSON body, extra headers); subclasses implement it."""
        raise NotImplementedError

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query, keep_blank_values=True)
                path = unquote(parts.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fault = first_firing(fake.faults, path, params)
                if fault and fault.kind == "slow":
                    time.sleep(fault.delay)
                if fault and fault.kind == "reset":
                    with fake.lock:
                        fake.log.append(Logged(method, path, params, 0))
                    reset(self.connection)
                    self.close_connection = True
                    return
                with fake.lock:
                    if fault and fault.kind == "status" and fault.echo:
                        status, payload = fault.status, fault.echo(self.headers.get("Authorization") or "").encode()
                        extra = {**fault.headers, "Content-Type": "text/plain; charset=utf-8"}
                    elif fault and fault.kind == "status":
                        (status, payload), extra = fake.fault_answer(fault), fault.headers
                    else:
                        status, payload, extra = fake.handle(method, path, params, self.headers, body)
                    fake.log.append(Logged(method, path, params, status))
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                if fault and fault.kind == "broken_json":
                    data = broken(data)
                extra = dict(extra)
                if fault and fault.kind == "cut":
                    cut(self, status, {"Content-Type": "application/json; charset=UTF-8", **extra}, data)
                    return
                self.send_response(status)
                self.send_header("Content-Type", extra.pop("Content-Type", "application/json; charset=UTF-8"))
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def _error(code: int, reason: str, message: str) -> dict:
    return {
        "error": {
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "code": code,
            "message": message,
        }
    }


def fake_event(
    event_id: str,
    start: datetime | str,
    end: datetime | str,
    summary: str = "",
    *,
    owner: str = "",
    attendees: tuple[str, ...] = (),
    response: str = "accepted",
    organizer: str = "",
    recurring_event_id: str | None = None,
    event_type: str = "default",
    transparency: str | None = None,
    status: str = "confirmed",
    time_zone: str = "Europe/Berlin",
    rooms: tuple[str, ...] = (),
) -> dict:
    """A `calendar#event` instance shaped as events.list returns it. Dates (`"2024-03-05"`) make it all-day."""

    def when(value):
        if isinstance(value, str):
            return {"date": value}
        return {"dateTime": value.isoformat(), "timeZone": time_zone}

    item = {
        "kind": "calendar#event",
        "etag": f'"{event_id}"',
        "id": event_id,
        "status": status,
        "summary": summary,
        "eventType": event_type,
        "start": when(start),
        "end": when(end),
        "iCalUID": f"{event_id.split('_')[0]}@google.com",
        "sequence": 0,
        "creator": {"email": organizer or owner},
        "organizer": {"email": organizer or owner, **({"self": True} if (organizer or owner) == owner else {})},
        "reminders": {"useDefault": True},
    }
    if transparency:
        item["transparency"] = transparency
    if recurring_event_id:
        item["recurringEventId"] = recurring_event_id
        item["originalStartTime"] = when(start)
    if attendees:
        people = [{"email": owner, "self": True, "responseStatus": response}]
        people += [
            {"email": a, "responseStatus": "accepted", **({"organizer": True} if a == organizer else {})}
            for a in attendees
        ]
        people += [{"email": r, "resource": True, "responseStatus": "accepted"} for r in rooms]
        item["attendees"] = people
    if event_type == "focusTime":
        item["focusTimeProperties"] = {
            "autoDeclineMode": "declineOnlyNewConflictingInvitations",
            "chatStatus": "doNotDisturb",
        }
    if event_type == "outOfOffice":
        item["outOfOfficeProperties"] = {"autoDeclineMode": "declineAllConflictingInvitations"}
    return item


class GoogleCalendarFake(JsonServer):
    """Calendars of instances, a version counter that sync tokens point into, and switches."""

    def __init__(self, access_token: str = "fake-google-token", page_cap: int = 2500):
        super().__init__()
        self.access_token, self.page_cap = access_token, page_cap
        self.calendars: dict[str, dict[str, tuple[int, dict]]] = {}  # calendar -> id -> (version, item)
        self.version = 0
        self.oldest_valid_token = 0
        self.gone = False  # answer every syncToken with 410 Gone
        self.refresh_token, self.client_id, self.client_secret = "fake-refresh", "fake-client", "fake-secret"
        self.subjects: list[str] = []  # whom service-account assertions asked to act as

    def fault_answer(self, fault):
        reason = {429: "rateLimitExceeded", 410: "fullSyncRequired", 403: "forbidden"}.get(fault.status, "backendError")
        return fault.status, fault.body or _error(fault.status, reason, fault.message or "injected")

    # --- data --------------------------------------------------------------------------------
    def put(self, calendar_id: str, item: dict) -> None:
        with self.lock:
            self.version += 1
            self.calendars.setdefault(calendar_id, {})[item["id"]] = (self.version, dict(item, updated=self._stamp()))

    def cancel(self, calendar_id: str, event_id: str) -> None:
        """Cancel an instance: what remains is what the API keeps of a cancelled exception."""
        with self.lock:
            _, item = self.calendars[calendar_id][event_id]
            kept = {k: item[k] for k in ("kind", "etag", "id", "recurringEventId", "originalStartTime") if k in item}
            self.version += 1
            self.calendars[calendar_id][event_id] = (self.version, dict(kept, status="cancelled"))

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.oldest_valid_token = self.version + 1

    def _stamp(self) -> str:
        return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.version)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @property
    def api_url(self) -> str:
        return f"{self.url}/calendar/v3"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def requests_to(self, fragment: str) -> list[Logged]:
        return [entry for entry in self.log if fragment in entry.path]

    # --- protocol ------------------------------------------------------------------------------
    def handle(self, method, path, params, headers, body):
        if method == "POST" and path == "/token":
            return self._token(parse_qs(body.decode()))
        prefix = "/calendar/v3/calendars/"
        if method != "GET" or not path.startswith(prefix) or not path.endswith("/events"):
            return 404, _error(404, "notFound", "Not Found"), {}
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, _error(401, "authError", "Invalid Credentials"), {}
        calendar_id = path[len(prefix) : -len("/events")]
        if calendar_id not in self.calendars:
            return 404, _error(404, "notFound", "Not Found"), {}
        return self._list(calendar_id, {k: v[-1] for k, v in params.items()})

    def _token(self, form: dict[str, list[str]]):
        form = {k: v[-1] for k, v in form.items()}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if (form.get("refresh_token"), form.get("client_id"), form.get("client_secret")) != (
                self.refresh_token,
                self.client_id,
                self.client_secret,
            ):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}, {}
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = json.loads(base64.urlsafe_b64decode(form["assertion"].split(".")[1] + "=="))
            self.subjects.append(claims.get("sub", ""))
        else:
            return 400, {"error": "unsupported_grant_type"}, {}
        return 200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"}, {}

    def _list(self, calendar_id: str, params: dict[str, str]):
        if params.get("singleEvents") != "true":
            return 400, _error(400, "invalid", "this fake serves singleEvents=true only"), {}
        state = _decode(params["pageToken"]) if "pageToken" in params else None
        if state is None and "syncToken" in params:
            clash = [p for p in ("timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID") if p in params]
            if clash:
                return 400, _error(400, "invalid", f"Sync token cannot be used with {clash[0]}"), {}
            since = int(params["syncToken"].removeprefix("sync-"))
            if self.gone or since < self.oldest_valid_token:
                message = "Sync token is no longer valid, a full sync is required."
                return 410, _error(410, "fullSyncRequired", message), {}
            state = {"since": since, "offset": 0}
        state = state or {"since": None, "offset": 0}
        items = self._select(calendar_id, params, state["since"])
        size = min(int(params.get("maxResults", 250)), self.page_cap)
        page = items[state["offset"] : state["offset"] + size]
        answer = {
            "kind": "calendar#events",
            "etag": f'"p{self.version}"',
            "summary": calendar_id,
            "updated": self._stamp(),
            "timeZone": "Europe/Berlin",
            "accessRole": "owner",
            "defaultReminders": [],
            "items": page,
        }
        if state["offset"] + size < len(items):
            answer["nextPageToken"] = _encode({"since": state["since"], "offset": state["offset"] + size})
        else:
            answer["nextSyncToken"] = f"sync-{self.version}"
        return 200, answer, {}

    def _select(self, calendar_id: str, params: dict[str, str], since: int | None) -> list[dict]:
        entries = sorted(
            self.calendars[calendar_id].values(),
            key=lambda e: (e[1].get("start", {}).get("dateTime", e[1].get("start", {}).get("date", "")), e[1]["id"]),
        )
        if since is not None:  # incremental: everything changed since, deletions included
            return [item for version, item in entries if version > since]
        show_deleted = params.get("showDeleted") == "true"
        out = []
        for _, item in entries:
            if item.get("status") == "cancelled" and not show_deleted:
                continue
            if "timeMin" in params and _instant(item.get("end")) <= _parse(params["timeMin"]):
                continue
            if "timeMax" in params and _instant(item.get("start")) >= _parse(params["timeMax"]):
                continue
            out.append(item)
        return out


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _instant(when: dict | None) -> datetime:
    if not when:
        return datetime.min.replace(tzinfo=UTC)
    if "dateTime" in when:
        return _parse(when["dateTime"])
    return datetime.fromisoformat(when["date"]).replace(tzinfo=UTC)
