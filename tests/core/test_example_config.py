"""`prodops.example.toml` is the reference for every setting: each field of the Settings model is
set in it, with a value that parses, so the example can never fall behind the code."""
from __future__ import annotations

import tomllib
import types
import typing

from pydantic import BaseModel

from dashboard.core.config import Settings, load_settings
from tests.conftest import ROOT

EXAMPLE = ROOT / "prodops.example.toml"


def _models_in(annotation) -> tuple[type[BaseModel] | None, bool]:
    """The settings model an annotation holds, and whether it is keyed by a name of the user's."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if origin is dict:
        model, _ = _models_in(args[1])
        return model, model is not None
    if origin in (list, typing.Union, types.UnionType):
        for arg in args:
            model, keyed = _models_in(arg)
            if model:
                return model, keyed
    return None, False


def field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every field of `model`, recursively, as TOML key paths; `*` stands for a name the user picks."""
    paths = set()
    for name, info in model.model_fields.items():
        path = (*prefix, info.alias or name)
        paths.add(path)
        inner, keyed = _models_in(info.annotation)
        if inner:
            paths |= field_paths(inner, path + (("*",) if keyed else ()))
    return paths


def set_paths(model: type[BaseModel], data: dict, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The key paths `data` (parsed TOML) sets, named as `field_paths` names them."""
    paths = set()
    for key, value in data.items():
        info = next(i for n, i in model.model_fields.items() if (i.alias or n) == key)
        path = (*prefix, key)
        paths.add(path)
        inner, keyed = _models_in(info.annotation)
        if not inner:
            continue
        entries = list(value.values()) if keyed else value if isinstance(value, list) else [value]
        for entry in entries:
            paths |= set_paths(inner, entry, path + (("*",) if keyed else ()))
    return paths


def test_the_example_parses():
    settings = load_settings(EXAMPLE)
    assert settings.jira is not None and settings.calendar.ics and settings.calendar.google and settings.calendar.graph


def test_every_settings_field_is_set_in_the_example():
    shown = set_paths(Settings, tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    missing = sorted(".".join(path) for path in field_paths(Settings) - shown)
    assert missing == [], "show these fields in prodops.example.toml"


def test_the_walk_sees_nested_and_named_sections():
    paths = field_paths(Settings)
    assert {("jira", "data_request", "labels"), ("calendar", "ics", "owner"), ("surveys", "*", "questions", "*", "construct"),
            ("targets", "*", "tolerance"), ("checkins", "form", "date_order")} <= paths
