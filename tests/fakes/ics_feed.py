"""A fake calendar host on 127.0.0.1 serving ICS feeds (`/feeds/<name>.ics`), faults and all.

    with IcsFeedFake() as feeds:
        feeds.calendars["pm"] = calendar_text.encode()
        ... {"location": feeds.feed("pm"), "owner": "pm@example.com"} ...
"""
from __future__ import annotations

from tests.fakes.google_calendar import JsonServer


class IcsFeedFake(JsonServer):
    """Serves `calendars[name]` as `text/calendar`; a status fault answers with a plain-text page."""

    def __init__(self) -> None:
        super().__init__()
        self.calendars: dict[str, bytes] = {}

    def feed(self, name: str) -> str:
        return f"{self.url}/feeds/{name}.ics"

    def handle(self, method, path, params, headers, body):
        name = path.removeprefix("/feeds/").removesuffix(".ics")
        if method != "GET" or name not in self.calendars:
            return 404, b"Not Found", {"Content-Type": "text/plain"}
        return 200, self.calendars[name], {"Content-Type": "text/calendar; charset=utf-8"}

    def fault_answer(self, fault):
        return fault.status, (fault.message or f"error {fault.status}").encode()
