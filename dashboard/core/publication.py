"""The publication ledger: what every version of the data published about people, and what the
next version may add.

One version of the data is protected by `dashboard.core.privacy`: nothing under the minimum can be
worked out from that version's figures. But readers see one version after another. Reload a
survey wave after one late response and a group's score moves from 71.43 (n=14) to 68.33
(n=15): the difference is that one person's answer. So the figures about people are published
through a ledger, and a figure changes only when the change itself is safe.

The ledger keeps every **record version** (a PM-week or a response, with its cells and values)
with the versions it was valid in: a record that changes is closed and a new version of it
opened, so the old values stay the variables of the figures published from them. It keeps
every **published cell version** (a figure as a version published it). An attacker who kept
every version knows, for each published cell version, the sum of the record versions valid
then. Two record versions that lie in the same published cell versions cannot be told apart,
and the published cell versions of one cell that a record version lies in are a run of that
cell's publications (its validity is a run of versions): so each record version's place in
what was published is, per slot, its cell and the first and last publication of that cell
while it was valid. These are the `fixed` cells of `dashboard.core.privacy.protect`; the cells this
version may publish again are the candidates. A candidate the rules hide is **held**: readers
keep seeing the value it last published, which tells them nothing new. Hiding every candidate
always leaves what earlier versions told, so a safe choice always exists. What they told is not
always all one would wish: a cell shown over k whose records all lie at the floor tells each of
them, and when some of those records later form a cell under k, its bound was given before the
cell existed. The decision leaves such a bound as it was and never narrows it further.

Only cells a changed record lies in are candidates: a cell whose records did not change has
nothing new to say.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.core.privacy import PROTECTION_SHARE, Cell, Interval, protect

CELLS_TABLE = "privacy_cells"
RECORD_COLUMNS = ["family", "record_id", "valid_from", "valid_to", "unit", "part", "cells", "values"]
CELL_COLUMNS = ["family", "measure", "slot", "cell", "version", "value", "n"]


@dataclass(frozen=True)
class Family:
    """Figures about one kind of record, decided together: the calendar's PM-weeks, or the
    respondents of one survey construct."""

    name: str
    slots: tuple[str, ...]
    """Every way of cutting the records into cells a reader can pick (grain x level x role)."""
    guarded: dict[str, tuple[str, ...]]
    """Each measure that has its own decision and protection interval, with the measures published
    on the same cells (a survey's favourable share beside its score)."""
    high: dict[str, float]
    """The highest value one record can take, per guarded measure (the lowest is 0)."""
    k: int
    weight: Callable[[Cell], float] | None = field(default=None, compare=False)
    totals: bool = False
    """Publish each cell's sum rather than its mean: the same knowledge to a reader who knows how many
    records a cell holds (the auditor's assumption), for counts whose records are not one per person."""

    @property
    def measures(self) -> list[str]:
        return [m for shared in self.guarded.values() for m in shared]


@dataclass(frozen=True)
class Advance:
    """What one version adds to the ledger."""

    version: int
    closed: pd.DataFrame
    """(record_id, valid_from) of the record versions this version ends."""
    opened: pd.DataFrame
    """New record versions, as ledger rows (`RECORD_COLUMNS`)."""
    published: pd.DataFrame
    """New cell versions (`CELL_COLUMNS`)."""

    @property
    def empty(self) -> bool:
        return self.closed.empty and self.opened.empty


def encode(family: Family, records: pd.DataFrame, version: int) -> pd.DataFrame:
    """Records (record_id, unit, part, a column per slot and per measure) as ledger rows."""
    return pd.DataFrame({
        "family": family.name,
        "record_id": _texts(records["record_id"].astype(str)),
        "valid_from": version,
        "valid_to": pd.array([None] * len(records), dtype="Int64"),
        "unit": _texts(records["unit"].astype(str)),
        "part": _texts(records["part"].astype(str)),
        "cells": _json_lists([records[slot] for slot in family.slots]),
        "values": _json_lists([records[m].astype(float) for m in family.measures]),
    })


def _texts(column: pd.Series) -> pd.Series:
    return pd.Series(column.to_numpy(dtype=object), dtype=object)


def _json_lists(columns: list[pd.Series]) -> pd.Series:
    """Per row, the JSON list of the columns' values, as `json.dumps` writes it (missing is null).

    A ledger row is compared with the one before it as text, so the text must be exactly what
    earlier versions stored.
    """
    joined = _joined(columns, ", ", lambda uniques: [json.dumps(value) for value in uniques.tolist()], "null")
    return pd.Series("[" + joined + "]", dtype=object)


def _joined(parts: list[pd.Series | str], separator: str, write: Callable[[pd.Index], list[str]], missing: str) -> np.ndarray:
    """Per row, the parts as text joined by `separator`: a column's distinct values are written once
    each (`write`, `missing` for a missing one), a constant is taken as it is. On pandas' Arrow
    strings, or one `json.dumps` per row, a large organisation's records took seconds."""
    joined = None
    for part in parts:
        if isinstance(part, pd.Series):
            codes, uniques = pd.factorize(part, use_na_sentinel=True)
            part = np.array([*write(pd.Index(uniques)), missing], dtype=object)[codes]
        joined = part if joined is None else joined + separator + part
    return joined


def decode(family: Family, rows: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows back as records, with their validity."""
    cells = pd.DataFrame([json.loads(c) for c in rows["cells"]], columns=list(family.slots), index=rows.index)
    values = pd.DataFrame([json.loads(v) for v in rows["values"]], columns=family.measures, index=rows.index, dtype=float)
    head = rows[["record_id", "valid_from", "valid_to", "unit", "part"]].copy()
    head["valid_from"] = head["valid_from"].astype(int)
    head["valid_to"] = head["valid_to"].astype("Int64")
    return pd.concat([head, cells, values], axis=1)


def next_version(ledger: pd.DataFrame) -> int:
    """One more than any version the ledger's record versions name."""
    if ledger.empty:
        return 1
    return int(max(ledger["valid_from"].max(), ledger["valid_to"].max() if ledger["valid_to"].notna().any() else 0)) + 1


def advance(family: Family, records: pd.DataFrame, ledger: pd.DataFrame, published: pd.DataFrame, version: int
            ) -> Advance:
    """Version `version`: the records that changed since the ledger's open record versions, and
    the cells that may publish anew. `ledger` and `published` hold this family's rows, of the
    parts (quarters) `records` covers: a part outside them is neither read nor changed.

    Records and ledger are taken in key order, so the decisions depend on their content only,
    never on the order a store returns rows in.
    """
    records = records.sort_values("record_id", kind="stable", ignore_index=True)
    ledger = ledger.sort_values(["record_id", "valid_from"], kind="stable", ignore_index=True)
    published = published.sort_values(["measure", "slot", "cell", "version"], kind="stable", ignore_index=True)
    now = encode(family, records, version)
    current = ledger[ledger["valid_to"].isna()]
    signature = ["unit", "part", "cells", "values"]
    both = current[["record_id", *signature]].merge(now[["record_id", *signature]], on="record_id", suffixes=("_was", "_is"))
    equal = np.logical_and.reduce([both[f"{c}_was"].to_numpy(dtype=object) == both[f"{c}_is"].to_numpy(dtype=object)
                                   for c in signature]) if len(both) else np.zeros(0, dtype=bool)
    same = set(both.loc[equal, "record_id"])
    closing = current[~_within(current["record_id"], same)]
    opening = now[~_within(now["record_id"], same)]
    closed = closing[["record_id", "valid_from"]].reset_index(drop=True)
    if closing.empty and opening.empty:
        return Advance(version, closed, opening, pd.DataFrame(columns=CELL_COLUMNS))
    history = ledger.copy()
    ends = history["record_id"].isin(closing["record_id"]) & history["valid_to"].isna()
    history.loc[ends, "valid_to"] = version
    atoms = decode(family, pd.concat([history, opening], ignore_index=True))
    changed = decode(family, pd.concat([closing, opening], ignore_index=True))
    frames = []
    for part, mine in atoms.groupby("part", sort=True):
        moved = changed[changed["part"] == part]
        if moved.empty:
            continue
        frames.append(_publish(family, mine.reset_index(drop=True), moved, published, version))
    fresh = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CELL_COLUMNS)
    return Advance(version, closed, opening.reset_index(drop=True), fresh)


def _within(column: pd.Series, wanted: set) -> np.ndarray:
    return np.fromiter((value in wanted for value in column.to_numpy(dtype=object)), dtype=bool, count=len(column))


def _old_keys(family: Family, atoms: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Per record version and slot, where it lies in what earlier versions published: its cell
    and the first and last publication of that cell while it was valid (None when none)."""
    out = pd.DataFrame({f"old|{slot}": np.full(len(atoms), None, dtype=object) for slot in family.slots}, index=atoms.index)
    if published.empty:
        return out
    for slot in family.slots:
        versions = published[published["slot"] == slot][["cell", "version"]]
        if versions.empty:
            continue
        long = pd.DataFrame({"atom": atoms.index, "cell": atoms[slot], "start": atoms["valid_from"],
                             "end": atoms["valid_to"].fillna(np.iinfo(np.int64).max).astype(np.int64)}).dropna(subset=["cell"])
        joined = long.merge(versions, on="cell")
        joined = joined[(joined["version"] >= joined["start"]) & (joined["version"] < joined["end"])]
        if joined.empty:
            continue
        span = joined.groupby("atom").agg(cell=("cell", "first"), first=("version", "min"), last=("version", "max"))
        out.loc[span.index, f"old|{slot}"] = span["cell"] + "@" + span["first"].astype(str) + "-" + span["last"].astype(str)
    return out


def _watch(family: Family, atoms: pd.DataFrame, keys: dict[str, np.ndarray], version: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Every cell under k of every version the part's records changed at, and of this one, as
    (group, atom position) pairs: what this version's figures must not narrow down either."""
    start = atoms["valid_from"].to_numpy(dtype=np.int64)
    end = atoms["valid_to"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    moments = sorted({*start.tolist(), *end[np.isfinite(end)].astype(int).tolist(), version})
    units = pd.factorize(atoms["unit"].to_numpy(dtype=object))[0]
    people = int(units.max()) + 1 if len(units) else 1
    seen: dict[tuple, int] = {}
    groups, members = [], []
    for moment in moments:
        alive = np.flatnonzero((start <= moment) & (end > moment))
        for slot in family.slots:
            codes = pd.factorize(keys[slot][alive], use_na_sentinel=True)[0]
            present = codes >= 0
            cells, atoms_in = codes[present], alive[present]
            if not len(cells):
                continue
            pairs = np.unique(cells * people + units[atoms_in])
            small = np.flatnonzero(np.bincount(pairs // people, minlength=cells.max() + 1) < family.k)
            watched = np.isin(cells, small)
            order = np.argsort(cells[watched], kind="stable")
            split = np.split(atoms_in[watched][order], np.flatnonzero(np.diff(cells[watched][order])) + 1)
            for together in map(tuple, split):
                if together and together not in seen:
                    seen[together] = len(seen)
                    groups += [seen[together]] * len(together)
                    members += list(together)
    return np.array(groups, dtype=np.int64), np.array(members, dtype=np.int64)


def _publish(family: Family, atoms: pd.DataFrame, changed: pd.DataFrame, published: pd.DataFrame, version: int
             ) -> pd.DataFrame:
    """The cells of one part (a quarter) that this version publishes, per guarded measure."""
    valid = atoms["valid_to"].isna().to_numpy()
    keys = {slot: atoms[slot].to_numpy(dtype=object) for slot in family.slots}
    watch = _watch(family, atoms, keys, version)
    base = pd.DataFrame({"unit": atoms["unit"].to_numpy(dtype=object), "size": 1}, index=atoms.index)
    for slot in family.slots:
        candidates = set(changed[slot].dropna())
        chosen = valid & np.fromiter((key in candidates for key in keys[slot]), dtype=bool, count=len(atoms))
        base[f"new|{slot}"] = np.where(chosen, keys[slot], None)
    slots = [f"old|{s}" for s in family.slots] + [f"new|{s}" for s in family.slots]
    weight = None if family.weight is None else (lambda c: family.weight((c[0].split("|", 1)[1], c[1])))
    rows = []
    for guarded, shared in family.guarded.items():
        frame = pd.concat([_old_keys(family, atoms, published[published["measure"] == guarded]), base], axis=1)
        fixed = frozenset((s, key) for s in slots[:len(family.slots)] for key in frame[s].dropna().unique())
        values = atoms[[guarded]].to_numpy(dtype=float)
        interval = Interval(values=np.nan_to_num(values), counts=(~np.isnan(values)).astype(float), low=np.zeros(1),
                            high=np.array([family.high[guarded]]), share=PROTECTION_SHARE)
        decision = protect(frame, slots, family.k, unit="unit", interval=interval, fixed=fixed, weight=weight,
                           watch=watch)
        for slot in family.slots:
            new = f"new|{slot}"
            shown = {key for key in frame[new].dropna().unique() if (new, key) not in decision.hidden}
            picked = valid & np.fromiter((key in shown for key in keys[slot]), dtype=bool, count=len(atoms))
            if not picked.any():
                continue
            members = pd.DataFrame({"cell": keys[slot][picked], "unit": base["unit"].to_numpy()[picked],
                                    **{m: atoms[m].to_numpy(dtype=float)[picked] for m in shared}})
            grouped = members.groupby("cell", sort=True)
            n = grouped["unit"].nunique()
            means = grouped[list(shared)].sum() if family.totals else grouped[list(shared)].mean()
            rows += [pd.DataFrame({"family": family.name, "measure": m, "slot": slot, "cell": n.index.astype(str),
                                   "version": version, "value": means[m].to_numpy(dtype=float), "n": n.to_numpy()})
                     for m in shared]
    return pd.concat(rows, ignore_index=True)[CELL_COLUMNS] if rows else pd.DataFrame(columns=CELL_COLUMNS)


def cell_keys(parts: list[pd.Series | str], known: pd.Series) -> pd.Series:
    """Cell keys ("2026-04-01|Payments|pm") joined from columns and constants, None where `known`
    is false."""
    joined = _joined(parts, "|", lambda uniques: uniques.astype(str).tolist(), "")
    return pd.Series(np.where(known.to_numpy(dtype=bool), joined, None), index=known.index, dtype=object)


def latest(published: pd.DataFrame, measure: str, slot: str) -> pd.DataFrame:
    """Each cell's last published version of `measure` in `slot`: what readers see now."""
    mine = published[(published["measure"] == measure) & (published["slot"] == slot)]
    last = mine.sort_values("version").drop_duplicates("cell", keep="last")
    return pd.DataFrame({"cell": last["cell"].astype(str).to_numpy(), "value": last["value"].to_numpy(dtype=float),
                         "n": last["n"].astype("Int64").to_numpy(), "version": last["version"].to_numpy(dtype=np.int64)})


def published_cells(tables: dict[str, pd.DataFrame], name: str, first: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """What readers see of family `name`: the ledger's cell versions, or `first()` (what a first
    version would publish) for data no ledger has published yet: a store written before the
    ledger, or tables made by hand."""
    ledger = tables.get(CELLS_TABLE)
    if ledger is not None and (ledger["family"] == name).any():
        return ledger[ledger["family"] == name]
    return first()


def first_publication(family: Family, records: pd.DataFrame) -> pd.DataFrame:
    """What a first version would publish: the figures of data no ledger has seen yet."""
    empty = pd.DataFrame(columns=RECORD_COLUMNS)
    return advance(family, records, empty, pd.DataFrame(columns=CELL_COLUMNS), 1).published
