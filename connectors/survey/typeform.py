"""Typeform: the responses CSV download, and JSON from the Responses API or a webhook.

The JSON shapes: a Responses API page `{"total_items", "page_count", "items": [...]}`, a bare
list of items, or a webhook payload `{"event_type": "form_response", "form_response": {...}}`
(or a list of them). Every item has `answers[]`, each with `field {id, ref, type}` and one
typed value (`number`, `choice.label`, `choices.labels`, `boolean`, `text`, `email`, ...).
Answers are keyed by `field.ref`, which the form owner sets and which survives renames; the
field id and the title (from a webhook's `definition`) are aliases. Hidden fields become
columns `hidden.<name>`. The CSV has one column per question title plus `#`, `Start Date (UTC)`,
`Submit Date (UTC)` and `Network ID`; its times are UTC.
"""
from __future__ import annotations

import json

from connectors.survey.export import Column, Export, Response, SurveyFormatError
from connectors.survey.flat import read_flat
from dashboard.core.file_limits import excerpt

TOOL = "typeform"
CSV_METADATA = {"#", "start date (utc)", "submit date (utc)", "stage date (utc)", "network id", "tags", "response type"}


def matches(records: list[list[str]]) -> bool:
    header = {h.strip().lower() for h in records[0]} if records else set()
    return "submit date (utc)" in header


def read(records: list[list[str]], name: str) -> Export:
    return read_flat(TOOL, name, records, is_metadata=lambda h: h.lower() in CSV_METADATA, submitted="Submit Date (UTC)",
                     key="#", time_zone="UTC")


def _items(document: object, name: str) -> list[dict]:
    if isinstance(document, dict) and "items" in document:
        document = document["items"]
    elif isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise SurveyFormatError(f"{name}: not a Typeform responses page, item list or webhook payload")
    items = []
    for entry in document:
        if isinstance(entry, dict) and "form_response" in entry:
            entry = entry["form_response"]
        if not isinstance(entry, dict) or "answers" not in entry:
            raise SurveyFormatError(f"{name}: item {len(items) + 1} has no answers (not a Typeform response)")
        items.append(entry)
    return items


def _value(answer: dict) -> object:
    """The answer's value; anything the respondent typed or that is personal (text, email, phone,
    url, file, payment, date) becomes just its type, so a mapping that points at one gets an
    error that never repeats the content."""
    kind = answer.get("type")
    if kind == "number":
        return answer.get("number")
    if kind == "boolean":
        return answer.get("boolean")
    if kind == "choice":
        choice = answer.get("choice") or {}
        return choice.get("label", "(other: text)")
    if kind == "choices":
        choices = answer.get("choices") or {}
        return list(choices.get("labels") or []) + (["(other: text)"] if "other" in choices else [])
    return f"({kind})"  # text, email, phone number, url, file, payment, date: never passed on


def _field_key(field: dict) -> str:
    return str(field.get("ref") or field.get("id"))


def _text(value: object) -> str | None:
    """A name from the JSON as text (a hostile file may give a number or a list where a string belongs)."""
    return None if value in (None, "") else str(value)


def read_json(text: str, name: str) -> Export:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SurveyFormatError(f"{name}: not valid JSON ({error})") from None
    except RecursionError:
        raise SurveyFormatError(f"{name}: not a Typeform export: JSON nested too deeply to read") from None
    items = _items(document, name)
    columns: dict[str, Column] = {}
    responses = []
    number = 0
    try:
        for number, item in enumerate(items, start=1):  # noqa: B007
            _defined_columns(item, columns)
        for number, item in enumerate(items, start=1):
            responses.append(_response(item, number, columns, name))
    except (AttributeError, TypeError) as error:
        # Any value of an unexpected type at any depth (a number where an answer's field
        # should be, a list for `hidden`, ...) is the file's fault, named by its item.
        raise SurveyFormatError(f"{name}: item {number} is not shaped like a Typeform response "
                                f"({excerpt(str(error), 80)})") from None
    return Export(TOOL, name, tuple(columns.values()), tuple(responses), "submitted_at", "UTC", row_word="item")


def _defined_columns(item: dict, columns: dict[str, Column]) -> None:
    """The questions a webhook item's `definition` declares, added to `columns` (before any answer names one)."""
    for field in (item.get("definition") or {}).get("fields", []):
        key, title = _field_key(field), _text(field.get("title"))
        columns.setdefault(key, Column(key, title or key, tuple(a for a in (_text(field.get("id")), title) if a and a != key)))


def _response(item: dict, number: int, columns: dict[str, Column], name: str) -> Response:
    """One item's response; the fields its answers and hidden fields name are added to `columns`."""
    answers: dict[str, object] = {}
    for answer in item.get("answers") or []:
        field = answer.get("field") or {}
        key = _field_key(field)
        columns.setdefault(key, Column(key, key, tuple(a for a in (_text(field.get("id")),) if a and a != key)))
        answers[key] = _value(answer)
    for hidden, value in (item.get("hidden") or {}).items():
        key = f"hidden.{hidden}"
        columns.setdefault(key, Column(key, hidden, (hidden,), question=False))
        if value not in (None, ""):
            answers[key] = value
    response_key = item.get("response_id") or item.get("token") or item.get("landing_id")
    if not response_key:
        raise SurveyFormatError(f"{name}: item {number} has no response_id or token")
    return Response(row=number, key=str(response_key), submitted=item.get("submitted_at") or "", answers=answers)
