"""What the engine hands out and keeps per search: the response types, the engine's limits,
and the small rules every part shares (what a search showed, a judgment's log record)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

import numpy as np

from ltrr import events
from ltrr.bandit.selection import ArmChoice
from ltrr.pool import PooledCandidate
from ltrr.query import Query
from ltrr.understanding_results import Understanding

FEEDBACK_ACTIONS = ("click", "skip", "found_later")
MAX_K = 100
EXPLAIN_BUDGET = 10
PENDING_LIMIT = 2_000
ARM_HISTORY_LIMIT = 20_000
# Searches kept in memory (the most recent); older ones are read back from the log through
# the search index when feedback for them arrives (ltrr.checkpoint).
SEARCH_CACHE = 1_000
# Feedbacks between two checkpoints of the derived state (one is also written on close).
CHECKPOINT_EVERY = 1_000


@dataclass
class Result:
    """One entity in a ranked list."""

    entity_id: str
    entity_type: str
    title: str
    subtitle: str
    score: float
    rank: int
    arms: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class SearchResponse:
    """Everything one search produced (see the README's API section)."""

    id: str
    query: str
    results: list[Result]
    selection: list[ArmChoice]
    by_arm: dict[str, list[Result]]
    understanding: Understanding
    pool: list[Result] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    ranker: str = "heuristic"
    message: str = ""
    # The coverage policy's decision before exploring: greedy budgets, estimated coverage.
    decision: dict | None = None
    # The bandit's context vector for this search (see ltrr.bandit.context.CONTEXT_FEATURES).
    context_features: list[float] = field(default_factory=list)
    # What exploration alone found and the rank stage showed higher (ltrr.rank.stage): per exposed
    # arm, its entity_id, its chance, from and to (1-based positions); None when nothing was explored.
    exposed: list[dict] | None = None
    # Drawn for judgment (a coverage policy with ``judged`` > 0): call Engine.judge with what was wanted.
    judge: bool = False


@dataclass(frozen=True)
class FeedbackResult:
    """What one feedback call updated."""

    search_id: str
    entity_id: str | None
    action: str
    position: int | None
    rewards: dict[str, float]
    bandit_updated: bool
    duplicate: bool
    memory: dict[str, Any]
    ranker_examples: int


@dataclass
class Pending:
    """What feedback needs about a recent search that the log does not hold."""

    query: Query
    pool: list[PooledCandidate]
    X: np.ndarray


def shown(search: Mapping) -> set[str]:
    """Every entity a logged search showed: its results and the lists of the arms that ran."""
    out = set(search["results"])
    for pairs in (events.value(search, "by_arm") or {}).values():
        out.update(e for e, _ in pairs)
    return out


def judged_event(search_id: str, ranks: Mapping[str, int | None], counts: Mapping[str, int] | None,
                 n_wanted: object, ts: object = None, ranks_now: Mapping[str, int | None] | None = None) -> dict:
    """The feedback record of a judgment (``Engine.judge``): every arm's first rank of what was
    wanted, no credit; ``ts`` kept when replaying an export; ``ranks_now``: see
    ``Learning.full_ranks``."""
    return events.judged_event(ts=ts if isinstance(ts, str) else now(), search_id=search_id, arm_ranks=ranks,
                               arm_counts=counts, n_wanted=n_wanted if isinstance(n_wanted, int) else None,
                               arm_ranks_now=ranks_now)


def mapping(value: object) -> dict | None:
    """A logged mapping (e.g. arm ranks) from an untrusted export, or None."""
    return dict(value) if isinstance(value, Mapping) else None


def clamp_int(value: object, low: int, high: int, default: int) -> int:
    """``value`` as a whole number within [low, high]; ``default`` when it is not a number."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    return max(low, min(high, number))


def now() -> str:
    """The log's timestamp: UTC, ISO 8601, milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
