"""A real HTTP server for the chat digest tests: it takes POSTs to `/hooks/<name>/<token>` as
Slack's and Teams' incoming webhooks do, records the JSON, and answers as a test scripts it."""
from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "T0K3N-webhook-s3cret-9f8e7d"
"""In every webhook URL: a test looks for it wherever the URL must never appear."""


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    """Seconds to wait before answering (past the client's timeout, to make it give up)."""


SLACK_OK, TEAMS_OK = Answer(200, "ok"), Answer(202, "")


@dataclass
class Post:
    name: str
    path: str
    payload: dict
    status: int


class WebhookServer:
    """`answer(name, attempt)` says how to answer the attempt-th (0-based) post to webhook `name`."""

    def __init__(self, answer: Callable[[str, int], Answer] | None = None):
        self.answer = answer or (lambda name, attempt: SLACK_OK)
        self.posts: list[Post] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}/{TOKEN}"

    def taken(self, name: str | None = None) -> list[dict]:
        """The payloads answered with a 2xx, of one webhook or all."""
        return [post.payload for post in self.posts if 200 <= post.status < 300 and name in (None, post.name)]

    def tries(self, name: str) -> int:
        return sum(post.name == name for post in self.posts)

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                name = self.path.split("/")[2]
                with owner.lock:
                    answer = owner.answer(name, owner.tries(name))
                    owner.posts.append(Post(name, self.path, payload, 0 if answer.hang else answer.status))
                if answer.hang and owner.stopping.wait(answer.hang):
                    return
                body = answer.body.encode()
                with contextlib.suppress(OSError):  # a client that gave up waiting has hung up
                    self.send_response(answer.status)
                    for header, value in {"Content-Length": str(len(body)), **answer.headers}.items():
                        self.send_header(header, value)
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *_) -> None:
                """Quiet: the standard handler would print each request's path (the token) to stderr."""

        return Handler
