"""Who receives which digest: the subscriptions declared in prodops.toml, and those product ops add
on the Subscriptions page, which the store keeps (`digest_subscriptions`).

The declared ones are the deployment's and change with the file; the page lists them but cannot
remove them. A stored subscription names its webhook, never the webhook's URL.
"""
from __future__ import annotations

import pandas as pd

from dashboard.core.config import Settings, Subscription
from dashboard.core.store import Store, utc_now
from dashboard.notify import sent_log

TABLE = "digest_subscriptions"
COLUMNS = {"email": "email", "role": "role", "cadence": "cadence", "group": "group_name", "team": "team_id",
           "channel": "channel", "webhook": "webhook"}
"""Each `Subscription` field and the column that stores it."""


def stored(store: Store) -> list[Subscription]:
    """The subscriptions added on the page, in the order they were added."""
    if not store.has_table(TABLE):
        return []
    rows = store.query(f"SELECT * FROM {TABLE} ORDER BY added_at, subscription_id")
    return [Subscription(**{field: _value(row[column]) for field, column in COLUMNS.items()})
            for _, row in rows.iterrows()]


def every(store: Store, settings: Settings) -> list[Subscription]:
    """The declared subscriptions, then the stored ones not declared too."""
    declared = list(settings.digest.subscriptions)
    known = {subscription.id for subscription in declared}
    return declared + [subscription for subscription in stored(store) if subscription.id not in known]


def declared(settings: Settings, subscription_id: str) -> bool:
    return any(subscription.id == subscription_id for subscription in settings.digest.subscriptions)


def add(store: Store, settings: Settings, subscription: Subscription, added_by: str) -> None:
    """Keep a subscription the page added.

    Raises:
        ValueError: it names a webhook the settings do not declare, or of another channel, or it
            is already a subscription.
    """
    if subscription.webhook is not None:
        webhook = settings.digest.webhooks.get(subscription.webhook)
        if webhook is None or webhook.kind != subscription.channel:
            raise ValueError(f"no {subscription.channel} webhook named {subscription.webhook!r} in [digest.webhooks]")
    if any(existing.id == subscription.id for existing in every(store, settings)):
        raise ValueError(f"already subscribed: {subscription.destination} ({subscription.role}, {subscription.scope_id}, "
                         f"{subscription.cadence})")
    row = {column: getattr(subscription, field) for field, column in COLUMNS.items()}
    with store.transaction() as tx:
        tx.upsert(TABLE, pd.DataFrame([{"subscription_id": subscription.id, **row, "added_by": added_by,
                                        "added_at": utc_now()}]))


def remove(store: Store, settings: Settings, subscription_id: str) -> None:
    """Drop a subscription the page added; one declared in prodops.toml stays (it lives in that file)."""
    if declared(settings, subscription_id):
        raise ValueError("declared in prodops.toml: remove it there")
    with store.transaction() as tx:
        tx.delete_where(TABLE, "subscription_id", [subscription_id])


def _value(value: object) -> object:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def listing(store: Store, settings: Settings) -> pd.DataFrame:
    """Every subscription with where it is declared and its last digest: one row each, declared first."""
    added = store.query(f"SELECT subscription_id, added_by, added_at FROM {TABLE}") if store.has_table(TABLE) \
        else pd.DataFrame(columns=["subscription_id", "added_by", "added_at"])
    rows = pd.DataFrame([{
        "subscription_id": s.id, "destination": s.destination, "channel": s.channel, "role": s.role,
        "scope": s.scope, "scope_id": s.scope_id, "cadence": s.cadence, "declared": declared(settings, s.id),
    } for s in every(store, settings)], columns=["subscription_id", "destination", "channel", "role", "scope", "scope_id",
                                                 "cadence", "declared"])
    rows = rows.merge(added, on="subscription_id", how="left")
    return rows.merge(last_attempts(store), on="subscription_id", how="left")


def last_attempts(store: Store) -> pd.DataFrame:
    """Per subscription, its latest message on record: the period, sent or failed, when, and why it failed."""
    columns = ["subscription_id", "last_period", "last_status", "last_tried_at", "last_error"]
    log = sent_log.log(store).sort_values(["last_tried_at", "period"], ascending=False)
    latest = log.drop_duplicates("subscription", keep="first")
    return pd.DataFrame({"subscription_id": latest["subscription"], "last_period": latest["period"],
                         "last_status": latest["status"], "last_tried_at": latest["last_tried_at"],
                         "last_error": latest["error"]})[columns]
