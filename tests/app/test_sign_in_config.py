"""Sign-in fails closed: a secrets file that cannot be read, or an `[auth]` that is half there,
serves nothing but a page saying what is wrong, naming the file and field but no value.

The app under AppTest reads a real `secrets.toml` written per case (Streamlit's own parser, as
`streamlit run` would), over the demo organisation, with an ops user in the session: the most
a broken configuration could leak to.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as streamlit_config
from streamlit.runtime.secrets import secrets_singleton
from streamlit.testing.v1 import AppTest

from dashboard.app.auth import identity, verified
from dashboard.app.sign_in import SignInConfigError, providers
from tests.app.test_roles import APP, DATA_PAGE, PM_TIME, listed_pages, my_time_table, org, session, signed_in  # noqa: F401  (fixtures)

VALUES = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "cookie-secret-value-7f3a",
    "client_id": "client-id-value-19c2",
    "client_secret": "client-secret-value-a8e4",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
SECRET_VALUES = [VALUES["cookie_secret"], VALUES["client_id"], VALUES["client_secret"]]
OPS_USER = {"is_logged_in": True, "email": "ops@example.com", "email_verified": True, "groups": ["product-ops"]}


def auth_toml(drop: str | None = None, table: str = "auth", **override: str) -> str:
    """An `[auth]` table in TOML with one key dropped and others' TOML text overridden."""
    lines = {key: f'"{value}"' for key, value in VALUES.items()} | override
    return f"[{table}]\n" + "".join(f"{key} = {value}\n" for key, value in lines.items() if key != drop)


SHARED = "[auth]\n" + "".join(f'{key} = "{VALUES[key]}"\n' for key in ("redirect_uri", "cookie_secret"))
PROVIDER = "".join(f'{key} = "{VALUES[key]}"\n' for key in ("client_id", "client_secret", "server_metadata_url"))
BROKEN: dict[str, tuple[str | bytes, str]] = {
    "unquoted value": (auth_toml(client_secret=VALUES["client_secret"]), "is not valid TOML (at line 5"),
    "not UTF-8": (auth_toml().encode() + b"# \xff\xfe\n", "cannot be read (UnicodeDecodeError)"),
    "auth is a value": ('auth = "on"\n', "`auth` must be a table"),
    "empty [auth]": ("[auth]\n", "[auth] redirect_uri: is missing"),
    **{f"no {key}": (auth_toml(drop=key), f"[auth] {key}: is missing") for key in VALUES},
    **{f"empty {key}": (auth_toml(**{key: '"  "'}), f"[auth] {key}: String should have at least 1 character") for key in VALUES},
    "client_id a number": (auth_toml(client_id="12345"), "[auth] client_id: Input should be a valid string"),
    "cookie_secret a boolean": (auth_toml(cookie_secret="true"), "[auth] cookie_secret: Input should be a valid string"),
    "redirect_uri a list": (auth_toml(redirect_uri='["a"]'), "[auth] redirect_uri: Input should be a valid string"),
    "redirect_uri elsewhere": (auth_toml(redirect_uri='"https://example.com/login"'), "redirect_uri: must end in /oauth2callback"),
    "metadata not an address": (auth_toml(server_metadata_url='"login.example.com"'), "server_metadata_url: must be an http(s)://"),
    "provider half filled": (SHARED + PROVIDER + f'[auth.okta]\nclient_id = "{VALUES["client_id"]}"\n',
                             "[auth.okta] client_secret: is missing"),
    "default provider half filled": (SHARED + f'client_id = "{VALUES["client_id"]}"\n[auth.okta]\n' + PROVIDER,
                                     "[auth] server_metadata_url: is missing"),
    "provider name with underscore": (SHARED + "[auth.my_idp]\n" + PROVIDER, "may not contain an underscore"),
    "no provider": (SHARED, "[auth]: no provider"),
}


@pytest.fixture()
def secrets_file(tmp_path):
    """`write(text)`: the secrets.toml Streamlit reads from now on (as if edited on a running server)."""
    path = tmp_path / "secrets.toml"
    saved = streamlit_config.get_option("secrets.files")
    streamlit_config.set_option("secrets.files", [str(path)])

    def write(content: str | bytes | None) -> Path:
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        secrets_singleton._reset()  # what Streamlit's file watcher does when the file changes
        return path

    yield write
    streamlit_config.set_option("secrets.files", saved)
    secrets_singleton._reset()


def every_text(at: AppTest) -> str:
    """All text the run put on screen, main area and sidebar."""
    return "\n".join(str(getattr(element, "value", "")) for element in at.main) + "\n".join(
        str(getattr(element, "value", "")) for element in at.sidebar)


def assert_closed(at: AppTest, message: str, where: str) -> None:
    """The run showed one error naming what is wrong, no secret, and nothing else: no data, no way in."""
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    errors = [error.value for error in at.error]
    assert len(errors) == 1 and "closed until sign-in is fixed" in errors[0] and message in errors[0], f"{where}: {errors}"
    assert not at.metric and not at.dataframe and not at.table and not at.get("plotly_chart"), where
    assert not at.title and not at.button and not at.sidebar.selectbox and not at.warning, where
    shown = every_text(at)
    assert not any(value in shown for value in SECRET_VALUES), f"{where}: a secret value is on screen"


@pytest.mark.parametrize(("content", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_or_partial_auth_configuration_serves_no_page(demo_env, secrets_file, content, message):
    """Even for a session that had the Data page open: its URL now opens nothing either."""
    secrets_file(None)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = dict(OPS_USER)
    at.run()
    assert at.metric and DATA_PAGE in listed_pages(at), "open, the app serves its pages"

    secrets_file(content)
    at.switch_page(DATA_PAGE).run()
    assert_closed(at, message, "the Data page's URL")
    at.user = {"is_logged_in": False}
    at.run()
    assert_closed(at, message, "signed out")


def test_a_complete_auth_configuration_signs_in(demo_env, secrets_file):
    """The good file the broken ones are made from: the sign-in screen, then the pages."""
    secrets_file(auth_toml() + "[auth.okta]\n" + PROVIDER)
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception and not at.error
    assert [b.label for b in at.button] == ["Sign in", "Sign in with Okta"]
    assert not at.metric and not at.get("plotly_chart")


def test_providers_are_listed_in_order_and_client_kwargs_is_no_provider():
    section = {**VALUES, "client_kwargs": {"scope": "openid email groups"},
               "okta": {key: VALUES[key] for key in ("client_id", "client_secret", "server_metadata_url")}}
    assert providers(section) == [None, "okta"]
    with pytest.raises(SignInConfigError) as refused:
        providers({**section, "okta": {"client_id": VALUES["client_id"]}})
    assert "[auth.okta] client_secret: is missing" in str(refused.value)
    assert not any(value in str(refused.value) for value in SECRET_VALUES)


@pytest.mark.parametrize("claim", [False, "false", "False", "TRUE ", "yes", 1, 0, None, [], {"value": True}])
def test_only_a_true_email_verified_claim_vouches_for_the_address(claim):
    user = {"email": "A@x.org", "groups": ["ops"]} | ({} if claim is None else {"email_verified": claim})
    assert not verified(claim)
    assert identity(user, "groups") == (None, ["ops"])


@pytest.mark.parametrize("claim", [True, "true"])
def test_a_true_email_verified_claim_vouches_for_the_address(claim):
    assert identity({"email": "A@x.org", "email_verified": claim}, "groups") == ("a@x.org", [])


def test_a_pm_whose_email_verified_claim_is_the_string_false_sees_no_one_s_own_weeks(signed_in):  # noqa: F811
    """The issue's case: "false" as a string once made a session another PM's."""
    at = session({"is_logged_in": True, "email": signed_in["me"]["email"], "email_verified": "false"})
    refusals = [error.value for error in at.error]
    assert len(refusals) == 1 and "has no role" in refusals[0]
    at.switch_page(PM_TIME).run()
    assert my_time_table(at) is None and not at.get("plotly_chart")
