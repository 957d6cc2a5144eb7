"""Roster and survey files uploaded on the Data page: what they would load, before anything is written.

A preview reads the file with the same connector the command line's `load` uses and stops
short of the store; loading is then the connector's own load, so the page and the command line
cannot disagree about a file.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.roster import Roster, RosterError, load_roster, parse_roster
from connectors.survey import Export, SurveyFormatError, SurveyImportError, load_wave, prepare, read_text
from dashboard.core.config import Settings
from dashboard.core.store import Store


@dataclass(frozen=True)
class Preview:
    """What a file would load: counts to show, problems one per line, and the parsed file to load."""

    counts: dict[str, int]
    problems: list[str]
    parsed: Roster | Export | None

    @property
    def loadable(self) -> bool:
        return self.parsed is not None


def roster_preview(data: bytes, name: str) -> Preview:
    try:
        roster = parse_roster(data.decode("utf-8-sig"), name)
    except (RosterError, UnicodeDecodeError) as error:
        return Preview({}, [str(error)], None)
    people = roster.people
    counts = {"people": len(people), "PMs": sum(p.role == "pm" for p in people),
              "teams": len({p.team_id for p in people if p.team_id}), "rows left out": len({i.row for i in roster.issues if i.row})}
    return Preview(counts, [str(issue) for issue in roster.issues], roster if people else None)


def load_roster_file(store: Store, preview: Preview, settings: Settings, today: date) -> str:
    report = load_roster(store, preview.parsed, as_of=today, settings=settings)
    return f"Roster loaded: {report.people} people; joined {len(report.joined)}, moved {len(report.moved)}, left {len(report.left)}."


def survey_preview(store: Store, data: bytes, name: str, survey: str, wave: str, settings: Settings) -> Preview:
    try:
        export = read_text(data.decode("utf-8-sig"), name)
        batch = prepare(store, export, survey=survey, wave=wave, settings=settings)
    except (SurveyFormatError, SurveyImportError, UnicodeDecodeError) as error:
        return Preview({}, [str(error)], None)
    counts = {"responses": int(batch.answers["response_id"].nunique()), "answers": len(batch.answers),
              "excluded": batch.excluded, "unmatched teams": int(batch.unmatched["responses"].sum())}
    return Preview(counts, [str(issue) for issue in batch.issues], None if batch.fatal else export)


def load_survey_file(store: Store, preview: Preview, survey: str, wave: str, settings: Settings) -> str:
    report = load_wave(store, preview.parsed, survey=survey, wave=wave, settings=settings)
    state = "unchanged" if report.unchanged else "loaded"
    return f"Survey wave {wave} of {survey} {state}: {report.responses} responses."
