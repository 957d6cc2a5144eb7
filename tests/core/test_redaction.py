"""`redact` on generated tokens, users and surroundings: no encoding of the token survives."""
from __future__ import annotations

import base64
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core.redaction import MASK, error_body, redact

TOKEN_CHARS = st.characters(min_codepoint=33, max_codepoint=126)
tokens = st.text(TOKEN_CHARS, min_size=8, max_size=40)
users = st.text(TOKEN_CHARS, min_size=0, max_size=20).filter(lambda user: ":" not in user)
prose = st.text(st.sampled_from(" <>\"',;()[]{}|\n"), max_size=3)
ENCODINGS = {
    "raw": lambda user, token: token,
    "upper": lambda user, token: token.upper(),
    "basic": lambda user, token: "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode(),
    "basic upper": lambda user, token: ("Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()).upper(),
    "url-safe basic": lambda user, token: base64.urlsafe_b64encode(f"{user}:{token}".encode()).decode(),
    "base64 token": lambda user, token: base64.b64encode(token.encode()).decode(),
    "percent": lambda user, token: quote(token, safe=""),
    "percent lower hex": lambda user, token: quote(token, safe="").lower(),
    "percent basic": lambda user, token: quote("Basic " + base64.b64encode(f"{user}:{token}".encode()).decode(), safe=""),
    "bearer": lambda user, token: f"Bearer {token}",
}


@settings(max_examples=150, deadline=None)
@given(token=tokens, user=users, before=prose, after=prose, encoding=st.sampled_from(sorted(ENCODINGS)))
def test_no_encoding_of_the_token_survives(token, user, before, after, encoding):
    written = ENCODINGS[encoding](user, token)
    text = redact(f"error{before}{written}{after}end", [token])
    assert MASK in text
    assert [name for name, form in ENCODINGS.items() if form(user, token).lower() in text.lower()] == []


def test_text_without_the_secret_is_left_alone():
    text = "Jira answered HTTP 502 while searching issues: Bad gateway (see https://status.example.com)"
    assert redact(text, ["a-token-that-is-not-there", None, ""]) == text


def test_an_error_body_is_one_short_line_cut_after_redaction():
    token = "Zm9vYmFyLXRva2VuLTEyMzQ1"
    assert error_body("line one\n\n  line two", [token]) == "line one line two"
    body = error_body("x " * 200 + token, [token], limit=50)
    assert len(body) == 50 and body.endswith("…")
    assert error_body("no: " + token + " here", [token], limit=12) == "no: *** here"
