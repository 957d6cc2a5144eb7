from __future__ import annotations

import pytest

from dashboard.core.config import ConfigError, load_settings


def write(tmp_path, text):
    path = tmp_path / "prodops.toml"
    path.write_text(text)
    return path


def test_defaults_stand_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    settings = load_settings()
    assert settings.org_timezone == "UTC" and settings.privacy.min_group_size == 5
    assert settings.working_hours.hours_per_day == 8


def test_the_committed_example_is_valid():
    from tests.conftest import ROOT

    settings = load_settings(ROOT / "prodops.example.toml")
    assert settings.targets["pm_overhead_share"].target == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('org_timezone = "Mars/Olympus"', "org_timezone"),
        ("[privacy]\nmin_group_size = 2", "privacy.min_group_size"),
        ("[working_hours]\nstart = 18:00:00\nend = 09:00:00", "working_hours"),
        ("[targets.pm_overhead_share]\ntolerance = 0.1", "targets.pm_overhead_share.target"),
        ("week_strat = \"monday\"", "week_strat"),
    ],
)
def test_a_wrong_field_is_one_error_naming_the_field_and_the_file(tmp_path, text, field):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert str(path) in str(error.value) and f"'{field}'" in str(error.value)


def test_broken_toml_and_missing_named_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "org_timezone = "))
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_database_location_env_beats_config(tmp_path, monkeypatch):
    settings = load_settings(write(tmp_path, 'database = "elsewhere.duckdb"'))
    monkeypatch.delenv("PRODOPS_DB", raising=False)
    assert settings.database_url() == "elsewhere.duckdb"
    monkeypatch.setenv("PRODOPS_DB", "/tmp/x.duckdb")
    assert settings.database_url() == "/tmp/x.duckdb"
