"""Keyword and pattern matching shared by the classification rules (calendar titles, Jira summaries)."""
from __future__ import annotations

import re
from collections.abc import Sequence


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern | None:
    """Keywords as one pattern: each must start a word; spaces, hyphens and underscores between
    its words are interchangeable ("follow up" finds "follow-up" and "followup")."""
    if not keywords:
        return None
    parts = []
    for keyword in keywords:
        words = [re.escape(word) for word in re.split(r"[\s\-_]+", keyword.strip()) if word]
        parts.append(r"[\s\-_]*".join(words))
    return re.compile(r"(?<![0-9a-z])(?:" + "|".join(parts) + ")", re.IGNORECASE)


def valid_regex(value: str | None) -> str | None:
    """`value` unchanged when it compiles as a regular expression; a pydantic-ready ValueError otherwise."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None
    return value
