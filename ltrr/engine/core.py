"""What every part of the engine shares: the catalog, the state folder, the arms, the learners,
the log and its search index, the derived state, and the lock that guards them.

:func:`Core.open` opens them in order and derives the state from the log (through
:meth:`ltrr.engine.persistence.Persistence.attach`); the parts (pipeline, feedback, reports) read
and update them here. Learners that a reset or restore replaces (``history``, ``ranker``,
``log``) are always read from the core, never kept by a part.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, MutableMapping

from ltrr.bandit.context import UserHistory
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.selector import ArmSelector
from ltrr.bandit.vocab import CatalogVocabulary
from ltrr.catalog.store import Catalog
from ltrr.checkpoint import INDEX_FILE, SearchIndex
from ltrr.engine.arms import ArmSet, SharedArms
from ltrr.engine.records import PENDING_LIMIT
from ltrr.events import value
from ltrr.indexfiles import invalidate
from ltrr.log import InteractionLog
from ltrr.memory import MAX_QUERIES, QueryMemory
from ltrr.progress import ProgressFn
from ltrr.query import Query
from ltrr.rank.features import FeatureBuilder
from ltrr.rank.ranker import Ranker
from ltrr.rank.stage import RankStage
from ltrr.state import StateDir
from ltrr.understanding import QueryUnderstander

log = logging.getLogger("ltrr.engine")


class Core:
    """The shared objects of one engine. Build with :meth:`open`."""

    spec: PolicySpec
    seed: int
    catalog: Catalog
    state: StateDir
    arms: ArmSet
    understander: QueryUnderstander
    memory: QueryMemory
    history: UserHistory
    selector: ArmSelector
    features: FeatureBuilder
    ranker: Ranker
    rank_stage: RankStage
    log: InteractionLog
    index: SearchIndex
    # Set by ``derive`` (ltrr.engine.persistence.Persistence.attach): the derived state and its keeper.
    derived: Any
    persistence: Any

    @classmethod
    def open(cls, catalog: str | Path | Catalog, state: str | Path, policy: str, seed: int, progress: ProgressFn,
             arms: Iterable[str] | None, background: bool, fsync: bool, ranker_training: str, arm_budget: int,
             retrieval_cache: MutableMapping | None, search_cache: int, checkpoint_every: int,
             derive: Callable[["Core"], None], memory_queries: int = MAX_QUERIES,
             shared_arms: SharedArms | None = None, pending_limit: int = PENDING_LIMIT) -> "Core":
        """Open catalog, state folder, arms and learners, then ``derive(core)`` the state from the log;
        slow arms keep opening in the background. Whatever was opened is closed again if this fails."""
        if ranker_training not in ("background", "sync", "off"):
            raise ValueError("ranker_training must be 'background', 'sync' or 'off'")
        self = object.__new__(cls)
        self.spec = PolicySpec.parse(policy)
        # The policy's identity, as logged with every search: canonical, settings included
        # (``coverage:judged=0.2`` is not ``coverage``); PolicySpec.parse reads it back.
        self.policy_id = str(self.spec)
        self.seed = int(seed)
        self.search_cache = search_cache
        # Recent searches whose query, pool and features stay in memory for their feedback
        # (ltrr.engine.records.Pending); an older one's are rebuilt from its log record.
        self.pending_limit = max(1, int(pending_limit))
        self.checkpoint_every = checkpoint_every
        self.ranker_training = ranker_training
        self.train_thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self.owns_catalog = not isinstance(catalog, Catalog)
        self.catalog = Catalog.open(catalog) if self.owns_catalog else catalog
        self.state = StateDir.open(state)
        self.index = None
        try:
            # Bounded (ltrr.memory, "Bounded"): the least recently searched queries leave first.
            self.memory = QueryMemory(max_queries=memory_queries)
            self.arms = ArmSet(self.catalog, arms, memory=self.memory, retrieval_cache=retrieval_cache,
                                shared=shared_arms)
            if self.spec.kind == "static":
                missing = [a for a in self.spec.arms if a not in self.arms.index]
                if missing:
                    raise ValueError(f"static policy names arms that are not open: {missing}")
            progress(0, 0, "Loading catalog")
            self.entities = self.catalog.entities
            try:
                self.understander = QueryUnderstander.open(self.catalog)
            except Exception as exc:  # a corrupt QU index: rebuild it once
                log.warning("query understanding failed to open (%s); rebuilding its index", exc)
                invalidate(self.catalog.index_dir, "qu")
                self.understander = QueryUnderstander.open(self.catalog)
            self.vocabulary = CatalogVocabulary.open(self.catalog)
            self.history = UserHistory()
            slow = self.arms.open(progress, background)
            self.selector = ArmSelector(self.spec, self.arms.names, seed=self.seed, arm_budget=arm_budget)
            if shared_arms is None:
                self.features = FeatureBuilder(self.catalog, self.arms.arms, memory=self.memory)
            else:       # the catalog's columns once for every engine of the pool
                self.features = shared_arms.open(self.catalog, "features", lambda: FeatureBuilder(self.catalog)) \
                    .sharing(self.arms.arms, self.memory)
            self.ranker = Ranker(self.state.ranker_dir, seed=self.seed)
            self.rank_stage = RankStage(self.memory, seed=self.seed)
            self.log = InteractionLog(self.state.log_path, fsync=fsync)
            self.index = SearchIndex(self.checkpoint_dir / INDEX_FILE)
            derive(self)
            self.arms.start_background(slow, on_ready=lambda: self.features.set_arms(self.arms.arms))
            progress(1, 1, "Ready")
        except BaseException:
            if self.index is not None:
                self.index.close()
            self.state.close()
            if self.owns_catalog:
                self.catalog.close()
            raise
        return self

    @property
    def checkpoint_dir(self) -> Path:
        return self.state.path / "checkpoint"

    def understood(self, text: object, ctx: Mapping[str, Any]) -> Query:
        """The query as arms see it: cleaned, normalised and understood (empty: nothing understood)."""
        q = Query.make(text, context=ctx)
        if not q.text:
            return q
        return replace(q, understanding=self.understander.understand_tokens(q.tokens))

    def query_of(self, search: Mapping) -> Query:
        """A logged search's query: as the search saw it while it is recent, else understood again."""
        pending = self.derived.pending.get(search["id"])
        if pending is not None:
            return pending.query
        return self.logged_query(search)

    def logged_query(self, search: Mapping) -> Query:
        """A logged search's query understood again, with the user's lean as it was logged."""
        return self.understood(search["query"], value(search, "context") or {}).with_lean(value(search, "affinity"))

    def ranker_label(self) -> str:
        """What ranks now: "lightgbm vN" once a model was adopted, else "heuristic"."""
        return f"lightgbm v{self.ranker.version}" if self.ranker.is_trained else "heuristic"

    def title(self, entity_id: str) -> str:
        """The catalog title of an entity ("" when unknown)."""
        row = self.entities.row_of.get(entity_id)
        return "" if row is None else str(self.entities.titles[row])

    def join_training(self, timeout: float) -> None:
        """Wait for a background ranker training (a reset, restore or close must not race it)."""
        if self.train_thread is not None:
            self.train_thread.join(timeout=timeout)
