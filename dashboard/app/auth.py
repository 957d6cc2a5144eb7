"""Who is looking, and what they may see and do.

Sign-in is on when `.streamlit/secrets.toml` has an `[auth]` section (an OpenID Connect provider
for `st.login`). The viewer's role then comes from `[access]` in prodops.toml, matched on the
identity token's email, its domain and its group claim (`config.Access` says how). Without
`[auth]` the dashboard is open: everyone has `access.open_role` (ops unless configured, so one
person on a laptop can sync and edit) and a banner on every page says so. Secrets that cannot be
read, or an `[auth]` that is half there, close the dashboard instead (`dashboard/app/sign_in.py`).

Every role check lives here. The entrypoint calls `gate()` and builds its navigation from
`navigation.pages_for(viewer)`; pages and widgets ask `may(...)` or `require(...)`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from dashboard.app.sign_in import SignInConfigError, auth_section, providers
from dashboard.core.config import Access, ConfigError, ViewerRole, load_settings

Permission = Literal["data", "sync", "annotate", "notes", "subscribe", "own_calendar"]
Mode = Literal["open", "signed_out", "signed_in"]

PERMISSIONS: dict[ViewerRole, frozenset[Permission]] = {
    "leader": frozenset(),
    "ops": frozenset({"data", "sync", "annotate", "notes", "subscribe"}),
    "pm": frozenset({"own_calendar"}),
}
"""What each role may do beyond reading the aggregate pages, which every role reads.

`own_calendar` is the viewer's own PM-week numbers: person-level calendar numbers are shown only
to that person (DESIGN.md), so leaders and ops see aggregates only.
"""
PRECEDENCE: tuple[ViewerRole, ...] = ("ops", "leader", "pm")
"""Within one kind of match (email, group, domain), the role with more access wins."""
ROLE_LABEL = {"leader": "Leader", "ops": "Product ops", "pm": "Product manager"}
OPEN_BANNER = (
    "Sign-in is off: anyone who can open this address sees every page and can sync and edit. "
    "To require sign-in, add an `[auth]` section to `.streamlit/secrets.toml` (see docs/deployment.md)."
)


@dataclass(frozen=True)
class Viewer:
    """The person looking: how they got in, their role (None: turned away) and their identity."""

    mode: Mode
    role: ViewerRole | None
    email: str | None = None
    """The verified email address, lower case: what roles and the viewer's own numbers are matched on."""
    name: str | None = None

    def may(self, permission: Permission) -> bool:
        return self.role is not None and permission in PERMISSIONS[self.role]


def role_for(access: Access, email: str | None, groups: Iterable[str] = ()) -> ViewerRole | None:
    """The role `[access]` gives this identity: by email, else by group, else by domain, else the default."""
    address = email.lower() if email else None
    domain = address.rpartition("@")[2] if address else None
    claims = {str(group) for group in groups}
    for kind, held in (("emails", {address}), ("groups", claims), ("domains", {domain})):
        for role in PRECEDENCE:
            if held & set(getattr(getattr(access, role), kind)):
                return role
    return None if access.default_role == "none" else access.default_role


def verified(claim: object) -> bool:
    """Only a real `true` (or the string "true" some providers send) verifies: "false", 0, absent do not."""
    return claim is True or claim == "true"


def identity(user: Mapping, group_claim: str) -> tuple[str | None, list[str]]:
    """The email (only when the provider says it is verified) and the groups of a signed-in user.

    An address the provider does not vouch for could be anyone's, so it matches no role and
    owns no calendar.
    """
    email = user.get("email")
    if not isinstance(email, str) or not verified(user.get("email_verified")):
        email = None
    raw = user.get(group_claim) or []
    groups = [raw] if isinstance(raw, str) else [str(group) for group in raw] if isinstance(raw, list) else []
    return (email.lower() if email else None), groups


def viewer() -> Viewer:
    """Who is looking in this run, from `st.user` when sign-in is on.

    Raises:
        SignInConfigError: sign-in is configured but unusable; nobody may look.
    """
    access = load_settings().access
    section = auth_section()
    if section is None:
        return Viewer("open", access.open_role)
    providers(section)
    user = st.user
    if not user.get("is_logged_in"):
        return Viewer("signed_out", None)
    email, groups = identity(user, access.group_claim)
    shown = user.get("name") or user.get("email")
    return Viewer("signed_in", role_for(access, email, groups), email, shown if isinstance(shown, str) else None)


def may(permission: Permission) -> bool:
    return viewer().may(permission)


def require(permission: Permission) -> Viewer:
    """Stop the page unless the viewer may do this: the page's own guard behind the navigation's."""
    current = viewer()
    if not current.may(permission):
        st.error("Your role cannot open this page.", icon=":material/block:")
        st.stop()
    return current


def _sign_in_screen() -> None:
    st.title("Product Ops Health", anchor=False)
    st.markdown("Sign in with your company account to see the dashboard.")
    for provider in providers(auth_section()):
        label = "Sign in" if provider is None else f"Sign in with {provider.title()}"
        st.button(label, key=f"login_{provider or 'default'}", on_click=st.login,
                  args=() if provider is None else (provider,), icon=":material/login:")


def _account_sidebar(current: Viewer) -> None:
    with st.sidebar:
        who = current.name or current.email or "signed in"
        role = ROLE_LABEL[current.role] if current.role else "no access"
        st.caption(f":material/account_circle: {who} · {role}")
        st.button("Sign out", key="logout", on_click=st.logout, icon=":material/logout:")


def gate() -> Viewer:
    """Who is looking; stops the run with the sign-in screen, or a refusal, when they may not look.

    Open mode draws its banner here, so every page carries it.
    """
    try:
        current = viewer()
    except SignInConfigError as error:
        st.error(f"The dashboard is closed until sign-in is fixed. {error}", icon=":material/lock:")
        st.stop()
    except ConfigError as error:
        st.error(str(error), icon=":material/settings_alert:")
        st.stop()
    if current.mode == "open":
        st.warning(OPEN_BANNER, icon=":material/lock_open:")
        return current
    if current.mode == "signed_out":
        _sign_in_screen()
        st.stop()
    _account_sidebar(current)
    if current.role is None:
        st.error(
            f"{current.email or 'Your account'} has no role on this dashboard. Ask the dashboard's "
            "administrators to add you to `[access]` in prodops.toml.",
            icon=":material/block:",
        )
        st.stop()
    return current
