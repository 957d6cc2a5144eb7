"""An alert as an email: what was found, its evidence as a table and the view that opens it, as HTML
and the same words as plain text. The tables are drawn as a digest's are (`mail`), and the
Message-ID comes from the occurrence's key, so a copy sent twice can be told."""
from __future__ import annotations

from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from html import escape
from typing import TYPE_CHECKING

from dashboard.notify import mail
from dashboard.report.model import Table

if TYPE_CHECKING:
    from dashboard.notify.alerts import Occurrence

SUBJECT = "Product ops alert · {title}"


def message(found: Occurrence, to: str, sender: str, today: date) -> EmailMessage:
    """The alert as a message from `sender` to `to`."""
    out = EmailMessage()
    out["From"] = sender
    out["To"] = Address(addr_spec=to)
    out["Subject"] = SUBJECT.format(title=found.title)
    out["Date"] = formatdate(localtime=False, usegmt=True)
    out["Message-ID"] = mail.message_id(f"alert|{found.rule.id}|{found.key}|{to}", sender)
    out["Auto-Submitted"] = "auto-generated"
    out.set_content(text(found, today))
    out.add_alternative(html(found, today), subtype="html")
    return out


def evidence(found: Occurrence) -> Table:
    return Table("Evidence", found.columns, found.rows, [{} for _ in found.rows])


def text(found: Occurrence, today: date) -> str:
    lines = [found.title, "", f"Data as of {today:%d %b %Y}. Open it in the dashboard: {found.url}", ""]
    lines += mail.text_table(evidence(found))
    lines += ["--", _why(found)]
    return "\n".join(lines) + "\n"


def html(found: Occurrence, today: date) -> str:
    return "\n".join([
        f'<html><body style="{mail.STYLE["body"]}">', f'<h1 style="font-size:20px">{escape(found.title)}</h1>',
        f'<p>Data as of {today:%d %b %Y}. <a href="{escape(found.url)}">Open it in the dashboard</a></p>',
        mail.html_table(evidence(found)),
        f'<hr><p style="{mail.STYLE["note"]}">{escape(_why(found))}</p></body></html>',
    ])


def _why(found: Occurrence) -> str:
    return (f"You receive this alert because the rule {found.rule.id!r} ([[alerts]] in prodops.toml) names you; "
            "it is sent once per occurrence.")
