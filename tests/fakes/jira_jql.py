"""Just enough JQL for the fake Jira: the clauses a connector sends, Jira's errors for the rest.

Supported: `field op value` with = != > >= < <= in / not in, AND / OR / NOT, parentheses, and
`ORDER BY field [ASC|DESC], ...`. Date values are epoch milliseconds when unquoted (absolute)
and "yyyy-MM-dd[ HH:mm]" or "yyyy/MM/dd[ HH:mm]" when quoted, read in the querying user's time
zone the way Jira reads them. Anything else is a 400 with Jira's wording.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

Getter = Callable[[Any, str], Any]


class JqlError(ValueError):
    """A query Jira would answer with 400; the text is Jira's `errorMessages` entry."""


# JQL field names (with aliases) -> canonical name the site's getter understands, and the kind
# of value it compares.
FIELDS: dict[str, tuple[str, str]] = {
    "project": ("project", "text"), "key": ("key", "key"), "issuekey": ("key", "key"), "id": ("id", "number"),
    "issuetype": ("issuetype", "text"), "type": ("issuetype", "text"), "status": ("status", "text"),
    "labels": ("labels", "list"), "created": ("created", "date"), "createddate": ("created", "date"),
    "updated": ("updated", "date"), "updateddate": ("updated", "date"), "resolved": ("resolved", "date"),
    "resolutiondate": ("resolved", "date"), "fixversion": ("fixVersion", "list"),
}
_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|=|>|<|~)|(?P<punct>[(),])|(?P<word>[^\s(),=!<>~"\']+))')
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass
class Token:
    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[Token]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise JqlError(f"Error in the JQL Query: The character '{text[pos]}' is a reserved JQL character. (line 1, character {pos + 1})")
        kind = match.lastgroup
        out.append(Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


@dataclass
class Query:
    """A parsed query: a predicate over issues and the sort keys."""

    where: Callable[[Any], bool] | None
    order: list[tuple[str, bool]]

    def run(self, issues: list, get: Getter) -> list:
        matched = [i for i in issues if self.where is None or self.where(i)]
        for name, descending in reversed(self.order):
            matched.sort(key=lambda i: _sort_key(get(i, name)), reverse=descending)
        return matched


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (1, "")
    if isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*-\d+", value):
        project, number = value.rsplit("-", 1)
        return (0, project, int(number))
    return (0, value)


class _Parser:
    def __init__(self, text: str, get: Getter, user_tz: tzinfo):
        self.text, self.tokens, self.pos, self.get, self.user_tz = text, _tokens(text), 0, get, user_tz

    # -- helpers ---------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def word(self, *words: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.text.lower() in words

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got 'EOF'. (line 1, character {len(self.text) + 1})")
        self.pos += 1
        return token

    def fail(self, expected: str) -> JqlError:
        token = self.peek()
        got, at = (token.text, token.at + 1) if token else ("EOF", len(self.text) + 1)
        return JqlError(f"Error in the JQL Query: Expecting {expected} but got '{got}'. (line 1, character {at})")

    # -- grammar ---------------------------------------------------------------------------------
    def query(self) -> Query:
        where = None
        if self.peek() is not None and not (self.word("order") and self.word("by", offset=1)):
            where = self.disjunction()
        order = []
        if self.word("order"):
            self.take()
            if not self.word("by"):
                raise self.fail("'by'")
            self.take()
            while True:
                name = self.field_name()
                descending = False
                if self.word("asc", "desc"):
                    descending = self.take().text.lower() == "desc"
                order.append((name, descending))
                if self.peek() and self.peek().text == ",":
                    self.take()
                    continue
                break
        if self.peek() is not None:
            raise self.fail("either 'OR' or 'AND'" if where else "a field name")
        return Query(where, order)

    def disjunction(self):
        parts = [self.conjunction()]
        while self.word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def conjunction(self):
        parts = [self.negation()]
        while self.word("and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def negation(self):
        if self.word("not") and not self.word("in", offset=1):
            self.take()
            inner = self.negation()
            return lambda i: not inner(i)
        if self.peek() and self.peek().text == "(":
            self.take()
            inner = self.disjunction()
            if not (self.peek() and self.peek().text == ")"):
                raise self.fail("')'")
            self.take()
            return inner
        return self.clause()

    def field_name(self) -> str:
        token = self.take()
        name = token.text.strip("\"'").lower()
        if name not in FIELDS:
            raise JqlError(f"Field '{token.text.strip(chr(34))}' does not exist or you do not have permission to view it.")
        return FIELDS[name][0]

    def clause(self):
        raw = self.peek().text.strip("\"'").lower() if self.peek() else ""
        name = self.field_name()
        kind = FIELDS[raw][1]
        if self.word("in") or (self.word("not") and self.word("in", offset=1)):
            negate = self.take().text.lower() == "not"
            if negate:
                self.take()
            values = [self.value(token, kind) for token in self.value_list()]
            test = (lambda v: bool(set(v or []) & set(values))) if kind == "list" else (lambda v: v in values)
            return (lambda i: not test(self.get(i, name))) if negate else (lambda i: test(self.get(i, name)))
        token = self.peek()
        if token is None or token.kind != "op" or token.text == "~":
            raise self.fail("operator")
        op = self.take().text
        value = self.value(self.take(), kind)
        return _compare(name, kind, op, value, self.get)

    def value_list(self) -> list[Token]:
        if not (self.peek() and self.peek().text == "("):
            raise self.fail("'('")
        self.take()
        values = []
        while True:
            values.append(self.take())
            if self.peek() and self.peek().text == ",":
                self.take()
                continue
            if self.peek() and self.peek().text == ")":
                self.take()
                return values
            raise self.fail("')'")

    def value(self, token: Token, kind: str):
        if token.kind in ("op", "punct"):
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got '{token.text}'. (line 1, character {token.at + 1})")
        quoted = token.kind == "string"
        text = token.text[1:-1].replace('\\"', '"').replace("\\\\", "\\") if quoted else token.text
        if kind == "date":
            return self.date(text, quoted, token)
        if kind == "number":
            return int(text)
        return text.upper() if kind == "key" else text

    def date(self, text: str, quoted: bool, token: Token) -> datetime:
        if not quoted and re.fullmatch(r"-?\d+", text):
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=self.user_tz)
            except ValueError:
                continue
        raise JqlError(
            f"Date value '{text}' for field '{token.text}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )


def _compare(name: str, kind: str, op: str, value: Any, get: Getter):
    def test(issue) -> bool:
        actual = get(issue, name)
        if kind == "list":
            return (value in (actual or [])) == (op == "=")
        if op == "=":
            return actual == value
        if op == "!=":
            return actual != value
        if actual is None:
            return False
        return {">": actual > value, ">=": actual >= value, "<": actual < value, "<=": actual <= value}[op]

    return test


def parse(text: str, get: Getter, user_tz: tzinfo = UTC) -> Query:
    """Parse JQL against a getter `get(issue, canonical_field)`; raises JqlError as Jira would 400."""
    return _Parser(text, get, user_tz).query()
