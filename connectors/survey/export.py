"""What every survey reader returns: one tool-neutral shape for an export, and its problems.

A reader's job ends here. It knows its tool's header rows, metadata columns and quirks; it
drops names, emails, IP addresses and locations on the spot, and hands on only question
columns and, per response, the tool's response key, the raw submission time and the raw
answers. Nothing downstream knows which tool wrote the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """A column a mapping can name.

    `key` is the tool's stable identifier (Qualtrics ImportId, Typeform field ref) or the header;
    `aliases` are other names that also find it (the question text, a column code). `parent` is
    the question a SurveyMonkey sub-column belongs to. `question` is False for fields that are not
    questions (hidden fields, embedded data, custom variables): they may be used as the team or
    role, and are never reported as unmapped.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    parent: str | None = None
    question: bool = True

    def names(self) -> tuple[str, ...]:
        return (self.key, *self.aliases)


@dataclass(frozen=True)
class Response:
    """One response: where it is in the file, the tool's id for it, when it was sent, its answers.

    `answers` maps column keys to raw values (text, number, bool or a list of labels); a blank
    answer is absent. `excluded` says why the tool's own metadata rules the response out
    (a preview, a test, spam, unfinished).
    """

    row: int
    key: str
    submitted: object
    answers: dict[str, object]
    excluded: str | None = None


@dataclass(frozen=True)
class Export:
    """A survey export read by one of the readers, before any mapping."""

    tool: str
    name: str
    columns: tuple[Column, ...]
    responses: tuple[Response, ...]
    submitted_column: str
    time_zone: str | None = None  # the zone the tool states for its times; None: local, see the mapping
    row_word: str = "row"
    sha256: str = ""


@dataclass(frozen=True)
class Issue:
    """One problem, located so a person can find it: file, row and column."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    row_word: str = "row"
    fatal: bool = False

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"{self.row_word} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


class SurveyFormatError(ValueError):
    """The file is not an export this connector can read (or is broken beyond reading)."""


class SurveyImportError(ValueError):
    """The export cannot be loaded as a wave at all; every reason is listed."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@dataclass
class Issues:
    """Problems collected while reading one file."""

    file: str
    row_word: str = "row"
    items: list[Issue] = field(default_factory=list)

    def add(self, message: str, row: int | None = None, column: str | None = None, fatal: bool = False) -> None:
        self.items.append(Issue(self.file, message, row, column, self.row_word, fatal))

    @property
    def fatal(self) -> list[Issue]:
        return [issue for issue in self.items if issue.fatal]


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def shown(value: object) -> str:
    """A raw answer as it may appear in an error message: short scale answers verbatim, anything
    that might be personal (an email address, free text) only described, so no error message,
    log line or Data page ever repeats what a respondent wrote."""
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} choices"
    text = str(value)
    if _EMAIL.search(text):
        return "an email address"
    if len(text) > 40 or "\n" in text:
        return f"a text of {len(text)} characters"
    return repr(text)
