"""Where ICS calendars are read from: files, folders and https feeds, each within its size limit."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from connectors.calendar.http import DEFAULT_POLICY, ApiError, retried
from connectors.retry import RetryPolicy, raise_if_later


@dataclass
class IcsDocument:
    """One calendar file as read: `where` names it in errors (a URL is shown without its secret)."""

    where: str
    data: bytes | None = None
    error: str | None = None
    owner_hint: str | None = None


def redact_url(url: str) -> str:
    """A feed's secret address reduced to scheme and host: safe for errors and `sync_runs`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def is_url(location: str) -> bool:
    return location.lower().startswith(("https://", "http://", "webcal://"))


def read_location(
    location: str,
    label: str | None = None,
    *,
    session=None,
    timeout: float = 30,
    policy: RetryPolicy = DEFAULT_POLICY,
    max_bytes: int | None = None,
) -> list[IcsDocument]:
    """The documents behind a configured location: one file, every `.ics` under a folder, or a feed.

    Feeds must be https (webcal:// is read as https://); plain http is allowed only for the local
    machine, where the tests' servers run. A document over `max_bytes` is not read at all. Nothing
    here raises: a document that cannot be read carries its error, to be quarantined.
    """
    if is_url(location):
        return [_fetch(location, label, session, timeout, policy, max_bytes)]
    path = Path(location).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".ics" and p.is_file())
        if not files:
            return [IcsDocument(str(path), error="folder holds no .ics files")]
        return [_read_file(p, max_bytes) for p in files]
    return [_read_file(path, max_bytes)]


def _owner_hint(path: Path) -> str | None:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return stem.lower() if "@" in stem else None


def too_large(size: int, max_bytes: int) -> str:
    return (
        f"too large: {size / 2**20:,.1f} MB, over the limit of {max_bytes / 2**20:g} MB"
        " ([calendar].max_ics_megabytes)"
    )


def _read_file(path: Path, max_bytes: int | None = None) -> IcsDocument:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return IcsDocument(str(path), error=too_large(size, max_bytes), owner_hint=_owner_hint(path))
        return IcsDocument(str(path), data=path.read_bytes(), owner_hint=_owner_hint(path))
    except OSError as error:
        return IcsDocument(str(path), error=f"cannot read: {error.strerror or type(error).__name__}")


def _fetch(url: str, label: str | None, session, timeout: float, policy: RetryPolicy, max_bytes: int | None) -> IcsDocument:
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    where = f"{label} ({redact_url(url)})" if label else redact_url(url)
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return IcsDocument(
            where, error="feed address must be https (a calendar's secret address must not travel in clear)"
        )
    try:
        return IcsDocument(where, data=retried(policy, lambda: _download(session, url, timeout, max_bytes), timeout))
    except ApiError as error:  # its message never holds the URL
        return IcsDocument(where, error=f"cannot fetch: {error}")
    except ValueError as error:
        return IcsDocument(where, error=str(error))


def _download(session, url: str, timeout: float, max_bytes: int | None) -> bytes:
    """One try at the feed, body included, so an answer that breaks off is retried like a lost one."""
    import requests

    with (session or requests).get(url, timeout=timeout, headers={"Accept": "text/calendar"}, stream=True) as response:
        raise_if_later(response)
        if response.status_code != 200:
            raise ApiError(f"HTTP {response.status_code}")
        return _body(response, max_bytes)


def _body(response, max_bytes: int | None) -> bytes:
    """The feed's bytes, read in chunks and abandoned as soon as they pass `max_bytes`."""
    declared = response.headers.get("Content-Length")
    if max_bytes is not None and declared and declared.isdigit() and int(declared) > max_bytes:
        raise ValueError(too_large(int(declared), max_bytes))
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=1 << 20):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise ValueError(too_large(size, max_bytes) + " (and still coming)")
        chunks.append(chunk)
    return b"".join(chunks)
