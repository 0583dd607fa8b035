"""A warm start: the coverage learner reads full-information searches of another stream before it serves.

A team that tunes a fixed configuration does so on searches where every arm ran deep and what
each search wanted is known (a judged sample, a replayed log, the study's tuning stream). The
same searches can teach the learner before its first user: each is read as a judged search of
a policy that ran every arm at every depth (weight 1), so the learner starts where the fixed
configuration would have been chosen, instead of paying its cold start in users' failed
searches. The evidence then decays with the learner's cells like any other, and clicks take over.

A :class:`JudgedSearch` is what the learner needs of such a search: its context vector
(``ltrr.bandit.context``), the rank of what was wanted in every arm's list up to ``MAX_RANK``
and the lists' lengths. :func:`judged_searches` reads them out of an exported log (the judged
searches of an engine run with ``coverage:judged=1``, say); the simulator's rank tables give
them too (``ltrr.simulate.tuning.RankTable.judged_searches``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.errors import LtrrError
from ltrr.events import value
from ltrr.reward import MAX_RANK


@dataclass(frozen=True)
class JudgedSearch:
    """One full-information search: context, rank of the wanted item per arm (None: not within
    ``MAX_RANK``), and each arm's list length (None: unknown, read as full)."""

    x: tuple[float, ...]
    ranks: Mapping[str, int | None]
    counts: Mapping[str, int] | None = None


def judged_searches(events: Iterable[Mapping]) -> list[JudgedSearch]:
    """The judged searches of an exported log, in log order: each search event with a ``judged``
    feedback event (its first) gives its context and the ranks and list lengths that judgment
    logged. Searches of another context layout are left out."""
    contexts: dict[str, tuple[float, ...]] = {}
    out: list[JudgedSearch] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        if event.get("kind") == "search" and isinstance(event.get("id"), str):
            x = event.get("x")
            if isinstance(x, (list, tuple)) and len(x) == len(CONTEXT_FEATURES):
                contexts[event["id"]] = tuple(float(v) for v in x)
        elif event.get("kind") == "feedback" and event.get("action") == "judged":
            x = contexts.pop(str(event.get("search_id")), None)
            ranks = value(event, "arm_ranks")
            if x is not None and isinstance(ranks, Mapping):
                out.append(JudgedSearch(x, dict(ranks), value(event, "arm_counts")))
    return out


def checked(searches: Iterable[JudgedSearch], arms: Sequence[str]) -> list[tuple[np.ndarray, dict, dict | None]]:
    """Every search as the selector takes it, or LtrrError naming the first bad one (none is learned
    then): a context of the right width with finite numbers, ranks of known arms within 1..MAX_RANK."""
    known = set(arms)
    out = []
    for i, s in enumerate(searches):
        where = f"warm-start search {i + 1}"
        if not isinstance(s, JudgedSearch):
            raise LtrrError(f"{where}: expected a JudgedSearch, got {type(s).__name__}")
        x = np.asarray(s.x, dtype=np.float64)
        if x.shape != (len(CONTEXT_FEATURES),) or not np.isfinite(x).all():
            raise LtrrError(f"{where}: the context must be {len(CONTEXT_FEATURES)} finite numbers "
                            "(ltrr.bandit.context)")
        if not isinstance(s.ranks, Mapping):
            raise LtrrError(f"{where}: ranks must map arm names to ranks")
        ranks = {}
        for arm, rank in s.ranks.items():
            if rank is not None and (isinstance(rank, bool) or not isinstance(rank, (int, np.integer))
                                     or not 1 <= rank <= MAX_RANK):
                raise LtrrError(f"{where}: rank of {arm!r} must be None or a whole number in 1..{MAX_RANK}, "
                                f"got {rank!r}")
            if arm in known:
                ranks[arm] = None if rank is None else int(rank)
        counts = None
        if s.counts is not None:
            if not isinstance(s.counts, Mapping) or any(
                    isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0 for c in s.counts.values()):
                raise LtrrError(f"{where}: counts must map arm names to list lengths (whole numbers >= 0)")
            counts = {a: int(c) for a, c in s.counts.items() if a in known}
        out.append((x, ranks, counts))
    return out
