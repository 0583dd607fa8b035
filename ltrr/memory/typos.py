"""Typos of a learned query: which learned query's counts an unlearned one reads.

A query nobody has clicked anything for borrows the counts of the nearest query that has clicks
when their rapidfuzz ``ratio`` is at least :data:`TYPO_CUTOFF` ("tayler swfit" reads what users
taught "tayler swift"); both must have at least :data:`TYPO_MIN_LENGTH` characters. A query with
clicks of its own always reads its own, however close another learned query is
(:meth:`ltrr.memory.QueryMemory.resolve`).
"""
from __future__ import annotations

from typing import Mapping

from rapidfuzz import fuzz, process

# rapidfuzz ratio (0..100) from which an unlearned query reads a learned one's counts.
TYPO_CUTOFF = 88.0
TYPO_MIN_LENGTH = 4


def typo_targets(key: str, clicks_per_query: Mapping[str, int]) -> list[str] | None:
    """The learned queries whose counts the normalised ``key`` may read as a typo of theirs; None
    when ``key`` reads its own (it has clicks, it is too short, or nothing is learned)."""
    if clicks_per_query.get(key) or len(key) < TYPO_MIN_LENGTH or not clicks_per_query:
        return None
    return [q for q in clicks_per_query if len(q) >= TYPO_MIN_LENGTH]


def nearest_learned(key: str, learned: list[str], cutoff: float) -> str:
    """The query of ``learned`` nearest to ``key`` with a rapidfuzz ratio of at least ``cutoff``,
    else ``key`` itself."""
    best = process.extractOne(key, learned, scorer=fuzz.ratio, score_cutoff=cutoff)
    return best[0] if best is not None else key
