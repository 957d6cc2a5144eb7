"""Minimum group size and complementary suppression, so that no one can work out who said what.

Hiding every number that stands on fewer than k people is not enough: a team of two that is
hidden can be recovered as its group minus its shown sibling teams, and the operations people
(who belong to no product team) as the organisation minus its groups. This module decides which
numbers may be shown so that nothing under k can be derived from the shown ones by adding and
subtracting, across every view a user can pick.

The model, in the terms the functions use:

- an **atom** is the finest set of respondents any view can tell apart (for surveys: one wave,
  one role, one team or none). Its `size` is how many respondents it holds.
- a **cell** is one number a user can see, a union of atoms: "2026Q1, group Payments, PMs".
  Cells are laid out in **slots** (for surveys: grain x level x role filter); an atom lies in
  at most one cell per slot, named by the atom's value in that slot's column (None: in none).
- everything derivable from the shown cells is a sum of shown cells with +/- weights. Two atoms
  that lie in exactly the same shown cells can never be told apart by such sums, so the finest
  thing anyone can work out is a **class**: the atoms that share one pattern of shown cells.
  (In a plain hierarchy a class is a shown cell minus its shown sub-cells: the subtraction.)

The rule: **every class is empty or holds at least k respondents.** A shown cell under k is
a class under k by itself, so the rule includes the minimum group size.

The algorithm is greedy. Hide every cell under k; then while some class is under k, take the
smallest one and either merge it with another class (hide the cells in which their patterns
differ: the cheapest such merge is usually "the next smallest sibling") or hide every cell that
holds it, whichever hides fewer respondents' worth of cells. Hiding only ever merges classes,
so a class that was safe stays safe, and every step hides at least one more cell, so it ends.
The result is safe whatever the heuristic picks; the heuristic only decides how much is lost.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Cell = tuple[str, Hashable]  # (slot, the cell's key within the slot)
Reason = Literal["shown", "too_few", "protects_another", "empty"]

MIN_ALLOWED = 3  # the floor the configuration enforces; below it nothing is anonymous
PROTECTION_SHARE = 0.10
"""The protection interval: an attacker may not bound a hidden cell under the minimum to less
than this share of its measure's range (a tenth of a 0-100 score, of a share, of a week's hours)."""


@dataclass(frozen=True)
class Suppression:
    """Which cells may be shown, and why the others are not."""

    k: int
    n: dict[Cell, int]
    hidden: frozenset[Cell]

    def shown(self, cell: Cell) -> bool:
        return self.n.get(cell, 0) > 0 and cell not in self.hidden

    def reason(self, cell: Cell) -> Reason:
        """`too_few` when the cell itself is under k, `protects_another` when it is hidden so that a
        smaller group cannot be worked out from it (complementary suppression)."""
        count = self.n.get(cell, 0)
        if count == 0:
            return "empty"
        if cell not in self.hidden:
            return "shown"
        return "too_few" if count < self.k else "protects_another"


def _encode(atoms: pd.DataFrame, slots: Sequence[str]) -> tuple[np.ndarray, list[Cell]]:
    """Atoms as a matrix of cell numbers (atom x slot, -1 where no cell of the slot holds it)."""
    cells: list[Cell] = []
    matrix = np.full((len(atoms), len(slots)), -1, dtype=np.int64)
    for j, slot in enumerate(slots):
        column = atoms[slot].astype(object)
        present = column.notna().to_numpy()
        codes, keys = pd.factorize(column[present], sort=False)
        matrix[present, j] = codes + len(cells)
        cells.extend((slot, key) for key in keys)
    return matrix, cells


def _classes(matrix: np.ndarray, sizes: np.ndarray, hidden: np.ndarray, units: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct shown-cell patterns (rows of cell numbers, -1 for none), the people in each, and
    each atom's class (-1 for an atom in no shown cell).

    With `units` (a person's number per atom), a class counts distinct people: one PM's weeks
    in one class are one person, whose sum over those weeks is theirs alone.
    """
    masked = np.where((matrix < 0) | hidden[np.maximum(matrix, 0)], -1, matrix)
    revealed = (masked >= 0).any(axis=1)
    label = np.full(len(matrix), -1, dtype=np.int64)
    if not revealed.any():
        return np.zeros((0, matrix.shape[1]), dtype=np.int64), np.zeros(0, dtype=np.int64), label
    rows, weights = masked[revealed], sizes[revealed]
    order = np.lexsort(rows.T[::-1])  # rows in lexicographic order, as np.unique(axis=0) gives them, faster
    ordered = rows[order]
    boundary = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    starts = np.flatnonzero(boundary)
    ordered_label = np.cumsum(boundary) - 1
    if units is None:
        totals = np.add.reduceat(weights[order], starts)
    else:
        people = int(units.max()) + 1
        pairs = np.unique(ordered_label * people + units[revealed][order])
        totals = np.bincount(pairs // people, minlength=len(starts))
    where = np.flatnonzero(revealed)
    label[where[order]] = ordered_label
    return ordered[starts], totals.astype(np.int64), label


def _people(matrix: np.ndarray, sizes: np.ndarray, units: np.ndarray | None, cells: int) -> np.ndarray:
    """People per cell: the atoms' sizes summed, or with `units` the distinct people."""
    present = matrix >= 0
    if units is None:
        return np.bincount(matrix[present], weights=np.repeat(sizes, present.sum(axis=1)), minlength=cells).astype(np.int64)
    people = int(units.max()) + 1 if len(units) else 1
    pairs = np.unique(matrix[present] * people + np.repeat(units, present.sum(axis=1)))
    return np.bincount(pairs // people, minlength=cells).astype(np.int64)


def cell_sizes(atoms: pd.DataFrame, slots: Sequence[str], size: str = "size", unit: str | None = None) -> dict[Cell, int]:
    """People per cell: the sum of the sizes of the atoms that lie in it, or its distinct `unit`s."""
    matrix, cells = _encode(atoms, slots)
    counts = _people(matrix, atoms[size].to_numpy(), _units(atoms, unit), len(cells))
    return {cell: int(count) for cell, count in zip(cells, counts)}


def classes(atoms: pd.DataFrame, slots: Sequence[str], hidden: frozenset[Cell] | set[Cell], size: str = "size",
            unit: str | None = None) -> pd.DataFrame:
    """The classes of atoms that no sum of shown cells can tell apart.

    One row per class: its `pattern` (the shown cells holding it, None where the slot's cell is
    hidden or absent) and its `size` (people). Atoms in no shown cell at all are underivable and
    form no class.
    """
    matrix, cells = _encode(atoms, slots)
    mask = np.array([cell in hidden for cell in cells] + [False], dtype=bool)
    patterns, sizes, _ = _classes(matrix, atoms[size].to_numpy(), mask, _units(atoms, unit))
    named = [tuple(None if c < 0 else cells[c][1] for c in row) for row in patterns]
    return pd.DataFrame({"pattern": pd.Series(named, dtype=object), "size": sizes})


def _units(atoms: pd.DataFrame, unit: str | None) -> np.ndarray | None:
    return None if unit is None else pd.factorize(atoms[unit])[0].astype(np.int64)


def _cheapest_fix(small: int, patterns: np.ndarray, sizes: np.ndarray, n: np.ndarray, k: int,
                  fixed: np.ndarray) -> np.ndarray:
    """The cell numbers to hide so that class `small` stops being derivable on its own.

    Candidates: hide every cell holding it, or merge it with another class by hiding the cells
    where the two patterns differ. A merge that reaches k beats one that does not; then fewer
    respondents' worth of hidden cells (weighted: `n` holds each cell's respondents times its
    weight), then fewer cells; ties go to the first class in a stable order so the result never
    depends on chance. A `fixed` cell (published by an earlier version) can never be hidden: a
    merge that would need it is no candidate.
    """
    mine = patterns[small]
    own = (mine >= 0) & ~fixed[np.maximum(mine, 0)]
    best, best_cost = mine[own], (False, float(n[mine[own]].sum()), int(own.sum()))
    if not own.any():  # only fixed cells hold it: a merge is the one way
        best_cost = (True, np.inf, np.iinfo(np.int64).max)
    differs = patterns != mine
    theirs = patterns >= 0
    mine_n = np.where(own, n[np.maximum(mine, 0)], 0.0)
    their_n = np.where(theirs, n[np.maximum(patterns, 0)], 0.0)
    costs = np.where(differs, mine_n, 0.0).sum(axis=1) + np.where(differs, their_n, 0.0).sum(axis=1)
    pinned = (differs & (mine >= 0) & fixed[np.maximum(mine, 0)]) | (differs & theirs & fixed[np.maximum(patterns, 0)])
    costs[pinned.any(axis=1)] = np.inf
    counts = (differs & own).sum(axis=1) + (differs & theirs).sum(axis=1)
    short = (sizes[small] + sizes) < k
    short[small] = True
    costs[small] = np.inf  # never merge a class with itself
    order = np.lexsort((np.arange(len(patterns)), counts, costs, short))  # the first of the cheapest
    other = order[0]
    if np.isfinite(costs[other]) and (bool(short[other]), float(costs[other]), int(counts[other])) < best_cost:
        differ = differs[other]
        best = np.concatenate([mine[differ & own], patterns[other][differ & theirs[other]]])
    return best


@dataclass(frozen=True)
class Interval:
    """The protection interval: how far an attacker must stay from pinning a hidden cell down.

    Knowing the sums of shown cells, an attacker who also knows that every record lies in
    [low, high] can bound a hidden cell's mean. The cell is protected when that bound is at
    least `share` of the range wide. The check uses the most an attacker could know (every
    class's sum), so a cell that passes it passes any linear program over the shown cells.
    """

    values: np.ndarray
    """Per atom and measure, the sum of the atom's records (0 where a record has no value)."""
    counts: np.ndarray
    """Per atom and measure, how many of its records have a value."""
    low: np.ndarray
    """Per measure, the lowest value one record can take."""
    high: np.ndarray
    """Per measure, the highest."""
    share: float


def _narrowest(groups: np.ndarray, members: np.ndarray, label: np.ndarray, interval: Interval,
               settled: np.ndarray) -> int | None:
    """The class to merge so that the watched group of atoms (a hidden cell under k) that an attacker
    bounds most tightly, narrower than the protection interval, loses that bound; None when every
    watched group is wide enough, or is bounded only by `settled` classes (per class, true when no
    cell this version may hide can change it). `groups[i]` is a group that holds atom `members[i]`.

    Per class Q an attacker knows at most its sum S; the records of group H in Q then lie in
    [max(lo_in, S - hi_out), min(hi_in, S - lo_out)], and H's bound is the sum of those widths
    (records in no shown cell add their whole range).
    """
    if not len(members) or not (label >= 0).any():
        return None
    worst, worst_class = 0.0, None
    classes = int(label.max()) + 2
    revealed = label >= 0
    pairs, inverse = np.unique(groups * classes + label[members] + 1, return_inverse=True)
    cls = pairs % classes - 1
    c = np.maximum(cls, 0)
    _cells, per_cell = np.unique(pairs // classes, return_inverse=True)
    for j in range(interval.values.shape[1]):
        value, count = interval.values[:, j], interval.counts[:, j].astype(float)
        low, high = count * interval.low[j], count * interval.high[j]
        total = np.bincount(label[revealed], weights=value[revealed], minlength=classes - 1)
        total_low = np.bincount(label[revealed], weights=low[revealed], minlength=classes - 1)
        total_high = np.bincount(label[revealed], weights=high[revealed], minlength=classes - 1)
        lo_in = np.bincount(inverse, weights=low[members])
        hi_in = np.bincount(inverse, weights=high[members])
        records = np.bincount(inverse, weights=count[members])
        upper = np.minimum(hi_in, total[c] - (total_low[c] - lo_in))
        lower = np.maximum(lo_in, total[c] - (total_high[c] - hi_in))
        width = np.where(cls < 0, hi_in - lo_in, upper - lower)
        cell_width = np.bincount(per_cell, weights=width)
        cell_records = np.bincount(per_cell, weights=records)
        needed = interval.share * (interval.high[j] - interval.low[j]) * cell_records
        deficit = (needed - cell_width) / np.maximum(needed, 1e-12)
        open_to_change = (cls >= 0) & ~settled[c]
        fixable = np.bincount(per_cell, weights=open_to_change, minlength=len(_cells)) > 0
        failing = np.flatnonzero((deficit > 1e-9) & fixable)
        if not len(failing):
            continue
        cell = failing[np.argmax(deficit[failing])]
        mine = (per_cell == cell) & open_to_change
        if deficit[cell] > worst:
            worst, worst_class = deficit[cell], int(cls[mine][np.argmax(records[mine])])
    return worst_class


def _watched(matrix: np.ndarray, small: np.ndarray, watch: tuple[np.ndarray, np.ndarray] | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """The groups the protection interval guards, as (group, atom) pairs: every hidden cell under k,
    then the `watch` groups (numbered after the cells)."""
    atoms, columns = np.nonzero((matrix >= 0) & small[np.maximum(matrix, 0)])
    groups, members = matrix[atoms, columns], atoms
    if watch is not None and len(watch[0]):
        groups = np.concatenate([groups, watch[0] + len(small)])
        members = np.concatenate([members, watch[1]])
    return groups.astype(np.int64), members.astype(np.int64)


def protect(atoms: pd.DataFrame, slots: Sequence[str], k: int, size: str = "size", unit: str | None = None,
            weight: Callable[[Cell], float] | None = None, interval: Interval | None = None,
            hidden: frozenset[Cell] = frozenset(), fixed: frozenset[Cell] = frozenset(),
            watch: tuple[np.ndarray, np.ndarray] | None = None) -> Suppression:
    """Decide which cells may be shown so that every class holds 0 or at least k people.

    Args:
        atoms: one row per atom, with its `size` and, per slot, the key of the cell holding it
            (None when no cell of that slot holds it).
        slots: the slot columns; every cell any view can show must be in one of them.
        k: the minimum group size (never below 3).
        unit: a column naming the person in each atom, when one person can be in several atoms
            (a PM's weeks): classes and cells then count distinct people.
        weight: how much losing a cell costs per respondent (default 1): cells that matter
            more are hidden last. It changes only which cells go, never whether the result is safe.
        interval: when given, hide more until every hidden cell under k is bounded no more
            tightly than its protection interval (`Interval`).
        hidden: cells to hide from the start: a decision without `interval` that several
            measures of the same atoms extend, each with its own interval.
        fixed: cells an earlier version published, which stay shown whatever their size: the
            decision is then what this version may add to them (`dashboard.core.publication`).
            A class, or a bound on a watched group, that no cell this version may hide can change
            is what earlier versions already told: it is left as it is, and the rest decided.
        watch: more groups of atoms the protection interval guards, as (group number, atom
            position) pairs: cells under k that earlier versions held back.
    """
    if k < MIN_ALLOWED:
        raise ValueError(f"a minimum group size of {k} is not anonymous; use at least {MIN_ALLOWED}")
    kept = (atoms[size] > 0).to_numpy()
    if watch is not None and not kept.all():
        position = np.cumsum(kept) - 1
        inside = kept[watch[1]]
        watch = (watch[0][inside], position[watch[1][inside]])
    atoms = atoms[kept]
    if interval is not None:
        interval = Interval(interval.values[kept], interval.counts[kept], interval.low, interval.high, interval.share)
    matrix, cells = _encode(atoms, slots)
    weights = atoms[size].to_numpy()
    units = _units(atoms, unit)
    n = _people(matrix, weights, units, len(cells))
    cost = n * np.array([weight(cell) for cell in cells], dtype=float) if weight else n.astype(float)
    pinned = np.append(np.array([cell in fixed for cell in cells], dtype=bool), True)  # the last entry: "no cell"
    small = np.append(n < k, False) & ~pinned
    hidden = (small | np.append(np.array([cell in hidden for cell in cells], dtype=bool), False)) & ~pinned
    guarded = _watched(matrix, small, watch) if interval is not None else None
    settled_patterns: set[bytes] = set()
    while True:
        patterns, sizes, label = _classes(matrix, weights, hidden, units)
        settled = np.array([row.tobytes() in settled_patterns for row in patterns], dtype=bool) \
            if settled_patterns else np.zeros(len(patterns), dtype=bool)
        under = np.flatnonzero((sizes < k) & ~settled)
        if len(under):
            # The smallest classes first (the patterns are sorted, so ties break the same way every
            # time); in one round, each class whose cells an earlier fix of the round left alone.
            targets = under[np.argsort(sizes[under], kind="stable")]
        elif guarded is not None and (target := _narrowest(*guarded, label, interval, settled)) is not None:
            targets = np.array([target])
        else:
            break
        touched = np.zeros(len(hidden), dtype=bool)
        for target in targets:
            mine = patterns[target]
            if touched[mine[mine >= 0]].any():
                continue
            fix = _cheapest_fix(target, patterns, sizes, cost, k, pinned)
            if not len(fix) and not touched.any():  # judged on this round's classes, before any fix changed them
                settled_patterns.add(mine.tobytes())
            fix = fix[~hidden[fix]]
            hidden[fix] = True
            touched[fix] = True
    return Suppression(
        k=k, n={cell: int(count) for cell, count in zip(cells, n)},
        hidden=frozenset(cell for cell, gone in zip(cells, hidden[:-1]) if gone),
    )
