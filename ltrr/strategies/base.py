"""The one contract every retrieval strategy (bandit arm) implements.

A strategy is opened once per catalog (building or loading its index), then
answers ``retrieve(query, budget)`` with at most ``budget`` candidates, best
first. Ranks are assigned only by :func:`ranked`, never ad hoc.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

import numpy as np

from ltrr.progress import ProgressFn, silent
from ltrr.query import Query

if TYPE_CHECKING:
    from ltrr.catalog.store import Catalog


@dataclass
class Candidate:
    """One entity proposed by one arm."""

    entity_id: str
    score: float
    rank: int = 0                                        # 1-based, set by `ranked`
    features: dict[str, float] = field(default_factory=dict)


def ranked(candidates: Iterable[Candidate], budget: int) -> list[Candidate]:
    """Sort by score (ties by entity_id, for determinism), cut to budget, number ranks from 1."""
    out = sorted(candidates, key=lambda c: (-c.score, c.entity_id))[: max(0, int(budget))]
    for i, cand in enumerate(out, start=1):
        cand.rank = i
    return out


@dataclass
class ArmResources:
    """What an arm may use when it opens. Arms take what they need."""

    catalog: "Catalog"
    progress: ProgressFn = silent
    # State-side query memory (ltrr.memory.QueryMemory); None outside an engine.
    memory: Any = None
    # Lazily opens another arm by name (the `related` arm builds on direct matches).
    arm: Callable[[str], "Strategy"] | None = None

    @property
    def index_dir(self) -> Path:
        path = self.catalog.index_dir
        path.mkdir(parents=True, exist_ok=True)
        return path


class Strategy(ABC):
    """Base class of every arm. Every opened arm keeps its Catalog as ``self.catalog``."""

    catalog: "Catalog"

    name: ClassVar[str]
    description: ClassVar[str] = ""
    # True when opening may take minutes (the engine then opens it in the background).
    slow_to_open: ClassVar[bool] = False
    # True when the list depends on the query alone (not on clicks or users): such lists
    # may be cached and shared between engines (ltrr.strategies.cached).
    stateless: ClassVar[bool] = True
    # The index names (see indexfiles) this arm builds; empty means just (name,).
    # The engine invalidates them and retries once when opening fails on a corrupt index.
    index_names: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def indexes(cls) -> tuple[str, ...]:
        return cls.index_names or (cls.name,)

    @classmethod
    @abstractmethod
    def open(cls, resources: ArmResources) -> "Strategy":
        """Load this arm's index for the catalog, building it (with progress) if missing or stale."""

    @abstractmethod
    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """At most ``budget`` candidates, best first, ranks from :func:`ranked`.

        Must not raise on any query text: an empty or meaningless query gives [].
        """

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray | None:
        """This arm's score for arbitrary catalog rows (for ranker features), or None if it cannot."""
        return None

    # An arm may also define ``count(query) -> int``, a cheap probe read before the bandit
    # decides: 0 exactly when its list for the query is certainly empty, otherwise a positive
    # number (the list's length where that is cheap to know). An arm whose probe reads 0 is not
    # offered for that search, so no plan is made of arms with nothing to say (a typo that
    # query understanding reads as nothing and the lexical arm does not index).

    def cost_ms(self, query: Query) -> float | None:
        """What this query's list cost to compute when that differs from the call's own time
        (a cached list: :mod:`ltrr.strategies.cached`); None: the call's measured time is the cost."""
        return None
