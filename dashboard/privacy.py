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


def _classes(matrix: np.ndarray, sizes: np.ndarray, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct shown-cell patterns (rows of cell numbers, -1 for none) and the respondents in each."""
    masked = np.where((matrix < 0) | hidden[np.maximum(matrix, 0)], -1, matrix)
    revealed = (masked >= 0).any(axis=1)
    if not revealed.any():
        return np.zeros((0, matrix.shape[1]), dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows, weights = masked[revealed], sizes[revealed]
    order = np.lexsort(rows.T[::-1])  # rows in lexicographic order, as np.unique(axis=0) gives them, faster
    ordered = rows[order]
    starts = np.flatnonzero(np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)])
    totals = np.add.reduceat(weights[order], starts)
    return ordered[starts], totals.astype(np.int64)


def cell_sizes(atoms: pd.DataFrame, slots: Sequence[str], size: str = "size") -> dict[Cell, int]:
    """Respondents per cell: the sum of the sizes of the atoms that lie in it."""
    matrix, cells = _encode(atoms, slots)
    counts = np.bincount(matrix[matrix >= 0], weights=np.repeat(atoms[size].to_numpy(), (matrix >= 0).sum(axis=1)),
                         minlength=len(cells))
    return {cell: int(count) for cell, count in zip(cells, counts)}


def classes(atoms: pd.DataFrame, slots: Sequence[str], hidden: frozenset[Cell] | set[Cell], size: str = "size") -> pd.DataFrame:
    """The classes of atoms that no sum of shown cells can tell apart.

    One row per class: its `pattern` (the shown cells holding it, None where the slot's cell is
    hidden or absent) and its `size`. Atoms in no shown cell at all are underivable and form no
    class.
    """
    matrix, cells = _encode(atoms, slots)
    mask = np.array([cell in hidden for cell in cells] + [False], dtype=bool)
    patterns, sizes = _classes(matrix, atoms[size].to_numpy(), mask)
    named = [tuple(None if c < 0 else cells[c][1] for c in row) for row in patterns]
    return pd.DataFrame({"pattern": pd.Series(named, dtype=object), "size": sizes})


def _cheapest_fix(small: int, patterns: np.ndarray, sizes: np.ndarray, n: np.ndarray, k: int) -> np.ndarray:
    """The cell numbers to hide so that class `small` stops being derivable on its own.

    Candidates: hide every cell holding it, or merge it with another class by hiding the cells
    where the two patterns differ. A merge that reaches k beats one that does not; then fewer
    respondents' worth of hidden cells (weighted: `n` holds each cell's respondents times its
    weight), then fewer cells; ties go to the first class in a stable order so the result never
    depends on chance.
    """
    mine = patterns[small]
    own = mine >= 0
    best, best_cost = mine[own], (False, float(n[mine[own]].sum()), int(own.sum()))
    differs = patterns != mine
    theirs = patterns >= 0
    mine_n = np.where(own, n[np.maximum(mine, 0)], 0.0)
    their_n = np.where(theirs, n[np.maximum(patterns, 0)], 0.0)
    costs = np.where(differs, mine_n, 0.0).sum(axis=1) + np.where(differs, their_n, 0.0).sum(axis=1)
    counts = (differs & own).sum(axis=1) + (differs & theirs).sum(axis=1)
    short = (sizes[small] + sizes) < k
    short[small] = True
    costs[small] = np.inf  # never merge a class with itself
    order = np.lexsort((np.arange(len(patterns)), counts, costs, short))  # the first of the cheapest
    other = order[0]
    if (bool(short[other]), float(costs[other]), int(counts[other])) < best_cost:
        differ = differs[other]
        best = np.concatenate([mine[differ & own], patterns[other][differ & theirs[other]]])
    return best


def protect(atoms: pd.DataFrame, slots: Sequence[str], k: int, size: str = "size",
            weight: Callable[[Cell], float] | None = None) -> Suppression:
    """Decide which cells may be shown so that every class holds 0 or at least k respondents.

    Args:
        atoms: one row per atom, with its `size` and, per slot, the key of the cell holding it
            (None when no cell of that slot holds it).
        slots: the slot columns; every cell any view can show must be in one of them.
        k: the minimum group size (never below 3).
        weight: how much losing a cell costs per respondent (default 1): cells that matter
            more are hidden last. It changes only which cells go, never whether the result is safe.
    """
    if k < MIN_ALLOWED:
        raise ValueError(f"a minimum group size of {k} is not anonymous; use at least {MIN_ALLOWED}")
    atoms = atoms[atoms[size] > 0]
    matrix, cells = _encode(atoms, slots)
    weights = atoms[size].to_numpy()
    n = np.bincount(matrix[matrix >= 0], weights=np.repeat(weights, (matrix >= 0).sum(axis=1)), minlength=len(cells)).astype(np.int64)
    cost = n * np.array([weight(cell) for cell in cells], dtype=float) if weight else n.astype(float)
    hidden = np.append(n < k, False)  # the extra last entry stands for "no cell"
    while True:
        patterns, sizes = _classes(matrix, weights, hidden)
        small = np.flatnonzero(sizes < k)
        if not len(small):
            break
        # The smallest class first; np.unique sorted the patterns, so ties break the same way every time.
        target = small[np.argmin(sizes[small])]
        hidden[_cheapest_fix(target, patterns, sizes, cost, k)] = True
    return Suppression(
        k=k, n={cell: int(count) for cell, count in zip(cells, n)},
        hidden=frozenset(cell for cell, gone in zip(cells, hidden[:-1]) if gone),
    )

