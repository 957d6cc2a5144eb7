"""The Overview answers first: each signal's verdict this year, what to look at, and an
executive view that is only that. Driven in process with AppTest over the demo organisation."""
from __future__ import annotations

import re
from urllib.parse import parse_qs

from streamlit.testing.v1 import AppTest

from dashboard.analysis.verdict import RULE
from dashboard.metrics import SIGNALS
from tests.conftest import ENTRYPOINT, page_file

OVERVIEW = page_file("overview.py")
VERDICT = re.compile(r"^:(\w+)-badge\[([\w ]+)\] \*\*(.+?)\*\*")


def open_overview(**params: str) -> AppTest:
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(OVERVIEW).run()


def verdicts(at: AppTest) -> dict[str, tuple[str, str]]:
    """Signal heading -> (badge colour, verdict), from the lines the page drew."""
    found = {}
    for block in at.markdown:
        match = VERDICT.match(block.value)
        if match:
            found[match.group(3)] = (match.group(1), match.group(2))
    return found


def signal_heading(key: str) -> str:
    return f"{key} · {SIGNALS[key].question}" if key.startswith("S") else SIGNALS[key].question


def links(at: AppTest) -> list[tuple[str, dict[str, list[str]]]]:
    return [(link.proto.label, parse_qs(link.proto.query_string)) for link in at.get("page_link")]


def test_the_demo_verdicts_read_s1_s2_and_s4_improved_each_with_its_reason(demo_env):
    at = open_overview()
    assert not at.exception and not at.error
    found = verdicts(at)
    assert set(found) == {signal_heading(key) for key in SIGNALS}
    for key in ("S1", "S2", "S4"):
        assert found[signal_heading(key)] == ("green", "Improved"), key
    for colour, outcome in found.values():
        assert (colour == "green") == (outcome == "Improved") and (colour == "red") == (outcome == "Worsened")
    reasons = [block.value for block in at.markdown if VERDICT.match(block.value)]
    assert all("to date:" in text and "90% interval" in text and "n ≈" in text for text in reasons)
    assert any(header.proto.help == RULE for header in at.subheader)


def test_what_to_look_at_names_payments_release_slip_and_androids_check_ins_and_opens_each_on_bottlenecks(demo_env):
    at = open_overview()
    found = links(at)
    labels = [label for label, _ in found]
    assert any(label.startswith("Release") and "· Payments (group):" in label for label in labels), labels
    assert any(label.startswith("Check-ins delivered · Android") for label in labels), labels
    for label, query in found:
        assert query["focus"][0].count(":") == 2 and query["to"] == ["2026Q3"], (label, query)
    slip = next(query for label, query in found if "Payments" in label)
    landed = AppTest.from_file(str(ENTRYPOINT), default_timeout=120)
    for name, values in slip.items():
        landed.query_params[name] = values[0]
    landed.run()
    landed = landed.switch_page(page_file("bottlenecks.py")).run()
    assert landed.selectbox(key="bn_focus").value == slip["focus"][0]


def test_the_executive_view_is_the_verdicts_and_what_to_look_at_only(demo_env):
    at = open_overview(view="exec")
    assert not at.exception and not at.error
    assert len(verdicts(at)) == len(SIGNALS)
    assert len(at.get("plotly_chart")) == 0 and len(at.expander) == 0, "no cards, charts or annotations"
    assert len(at.get("page_link")) >= 2
    assert at.query_params["view"] == "exec"
    full = open_overview()
    assert len(full.get("plotly_chart")) > 0 and full.query_params["view"] == "full"


def impact_lines(at: AppTest) -> list[str]:
    """The lines under "What the milestones moved": a badge, then the milestone and its metric."""
    return [block.value for block in at.markdown if re.match(r"^:\w+-badge\[[\w ]+\] (?!\*\*)", block.value)]


def test_each_milestone_shows_what_it_moved_with_its_windows_interval_and_n(demo_env):
    """The demo's portal launch was meant to cut data requests (3.5 to 1.2 a PM a month in its
    story) and its release process to lift releases on time: the page finds both from the data."""
    at = open_overview()
    assert not at.exception and not at.error
    lines = impact_lines(at)
    portal = next(line for line in lines if "Self-serve insights portal launched: Ad-hoc data requests" in line)
    before, after = map(float, re.search(r"month (\d+\.\d+) to (\d+\.\d+)", portal).groups())
    assert portal.startswith(":green-badge[Improved]") and before > 3 > 2 > after, portal
    assert "6 months before (Aug 2025–Jan 2026) against 6 months after (Mar–Aug 2026)" in portal
    assert "90% interval" in portal and "n ≈" in portal and "Also inside the windows: " in portal
    assert any(line.startswith(":green-badge[Improved]") and "New release process: Releases on time" in line
               for line in lines), lines
    assert not any("Reorg" in line.split("·")[0] for line in lines), "an annotation without metrics has no impact"
    assert len(open_overview(view="exec").get("plotly_chart")) == 0


def test_an_annotation_names_the_metrics_it_should_move_and_gets_its_before_and_after(demo_copy, monkeypatch):
    from datetime import date

    monkeypatch.setenv("PRODOPS_DB", demo_copy)
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = open_overview()
    at.date_input(key="ann_date").set_value(date(2026, 10, 5))
    at.text_input(key="ann_label").input("Check-in template simplified")
    at.multiselect(key="ann_metrics").select("checkin_on_time_rate")
    next(b for b in at.button if b.label == "Add annotation").click().run()
    assert not at.exception and not at.error
    line = next(line for line in impact_lines(at) if "Check-in template simplified" in line)
    assert "Check-ins on time, too early to tell" in line and "0 months after (none yet)" in line, line
    assert line.startswith(":gray-badge[Too little data]")
