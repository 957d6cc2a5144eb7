"""`icalendar`'s parser, reading each distinct content line of a calendar once.

A calendar export repeats itself: every event opens and closes with the same two lines, and a
team's meetings carry the same ORGANIZER, ATTENDEE and SUMMARY lines hundreds of times (in the
demo organisation's calendars two lines in three are repeats). Splitting a content line into
its parts and building its value is most of what parsing costs, so a line seen before is not
parsed again: BEGIN and END are acted on as they were, and the value of a `SHARED` property is
the very object the line gave the first time. The lines that are not repeats mostly repeat their
head (every DTSTART of a series' overrides starts "DTSTART;TZID=Europe/Berlin:"), whose name and
parameters are split once, too.

Everything else is `icalendar`'s own parser, through the hook it offers for refining it (a
`ComponentIcalParser` subclass; `Calendar._get_ical_parser` picks it). The components are the
library's ordinary ones, so the result is what `icalendar.Calendar.from_ical` gives, except that
equal SHARED values of different events are one object. Nothing here or downstream changes a
parsed value in place. `icalendar` is pinned exactly in requirements.txt because of the hook
(and because `_parts` relies on how its content-line split treats quotes and backslashes).
"""

from __future__ import annotations

import icalendar
from icalendar.parser.content_line import Contentline
from icalendar.parser.ical.calendar import CalendarIcalParser
from icalendar.parser.parameter import Parameters
from icalendar.parser.property import unescape_backslash
from icalendar.prop import vBroken

SHARED = frozenset({
    "SUMMARY", "LOCATION", "DESCRIPTION", "ORGANIZER", "ATTENDEE", "STATUS", "TRANSP", "CLASS",
    "X-MICROSOFT-CDO-BUSYSTATUS",
})
"""Properties whose value depends on nothing but their line (no time zone, no other property) and
is immutable text (`vText`, `vCalAddress`): safe to share between the events that repeat them."""

_BOUNDARIES = ("BEGIN", "END")


class RepeatedLinesParser(CalendarIcalParser):
    """A calendar parser that remembers what each content line gave, for the line's repeats.

    Lines that fail to parse are not remembered: each is reported (or skipped, in a lenient
    component) where it stands, as the library does.
    """

    def parse_content_lines(self) -> None:
        # one memory per pass: the library parses again once a forward-referenced VTIMEZONE is known
        known: dict[str, tuple[str, object]] = {}
        heads: dict[str, tuple[str, Parameters]] = {}
        for line in self._content_lines_iterator:
            if not line:
                continue
            seen = known.get(line)
            if seen is not None and self._repeat(*seen):
                continue
            try:
                name, params, vals = self._parts(line, heads)
            except ValueError as error:
                self.handle_line_parse_error(error)
                continue
            uname = name.upper()
            if uname == "BEGIN":
                self.handle_begin_component(vals)
                known[line] = (uname, vals)
            elif uname == "END":
                self.handle_end_component(vals)
                known[line] = (uname, vals)
            else:
                self.handle_property(uname, params, vals, line)
                value = self._last_value(uname) if uname in SHARED else None
                if value is not None:
                    known[line] = (uname, value)

    @staticmethod
    def _parts(line: Contentline, heads: dict[str, tuple[str, Parameters]]) -> tuple[str, Parameters, str]:
        """`line.parts()`, with the name and parameters split once per distinct head.

        The head is what comes before the first colon ("DTSTART;TZID=Europe/Berlin"); when it holds
        no quote and no backslash, that colon is where the library's own scan ends the parameters
        too, so every line with that head has the same name and parameters. The parameters are
        copied for each line (a value keeps its own), and the value is unescaped as the library does.
        """
        colon = line.find(":")
        head = line[:colon]
        if colon <= 0 or '"' in head or "\\" in head:
            return line.parts()
        known = heads.get(head)
        if known is None:
            name, params, _ = line.parts()
            known = heads[head] = (name, params)
        name, params = known
        return name, params.copy(), unescape_backslash(line[colon + 1:])

    def _repeat(self, uname: str, value) -> bool:
        """Act on a line seen before as it was acted on then; False when that cannot be done here."""
        if uname == "BEGIN":
            self.handle_begin_component(value)
        elif uname == "END":
            self.handle_end_component(value)
        elif self.component is None:  # a property outside any component: let the library say what that is
            return False
        else:
            self.component.add(uname, value, encode=False)
        return True

    def _last_value(self, uname: str):
        """The value the property just added, unless it is broken (a parse error, recorded as such)."""
        if self.component is None:
            return None
        value = self.component.get(uname)
        value = value[-1] if isinstance(value, list) else value
        return None if value is None or isinstance(value, vBroken) else value


class _Calendar(icalendar.Calendar):
    """Only here to hand `from_ical` the parser: the components it builds are plain `icalendar` ones."""

    @classmethod
    def _get_ical_parser(cls, st: str | bytes) -> RepeatedLinesParser:
        return RepeatedLinesParser(st, cls._get_component_factory(), cls.types_factory)


def from_ical(data: bytes | str) -> list[icalendar.Component]:
    """Every top-level component of the text, as `icalendar.Calendar.from_ical(data, multiple=True)`."""
    return _Calendar.from_ical(data, multiple=True)
