"""A protocol-faithful fake Jira on 127.0.0.1 that the real `jira` client talks to over HTTP.

It serves what a connector calls (../shared/reference/jira.md §0): `serverInfo`, `field`,
Cloud's token-paged `/search/jql` and Data Center's offset-paged `/search` (each with a page
cap the server chooses and reports the way the real ones do), the embedded changelog (40
newest first on Cloud, whole on Data Center), Cloud's paged `/issue/{id}/changelog`, `/issue`,
`/project/{key}/versions`, Jira-shaped error bodies, and the removed-endpoint answers (410 for
`/search` on Cloud). Tests count its request log and inject faults: an HTTP status (429 with
`Retry-After`, 503, 500, 401, ...), a slow answer, broken JSON, or a connection reset.

    site = JiraSite("cloud"); populate(site, issues=500)
    with JiraServer(site) as server:
        ... JIRA(server.url, basic_auth=(server.email, server.token)) ...
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dashboard.core.config import JiraSource, Settings
from tests.fakes.faults import FaultyServer, broken, cut, first_firing, reset
from tests.fakes.jira_jql import JqlError, parse
from tests.fakes.jira_site import JiraSite

JSON_TYPE = "application/json;charset=UTF-8"
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
    "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
DEFAULT_MESSAGES = {
    400: "Bad request.", 401: "Client must be authenticated to access this resource.",
    403: "You do not have permission to perform this operation.", 404: "Not found.",
    429: "Rate limit exceeded.", 500: "Internal server error.", 502: "Bad gateway.",
    503: "Service temporarily unavailable.",
}


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it, and which issue keys a search page returned."""

    method: str
    path: str
    params: dict[str, list[str]]
    status: int
    issues: tuple[str, ...] = ()


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    issues: tuple[str, ...] = ()


class JiraServer(FaultyServer):
    """Serves a `JiraSite` in its deployment's dialect; start with `with JiraServer(site) as s:`."""

    def __init__(self, site: JiraSite, *, email: str = "ops@example.com", token: str = "fake-token-1234567890",
                 search_cap: int | None = None, embedded_changelog_cap: int = 40, changelog_page_cap: int = 100):
        self.site = site
        self.email, self.token = email, token
        self.search_cap = search_cap or (100 if site.mode == "cloud" else 1000)
        """The most issues one search page holds, whatever `maxResults` asks (Cloud ~100, DC 1000)."""
        self.embedded_changelog_cap = embedded_changelog_cap
        self.changelog_page_cap = changelog_page_cap
        super().__init__()
        self.log: list[Logged] = []
        self._cache: dict[tuple[str, int], tuple[list, str]] = {}
        self._http: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> JiraServer:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.jira = self  # type: ignore[attr-defined]
        self.site.base_url = self.url
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._http is not None
        self._http.shutdown()
        self._http.server_close()

    @property
    def url(self) -> str:
        assert self._http is not None, "start the server first (with JiraServer(site) as server)"
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    # -- what tests look at --------------------------------------------------------------------------
    def requests_to(self, endpoint: str) -> list[Logged]:
        """Logged requests whose path (after /rest/api/2/) matches the regex `endpoint` in full."""
        return [r for r in self.log if re.fullmatch(endpoint, r.path.removeprefix("/rest/api/2/"))]

    def searched_keys(self) -> list[str]:
        return [key for r in self.log for key in r.issues]

    # -- protocol ----------------------------------------------------------------------------------
    def answer(self, method: str, path: str, params: dict[str, list[str]], body: Any, auth: str | None) -> Answer:
        refused = self._check_auth(auth)
        if refused:
            return refused
        for pattern, methods, name in ROUTES:
            match = re.fullmatch(pattern, path)
            if match and method in methods:
                return getattr(self, name)(params=params, body=body, **match.groupdict())
        return error(404, "Not found.")

    def _check_auth(self, auth: str | None) -> Answer | None:
        if self.site.mode == "cloud":
            expected = "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            if auth != expected:
                return Answer(401, "Client must be authenticated to access this resource.",
                              {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED", "WWW-Authenticate": "OAuth realm=\"https%3A%2F%2Fjira\""})
        elif auth != f"Bearer {self.token}":
            return error(401, "You are not authenticated. Authentication required to perform this operation.")
        return None

    def server_info(self, **_) -> Answer:
        return Answer(200, self.site.server_info())

    def fields(self, **_) -> Answer:
        return Answer(200, self.site.field_list())

    def myself(self, **_) -> Answer:
        return Answer(200, self.site.user_json(next(iter(self.site.users), None)) or {})

    def _matches(self, jql: str) -> list:
        """The query's result list, cached until the site changes (pages re-run the query, as Jira does)."""
        key = (jql, self.site.revision)
        if key not in self._cache:
            query = parse(jql, self.site.jql_value, self.site.user_tz)
            if self.site.mode == "cloud" and query.where is None:
                raise JqlError("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
            self._cache[key] = (query.run(list(self.site.issues.values()), self.site.jql_value), jql)
        return self._cache[key][0]

    def search_token(self, params, body, **_) -> Answer:
        if self.site.mode != "cloud":
            return error(404, "null for uri: /rest/api/2/search/jql")
        request = _search_request(params, body)
        try:
            matches = self._matches(request["jql"])
        except JqlError as bad:
            return error(400, str(bad))
        offset = 0
        if request["nextPageToken"]:
            offset = _read_token(request["nextPageToken"], request["jql"])
            if offset is None:
                return error(400, "The provided next page token is invalid or expired.")
        size = min(request["maxResults"] or 50, self.search_cap)
        page = matches[offset:offset + size]
        wanted = request["fields"] if request["fields"] is not None else {"id"}
        out: dict[str, Any] = {"issues": [self._issue(i, wanted, request["expand"], self.embedded_changelog_cap) for i in page]}
        more = offset + size < len(matches)
        if more:
            out["nextPageToken"] = _make_token(offset + size, request["jql"])
        out["isLast"] = not more
        return Answer(200, out, issues=tuple(i.key for i in page))

    def search_offset(self, params, body, **_) -> Answer:
        if self.site.mode == "cloud":
            return error(410, REMOVED_SEARCH)
        request = _search_request(params, body)
        try:
            matches = self._matches(request["jql"])
        except JqlError as bad:
            return error(400, str(bad))
        start = max(0, request["startAt"])
        size = min(request["maxResults"] if request["maxResults"] is not None else 50, self.search_cap)
        page = matches[start:start + size]
        issues = [self._issue(i, request["fields"], request["expand"], None) for i in page]
        return Answer(200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(matches),
                            "issues": issues}, issues=tuple(i.key for i in page))

    def _issue(self, issue, fields: set[str] | None, expand: set[str], cap: int | None) -> dict:
        if fields == {"id"}:
            return {"id": issue.id}
        return self.site.issue_json(issue, fields, cap if "changelog" in expand else False)

    def _find(self, id_or_key: str):
        return self.site.issues.get(id_or_key) or self.site.by_key.get(id_or_key)

    def changelog(self, params, issue, **_) -> Answer:
        if self.site.mode != "cloud":
            return error(404, "null for uri: /rest/api/2/issue/changelog")
        found = self._find(issue)
        if found is None:
            return error(404, "Issue does not exist or you do not have permission to see it.")
        start = int(_one(params, "startAt") or 0)
        size = min(int(_one(params, "maxResults") or 100), self.changelog_page_cap)
        values = found.histories[start:start + size]
        total = len(found.histories)
        out = {"self": self.site.url(f"issue/{found.key}/changelog?startAt={start}&maxResults={size}"),
               "maxResults": size, "startAt": start, "total": total, "isLast": start + size >= total,
               "values": [self.site.history_json(h) for h in values]}
        if start + size < total:
            out["nextPage"] = self.site.url(f"issue/{found.key}/changelog?&startAt={start + size}&maxResults={size}")
        return Answer(200, out)

    def issue(self, params, issue, **_) -> Answer:
        found = self._find(issue)
        if found is None:
            return error(404, "Issue does not exist or you do not have permission to see it.")
        cap = 100 if self.site.mode == "cloud" else None
        return Answer(200, self._issue(found, _fields(params.get("fields")), _expand(params.get("expand")), cap))

    def versions(self, project, **_) -> Answer:
        if project not in self.site.projects:
            return error(404, f"No project could be found with key '{project}'.")
        return Answer(200, [self.site.version_json(v) for v in self.site.versions.values() if v.project == project])


ROUTES: list[tuple[str, tuple[str, ...], str]] = [
    (r"/rest/api/2/serverInfo", ("GET",), "server_info"),
    (r"/rest/api/2/field", ("GET",), "fields"),
    (r"/rest/api/2/myself", ("GET",), "myself"),
    (r"/rest/api/2/search/jql", ("GET", "POST"), "search_token"),
    (r"/rest/api/2/search", ("GET", "POST"), "search_offset"),
    (r"/rest/api/2/issue/(?P<issue>[^/]+)/changelog", ("GET",), "changelog"),
    (r"/rest/api/2/issue/(?P<issue>[^/]+)", ("GET",), "issue"),
    (r"/rest/api/2/project/(?P<project>[^/]+)/versions", ("GET",), "versions"),
]


def error(status: int, message: str, **headers: str) -> Answer:
    """Jira's ErrorCollection body."""
    return Answer(status, {"errorMessages": [message], "errors": {}}, dict(headers))


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _fields(values: list[str] | str | None) -> set[str] | None:
    """Repeated keys or comma lists; `*all`/`*navigable` mean every field (None)."""
    if values is None:
        return None
    names = {part.strip() for value in ([values] if isinstance(values, str) else values) for part in value.split(",") if part.strip()}
    return None if names & {"*all", "*navigable"} else {n for n in names if not n.startswith("-")}


def _expand(values: list[str] | str | None) -> set[str]:
    if not values:
        return set()
    return {part.strip() for value in ([values] if isinstance(values, str) else values) for part in value.split(",")}


def _search_request(params: dict[str, list[str]], body: Any) -> dict:
    """GET query parameters or a POST body (with its nulls), in one shape."""
    if isinstance(body, dict):
        source = {k: v for k, v in body.items() if v is not None}
        max_results = source.get("maxResults")
        return {"jql": source.get("jql", ""), "nextPageToken": source.get("nextPageToken"),
                "startAt": int(source.get("startAt", 0)), "maxResults": int(max_results) if max_results is not None else None,
                "fields": _fields(source.get("fields")) if "fields" in source else None, "expand": _expand(source.get("expand"))}
    max_results = _one(params, "maxResults")
    return {"jql": _one(params, "jql") or "", "nextPageToken": _one(params, "nextPageToken"),
            "startAt": int(_one(params, "startAt") or 0), "maxResults": int(max_results) if max_results is not None else None,
            "fields": _fields(params.get("fields")), "expand": _expand(params.get("expand"))}


def _make_token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": jql}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, jql: str) -> int | None:
    """The offset a token stands for, or None when it is garbage or was issued for another query."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["o"]) if data.get("q") == jql else None
    except (ValueError, KeyError, TypeError):
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; don't wait on ACKs

    def log_message(self, format: str, *args) -> None:  # the request log is kept as data instead
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        jira: JiraServer = self.server.jira  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        params = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.strip() else None
        with jira.lock:
            fault = first_firing(jira.faults, parts.path, params)
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault and fault.kind == "reset":
            with jira.lock:
                jira.log.append(Logged(method, parts.path, params, 0))
            self._reset()
            return
        with jira.lock:
            if fault and fault.kind == "status" and fault.echo:
                answer = Answer(fault.status, fault.echo(self.headers.get("Authorization") or ""), fault.headers)
            elif fault and fault.kind == "status":
                answer = error(fault.status, fault.message or DEFAULT_MESSAGES.get(fault.status, "Error."), **fault.headers)
            else:
                answer = jira.answer(method, parts.path, params, body, self.headers.get("Authorization"))
            jira.log.append(Logged(method, parts.path, params, answer.status, answer.issues))
        payload = answer.body.encode() if isinstance(answer.body, str) else json.dumps(answer.body, separators=(",", ":")).encode()
        if fault and fault.kind == "broken_json":
            payload = broken(payload)
        if fault and fault.kind == "cut":
            cut(self, answer.status, {"Content-Type": JSON_TYPE, **answer.headers}, payload)
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", "text/plain;charset=UTF-8" if isinstance(answer.body, str) else JSON_TYPE)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _reset(self) -> None:
        reset(self.connection)
        self.close_connection = True


def jira_settings(server: JiraServer, **jira: Any) -> Settings:
    """Settings whose `[jira]` section points at this fake and signs in the deployment's way."""
    section = {"url": server.url, "projects": sorted(server.site.projects)}
    if server.site.mode == "cloud":
        section["email"] = server.email
    return Settings(jira=JiraSource(**(section | jira)))
