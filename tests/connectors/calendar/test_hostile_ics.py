"""Hostile ICS input: runaway series, huge files, junk. Each calendar is quarantined with an error
that says what is wrong (or, when harmless, cut to the window), the person's last good rows
stay, the other calendars sync, and nothing hangs or fills memory."""
from __future__ import annotations

import random
import re
import string

import pytest

from connectors.calendar import sync_calendars
from tests.connectors.calendar.test_calendar_ics import WEEKLY, calendar
from tests.connectors.calendar.test_calendar_sync import TODAY, events, seed_roster, settings, write
from tests.fakes.ics_feed import IcsFeedFake

PM, PM2 = "pm@example.com", "pm2@example.com"


def series(rule: str, start: str = "20260301T090000Z") -> str:
    return calendar(f"UID:runaway-1\nSUMMARY:Runaway\nDTSTART:{start}\nDURATION:PT30M\nRRULE:{rule}")


@pytest.fixture()
def folder(tmp_path, store):
    """Two PMs' exports, synced once: PM's rows are the last good ones a hostile file must not lose."""
    seed_roster(store)
    exports = tmp_path / "exports"
    write(exports, f"{PM}.ics", calendar(WEEKLY))
    write(exports, f"{PM2}.ics", calendar(WEEKLY.replace(PM, PM2)))
    assert sync_calendars(store, settings(ics=[{"location": str(exports)}]), today=TODAY).status == "success"
    return exports


def sync_hostile(store, folder, **calendar_settings):
    """Sync the folder again; PM's file is hostile by now. Returns PM's quarantine error."""
    before = events(store)
    result = sync_calendars(store, settings(ics=[{"location": str(folder)}], **calendar_settings), today=TODAY)
    assert result.status == "partial" and [q.where for q in result.quarantined] == [str(folder / f"{PM}.ics")]
    after = events(store)
    assert after.equals(before), "the quarantined person's last good rows and the others' rows stay as they were"
    runs = store.table("sync_runs")
    assert (runs.loc[runs["status"] == "quarantined", "error"] == f"{folder / f'{PM}.ics'}: {result.quarantined[0].error}").any()
    return result.quarantined[0].error


@pytest.mark.parametrize(("rule", "start", "message"), [
    ("FREQ=HOURLY;COUNT=1000000", "20260301T090000Z",
     r"^event 'runaway-1' has more than 1,000 occurrences in the sync window \(limit: \[calendar\]\.max_series_occurrences\)$"),
    ("FREQ=MINUTELY;COUNT=1000000", "20260301T090000Z", r"^event 'runaway-1' repeats minutely: not a meeting series"),
    ("FREQ=SECONDLY", "20000101T000000Z", r"^event 'runaway-1' repeats secondly: not a meeting series"),
], ids=["hourly million", "minutely million", "secondly for ever since 2000"])
def test_a_runaway_series_is_quarantined_before_it_is_expanded_whole(store, folder, rule, start, message):
    write(folder, f"{PM}.ics", series(rule, start))
    assert re.search(message, sync_hostile(store, folder, max_series_occurrences=1000))


def test_a_million_occurrence_daily_series_is_cut_to_the_window(store, folder):
    write(folder, f"{PM}.ics", series("FREQ=DAILY;COUNT=1000000", start="20200106T090000Z"))
    result = sync_calendars(store, settings(ics=[{"location": str(folder)}]), today=TODAY)
    assert result.status == "success"
    rows = events(store)
    mine = rows[rows["person_id"] == "p1"]
    assert len(mine) == mine["start_utc"].dt.normalize().nunique() and 60 <= len(mine) <= 60 + 14


def test_a_100_mb_file_is_refused_unread_with_its_size(store, folder):
    with open(folder / f"{PM}.ics", "wb") as huge:
        huge.truncate(100 * 2**20)  # sparse: a 100 MB file that costs no disk and no time to make
    error = sync_hostile(store, folder)
    assert error == "too large: 100.0 MB, over the limit of 20 MB ([calendar].max_ics_megabytes)"


def test_a_feed_over_the_limit_is_abandoned_while_it_streams(store, folder):
    with IcsFeedFake() as feeds:
        feeds.calendars["pm"] = calendar(*[WEEKLY.replace("weekly-1", f"weekly-{n}") for n in range(6000)]).encode()
        assert len(feeds.calendars["pm"]) > 2**20
        config = settings(ics=[{"location": feeds.feed("pm"), "owner": PM}], max_ics_megabytes=1)
        result = sync_calendars(store, config, today=TODAY)
    assert result.status == "failed"
    assert result.quarantined[0].error.startswith("too large: ") and "over the limit of 1 MB" in result.quarantined[0].error


@pytest.mark.parametrize(("junk", "message"), [
    (lambda: b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"BEGIN:VEVENT\r\n" * 20000 + b"END:VEVENT\r\n" * 20000 + b"END:VCALENDAR\r\n",
     r"components nested more than 4 deep, deeper than any calendar nests them"),
    (lambda: random.Random(1).randbytes(200_000), r"not a calendar: not a text file: it holds binary data \(a NUL byte at position \d+\)"),
    (lambda: "".join(random.Random(2).choices(string.printable, k=200_000)).encode(), None),
    (lambda: (calendar(WEEKLY)[:-30]).encode(), r"no complete VCALENDAR in the text \(cut short, or not a calendar\)"),
], ids=["deeply nested", "binary", "printable junk", "cut short"])
def test_junk_is_quarantined_with_a_short_printable_error(store, folder, junk, message):
    (folder / f"{PM}.ics").write_bytes(junk())
    error = sync_hostile(store, folder)
    if message is not None:
        assert re.fullmatch(message, error), error
    else:
        assert error.startswith("cannot parse: ")
    assert len(error) < 250 and error.isprintable()


def test_the_limits_are_settings_with_clear_errors():
    from dashboard.core.config import ConfigError, parse_settings

    with pytest.raises(ConfigError, match="max_ics_megabytes"):
        parse_settings({"calendar": {"max_ics_megabytes": "lots"}})
    assert parse_settings({"calendar": {"max_series_occurrences": 800}}).calendar.max_series_occurrences == 800


def test_the_rules_preview_applies_the_same_limits_to_an_uploaded_file():
    from connectors.calendar import IcsError
    from dashboard.analysis.rule_hits import file_rule_hits

    config = settings(max_ics_megabytes=1)
    with pytest.raises(IcsError, match=r"^too large: 2\.0 MB, over the limit of 1 MB"):
        file_rule_hits(b" " * (2 * 2**20), config)
    with pytest.raises(IcsError, match="repeats minutely"):
        file_rule_hits(series("FREQ=MINUTELY;COUNT=1000000"), config, window=None)
    with pytest.raises(IcsError, match="binary data"):
        file_rule_hits(random.Random(3).randbytes(5000), config)


def test_a_line_the_parser_skips_inside_an_event_is_a_warning_naming_the_file_and_line(store, folder):
    skipped = WEEKLY.replace("SUMMARY:Team sync", "SUMMARY;Team sync without a colon\n a folded rest of it")
    text = calendar(skipped)
    write(folder, f"{PM}.ics", text)
    number = text.split("\r\n").index("SUMMARY;Team sync without a colon") + 1

    result = sync_calendars(store, settings(ics=[{"location": str(folder)}]), today=TODAY)

    assert result.status == "success"
    assert result.warnings == [f"{folder / f'{PM}.ics'} line {number}: skipped, not a calendar line the parser can read"]
    assert "Team sync" not in " ".join(result.warnings)


def test_a_calendar_the_parser_reads_whole_has_no_warnings(store, folder):
    assert sync_calendars(store, settings(ics=[{"location": str(folder)}]), today=TODAY).warnings == []
