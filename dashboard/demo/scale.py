"""How big the demo organisation is: every size-dependent knob of the demo in one place.

`SMALL` is the organisation the dashboard ships with (6 groups, 24 teams, about 60 PMs over
eight quarters); `LARGE` is a large product organisation (40 groups, 160 teams, 400 PMs and
80 operations staff and 20 product-ops people over three years) for the benchmarks, and `XLARGE`
the same at about 1,000 PMs. All go through the same generators and connectors; only these
numbers differ.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scale:
    name: str
    quarters: int
    """How many quarters the story spans, the current one included."""
    groups: int
    """Product groups of four teams each: the six of the story first, then generated ones."""
    ops: int
    """Operations staff (the other side of product/operations alignment), outside the product teams."""
    joiners: int
    """PMs who join inside the window; half of them replace a PM who left."""
    movers: int
    """PMs who move to a sister team in the reorg (at most one per group)."""
    release_cadences: tuple[int, ...]
    """Days between a team's releases, one drawn per team (Payments always re-plans at 21 or 28)."""
    items_per_release: tuple[int, int]
    """Fewest and most work items in a release."""
    status_changes: tuple[int, int]
    """Fewest and most status changes of a resolved work item."""
    jira_batch: int | None = None
    """Work items written as Jira's REST JSON and read by the connector at a time, so the whole
    export is never held at once (None: all of them in one go)."""
    store_batch: int | None = None
    """Rows of a table written to the store at a time (None: each table in one write)."""
    prodops_founders: int = 3
    """Product-ops people (role `prodops`) in post from the day the team is founded: at least the
    calendar privacy minimum, so figures about them can be shown."""
    prodops_hires: int = 2
    """Product-ops people hired in one wave, late: until then PMs join and product ops does not."""
    eng_leads: int = 0
    """Weekly 30-minute 1:1s a PM has with each of this many engineering leads (a large team has
    several squads), on top of the fortnightly 1:1 with the engineering lead."""
    cross_team_syncs: int = 0
    """Weekly 30-minute syncs with other teams a PM keeps (a large organisation has more dependencies)."""
    meetings: float = 1.0
    """One-off meetings per PM-week, as a multiple of the story's (focus blocks excepted)."""
    meeting_slots: int | None = None
    """Longest one-off meeting in half-hours (None: as long as the story draws them): a large
    organisation's PMs have more, shorter meetings."""
    sprint_demo: bool = False
    """Teams owe a weekly sprint demo (a form with the recording) from the day product ops is founded."""
    pulses_per_quarter: int = 1
    """Pulse survey waves per quarter: 1 (quarterly) or 3 (monthly)."""
    pulse_response: tuple[float, float] = (0.75, 0.85)
    """Share of PMs and of operations people who answer a wave (a monthly pulse is answered less)."""

    @property
    def teams(self) -> int:
        return self.groups * 4


SMALL = Scale(
    name="small", quarters=8, groups=6, ops=12, joiners=4, movers=3,
    release_cadences=(14, 21, 28), items_per_release=(10, 30), status_changes=(2, 4),
)
LARGE = Scale(
    name="large", quarters=12, groups=40, ops=80, joiners=24, movers=20,
    release_cadences=(21, 28, 42), items_per_release=(70, 110), status_changes=(3, 7),
    prodops_founders=6, prodops_hires=14, jira_batch=25_000, store_batch=500_000,
    eng_leads=4, cross_team_syncs=5, meetings=2.4, meeting_slots=2,
    sprint_demo=True, pulses_per_quarter=3, pulse_response=(0.55, 0.6),
)
XLARGE = replace(
    LARGE, name="xlarge", groups=97, ops=195, joiners=58, movers=48, prodops_founders=15, prodops_hires=34,
)
"""About 1,000 PMs: the large organisation's every ratio at 2.4 times its groups. Only the
benchmarks build it, to see how each cost grows with the organisation (`dashboard demo` offers
small and large)."""
SCALES = {scale.name: scale for scale in (SMALL, LARGE, XLARGE)}
