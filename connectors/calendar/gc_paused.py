"""The cyclic garbage collector held off while one calendar is read.

Reading a calendar allocates a few hundred thousand small objects (components, property values,
series, occurrences) that all live until the calendar is done. Every few hundred allocations the
collector wakes and walks the young ones, and now and then every object in the process: work
that finds nothing, because what a calendar builds is freed by reference counting when it is
dropped (a large demo calendar leaves no cycles). Held off, reading is about a fifth quicker.

Only the cyclic collector is paused, for one bounded piece of work; reference counting frees
memory as always. Whoever found the collector running turns it back on, so nested and concurrent
uses (threads of the app) leave it as they found it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector inside the block (see the module docstring for why)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
