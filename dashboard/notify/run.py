"""One run of `python -m dashboard digest`: every subscription's digest of its last whole period.

Safe under cron, like `sync`: a run holds the store's `digest` lock (a second run waits for
nothing and exits 75), skips every message the sent-log already holds, and sends the rest one by
one, each written down as soon as the server took it. A message that fails is written down with
its reason and the run goes on with the next; the next run tries it again.

Each digest goes by its subscription's channel: an email through the mail server (connected only
when the run has an email to send), a Slack or Teams message through its webhook, whose URL is
looked up per message so a missing one fails that message alone.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import date

from dashboard.core.config import Settings, Subscription, Webhook
from dashboard.core.store import Store
from dashboard.notify import chat, mail, sent_log, subscriptions, webhook
from dashboard.notify import digest as digests
from dashboard.notify.facts import Facts
from dashboard.notify.model import Digest, message_key
from dashboard.notify.smtp import Mailer, SendError

log = logging.getLogger(__name__)

LOCK = "digest"
SENT, SKIPPED, FAILED, DRY = "sent", "already sent", "failed", "would send"
EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True)
class Outcome:
    email: str
    role: str
    scope: str
    period: str
    status: str
    detail: str = ""

    def log_line(self) -> str:
        """One structured line per message for the scheduler's log: no credentials, no figures."""
        return json.dumps({"event": "digest", **asdict(self)})


Post = Callable[..., None]
"""`webhook.post`'s shape, (webhook, url, payload, *, name): tests pass one with their own retry policy."""


def run(store: Store, settings: Settings, today: date, *, send: bool, mailer: Callable[[], Mailer] | None = None,
        post: Post = webhook.post, say: Callable[[str], None] = print) -> list[Outcome]:
    """Send (or with `send=False` only list) every subscription's digest not sent yet; `say` prints each outcome.

    Raises `SyncBusy` when another run holds the lock, `SendError` when an email is due and no password is
    found for a login.
    """
    with store.sync_lock(LOCK):
        sent_log.flush(store)  # what a killed run wrote down
        try:
            return _run(store, settings, today, send, mailer, post, say)
        finally:
            sent_log.flush(store)


def _run(store: Store, settings: Settings, today: date, send: bool, mailer: Callable[[], Mailer] | None, post: Post,
         say: Callable[[str], None]) -> list[Outcome]:
    facts = Facts(store, settings, today)
    done = sent_log.sent_keys(store)
    outcomes, due = [], []
    for subscription in subscriptions.every(store, settings):
        _, period = digests.reporting_period(subscription.cadence, today, settings.week_start)
        if message_key(subscription, period) in done:
            outcomes.append(_outcome(subscription, period, SKIPPED))
            say(outcomes[-1].log_line())
        else:
            due.append((subscription, period))
    if not send:
        for item in _built(due, facts, store, outcomes, say, record=False):
            outcomes.append(_outcome(item.subscription, item.period, DRY, preview(item)))
            say(outcomes[-1].log_line())
        return outcomes
    emails = any(subscription.channel == "email" for subscription, _ in due)
    client = (mailer or (lambda: _mailer(settings)))() if emails else None
    with mail.Pictures(lambda error: _charts_left_out(error, say)) if emails else nullcontext() as pictures:
        pending = []
        for item in _built(due, facts, store, outcomes, say, record=True):
            if item.subscription.channel == "email":
                pictures.order(item)
            pending.append(item)
        with client or nullcontext():
            for item in pending:
                try:
                    if item.subscription.channel == "email":
                        client.send(mail.message(item, pictures.of(item), settings.digest.smtp.sender))
                    else:
                        _post(item, settings, post)
                except SendError as error:
                    outcomes.append(_failed(store, item.subscription, item.period, str(error)))
                else:
                    sent_log.record(store, item.key, item.subscription.id, item.period.isoformat())
                    outcomes.append(_outcome(item.subscription, item.period, SENT, item.subject))
                say(outcomes[-1].log_line())
    return outcomes


def _built(due: list[tuple[Subscription, date]], facts: Facts, store: Store, outcomes: list[Outcome],
           say: Callable[[str], None], record: bool) -> Iterator[Digest]:
    """Each due subscription's digest; one that fails to build is an outcome (written down when `record`)."""
    for subscription, period in due:
        try:
            item = digests.build(subscription, facts)
        except Exception as error:  # one subscription's fault must not stop the others
            log.exception("digest for %s failed to build", subscription.id)
            outcomes.append(_failed(store, subscription, period, f"could not build it: {type(error).__name__}: {error}",
                                    record=record))
            say(outcomes[-1].log_line())
            continue
        yield item


def exit_code(outcomes: list[Outcome]) -> int:
    return EXIT_FAILED if any(outcome.status == FAILED for outcome in outcomes) else EXIT_OK


def preview(item: Digest) -> str:
    """What a dry run says of a message: its subject, its sections and how many charts (a chat message draws none)."""
    sections = ", ".join(section.title for section in item.sections)
    carried = f"{len(item.charts())} charts" if item.subscription.channel == "email" else "charts named, not drawn"
    return f"{item.subject} [{sections}; {carried}]"


def _mailer(settings: Settings) -> Mailer:
    from dashboard.notify.smtp import password

    config = settings.digest.smtp
    if config is None:
        raise SendError("no mail server for the email digests: add [digest.smtp] to prodops.toml")
    return Mailer(config, password(config))


def _post(item: Digest, settings: Settings, post: Post) -> None:
    """The digest as its channel's chat message, to the subscription's webhook; `SendError` when it was not taken."""
    name, hook = webhook_of(settings, item.subscription)
    post(hook, webhook.address(name, hook), chat.message(item, hook.kind), name=name)


def webhook_of(settings: Settings, subscription: Subscription) -> tuple[str, Webhook]:
    """The declared webhook a subscription names, with its name: one stored from the page may outlive its declaration."""
    name, channel = subscription.webhook or "", subscription.channel
    hook = settings.digest.webhooks.get(name)
    if hook is None or hook.kind != channel:
        raise SendError(f"no {channel} webhook named {name!r}: declare [digest.webhooks.{name}] in prodops.toml")
    return name, hook


def _charts_left_out(error: str, say: Callable[[str], None]) -> None:
    """The digests go without their charts when Chromium fails; the log says why, once."""
    say(json.dumps({"event": "digest", "status": "charts left out", "detail": error}))


def _outcome(subscription: Subscription, period: date, status: str, detail: str = "") -> Outcome:
    return Outcome(subscription.destination, subscription.role, subscription.scope_id, period.isoformat(), status, detail)


def _failed(store: Store, subscription: Subscription, period: date, reason: str, record: bool = True) -> Outcome:
    if record:
        sent_log.record(store, message_key(subscription, period), subscription.id, period.isoformat(), reason)
    return _outcome(subscription, period, FAILED, reason)
