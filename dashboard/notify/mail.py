"""A digest as an email: HTML with its charts inline, and the same words as plain text.

The structure mail clients expect (RFC 2046, RFC 2387):

    multipart/alternative
    ├── text/plain                  every section, table and link, as text
    └── multipart/related
        ├── text/html               the charts as <img src="cid:...">
        └── image/png ...           one per chart, from the QBR pack's chart export

The Message-ID is derived from the digest's idempotency key, so a mail system that sees the same
digest twice (a run killed after the server took it, before the sent-log did) can tell.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import ExitStack
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from html import escape

from dashboard.core.words import NO_VALUE
from dashboard.notify.model import Digest
from dashboard.report import images
from dashboard.report.model import Section, Table

STYLE = {
    "body": "font-family:Helvetica,Arial,sans-serif;color:#1F2633;max-width:680px",
    "table": "border-collapse:collapse;width:100%;font-size:13px;margin:8px 0",
    "th": "text-align:left;border-bottom:2px solid #C9CED6;padding:4px 6px",
    "td": "border-bottom:1px solid #E4E7EB;padding:4px 6px;vertical-align:top",
    "note": "color:#5C6470;font-size:12px",
}
TONE_COLOUR = {"on": "#1B7F3B", "near": "#9A6700", "off": "#B42318", "worse": "#B42318", "better": "#1B7F3B"}


def message(digest: Digest, pictures: dict[str, bytes], sender: str) -> EmailMessage:
    """The digest as a message from `sender` to its subscriber, its charts taken from `pictures` by chart id."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = Address(addr_spec=digest.subscription.email)
    mail["Subject"] = digest.subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(digest.key, sender)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text(digest))
    cids = {chart.id: make_msgid(domain=_domain(sender)) for chart in digest.charts() if chart.id in pictures}
    mail.add_alternative(html(digest, {chart_id: f"cid:{cid[1:-1]}" for chart_id, cid in cids.items()}), subtype="html")
    related = mail.get_payload()[1]
    for chart_id, cid in cids.items():
        related.add_related(pictures[chart_id], maintype="image", subtype="png", cid=cid,
                            filename=f"{chart_id}.png", disposition="inline")
    return mail


class Pictures:
    """The charts of a run's digests as PNG, drawn in the background by one Chromium (the QBR pack's
    export) while the run builds the next digests: `order` a digest's charts as soon as it is built,
    `of` waits for them. A chart shared by several digests is drawn once. When Chromium fails,
    `on_error` is told why, once, and the digests from then on go without their charts."""

    def __init__(self, on_error: Callable[[str], None]):
        self._on_error = on_error
        self._failed = False
        self._stack = ExitStack()
        self._renderer: images.Renderer | None = None
        self._ordered: dict[str, tuple[Future, int]] = {}

    def __enter__(self) -> Pictures:
        try:
            self._renderer = self._stack.enter_context(images.Renderer())
        except images.ImageError as error:
            self._fail(error)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def order(self, digest: Digest) -> None:
        charts = [chart for chart in digest.charts() if chart.id not in self._ordered]
        if self._renderer is None or self._failed or not charts:
            return
        drawn = self._renderer.draw([chart.figure for chart in charts])
        self._ordered.update({chart.id: (drawn, index) for index, chart in enumerate(charts)})

    def of(self, digest: Digest) -> dict[str, bytes]:
        """The digest's charts by chart id; none once Chromium has failed."""
        found = {}
        for chart in digest.charts():
            if chart.id in self._ordered and not self._failed:
                drawn, index = self._ordered[chart.id]
                try:
                    found[chart.id] = drawn.result()[index]
                except images.ImageError as error:
                    self._fail(error)
        return {} if self._failed else found

    def _fail(self, error: images.ImageError) -> None:
        self._failed = True
        self._on_error(str(error))


def pictures(digests: list[Digest]) -> tuple[dict[str, bytes], str | None]:
    """Every chart of these digests as PNG, by chart id; none, with the reason, when Chromium fails
    (a digest still goes without its charts)."""
    errors: list[str] = []
    with Pictures(errors.append) as drawing:
        for item in digests:
            drawing.order(item)
        found = {chart_id: png for item in digests for chart_id, png in drawing.of(item).items()}
    return found, (errors[0] if errors else None)


def message_id(key: str, sender: str) -> str:
    return f"<digest-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{_domain(sender)}>"


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


# -- plain text ----------------------------------------------------------------------------------------

def text(digest: Digest) -> str:
    lines = [digest.subject, "", f"Data as of {digest.as_of:%d %b %Y}. {digest.link.text}: {digest.link.url}", ""]
    for section in digest.sections:
        lines += _text_section(section)
    lines += ["--", _why(digest)]
    return "\n".join(lines) + "\n"


def _text_section(section: Section) -> list[str]:
    lines = [section.title.upper(), *([section.subtitle] if section.subtitle else []), ""]
    for table in section.tables:
        lines += text_table(table)
    for chart in section.charts:
        lines.append(f"[chart] {chart.title}: {chart.caption}")
    if section.charts:
        lines.append("")
    lines += [f"* {note}" for note in section.footnotes]
    return [*lines, ""]


def text_table(table: Table) -> list[str]:
    if not table.rows:
        return [f"{table.title}: {table.empty}", ""]
    lines = [f"{table.title}:"]
    for row, record in zip(table.rows, table.records or [{}] * len(table.rows)):
        cells = "; ".join(f"{column}: {value}" for column, value in zip(table.columns[1:], row[1:]))
        lines.append(f"- {row[0]}: {cells}")
        if record.get("url"):
            lines.append(f"  {record['url']}")
    return [*lines, ""]


# -- HTML ----------------------------------------------------------------------------------------------

def html(digest: Digest, sources: dict[str, str]) -> str:
    """The digest as an HTML page; `sources` holds each chart's image address: "cid:<Content-ID>" in
    a message, a data: URL in the Subscriptions page's preview."""
    parts = [f'<html><body style="{STYLE["body"]}">', f"<h1 style=\"font-size:20px\">{escape(digest.subject)}</h1>",
             f'<p>Data as of {digest.as_of:%d %b %Y}. <a href="{escape(digest.link.url)}">{escape(digest.link.text)}</a></p>']
    for section in digest.sections:
        parts.append(_html_section(section, sources))
    parts.append(f'<hr><p style="{STYLE["note"]}">{escape(_why(digest))}</p></body></html>')
    return "\n".join(parts)


def _html_section(section: Section, sources: dict[str, str]) -> str:
    parts = [f"<h2 style=\"font-size:16px;margin-top:24px\">{escape(section.title)}</h2>"]
    if section.subtitle:
        parts.append(f'<p style="{STYLE["note"]}">{escape(section.subtitle)}</p>')
    parts += [html_table(table) for table in section.tables]
    for chart in section.charts:
        if chart.id in sources:
            parts.append(f'<p><img src="{escape(sources[chart.id])}" alt="{escape(chart.title)}" width="640" '
                         f'style="max-width:100%"><br><span style="{STYLE["note"]}">{escape(chart.caption)}</span></p>')
        else:
            parts.append(f"<p>{escape(chart.title)}: {escape(chart.caption)}</p>")
    parts += [f'<p style="{STYLE["note"]}">{escape(note)}</p>' for note in section.footnotes]
    return "\n".join(parts)


def html_table(table: Table) -> str:
    if not table.rows:
        return f"<p><strong>{escape(table.title)}</strong>: {escape(table.empty)}</p>"
    head = "".join(f'<th style="{STYLE["th"]}">{escape(column)}</th>' for column in table.columns)
    body = []
    records = table.records or [{}] * len(table.rows)
    tones = table.tones or [None] * len(table.rows)
    for row, record, tone in zip(table.rows, records, tones):
        cells = []
        for k, value in enumerate(row):
            content = escape(str(value) if value is not None else NO_VALUE)
            if k == 0 and record.get("url"):
                content = f'<a href="{escape(record["url"])}">{content}</a>'
            colour = TONE_COLOUR.get(tone) if tone and k == table.toned_column() else None
            style = STYLE["td"] + (f";color:{colour}" if colour else "")
            cells.append(f'<td style="{style}">{content}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<p><strong>{escape(table.title)}</strong></p><table style=\"{STYLE['table']}\">"
            f"<tr>{head}</tr>{''.join(body)}</table>")


def _why(digest: Digest) -> str:
    subscription = digest.subscription
    return (f"You receive this {subscription.cadence} {subscription.role} digest of {digest.scope_name} because "
            "product ops subscribed you (the Subscriptions page, or [[digest.subscriptions]] in prodops.toml).")
