from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from dashboard.config import Settings
from dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DEMO_TODAY = date(2026, 11, 26)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """One demo organisation for the whole session, as of a fixed day so results never drift."""
    from dashboard.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "prodops.duckdb"
    build_demo(Store(path), Settings(), today=DEMO_TODAY)
    return path


@pytest.fixture()
def demo_env(demo_db, monkeypatch) -> Path:
    """Point the app and the CLI at the session's demo database."""
    monkeypatch.setenv("PRODOPS_DB", str(demo_db))
    monkeypatch.setenv("PRODOPS_TODAY", DEMO_TODAY.isoformat())
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    return demo_db


@pytest.fixture()
def store(tmp_path) -> Store:
    return Store(tmp_path / "test.duckdb")
