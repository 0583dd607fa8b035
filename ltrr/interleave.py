"""Team-draft interleaving: which of two rankers do users prefer, from a fraction of the traffic.

Radlinski, Kurup & Joachims, "How Does Clickthrough Data Reflect Retrieval
Quality?", CIKM 2008. Two contenders ``a`` and ``b`` each rank the same
candidates. Like captains picking teams, they take turns adding their best
item not yet picked to one shared list; before each round a coin decides who
picks first, and the team that has picked fewer goes first. Each shown item
remembers the team that contributed it. A click credits that team; a search
is a win for the team with more credited clicks, a tie when equal (no
clicks is a tie too).

Worked example, ``a = [x, y, z]``, ``b = [y, w, x]``, ``a`` wins the coin:
``a`` picks ``x``; ``b`` picks ``y``; both have 1, coin again, say ``b``:
``b`` picks ``w``; ``a`` picks ``z`` (``y`` is taken). Shown: ``x(a) y(b)
w(b) z(a)``; a click on ``w`` is a win for ``b``.

Because both teams are equally often on top, position bias cancels out:
interleaving needs far fewer searches than an A/B test to find the better
ranker (Chapelle, Joachims, Radlinski & Yue, "Large-scale validation and
analysis of interleaved search evaluation", TOIS 2012). The verdict is a
two-sided sign test on wins against losses (ties left out).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy.stats import binomtest

from ltrr.events import value

TEAMS = ("a", "b")


def team_draft(a: Sequence[str], b: Sequence[str], k: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """The interleaved list of at most ``k`` items and, aligned, the team ("a" or "b") of each."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    items: list[str] = []
    teams: list[str] = []
    taken: set[str] = set()
    next_of = {"a": 0, "b": 0}
    lists = {"a": list(a), "b": list(b)}
    counts = {"a": 0, "b": 0}

    def pick(team: str) -> bool:
        ranked = lists[team]
        i = next_of[team]
        while i < len(ranked) and ranked[i] in taken:
            i += 1
        next_of[team] = i + 1
        if i >= len(ranked):
            return False
        items.append(ranked[i])
        teams.append(team)
        taken.add(ranked[i])
        counts[team] += 1
        return True

    exhausted = {"a": False, "b": False}
    while len(items) < k and not all(exhausted.values()):
        if counts["a"] != counts["b"]:
            first = "a" if counts["a"] < counts["b"] else "b"
        else:
            first = "a" if rng.random() < 0.5 else "b"
        team = first if not exhausted[first] else ("b" if first == "a" else "a")
        if not pick(team):
            exhausted[team] = True
    return items, teams


def credit(teams: Mapping[str, str], clicked: Iterable[str]) -> tuple[int, int]:
    """(clicks credited to a, clicks credited to b); clicks on items of no team count for neither."""
    clicks = {"a": 0, "b": 0}
    for entity in set(clicked):
        team = teams.get(entity)
        if team in clicks:
            clicks[team] += 1
    return clicks["a"], clicks["b"]


def outcome(teams: Mapping[str, str], clicked: Iterable[str]) -> int:
    """+1 when ``a`` won the search, -1 when ``b`` did, 0 for a tie."""
    ca, cb = credit(teams, clicked)
    return int(np.sign(ca - cb))


@dataclass(frozen=True)
class Tally:
    """Wins, ties and losses of ``a`` against ``b`` and the sign test on them."""

    a: str
    b: str
    wins: int          # searches a won
    losses: int        # searches b won
    ties: int

    @property
    def n(self) -> int:
        return self.wins + self.losses + self.ties

    @property
    def p_value(self) -> float:
        """Two-sided sign test of wins vs losses (1.0 when nobody won a search)."""
        decided = self.wins + self.losses
        return float(binomtest(self.wins, decided, 0.5).pvalue) if decided else 1.0

    @property
    def leader(self) -> str | None:
        """The contender with more wins (None when level)."""
        if self.wins == self.losses:
            return None
        return self.a if self.wins > self.losses else self.b

    def label(self) -> str:
        """``"heuristic vs lightgbm v2: 14-6 (3 ties), p = 0.12"``."""
        return f"{self.a} vs {self.b}: {self.wins}-{self.losses} ({self.ties} ties), p = {self.p_value:.3g}"

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "wins": self.wins, "losses": self.losses, "ties": self.ties,
                "n": self.n, "p_value": self.p_value, "leader": self.leader, "label": self.label()}


def tally(searches: Iterable[Mapping], clicked: Iterable[tuple[str, str]],
          resolved: set[str] | None = None) -> list[Tally]:
    """One :class:`Tally` per contender pair from logged search events (``interleave`` field) and
    ``(search id, clicked entity)`` pairs. With ``resolved`` given, searches not in it (no click or
    skip yet) are left out, so a search still on screen is not counted as a tie."""
    by_search: dict[str, set[str]] = {}
    for sid, entity in clicked:
        by_search.setdefault(sid, set()).add(entity)
    counts: dict[tuple[str, str], list[int]] = {}
    for ev in searches:
        info = value(ev, "interleave")
        if not isinstance(info, Mapping):
            continue
        sid = str(value(ev, "id"))
        if resolved is not None and sid not in resolved:
            continue
        teams = dict(zip(value(ev, "results") or [], info.get("teams") or []))
        result = outcome(teams, by_search.get(sid, ()))
        row = counts.setdefault((str(info.get("a")), str(info.get("b"))), [0, 0, 0])
        row[0 if result > 0 else 1 if result < 0 else 2] += 1
    return [Tally(a, b, w, l, t) for (a, b), (w, l, t) in counts.items()]
