"""Reading the learned rewordings: which substitutions a query matches, and what it is reworded into.

A reformulation chain teaches a phrase substitution ("easygoing rnb" -> "rnb chill playlist"
teaches ``easygoing *`` -> ``* chill playlist``: :mod:`ltrr.memory.rewrites`), counted like
reformulation evidence in a :class:`~ltrr.memory.reformulation.ReformulationMemory` keyed by
pattern instead of query and by replacement instead of entity (:attr:`ltrr.memory.QueryMemory.rewrites`).
An ask nobody typed before ("easygoing guitar rock") can then be searched again as its kind was
reworded (:meth:`ltrr.memory.QueryMemory.reworded`; the memory arm lists what that finds:
:mod:`ltrr.strategies.reworded`).

Plain functions over that memory: :class:`ltrr.memory.QueryMemory` calls those that read it
under its lock, and shapes the answer (:func:`rewordings_frame`, :func:`best_reworded`) outside.
"""
from __future__ import annotations

from typing import Iterator, Mapping

import pandas as pd

from ltrr.memory.reformulation import Evidence, ReformulationMemory
from ltrr.memory.rewrites import fill, patterns

# Replacements kept per substitution pattern: several meanings, the weakest out first.
REWRITES_PER_PATTERN = 8


def matches(rewrites: ReformulationMemory, key: str) -> Iterator[tuple[int, str, str, str, Evidence]]:
    """(order of the pattern in :func:`ltrr.memory.rewrites.patterns`, pattern, replacement, reworded
    text, evidence) of every learned substitution the normalised ``key`` matches."""
    for order, (pattern, slot) in enumerate(patterns(key)):
        for replacement, evidence in rewrites.evidence(pattern).items():
            yield order, pattern, replacement, fill(replacement, slot), evidence


def rewording_rows(rewrites: ReformulationMemory, key: str | None) -> list[tuple]:
    """The rows of :func:`rewordings_frame`: every learned substitution as (pattern, replacement,
    users, chains, weight rounded to 6 places); with ``key``, only those it matches, with the
    reworded text after the replacement."""
    if key is not None:
        return [(p, r, text, ev.users, ev.chains, round(ev.weight, 6)) for _, p, r, text, ev in matches(rewrites, key)]
    return [(p, r, ev.users, ev.chains, round(ev.weight, 6)) for p, r, ev in rewrites]


def rewordings_frame(rows: list[tuple], matching: bool) -> pd.DataFrame:
    """:func:`rewording_rows` as a table, the best supported first (``matching``: whether the rows
    hold the reworded text, in a ``reworded`` third column)."""
    columns = ["pattern", "replacement"] + (["reworded"] if matching else []) + ["users", "chains", "weight"]
    frame = pd.DataFrame(rows, columns=columns).astype(
        {"pattern": "object", "replacement": "object", "users": "int64", "chains": "int64", "weight": "float64"})
    return frame.sort_values(["weight", "pattern", "replacement"], ascending=[False, True, True],
                             ignore_index=True)


def reworded_texts(rewrites: ReformulationMemory, key: str) -> dict[str, tuple[float, int]]:
    """Each text the normalised ``key`` is reworded into (never ``key`` itself nor empty), with the
    weight of its best supported substitution and that pattern's order (:func:`matches`)."""
    found: dict[str, tuple[float, int]] = {}
    if not rewrites.n_queries:
        return found
    for order, _, _, text, evidence in matches(rewrites, key):
        if text and text != key and (text not in found or evidence.weight > found[text][0]):
            found[text] = (evidence.weight, order)
    return found


def best_reworded(found: Mapping[str, tuple[float, int]], limit: int) -> list[tuple[str, float]]:
    """The ``limit`` best of :func:`reworded_texts` as (text, weight): the heaviest first, ties in
    the order of their patterns, then of their texts."""
    best = sorted(found.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    return [(text, weight) for text, (weight, _) in best[:limit]]
