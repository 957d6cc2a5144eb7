"""A digest or an alert as a chat message: Slack Block Kit or a Microsoft Teams Adaptive Card, no images.

A chat message is read at a glance, so each section keeps its title and its key figures as one
short line per table row, and each row that opens a view (a bottleneck, a failed sync) carries
its button. Every figure is the text of the same `Table` rows the email shows (a hidden value
stays "Hidden by privacy rules"), so every channel states the same numbers. Charts are named,
not drawn: "Open in the dashboard" leads to them.

Both services refuse a message over their limits instead of shortening it, so a message that
would not fit drops its last parts and says so, and stays valid JSON:

- Slack (Block Kit reference): at most 50 blocks; a section's text at most 3,000 characters, a
  header's 150, a button's 75. Slack also refuses block payloads well under its documented
  40,000 characters (`msg_blocks_too_long` near 13,000), hence a smaller budget.
- Teams (Workflows incoming webhook): an Adaptive Card 1.4 in a message of at most 28 KB.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dashboard.core.words import NO_VALUE
from dashboard.notify.model import Digest, Link
from dashboard.report.model import Section, Table

SLACK_BLOCKS, SLACK_TEXT, SLACK_HEADER, SLACK_BUTTON = 50, 3000, 150, 75
SLACK_BYTES = 12_000
TEAMS_BYTES = 26_000
"""The card's body budget: the 28 KB limit less room for the envelope and the card's actions."""
ROW_LINK = "Look into it"
ELLIPSIS = "…"


def message(digest: Digest, kind: str) -> dict:
    """The digest as the JSON body a `kind` ("slack" or "teams") incoming webhook takes."""
    return compose(Message(digest.subject, digest.as_of, digest.sections, digest.link), kind)


@dataclass(frozen=True)
class Message:
    """What a chat message says, whatever sent it: a digest, or an alert with its evidence as one section."""

    subject: str
    as_of: date
    sections: list[Section]
    link: Link
    """Where the message's own button leads."""


def compose(content: Message, kind: str) -> dict:
    return RENDERERS[kind](content)


# -- what both say ---------------------------------------------------------------------------------

def row_text(table: Table, row: list) -> tuple[str, str]:
    """A row as its name and its figures, each cell as the email's plain-text part writes it."""
    return _cell(row[0]), "; ".join(f"{column}: {_cell(value)}" for column, value in zip(table.columns[1:], row[1:]))


def row_urls(table: Table) -> list[str | None]:
    records = table.records if len(table.records) == len(table.rows) else [{}] * len(table.rows)
    return [record.get("url") for record in records]


def charts_line(section: Section) -> str:
    return "Charts in the dashboard: " + " · ".join(chart.title for chart in section.charts)


def _cell(value: object) -> str:
    return NO_VALUE if value is None else str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def _size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def fitted(head: list[dict], body: list[dict], tail: list[dict], note: Callable[[int], dict], max_bytes: int,
           max_items: int | None = None) -> list[dict]:
    """`head`, as much of `body` as fits the limits, a `note(left_out)` when some did not, and `tail`."""
    for keep in range(len(body), -1, -1):
        left_out = len(body) - keep
        items = [*head, *body[:keep], *([note(left_out)] if left_out else []), *tail]
        if (max_items is None or len(items) <= max_items) and _size(items) <= max_bytes:
            return items
    return [*head, note(len(body)), *tail]


def _left_out(count: int) -> str:
    return f"{count} more part{'s' if count != 1 else ''} left out to fit the message: open the dashboard for the whole digest."


# -- Slack -----------------------------------------------------------------------------------------

def slack(digest: Message) -> dict:
    """Block Kit: a header, a section per table, a button per row that opens a view, the dashboard's button."""
    head = [{"type": "header", "text": _plain(_cut(digest.subject, SLACK_HEADER))},
            _slack_section(f"Data as of {digest.as_of:%d %b %Y}.")]
    body = [block for section in digest.sections for block in _slack_blocks(section)]
    tail = [{"type": "actions", "elements": [_button(digest.link.text, digest.link.url, "open-dashboard")]}]
    blocks = fitted(head, body, tail, _slack_note, SLACK_BYTES, SLACK_BLOCKS)
    return {"text": digest.subject, "blocks": blocks}


def _slack_blocks(section: Section) -> list[dict]:
    title = f"*{_mrkdwn(section.title)}*" + (f"\n{_mrkdwn(section.subtitle)}" if section.subtitle else "")
    blocks = [{"type": "divider"}, _slack_section(title)]
    for t, table in enumerate(section.tables):
        blocks += _slack_table(table, f"{section.id}-{t}")
    if section.charts:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(_mrkdwn(charts_line(section)),
                                                                                        SLACK_TEXT)}]})
    return blocks


def _slack_table(table: Table, block_id: str) -> list[dict]:
    """The rows without a link in as few sections as fit; a row with one in its own section, its button beside it."""
    if not table.rows:
        return [_slack_section(f"*{_mrkdwn(table.title)}*: {_mrkdwn(table.empty)}")]
    blocks, plain = [], [f"*{_mrkdwn(table.title)}*"]
    for k, (row, url) in enumerate(zip(table.rows, row_urls(table))):
        name, figures = row_text(table, row)
        line = f"• *{_mrkdwn(name)}*: {_mrkdwn(figures)}"
        if url:
            block = _slack_section(line)
            block["accessory"] = _button(ROW_LINK, url, f"{block_id}-{k}")
            blocks.append(block)
        else:
            plain.append(line)
    return [*(_slack_section(text) for text in _chunks(plain, SLACK_TEXT)), *blocks]


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters, a line too long for one cut short."""
    texts, current = [], ""
    for line in (_cut(line, limit) for line in lines):
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*texts, *([current] if current else [])]


def _slack_section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SLACK_TEXT)}}


def _button(text: str, url: str, action_id: str) -> dict:
    return {"type": "button", "text": _plain(_cut(text, SLACK_BUTTON)), "url": url, "action_id": action_id}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def _slack_note(count: int) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _left_out(count)}]}


def _mrkdwn(text: str) -> str:
    """Text as Slack reads it literally: &, < and > are its only control characters (the rest is formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- Microsoft Teams -------------------------------------------------------------------------------

def teams(digest: Message) -> dict:
    """The Workflows-style message: one Adaptive Card 1.4, a text block per row, an Action.OpenUrl per link."""
    head = [_text(digest.subject, size="Large", weight="Bolder"), _text(f"Data as of {digest.as_of:%d %b %Y}.", isSubtle=True)]
    body = [item for section in digest.sections for item in _teams_items(section)]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
        "msteams": {"width": "Full"},
        "body": fitted(head, body, [], lambda count: _text(_left_out(count), isSubtle=True), TEAMS_BYTES),
        "actions": [_open_url(digest.link.text, digest.link.url)],
    }
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


def _teams_items(section: Section) -> list[dict]:
    items = [_text(section.title, size="Medium", weight="Bolder", separator=True, spacing="Medium")]
    if section.subtitle:
        items.append(_text(section.subtitle, isSubtle=True, spacing="None"))
    for table in section.tables:
        items += _teams_table(table)
    if section.charts:
        items.append(_text(charts_line(section), isSubtle=True))
    return items


def _teams_table(table: Table) -> list[dict]:
    if not table.rows:
        return [_text(f"{table.title}: {table.empty}")]
    items = [_text(table.title, weight="Bolder")]
    for row, url in zip(table.rows, row_urls(table)):
        name, figures = row_text(table, row)
        items.append(_text(f"**{name}**: {figures}", spacing="Small"))
        if url:
            items.append({"type": "ActionSet", "spacing": "None", "actions": [_open_url(ROW_LINK, url)]})
    return items


def _text(text: str, **style: object) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _open_url(title: str, url: str) -> dict:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


RENDERERS: dict[str, Callable[[Message], dict]] = {"slack": slack, "teams": teams}
