"""A fault schedule for the local fakes: which requests misbehave, how, and how often.

Every fake server (Jira, Google Calendar, Microsoft Graph, an ICS feed) checks each request
against its list of `Fault`s before answering, so a test says "the third search page gets a
503" instead of hand-writing a misbehaving server.
"""
from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal


@dataclass
class Fault:
    """One injected misbehaviour for requests whose path contains `path`.

    The first `skip` matching requests pass untouched, the next `times` (None: all) misbehave.
    `param` narrows it to requests carrying that query parameter (a page token, a sync token).
    A "status" fault answers `status` with `body` (the API's own error shape) or the fake's
    default error body, or, given `echo`, with the plain-text page `echo(authorization)` makes of
    the request's Authorization header (a server whose error page shows the request); "slow"
    waits `delay` seconds first; "broken_json" cuts the answer in half; "cut" announces the
    whole answer, sends half of it and drops the connection; "reset" drops the connection with
    a TCP reset before answering.
    """

    kind: Literal["status", "slow", "broken_json", "cut", "reset"]
    path: str = ""
    status: int = 500
    retry_after: str | None = None
    message: str | None = None
    delay: float = 0.0
    skip: int = 0
    times: int | None = 1
    param: str | None = None
    body: Any = None
    echo: Callable[[str], str] | None = None
    seen: int = 0
    fired: int = 0

    def fires(self, path: str, params: dict | None = None) -> bool:
        if self.path not in path or (self.param is not None and self.param not in (params or {})):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}


def first_firing(faults: list[Fault], path: str, params: dict | None = None) -> Fault | None:
    return next((fault for fault in faults if fault.fires(path, params)), None)


def reset(connection: socket.socket) -> None:
    """Drop a connection with a TCP reset, as a proxy or a crashed node would."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def cut(handler, status: int, headers: dict[str, str], payload: bytes) -> None:
    """Promise `payload` whole (its Content-Length), send half of it and drop the connection."""
    handler.send_response(status)
    for name, value in {**headers, "Content-Length": str(len(payload))}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload[: len(payload) // 2])
    handler.wfile.flush()
    reset(handler.connection)
    handler.close_connection = True


def broken(payload: bytes) -> bytes:
    """The first half of a JSON answer: what a proxy cutting a response short delivers."""
    return payload[: max(1, len(payload) // 2)]


class FaultyServer:
    """What every fake shares: a request log, a fault schedule and the lock guarding both."""

    def __init__(self) -> None:
        self.log: list = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget the request log and every fault."""
        with self.lock:
            self.log.clear()
            self.faults.clear()
