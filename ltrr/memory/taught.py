"""The taught asks: the queries users taught something, and the log of changes to that set.

An ask is taught while it holds a click or reformulation evidence (a failed search of it that
ended on a find). :mod:`ltrr.strategies.nearby` keeps an index of every taught ask and follows
the set through :class:`TaughtLog` instead of reading it whole at each lookup; a reader further
behind than the log reaches reads it whole again.
"""
from __future__ import annotations

from collections import deque
from typing import Mapping

from ltrr.memory.reformulation import ReformulationMemory

# Changes to the set of taught asks kept for readers that follow it (ltrr.strategies.nearby); a
# reader further behind reads the whole set again.
TAUGHT_LOG = 4096


def is_taught(key: str, clicks_per_query: Mapping[str, int], reformulations: ReformulationMemory) -> bool:
    """Whether the query ``key`` is a taught ask: it has clicks, or reformulation evidence."""
    return key in clicks_per_query or reformulations.holds(key)


def taught_asks(clicks_per_query: Mapping[str, int], reformulations: ReformulationMemory) -> list[str]:
    """Every taught ask, clicked ones first, each in the order kept."""
    return list(clicks_per_query) + [q for q in reformulations.queries() if q not in clicks_per_query]


class TaughtLog:
    """A version of the taught asks and their latest changes, each (version, ask, taught now).

    A class rather than functions: the version and the log only make sense changed together. Not
    thread-safe on its own: :class:`ltrr.memory.QueryMemory` calls it under its lock.
    """

    def __init__(self) -> None:
        self.version = 0
        self._log: deque[tuple[int, str, bool]] = deque(maxlen=TAUGHT_LOG)

    def note(self, key: str, was: bool, now: bool) -> None:
        """Log a change of ``key`` in the taught asks when it was taught (``was``) and is not
        (``now``), or the other way round."""
        if now != was:
            self.version += 1
            self._log.append((self.version, key, now))

    def reset(self) -> None:
        """Every taught ask may have changed (a clear, a load): readers read them all again."""
        self.version += 1
        self._log.clear()

    def changes(self, since: int) -> tuple[int, list[tuple[str, bool]] | None]:
        """The version now, and the changes since version ``since``, oldest first, as (ask, taught
        now); None in place of the changes when the log no longer reaches back that far."""
        version, log = self.version, self._log
        if since == version:
            return version, []
        if since > version or not log or log[0][0] > since + 1:
            return version, None
        return version, [(ask, now) for v, ask, now in log if v > since]
