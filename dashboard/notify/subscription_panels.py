"""The Subscriptions page's sections: who receives which digest, adding and removing subscriptions,
and a preview of exactly what one recipient would receive, with "send me a test".

It lives with the digests it manages: `dashboard.notify` sits above the app's layer, so it may draw
with the app's widgets, and the app never needs to know how a digest is built or sent.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from dashboard.app import views
from dashboard.app.auth import Viewer
from dashboard.core.config import Subscription
from dashboard.notify import preview as previews
from dashboard.notify import subscriptions
from dashboard.notify.smtp import SendError

ROLE_LABEL = {"vp": "VP: the organisation's verdicts and what to look at",
              "lead": "Lead: one group or team against the organisation",
              "ops": "Product ops: bottlenecks and the data's health"}
CHANNEL_LABEL = {"email": "Email", "slack": "Slack", "teams": "Microsoft Teams"}
PREVIEW_PX = 720
_NOTICE = "_subscriptions_notice"
"""A message kept across the rerun that follows an add or a remove."""


def listing() -> list[Subscription]:
    """The table of every subscription and its last digest; returns them for the other sections."""
    store, settings = views.store(), views.settings()
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.success(notice)
    rows = subscriptions.listing(store, settings)
    if rows.empty:
        st.info("Nobody is subscribed yet. Add a subscription below, or declare `[[digest.subscriptions]]` in "
                "prodops.toml; `python -m dashboard digest --send` from cron then sends each one its digest.")
        return []
    names = views.scope_names()
    shown = pd.DataFrame({
        "Recipient": rows["destination"],
        "Channel": rows["channel"].map(CHANNEL_LABEL),
        "Role": rows["role"].map(lambda role: ROLE_LABEL[role].split(":")[0]),
        "Scope": rows["scope_id"].map(lambda scope_id: "Organisation" if scope_id == "org" else names.get(scope_id, scope_id)),
        "How often": rows["cadence"].str.capitalize(),
        "Declared in": [("prodops.toml" if declared else f"this page, by {who or 'an open session'}")
                        for declared, who in zip(rows["declared"], rows["added_by"])],
        "Last digest": [_last(period, status, error) for period, status, error
                        in zip(rows["last_period"], rows["last_status"], rows["last_error"])],
    })
    st.dataframe(shown, hide_index=True, key="subscriptions_table")
    return subscriptions.every(store, settings)


def _last(period: object, status: object, error: object) -> str:
    if pd.isna(status):
        return "none yet"
    return f"{period}: sent" if status == "sent" else f"{period}: failed ({error})"


def add_form(viewer: Viewer) -> None:
    """Add a subscription: the recipient, the view their role allows, its scope and how often."""
    settings = views.settings()
    webhooks = settings.digest.webhooks
    channels = ["email", *sorted({webhook.kind for webhook in webhooks.values()})]
    with st.expander("Add a subscription", icon=":material/person_add:"):
        channel = st.selectbox("Channel", channels, format_func=CHANNEL_LABEL.get, key="sub_channel",
                               help="Slack and Teams need a webhook in [digest.webhooks] of prodops.toml")
        if channel == "email":
            email, webhook = st.text_input("Email address", key="sub_email").strip() or None, None
        else:
            options = sorted(name for name, found in webhooks.items() if found.kind == channel)
            email, webhook = None, st.selectbox("Webhook", options, key="sub_webhook")
        role = st.selectbox("Role", list(ROLE_LABEL), format_func=ROLE_LABEL.get, key="sub_role")
        group = team = None
        if role == "lead":
            group, team = _scope_picker()
        cadence = st.radio("How often", ["weekly", "monthly"], format_func=str.capitalize, horizontal=True,
                           key="sub_cadence")
        if st.button("Add", key="sub_add", icon=":material/add:"):
            _add(viewer, dict(email=email, webhook=webhook, channel=channel, role=role, group=group, team=team,
                              cadence=cadence))


def _scope_picker() -> tuple[str | None, str | None]:
    teams = views.teams()
    scopes = [("group", group) for group in teams["group_name"].unique()] + \
             [("team", team_id) for team_id in teams["team_id"]]
    names = views.scope_names()
    kind, scope_id = st.selectbox("Scope", scopes, key="sub_scope",
                                  format_func=lambda s: f"{'Group' if s[0] == 'group' else 'Team'}: {names.get(s[1], s[1])}")
    return (scope_id, None) if kind == "group" else (None, scope_id)


def _add(viewer: Viewer, fields: dict) -> None:
    try:
        subscription = Subscription(**fields)
        subscriptions.add(views.store(), views.settings(), subscription, viewer.email or "")
    except ValidationError as error:
        st.error("; ".join(problem["msg"].removeprefix("Value error, ") for problem in error.errors()))
        return
    except ValueError as error:
        st.error(str(error))
        return
    st.session_state[_NOTICE] = f"Subscribed {subscription.destination}."
    st.rerun()


def remove_form(every: list[Subscription]) -> None:
    settings = views.settings()
    removable = [s for s in every if not subscriptions.declared(settings, s.id)]
    if not removable:
        return
    with st.expander("Remove a subscription", icon=":material/person_remove:"):
        st.caption("Subscriptions declared in prodops.toml are removed there.")
        names = views.scope_names()
        chosen = st.selectbox("Subscription", removable, format_func=lambda s: _label(s, names), key="sub_remove_choice")
        if st.button("Remove", key="sub_remove", icon=":material/delete:"):
            subscriptions.remove(views.store(), settings, chosen.id)
            st.session_state[_NOTICE] = f"Removed {chosen.destination}'s {chosen.cadence} {chosen.role} digest."
            st.rerun()


def _label(subscription: Subscription, names: dict[str, str]) -> str:
    scope = "organisation" if subscription.scope == "org" else names.get(subscription.scope_id, subscription.scope_id)
    return f"{subscription.destination} · {subscription.role} · {scope} · {subscription.cadence}"


@st.cache_resource(max_entries=16, show_spinner="Building the digest and drawing its charts…")
def _preview(url: str, settings_json: str, version: str, subscription_json: str, today: str) -> previews.Preview:
    return previews.build(views.store(), views.settings(), Subscription.model_validate_json(subscription_json),
                          views.today())


def preview_panel(every: list[Subscription], viewer: Viewer) -> None:
    """Exactly what one recipient would receive from a run today, and a test of it sent to the viewer."""
    if not every:
        return
    names = views.scope_names()
    chosen = st.selectbox("Recipient", every, format_func=lambda s: _label(s, names), key="preview_choice")
    found = _preview(*views.cache_key(), chosen.model_dump_json(), views.today().isoformat())
    digest = found.digest
    st.markdown(f"**{digest.subject}**  \nTo: {chosen.destination} · reports on the {digest.period_text}, "
                f"data as of {digest.as_of:%d %b %Y}")
    if found.charts_error:
        st.warning(f"The charts could not be drawn, so the digest would go without them: {found.charts_error}")
    if found.chat is not None:
        st.caption(f"The message posted to the {CHANNEL_LABEL[chosen.channel]} webhook `{chosen.webhook}`, as sent:")
        with st.container(height=PREVIEW_PX, border=True, key="preview_chat"):
            st.json(found.chat, expanded=True)
        _post_test(found)
        return
    html, text = st.tabs(["Email", "Plain text"])
    with html, st.container(height=PREVIEW_PX, border=True, key="preview_email"):
        st.html(found.html)  # sanitised, unlike an iframe: names in it come from Jira and the roster
    with text:
        st.code(found.text, language=None, wrap_lines=True)
    _send_test(found, viewer)


def _post_test(found: previews.Preview) -> None:
    destination = found.digest.subscription.destination
    if not st.button(f"Post a test to {destination}", key="post_test", icon=":material/send:"):
        return
    try:
        previews.post_test(views.settings(), found)
    except SendError as error:
        st.error(f"The test was not posted: {error}")
        return
    st.success(f"Posted a test of this digest to {destination}, titled as a test.")


def _send_test(found: previews.Preview, viewer: Viewer) -> None:
    to = viewer.email or st.text_input("Send the test to", key="test_to",
                                       help="Sign-in is off, so the dashboard does not know your address").strip()
    if not st.button(f"Send me a test{f' ({to})' if to else ''}", key="send_test", icon=":material/send:",
                     disabled=not to):
        return
    try:
        previews.send_test(views.settings(), found, to)
    except SendError as error:
        st.error(f"The test was not sent: {error}")
        return
    st.success(f"Sent a test of this digest to {to}. The subscriber's own digest is not affected.")
