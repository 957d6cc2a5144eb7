"""What a subscriber would receive, shown and sent without touching their inbox: the Subscriptions
page's preview and its "send me a test".

The preview is the digest a `digest --send` run would build today, drawn from the same HTML with
the same chart images, which sit in the page as data: URLs instead of inline parts. A test message
is that digest sent to the person asking: its subject says it is a test, its Message-ID is its
own (mail systems drop a second message with the same one, and the real digest must not be
dropped as its copy) and the sent-log does not hear of it, so the subscriber's digest still goes.
A Slack or Teams subscription's preview is the JSON its webhook would be sent, and its test is
posted to that channel, titled as a test.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.utils import make_msgid

from dashboard.core.config import Settings, Subscription
from dashboard.core.store import Store
from dashboard.notify import chat, mail, run, webhook
from dashboard.notify import digest as digests
from dashboard.notify.facts import Facts
from dashboard.notify.model import Digest
from dashboard.notify.smtp import Mailer, SendError, password

TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class Preview:
    digest: Digest
    pictures: dict[str, bytes]
    """Each chart's PNG by chart id; empty when the chart export failed (`charts_error` says why)."""
    charts_error: str | None = None

    @property
    def html(self) -> str:
        """The email's HTML part, its charts as data: URLs."""
        sources = {chart_id: f"data:image/png;base64,{base64.b64encode(png).decode()}"
                   for chart_id, png in self.pictures.items()}
        return mail.html(self.digest, sources)

    @property
    def text(self) -> str:
        return mail.text(self.digest)

    @property
    def chat(self) -> dict | None:
        """What a Slack or Teams subscription's webhook is sent: its JSON, exactly; None for email."""
        channel = self.digest.subscription.channel
        return None if channel == "email" else chat.message(self.digest, channel)


def build(store: Store, settings: Settings, subscription: Subscription, today: date) -> Preview:
    """The digest `subscription` would receive from a run today, with its charts drawn."""
    digest = digests.build(subscription, Facts(store, settings, today))
    found, error = mail.pictures([digest]) if subscription.channel == "email" else ({}, None)
    return Preview(digest, found, error)


def as_test_message(preview: Preview, sender: str, to: str):
    """The previewed digest as a message to `to`, marked as a test."""
    message = mail.message(preview.digest, preview.pictures, sender)
    message.replace_header("To", str(Address(addr_spec=to)))
    message.replace_header("Subject", TEST_PREFIX + preview.digest.subject)
    message.replace_header("Message-ID", make_msgid(domain=to.rpartition("@")[2] or "localhost"))
    return message


def send_test(settings: Settings, preview: Preview, to: str) -> None:
    """Email the previewed digest to `to` through `[digest.smtp]`.

    Raises:
        SendError: no mail server is set up, or it did not take the message (the reason is safe to show).
    """
    config = settings.digest.smtp
    if config is None:
        raise SendError("no mail server: add [digest.smtp] to prodops.toml")
    with Mailer(config, password(config)) as client:
        client.send(as_test_message(preview, config.sender, to))


def post_test(settings: Settings, preview: Preview) -> None:
    """Post the previewed chat digest to its subscription's webhook, its title marked as a test.

    Raises:
        SendError: the webhook is not declared, its URL not set, or the service did not take it.
    """
    digest = preview.digest
    name, hook = run.webhook_of(settings, digest.subscription)
    content = chat.Message(TEST_PREFIX + digest.subject, digest.as_of, digest.sections, digest.link)
    webhook.post(hook, webhook.address(name, hook), chat.compose(content, hook.kind), name=name)
