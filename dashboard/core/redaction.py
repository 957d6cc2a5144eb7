"""Credentials out of every message, in every form a credential travels in.

A server's error page may echo the request: the token raw or upper-cased, inside
`Authorization: Basic base64(email:token)`, as `Bearer <token>`, percent-encoded in a URL (in
either case of hex), or base64 of the token alone. Whatever a message says, `redact` finds the
secret in each of those forms and replaces the whole credential around it (the base64 of
`email:token`, say, not just the part that spells the token) with `***`.

Base64 of a text that holds the secret always contains, whatever comes before and after it, one
of three fixed strings (one per byte alignment): those are searched for, case-insensitively,
as upper-casing does not hide what a base64 string says from anyone who tries the 16 case
variants of each 4-character group.

`error_body` cuts a server's answer down to what helps a person (the first few hundred
characters), after redaction, so the cut never leaves half a token behind.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

MASK = "***"
MIN_SECRET = 4
"""Shorter "secrets" would match ordinary words; no real credential is that short."""
BODY_CHARS = 300
"""How much of a server's error answer a message keeps."""
_CREDENTIAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~%:@")
"""What a token, its base64 and its percent-encoding are written with: a match grows over these."""


def _any_encoding(text: str) -> str:
    """A pattern for `text` whose every character may also be written percent-encoded."""
    return "".join(
        re.escape(char) if quote(char, safe="") == char else f"(?:{re.escape(char)}|{re.escape(quote(char, safe=''))})"
        for char in text
    )


def _base64_cores(secret: bytes) -> set[str]:
    """What base64 of any text holding `secret` surely contains: at each byte alignment, the
    characters that depend on the secret's bytes alone, in both base64 alphabets."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret).decode()
        inside = [i for i in range(len(encoded)) if 6 * i // 8 >= shift and (6 * i + 5) // 8 < shift + len(secret)]
        core = encoded[inside[0]:inside[-1] + 1] if inside else ""
        if len(core) >= MIN_SECRET:
            cores |= {core, core.translate(str.maketrans("+/", "-_"))}
    return cores


@lru_cache(maxsize=32)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern | None:
    forms = set()
    for secret in secrets:
        forms |= {secret} | _base64_cores(secret.encode())
    if not forms:
        return None
    return re.compile("|".join(_any_encoding(form) for form in sorted(forms, key=len, reverse=True)), re.IGNORECASE)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every credential that holds one of `secrets`, in any form above, replaced by `***`."""
    pattern = _pattern(tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET})))
    if pattern is None or not text:
        return text
    kept, position = [], 0
    while (found := pattern.search(text, position)) is not None:
        start, end = found.span()
        while start > position and text[start - 1] in _CREDENTIAL_CHARS:
            start -= 1
        while end < len(text) and text[end] in _CREDENTIAL_CHARS:
            end += 1
        kept += [text[position:start], MASK]
        position = end
    return "".join(kept) + text[position:]


def error_body(text: str | None, secrets: Iterable[str | None], limit: int = BODY_CHARS) -> str:
    """A server's error answer on one line, redacted, then cut to `limit` characters."""
    text = text or ""
    raw = text[: 64 * limit]
    if len(raw) < len(text):  # never leave the cut's half of a credential for redact to miss
        raw = raw.rstrip("".join(_CREDENTIAL_CHARS))
    safe = redact(" ".join(raw.split()), secrets)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"
