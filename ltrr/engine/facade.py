"""The LTR&R engine: the one public API used by the app, the CLI, the
simulator and the tests.

A search: clean query -> query understanding -> context vector -> the bandit
picks arms and budgets -> arms retrieve -> union with provenance -> features
-> ranker -> log -> response. A click: reward the bandit, the memory, the
ranker's training data and the log, in that one call.

The learning state (bandit, memory, user histories) is derived from the
interaction log when the engine opens; live updates go through the same two
functions as replay (`_apply_search`, `_apply_feedback`), so the state after
a restart is exactly what replaying the log produces. A checkpoint of that
state (``ltrr.checkpoint``, written every ``checkpoint_every`` feedbacks and on
close) lets open replay only the log after it. Only the latest
``search_cache`` searches stay in memory; feedback for an older one finds it
in the log through the search index.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, MutableMapping

import numpy as np
import pandas as pd

from ltrr.bandit.context import CONTEXT_FEATURES, UserHistory, context_vector
from ltrr.bandit.policy import DEFAULT_POLICY, PolicySpec
from ltrr.bandit.vocab import CatalogVocabulary
from ltrr.bandit.selector import ArmChoice, ArmSelector
from ltrr import reward as reward_rule
from ltrr.catalog.store import Catalog
from ltrr.checkpoint import INDEX_FILE, LogMark, SearchIndex, load_checkpoint, remove_checkpoint, save_checkpoint
from ltrr.errors import FeedbackError, LtrrError
from ltrr.indexfiles import invalidate
from ltrr.log import InteractionLog, cached_log_frame, export_events, is_valid_event
from ltrr.memory import QueryMemory, posterior
from ltrr.pool import PooledCandidate, pool_candidates
from ltrr.progress import ProgressFn, silent
from ltrr.query import Query
from ltrr.attribution import DEPTH as ATTRIBUTION_DEPTH
from ltrr.attribution import attribute_search
from ltrr.interleave import tally as interleave_tally
from ltrr.rank.features import COLUMN as FEATURE_COLUMN
from ltrr.rank.features import FEATURE_NAMES, FeatureBuilder
from ltrr.rank.features import scale_by_max
from ltrr.rank.position import PositionBias, estimate_position_bias, searches_from_log
from ltrr.rank.ranker import Ranker
from ltrr.rank.stage import RankStage, explored_rows
from ltrr.sanitize import sanitize_context
from ltrr.state import StateDir, safe_name
from ltrr.strategies.base import ArmResources, Candidate, Strategy
from ltrr.strategies.cached import CachedStrategy
from ltrr.strategies.registry import arm_class, arm_names
from ltrr.text import normalize_query
from ltrr.understanding import QueryUnderstander, Understanding

log = logging.getLogger(__name__)

FEEDBACK_ACTIONS = ("click", "skip", "found_later")
MAX_K = 100
EXPLAIN_BUDGET = 10
_PENDING_LIMIT = 2_000
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


class _Cancelled(Exception):
    """Raised inside a background arm build when the engine closes."""


@dataclass
class _Pending:
    """What feedback needs about a recent search that the log does not hold."""

    query: Query
    pool: list[PooledCandidate]
    X: np.ndarray


class Engine:
    """Search, learn from feedback, report. Thread-safe: one engine may serve many sessions."""

    POLICIES = ["coverage", "coverage:context=0", "linucb", "thompson", "all", "static:lexical"]
    # Settings of the derived state (class attributes: set them on a subclass, or on Engine before open).
    search_cache = SEARCH_CACHE
    checkpoint_every = CHECKPOINT_EVERY

    def __init__(self) -> None:  # use Engine.open
        raise TypeError("use Engine.open(catalog=..., state=...)")

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        catalog: str | Path | Catalog,
        state: str | Path,
        policy: str = DEFAULT_POLICY,
        seed: int = 0,
        progress: ProgressFn | None = None,
        arms: Iterable[str] | None = None,
        background: bool = True,
        fsync: bool = False,
        ranker_training: str = "background",
        arm_budget: int = 20,
        retrieval_cache: MutableMapping | None = None,
    ) -> "Engine":
        """Open an engine on a catalog file and a state folder.

        ``policy``: linucb | lints | thompson | epsilon | all | static:ARM[,ARM...].
        ``arms``: restrict the arms (default: every registered arm).
        ``background``: open slow arms (semantic) in a background thread so
        searches are served by the other arms meanwhile.
        ``ranker_training``: "background" (retrain off the request path),
        "sync" (retrain inside feedback: reproducible simulations) or "off".
        ``arm_budget``: the budget of ``all`` and ``static:`` arms given none,
        and the largest the mabwiser policies ask for.
        ``retrieval_cache``: a dict shared by engines that see the same queries
        (the simulator): stateless arms compute each query's list once.
        """
        self = object.__new__(cls)
        self._retrieval_cache = retrieval_cache
        self._init(catalog, state, policy, seed, progress or silent, arms, background, fsync,
                   ranker_training, arm_budget)
        return self

    def _init(self, catalog, state, policy, seed, progress, arms, background, fsync,
              ranker_training, arm_budget) -> None:
        if ranker_training not in ("background", "sync", "off"):
            raise ValueError("ranker_training must be 'background', 'sync' or 'off'")
        self.spec = PolicySpec.parse(policy)
        self.policy = self.spec.name
        self.seed = int(seed)
        self._closing = False
        self._lock = threading.RLock()
        self._owns_catalog = not isinstance(catalog, Catalog)
        self.catalog = Catalog.open(catalog) if self._owns_catalog else catalog
        self.state = StateDir.open(state)
        try:
            self.arm_names = list(arms) if arms is not None else arm_names()
            self._arm_index = set(self.arm_names)
            for name in self.arm_names:
                arm_class(name)  # unknown names fail here, before any work
            if self.spec.kind == "static":
                missing = [a for a in self.spec.arms if a not in self.arm_names]
                if missing:
                    raise ValueError(f"static policy names arms that are not open: {missing}")
            self._ranker_training = ranker_training
            self._train_thread: threading.Thread | None = None
            progress(0, 0, "Loading catalog")
            entities = self.catalog.entities
            self._entities = entities
            try:
                self.understander = QueryUnderstander.open(self.catalog)
            except Exception as exc:  # a corrupt QU index: rebuild it once
                log.warning("query understanding failed to open (%s); rebuilding its index", exc)
                invalidate(self.catalog.index_dir, "qu")
                self.understander = QueryUnderstander.open(self.catalog)
            self._vocabulary = CatalogVocabulary.open(self.catalog)
            self.memory = QueryMemory()
            self.history = UserHistory()
            self._arms: dict[str, Strategy] = {}
            self._arm_status: dict[str, dict] = {
                a: {"ready": False, "progress": 0.0, "message": "waiting"} for a in self.arm_names
            }
            self._resources = ArmResources(
                catalog=self.catalog, progress=progress, memory=self.memory, arm=self._arm_for_related,
            )
            slow = []
            for i, name in enumerate(self.arm_names):
                if arm_class(name).slow_to_open and background:
                    slow.append(name)
                    continue
                progress(i, len(self.arm_names), f"Opening arm {name}")
                self._open_arm(name, progress)
            self.selector = ArmSelector(self.spec, self.arm_names, seed=self.seed, arm_budget=arm_budget)
            self.features = FeatureBuilder(self.catalog, self._arms)
            self.ranker = Ranker(self.state.ranker_dir, seed=self.seed)
            self.rank_stage = RankStage(self.memory, seed=self.seed)
            self._log = InteractionLog(self.state.log_path, fsync=fsync)
            self._index = SearchIndex(self._checkpoint_dir / INDEX_FILE)
            self._reset_derived()
            self._replay_log()
            self._builders = [self._start_background(name) for name in slow]
            progress(1, 1, "Ready")
        except BaseException:
            if getattr(self, "_index", None) is not None:
                self._index.close()
            self.state.close()
            if self._owns_catalog:
                self.catalog.close()
            raise

    def _reset_derived(self) -> None:
        # The most recent searches (``search_cache``), their log offsets, and which of them were
        # resolved or clicked; older ones come back through ``_known_search``.
        self._searches: OrderedDict[str, dict] = OrderedDict()
        self._offsets: dict[str, int] = {}
        self._resolved: set[str] = set()
        self._judged: set[str] = set()     # recent searches already judged
        self._clicked: set[tuple[str, str]] = set()
        self._clicks_of: dict[str, list[str]] = {}
        self._n_searches = 0
        self._replaying = False
        self._checkpoint_at = -1      # log offset of the checkpoint on disk (-1: none known)
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        # Bounded: the per-step view of the latest searches only (reports aggregate elsewhere).
        self._arm_history: deque[dict] = deque(maxlen=ARM_HISTORY_LIMIT)
        self._n_feedbacks = 0
        self._n_clicks = 0
        self._n_resolved = 0

    def _open_arm(self, name: str, progress: ProgressFn) -> Strategy:
        def arm_progress(done: int, total: int, message: str = "") -> None:
            if self._closing:
                raise _Cancelled(f"engine closed while opening {name}")
            status = self._arm_status[name]
            status["progress"] = (done / total) if total else 0.0
            status["message"] = message
            progress(done, total, f"{name}: {message}" if message else name)

        resources = replace(self._resources, progress=arm_progress)
        self._arm_status[name].update(message="opening")
        cls = arm_class(name)
        try:
            arm = cls.open(resources)
        except _Cancelled:
            raise
        except Exception as exc:
            # Most often a corrupt or half-written index whose manifest still looked
            # fresh: forget the arm's indexes and build them again, once.
            log.warning("arm %s failed to open (%s); rebuilding its index", name, exc)
            for index in cls.indexes():
                invalidate(self.catalog.index_dir, index)
            arm = cls.open(resources)
        if getattr(self, "_retrieval_cache", None) is not None and cls.stateless:
            arm = CachedStrategy(arm, self._retrieval_cache)
        self._arms[name] = arm
        self._arm_status[name].update(ready=True, progress=1.0, message="ready")
        return arm

    def _arm_for_related(self, name: str) -> Strategy:
        arm = self._arms.get(name)
        if arm is None:
            raise LtrrError(f"arm {name} is not open")
        return arm

    def _start_background(self, name: str) -> threading.Thread:
        def build() -> None:
            try:
                self._open_arm(name, silent)
                self.features.set_arms(self._arms)
            except _Cancelled:
                self._arm_status[name].update(ready=False, message="cancelled")
            except Exception as exc:  # keep serving with the other arms
                log.exception("arm %s failed to open", name)
                self._arm_status[name].update(ready=False, message=f"failed: {exc}")

        thread = threading.Thread(target=build, name=f"ltrr-open-{name}", daemon=True)
        thread.start()
        return thread

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Block until background arms have opened; True when all are ready."""
        for thread in getattr(self, "_builders", []):
            thread.join(timeout)
        return all(s["ready"] for s in self._arm_status.values())

    # ------------------------------------------------------------------ search
    def search(self, query: object, context: Mapping[str, Any] | None = None, k: int = 10,
               explain: bool = False) -> SearchResponse:
        """Retrieve with the arms the bandit picks, rerank, log; never raises on bad input."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(stage: str, start: float) -> float:
            now = time.perf_counter()
            timings[stage] = (now - start) * 1000
            return now

        k = _clamp_int(k, 1, MAX_K, default=10)
        ctx = sanitize_context(context)
        t = time.perf_counter()
        q = self._understood(query, ctx)
        understanding = q.understanding
        t = lap("understanding", t)
        user_id = str(ctx.get("user_id", "anonymous"))
        x = context_vector(q.raw, understanding, ctx, self.history, self._vocabulary)
        available = [a for a in self.arm_names if self._arm_status[a]["ready"]]
        with self._lock:
            selection = self.selector.select(x, available, query=q.text)
        choices = [replace(selection[a], ready=a in available) for a in self.arm_names]
        t = lap("bandit", t)

        by_arm_cands: dict[str, list[Candidate]] = {}
        shown_arms = [c for c in choices if c.ready and (c.selected or explain)]
        if q.text:
            from ltrr.fanout import fan_out

            # The arms do not depend on each other: they run concurrently, so the search waits
            # for its slowest arm, not for their sum. A failing arm is logged and contributes [].
            start = time.perf_counter()
            budgets = {c.arm: (c.budget if c.selected else EXPLAIN_BUDGET) for c in shown_arms}
            outcomes = fan_out({arm: (lambda arm=arm, b=b: self._arms[arm].retrieve(q, b)[:b])
                                for arm, b in budgets.items()}, what="arm")
            for arm, outcome in outcomes.items():
                by_arm_cands[arm] = outcome.value
                # A shared retrieval cache (simulations) answers in microseconds; the arm's cost
                # on this query is what computing its list took, and that is what gets logged.
                computed = self._arms[arm].cost_ms(q)
                timings[f"arm:{arm}"] = outcome.ms if computed is None else computed
            timings["arms"] = (time.perf_counter() - start) * 1000
        t = time.perf_counter()
        selected_lists = {c.arm: by_arm_cands.get(c.arm, []) for c in choices if c.selected}
        pool = pool_candidates(selected_lists, self._entities)
        t = lap("union", t)
        X = self.features.build(q, pool)
        pool_ids = [p.entity_id for p in pool]
        decision = selection.decision or {}
        explored = None
        if decision.get("explored") and isinstance(decision.get("greedy"), Mapping):
            # What exploration alone brought gets a chance to be seen (see ltrr.rank.stage).
            explored = explored_rows(decision["greedy"],
                                     {a: [c.entity_id for c in lst] for a, lst in selected_lists.items()}, pool_ids)
        ranked = self.rank_stage.rank(self.ranker, q.text, pool_ids, X, k, explored=explored)
        scores, order = ranked.scores, ranked.order
        t = lap("rank", t)

        results = [self._result(pool[i], float(scores[i]), r, X[i] if explain else None)
                   for r, i in enumerate(order, start=1)]
        response = SearchResponse(
            id=uuid.uuid4().hex,
            query=q.raw,
            results=results,
            selection=choices,
            by_arm={a: [self._arm_result(a, c) for c in cands] for a, cands in by_arm_cands.items()},
            understanding=understanding,
            pool=[self._result(p, 0.0, r, None) for r, p in enumerate(pool, start=1)],
            ranker=self._ranker_label(),
            message=self._message(q, results),
            decision=selection.decision,
            context_features=[float(v) for v in x],
            exposed=ranked.expose,
            judge=bool((selection.decision or {}).get("judge")),
        )
        event = {
            "kind": "search", "id": response.id, "ts": _now(), "user_id": user_id,
            "query": q.raw, "query_norm": q.text, "context": ctx,
            "understanding": understanding.to_dict(), "policy": self.policy,
            "x": [round(float(v), 6) for v in x],
            "selection": [
                {"arm": c.arm, "selected": c.selected, "budget": c.budget,
                 "propensity": round(c.propensity, 6), "budget_propensity": round(c.budget_propensity, 6),
                 "expectation": None if not np.isfinite(c.expectation) else round(c.expectation, 6)}
                for c in choices
            ],
            "decision": selection.decision,
            "arm_ms": {a: round(timings[f"arm:{a}"], 3) for a in selected_lists if f"arm:{a}" in timings},
            "by_arm": {a: [[c.entity_id, round(float(c.score), 6)] for c in cands]
                       for a, cands in selected_lists.items()},
            "results": [r.entity_id for r in results],
            **ranked.log_fields(),
        }
        with self._lock:
            self._apply_search(event, self._log.append(event))
            self._pending[response.id] = _Pending(q, pool, X)
            while len(self._pending) > _PENDING_LIMIT:
                self._pending.popitem(last=False)
        lap("log", t)
        timings["total"] = (time.perf_counter() - t0) * 1000
        response.timings = timings
        return response

    def _understood(self, text: object, ctx: Mapping[str, Any]) -> Query:
        """The query as arms see it: cleaned, normalised and understood (empty: nothing understood)."""
        q = Query.make(text, context=ctx)
        if not q.text:
            return q
        return replace(q, understanding=self.understander.understand(q.raw))

    def _message(self, q: Query, results: list[Result]) -> str:
        if not q.text:
            return "Empty query: type a song, an artist, a genre or a mood to search."
        if not results:
            return f"No results for “{q.raw}”."
        return ""

    def _result(self, item: PooledCandidate, score: float, rank: int, x: np.ndarray | None) -> Result:
        ents, row = self._entities, item.row
        feats = {n: float(v) for n, v in zip(FEATURE_NAMES, x)} if x is not None else {}
        return Result(entity_id=item.entity_id, entity_type=ents.types[row], title=ents.titles[row],
                      subtitle=ents.subtitles[row], score=score, rank=rank, arms=item.arms, features=feats)

    def _arm_result(self, arm: str, cand: Candidate) -> Result:
        ents = self._entities
        row = ents.row_of[cand.entity_id]
        return Result(entity_id=cand.entity_id, entity_type=ents.types[row], title=ents.titles[row],
                      subtitle=ents.subtitles[row], score=float(cand.score), rank=cand.rank, arms=[arm],
                      features=dict(cand.features))

    # ------------------------------------------------------------------ feedback
    def feedback(self, response_id: str, entity_id: str | None = None, action: str = "click") -> FeedbackResult:
        """Reward a search: ``click`` on an entity it showed, ``skip`` (nothing was good), or
        ``found_later``: the user left this search without what they wanted and found
        ``entity_id`` afterwards (typically by the next, reworded search). A find after a miss
        is what tells the learner which arm, at which depth, would have served the query:
        the entity's rank in every arm's list for *this* query is learned as after a click
        (Radlinski and Joachims 2005, query chains), and the memory learns the pair;
        it is not a click on this search (no credit, no ranker example).

        The bandit is updated once per search, at its first click or skip:
        every selected arm gets 1 if it retrieved the clicked entity within its
        budget, else 0 (all 0 on skip). Later clicks on the same search update
        the memory, the ranker's data and the log, not the bandit. A repeated
        click on the same entity is logged and otherwise ignored.
        """
        if action not in FEEDBACK_ACTIONS:
            raise FeedbackError(f"unknown action {action!r}; use one of {', '.join(FEEDBACK_ACTIONS)}")
        if not isinstance(response_id, str):
            raise FeedbackError("response id must be a string")
        with self._lock:
            search = self._known_search(response_id)
            if search is None:
                raise FeedbackError(f"unknown response id {response_id[:64]!r}: it was never returned by this engine "
                                    "(or the state was reset since)")
            if action == "click":
                if not isinstance(entity_id, str) or entity_id not in _shown(search):
                    raise FeedbackError(f"entity {str(entity_id)[:64]!r} was not shown in response {response_id}")
            elif action == "found_later":
                if not isinstance(entity_id, str) or entity_id not in self._entities.row_of:
                    raise FeedbackError(f"entity {str(entity_id)[:64]!r} is not in the catalog")
            else:
                entity_id = None
            # Only the coverage policy learns from every arm's rank; the others are credited
            # from the lists the search logged (ltrr.reward), which costs no retrieval.
            learns = self.spec.name == "coverage" and (response_id, entity_id) not in self._clicked and (
                action == "found_later" or action == "click" and response_id not in self._resolved)
        # Full-information feedback: rerun every arm for this query, outside the lock.
        ranks, counts = self._full_ranks(search, entity_id) if learns else (None, None)
        with self._lock:
            if self._known_search(response_id) is None:
                # The state was reset while the arms reran: nothing is written.
                raise FeedbackError(f"unknown response id {response_id[:64]!r}: the state was reset since")
            if learns and ((response_id, entity_id) in self._clicked
                           or action == "click" and response_id in self._resolved):
                ranks = counts = None   # another feedback resolved this search meanwhile
            event = self._feedback_event(search, entity_id, action, ranks, counts)
            self._apply_feedback(event, self._log.append(event))
            n_examples = self._ranker_example(search, entity_id, action, event["duplicate"])
            self._maybe_train()
            entry = self.memory.entry(search["query_norm"], entity_id) if entity_id else None
            memory = asdict(entry) if entry is not None else {}
        return FeedbackResult(
            search_id=response_id, entity_id=entity_id, action=action, position=event["position"],
            rewards=event["rewards"], bandit_updated=event["bandit_update"], duplicate=event["duplicate"],
            memory=memory, ranker_examples=n_examples,
        )

    def judge(self, response_id: str, wanted: Iterable[str]) -> dict[str, int | None]:
        """Say what a search drawn for judgment wanted (``SearchResponse.judge``), retrieved or not.

        A coverage policy with ``judged`` > 0 draws that share of searches at random; an
        assessor (or the user, asked once) names the entities that would have satisfied it.
        Every arm is rerun for the query and the learner hears the first rank of any of them
        in every arm's list, whatever ran: a miss no configuration of the policy could have
        retrieved is learned without exploring for it (see ``ltrr.bandit.coverage``). The
        judgment teaches the learner in place of the search's click or skip; memory and
        ranker still learn from clicks only. Returns each arm's rank (None: not within
        ``MAX_RANK``). A search not drawn, judged twice, or an unknown entity is refused
        (:class:`FeedbackError`).
        """
        if not isinstance(response_id, str):
            raise FeedbackError("response id must be a string")
        if isinstance(wanted, str) or not isinstance(wanted, Iterable):
            raise FeedbackError("wanted must be a list of entity ids")
        targets = list(dict.fromkeys(wanted))
        with self._lock:
            search = self._known_search(response_id)
            if search is None:
                raise FeedbackError(f"unknown response id {response_id[:64]!r}: it was never returned by this engine "
                                    "(or the state was reset since)")
            if not (search.get("decision") or {}).get("judge"):
                raise FeedbackError(f"response {response_id} was not drawn for judgment")
            if response_id in self._judged:
                raise FeedbackError(f"response {response_id} was judged already")
            unknown = [str(e)[:64] for e in targets if not isinstance(e, str) or e not in self._entities.row_of]
            if not targets or unknown:
                raise FeedbackError("wanted must name catalog entities"
                                    + (f"; not in the catalog: {', '.join(unknown[:3])}" if unknown else ""))
        # Full information: every arm reruns for this query, outside the lock.
        ranks, counts = self._full_ranks(search, set(targets))
        with self._lock:
            if self._known_search(response_id) is None:
                raise FeedbackError(f"unknown response id {response_id[:64]!r}: the state was reset since")
            if response_id in self._judged:
                raise FeedbackError(f"response {response_id} was judged already")
            event = _judged_event(response_id, ranks, counts, len(targets))
            self._apply_feedback(event, self._log.append(event))
        return dict(ranks)

    def _feedback_event(self, search: dict, entity_id: str | None, action: str,
                        ranks: Mapping[str, int | None] | None = None,
                        counts: Mapping[str, int] | None = None) -> dict:
        """The feedback record; ``ranks``/``counts`` are the full-information ranks of a first click."""
        sid = search["id"]
        duplicate = action in ("click", "found_later") and (sid, entity_id) in self._clicked
        first = action != "found_later" and sid not in self._resolved and not duplicate
        rewards = reward_rule.search_credit(search, entity_id) if first else {}
        results = search["results"]
        position = results.index(entity_id) + 1 if entity_id in results else None
        event = {"kind": "feedback", "ts": _now(), "search_id": sid, "entity_id": entity_id,
                 "action": action, "position": position, "rewards": rewards,
                 "bandit_update": first, "duplicate": duplicate}
        if (first and action == "click") or (action == "found_later" and not duplicate):
            if ranks is None:   # an old log: only the selected arms' logged lists are known
                ranks = reward_rule.arm_ranks(reward_rule.logged_lists(search.get("by_arm") or {}), entity_id)
            event["arm_ranks"] = dict(ranks)
            if counts is not None:
                event["arm_counts"] = dict(counts)
        return event

    def _full_ranks(self, search: dict, entity_id: str | set[str] | None) -> tuple[dict, dict]:
        """The clicked entity's rank (of a set: the first of them) in every ready arm's list up to
        MAX_RANK, and the lists' lengths."""
        pending = self._pending.get(search["id"])
        q = pending.query if pending is not None else self._understood(search["query"], search.get("context") or {})
        ranks: dict[str, int | None] = {}
        counts: dict[str, int] = {}
        for arm in self.arm_names:
            if not self._arm_status[arm]["ready"] or not q.text:
                continue
            try:
                ids = [c.entity_id for c in self._arms[arm].retrieve(q, reward_rule.MAX_RANK)]
            except Exception:  # an arm failing must not fail feedback
                log.exception("arm %s failed on %r", arm, q.raw)
                continue
            ranks[arm] = reward_rule.rank_in(ids, entity_id)
            counts[arm] = len(ids)
        return ranks, counts

    def _ranker_example(self, search: dict, entity_id: str | None, action: str, duplicate: bool) -> int:
        if action != "click" or duplicate:
            return self.ranker.n_examples
        pending = self._pending.get(search["id"]) or self._rebuild_pending(search)
        shown = set(search["results"]) | {entity_id}
        keep = [i for i, p in enumerate(pending.pool) if p.entity_id in shown]
        if not keep:
            return self.ranker.n_examples
        labels = np.array([1.0 if pending.pool[i].entity_id == entity_id else 0.0 for i in keep])
        # Display positions (0: not in the shown list) let training correct for position bias.
        shown_at = {e: r for r, e in enumerate(search["results"], start=1)}
        positions = np.array([shown_at.get(pending.pool[i].entity_id, 0) for i in keep])
        self.ranker.add_example(search["id"], pending.X[keep], labels, positions)
        return self.ranker.n_examples

    def _rebuild_pending(self, search: dict) -> _Pending:
        """Features of a search no longer in memory (after a restart, in replay): recomputed from its
        log record, with the memory feature as it was when the search ran (see ``_memory_as_of``)."""
        q = self._understood(search["query"], search.get("context") or {})
        lists = {}
        for arm, pairs in (search.get("by_arm") or {}).items():
            lists[arm] = [Candidate(e, float(s), rank=i) for i, (e, s) in enumerate(pairs, start=1)]
        pool = pool_candidates(lists, self._entities)
        X = self.features.build(q, pool)
        self._memory_as_of(search, q, pool, X)
        return _Pending(q, pool, X)

    def _memory_as_of(self, search: dict, q: Query, pool: list[PooledCandidate], X: np.ndarray) -> None:
        """Put the memory arm's full-pool score back as it was when the search ran.

        Features of a live search are stored before its impressions and clicks
        reach the memory; rebuilt later, the memory already holds them, and the
        clicked item's memory feature would contain its own label. Its own
        impressions and clicks are taken out (later searches' are kept: the
        ``_pending`` store holds exact features for the last searches).
        """
        column = FEATURE_COLUMN.get("full_memory")
        if column is None or "memory" not in self._arms or not pool or not q.text:
            return
        clicked = [e for sid, e in self._clicked if sid == search["id"]]
        observed = self.memory.observed_as_of(q.text, search["results"], clicked)
        X[:, column] = scale_by_max(self.memory.pair_scores(q.text, [p.entity_id for p in pool], observed))

    def _maybe_train(self) -> None:
        if self._ranker_training == "off" or not self.ranker.should_retrain():
            return
        self.ranker.set_position_bias(self.position_bias())
        if self._ranker_training == "sync":
            self.ranker.train()
            return
        if self._train_thread is not None and self._train_thread.is_alive():
            return
        self._train_thread = threading.Thread(target=self._train_quietly, name="ltrr-train", daemon=True)
        self._train_thread.start()

    def _train_quietly(self) -> None:
        try:
            self.ranker.train()
        except Exception:
            log.exception("background ranker training failed")

    # ------------------------------------------------------------------ state derivation
    def _apply_search(self, event: dict, offset: int) -> None:
        """Learn from a search event that starts at byte ``offset`` of the log."""
        self._remember(event, offset)
        self._index.add(event["id"], offset)
        self._n_searches += 1
        self.memory.record_impressions(event["query_norm"], event["results"])
        self.history.record_search(event["user_id"])
        # From the log, not the clock: a replay prices arms exactly as the live run did.
        self.selector.observe_latency(event.get("arm_ms"))

    def _apply_feedback(self, event: dict, offset: int) -> None:
        """Learn from a feedback event that starts at byte ``offset`` of the log."""
        search = self._known_search(event["search_id"])
        if search is None:
            return
        self._index.add(search["id"], offset)
        self._n_feedbacks += 1
        if event["action"] == "judged":
            if search["id"] not in self._judged:
                self._judged.add(search["id"])
                x, ranks = self._learnable(search, event.get("arm_ranks") or {})
                if x is not None:
                    self.selector.observe_judged(x, search["selection"], search.get("decision") or {}, ranks,
                                                 event.get("arm_counts"), search["query_norm"])
            return
        entity_id = event.get("entity_id")
        if event["action"] == "found_later" and entity_id and not event["duplicate"]:
            self._record_find(search, entity_id)
            x, ranks = self._learnable(search, event.get("arm_ranks"))
            if x is not None and ranks is not None:
                self.selector.observe_found_later(x, ranks, event.get("arm_counts"))
        if event["action"] == "click" and entity_id:
            self._n_clicks += 1
            if not event["duplicate"]:
                self._record_find(search, entity_id)
                row = self._entities.row_of.get(entity_id)
                genre = self._entities.genres[row] if row is not None else ""
                self.history.record_click(search["user_id"], genre)
        if event["bandit_update"]:
            self._resolved.add(search["id"])
            self._n_resolved += 1
            x, ranks = self._learnable(search, event.get("arm_ranks") if event["action"] == "click" else None)
            if x is not None:
                self.selector.observe(x, search["selection"], search.get("decision"), ranks,
                                      event.get("arm_counts"), search["query_norm"])
            step = self._n_resolved
            for sel in search["selection"]:
                self._arm_history.append({
                    "step": step, "arm": sel["arm"], "selected": sel["selected"],
                    "selection_probability": sel["propensity"], "expected_reward": sel["expectation"],
                    "reward": event["rewards"].get(sel["arm"]),
                })
        elif event["action"] == "skip":
            self._resolved.add(search["id"])
        if not self._replaying and self.checkpoint_every > 0 and self._n_feedbacks % self.checkpoint_every == 0:
            self._save_checkpoint()

    def _record_find(self, search: dict, entity_id: str) -> None:
        """A click, or a later find, on ``search``: kept with the search and counted by the memory."""
        self._clicked.add((search["id"], entity_id))
        self._clicks_of.setdefault(search["id"], []).append(entity_id)
        self.memory.record_click(search["query_norm"], entity_id)

    def _learnable(self, search: dict, ranks: Mapping[str, int | None] | None) -> tuple[np.ndarray | None, dict | None]:
        """The search's context vector and ``ranks`` restricted to this engine's arms.

        A log written with other arms (or an older context layout) still replays: unknown
        arms are ignored, and a context of another width teaches nothing (x is None).
        """
        x = np.asarray(search["x"], dtype=float)
        if x.shape != (len(CONTEXT_FEATURES),):
            return None, None
        return x, None if ranks is None else {a: r for a, r in ranks.items() if a in self._arm_index}

    def _remember(self, event: dict, offset: int) -> None:
        """Keep a search among the recent ones; the oldest leaves (``_known_search`` brings it back)."""
        sid = event["id"]
        self._searches[sid] = event
        self._offsets[sid] = offset
        while len(self._searches) > max(1, self.search_cache):
            old, _ = self._searches.popitem(last=False)
            self._offsets.pop(old, None)
            self._resolved.discard(old)
            self._judged.discard(old)
            for entity_id in self._clicks_of.pop(old, ()):
                self._clicked.discard((old, entity_id))

    def _known_search(self, search_id: str) -> dict | None:
        """The search event of ``search_id``: a recent one from memory, an older one read back from
        the log through the search index (with whether it was resolved or clicked); None if unknown."""
        search = self._searches.get(search_id)
        return search if search is not None else self._recall(search_id)

    def _recall(self, search_id: str) -> dict | None:
        search, at, feedback = None, 0, []
        for offset in self._index.offsets(search_id):
            event = self._log.read_at(offset)
            if event is None:
                continue
            if event["kind"] == "search" and event["id"] == search_id:
                search, at, feedback = event, offset, []
            elif event["kind"] == "feedback" and event["search_id"] == search_id and search is not None:
                feedback.append(event)
        if search is None:
            return None
        self._remember(search, at)
        # The same rule as _feedback_event + _apply_feedback: a repeated click is a duplicate,
        # and any other feedback resolves the search.
        clicked: list[str] = []
        for fb in feedback:
            if fb["action"] == "judged":
                self._judged.add(search_id)
                continue
            entity_id = fb.get("entity_id")
            duplicate = fb["action"] == "click" and entity_id in clicked
            if fb["action"] == "click" and entity_id and not duplicate:
                clicked.append(entity_id)
            if not duplicate:
                self._resolved.add(search_id)
        for entity_id in clicked:
            self._clicked.add((search_id, entity_id))
        if clicked:
            self._clicks_of[search_id] = clicked
        return search

    def replay(self, events: Iterable[dict], progress: ProgressFn = silent) -> dict:
        """Rebuild this (empty) state from an exported log: searches and feedback are
        re-applied in order, rewards recomputed from each search's arm lists, and
        the ranker's examples recomputed from the catalog. Returns counts."""
        events = list(events)
        with self._lock:
            if self._searches:
                raise LtrrError("replay needs an empty state folder; this one already holds searches")
            n_search = n_feedback = n_skipped = 0
            seen: set[str] = set()
            for i, event in enumerate(events):
                if not is_valid_event(event):
                    n_skipped += 1
                elif event["kind"] == "search" and event["id"] not in seen:
                    seen.add(event["id"])
                    self._apply_search(event, self._log.append(event))
                    n_search += 1
                elif event["kind"] == "feedback" and event["search_id"] in seen and event.get("action") == "judged":
                    fb = _judged_event(event["search_id"], _mapping(event.get("arm_ranks")) or {},
                                       _mapping(event.get("arm_counts")), event.get("n_wanted"), event.get("ts"))
                    self._apply_feedback(fb, self._log.append(fb))
                    n_feedback += 1
                elif event["kind"] == "feedback" and event["search_id"] in seen:
                    search = self._known_search(event["search_id"])
                    action = event.get("action") if event.get("action") in FEEDBACK_ACTIONS else "click"
                    fb = self._feedback_event(search, event.get("entity_id"), action,
                                              _mapping(event.get("arm_ranks")), _mapping(event.get("arm_counts")))
                    fb["ts"] = event.get("ts", fb["ts"])
                    self._apply_feedback(fb, self._log.append(fb))
                    self._ranker_example(search, fb["entity_id"], action, fb["duplicate"])
                    n_feedback += 1
                else:
                    n_skipped += 1
                if i % 200 == 0:
                    progress(i, len(events), "Replaying log")
            progress(len(events), len(events), "Replaying log")
        if self._ranker_training != "off" and self.ranker.n_sessions >= self.ranker.min_sessions:
            self.ranker.train()
        return {"searches": n_search, "feedbacks": n_feedback, "skipped": n_skipped}

    def _replay_log(self) -> None:
        """Derive bandit, memory and histories: from the checkpoint when one matches the log, then
        from the log after it; from the whole log otherwise (rewards recomputed, not trusted)."""
        start = self._load_checkpoint()
        if start == 0:
            self._index.truncate(0)
        n_feedback = 0
        self._replaying = True
        try:
            for offset, event in self._log.events_from(start):
                if event["kind"] == "search":
                    self._apply_search(event, offset)
                    continue
                search = self._known_search(event["search_id"])
                if search is not None and event["action"] == "judged":
                    self._apply_feedback(event, offset)     # a judgment is learned as logged
                    n_feedback += 1
                elif search is not None:
                    self._apply_feedback(self._feedback_event(search, event.get("entity_id"), event["action"],
                                                              _mapping(event.get("arm_ranks")),
                                                              _mapping(event.get("arm_counts"))), offset)
                    n_feedback += 1
        finally:
            self._replaying = False
        if start or n_feedback:
            log.info("derived state: checkpoint up to byte %d, then %d feedbacks replayed", start, n_feedback)
        if self.checkpoint_every > 0 and n_feedback >= self.checkpoint_every:
            self._save_checkpoint()   # a process killed before close still opens fast next time

    # ------------------------------------------------------------------ checkpoints
    @property
    def _checkpoint_dir(self) -> Path:
        return self.state.path / "checkpoint"

    def _checkpoint_key(self) -> dict:
        """What a checkpoint must have been made for (else the log is replayed)."""
        return {"policy": str(self.spec), "arms": list(self.arm_names), "seed": self.seed,
                "arm_budget": self.selector.arm_budget, "context": list(CONTEXT_FEATURES),
                "search_cache": self.search_cache}

    def _save_checkpoint(self) -> None:
        """Write the derived state with the log prefix it covers (call under the lock). The mabwiser
        policies have no checkpoint: their models cannot be saved without pickle (full replay)."""
        if not self.selector.can_save_state:
            return
        try:
            size = self.state.log_path.stat().st_size
            if size == self._checkpoint_at:
                return            # nothing was logged since the checkpoint on disk
            self._index.flush(fsync=self._log.fsync)
            mark = LogMark.at(self.state.log_path, size)
            n_records = len(self._index)
            state = {
                "counters": {"searches": self._n_searches, "feedbacks": self._n_feedbacks,
                             "clicks": self._n_clicks, "resolved": self._n_resolved},
                "selector": self.selector.state_dict(),
                "memory": self.memory.state_dict(),
                "history": self.history.state_dict(),
                "recent": {"ids": list(self._searches),
                           "offsets": np.array([self._offsets[s] for s in self._searches], dtype=np.int64),
                           "resolved": sorted(self._resolved),
                           "judged": sorted(self._judged),
                           "clicked": [[sid, list(ids)] for sid, ids in self._clicks_of.items()]},
                "arm_history": [[r["step"], r["arm"], r["selected"], r["selection_probability"],
                                 r["expected_reward"], r["reward"]] for r in self._arm_history],
                "index": {"records": n_records, "digest": self._index.digest(n_records)},
            }
            save_checkpoint(self._checkpoint_dir, self._checkpoint_key(), mark, state, fsync=self._log.fsync)
            self._checkpoint_at = size
        except Exception:   # the log still holds everything: the next open replays more, that is all
            log.exception("checkpoint not written")

    def _load_checkpoint(self) -> int:
        """Load the checkpoint into the (empty) derived state; the log offset to replay from (0: none)."""
        if not self.selector.can_save_state:
            return 0
        found = load_checkpoint(self._checkpoint_dir, self._checkpoint_key(), self.state.log_path)
        if found is None:
            return 0
        try:
            state = found.state
            index = state["index"]
            n_records = int(index["records"])
            if len(self._index) < n_records or self._index.digest(n_records) != index["digest"]:
                raise ValueError("the search index does not hold what the checkpoint relies on")
            recent = state["recent"]
            for sid, offset in zip(recent["ids"], np.asarray(recent["offsets"]).tolist(), strict=True):
                event = self._log.read_at(offset)
                if event is None or event["kind"] != "search" or event["id"] != sid:
                    raise ValueError(f"no search {sid!r} at byte {offset} of the log")
                self._searches[sid], self._offsets[sid] = event, offset
            self._resolved.update(recent["resolved"])
            self._judged.update(recent.get("judged") or ())     # absent from checkpoints before judgments
            for sid, ids in recent["clicked"]:
                self._clicks_of[sid] = list(ids)
                self._clicked.update((sid, e) for e in ids)
            self._arm_history.extend(
                {"step": step, "arm": arm, "selected": selected, "selection_probability": p,
                 "expected_reward": expected, "reward": reward}
                for step, arm, selected, p, expected, reward in state["arm_history"])
            counters = state["counters"]
            self._n_searches, self._n_feedbacks = int(counters["searches"]), int(counters["feedbacks"])
            self._n_clicks, self._n_resolved = int(counters["clicks"]), int(counters["resolved"])
            self.selector.load_state_dict(state["selector"])
            self.memory.load_state_dict(state["memory"])
            self.history.load_state_dict(state["history"])
            self._index.truncate(n_records)
            self._checkpoint_at = found.mark.offset
        except Exception as exc:   # whatever is wrong with it, the log is the source of truth
            log.warning("ignoring checkpoint in %s: %s; replaying the whole log", self._checkpoint_dir, exc)
            self.selector.reset()
            self.memory.clear()
            self.history = UserHistory()
            self._reset_derived()
            return 0
        return found.mark.offset

    # ------------------------------------------------------------------ reports
    def status(self) -> dict:
        """Arms' readiness and build progress, counters, policy and ranker."""
        return {
            "arms": {a: dict(s) for a, s in self._arm_status.items()},
            "searches": self._n_searches, "feedbacks": self._n_feedbacks, "clicks": self._n_clicks,
            "policy": self.policy, "ranker": self._ranker_label(),
        }

    def arm_report(self, context: Mapping[str, Any] | None = None) -> list[dict]:
        """Per arm: pulls, rewards, mean and expected reward, selection probability, readiness."""
        x = None
        if context is not None:
            ctx = sanitize_context(context)
            q = self._understood(ctx.get("query", ""), ctx)
            x = context_vector(q.raw, q.understanding, ctx, self.history, self._vocabulary)
        with self._lock:
            rows = self.selector.report(x)
        for row in rows:
            row["ready"] = self._arm_status[row["arm"]]["ready"]
        return rows

    def arm_history(self) -> pd.DataFrame:
        """One row per arm per resolved search: step, arm, selection_probability, expected_reward, reward."""
        with self._lock:
            return pd.DataFrame(list(self._arm_history), columns=["step", "arm", "selected", "selection_probability",
                                                            "expected_reward", "reward"])

    def memory_entries(self, query: str | None = None, limit: int = 500) -> pd.DataFrame:
        """The query-to-entity memory's observed entries (optionally for one query), with titles."""
        frame = self.memory.entries()
        if query:
            frame = frame[frame["query"] == normalize_query(query)]
        frame = frame.head(max(0, int(limit))).copy()
        frame.insert(2, "title", [self._title(e) for e in frame["entity_id"]])
        return frame.reset_index(drop=True)

    def memory_history(self, query: str, entity_id: str) -> pd.DataFrame:
        """How one memory entry's impressions, clicks and observed score evolved, per search of that query."""
        qn = normalize_query(query)
        rows, imp, clk = [], 0, 0
        predicted, _ = self.memory.predicted(qn, entity_id)
        with self._lock:
            clicked = {s for s, e in self._clicked if e == entity_id}
            for step, (sid, ev) in enumerate(self._searches.items(), start=1):
                if ev["query_norm"] != qn:
                    continue
                if entity_id in ev["results"] or sid in clicked:   # a click implies an impression
                    imp += 1
                if sid in clicked:
                    clk += 1
                rows.append({"step": step, "impressions": imp, "clicks": clk,
                             "observed": posterior(predicted, imp, clk)})
        return pd.DataFrame(rows, columns=["step", "impressions", "clicks", "observed"])

    def explain(self, response_id: str, entity_id: str) -> dict:
        """Why an entity ranked where it did: the arms that found it, its features, per-feature contributions."""
        with self._lock:
            pending = self._pending.get(response_id)
            search = self._known_search(response_id)
        if search is None:
            raise FeedbackError(f"unknown response id {str(response_id)[:64]!r}")
        if pending is None:
            pending = self._rebuild_pending(search)
        for i, item in enumerate(pending.pool):
            if item.entity_id == entity_id:
                x = pending.X[i: i + 1]
                contrib = self.ranker.contributions(x)[0]
                return {
                    "arms": {a: {"rank": item.arm_ranks[a], "score": item.arm_scores[a]} for a in item.arms},
                    "features": {n: float(v) for n, v in zip(FEATURE_NAMES, x[0])},
                    "contributions": {n: float(v) for n, v in zip(FEATURE_NAMES, contrib)},
                    "bias": float(contrib[-1]) if len(contrib) > len(FEATURE_NAMES) else 0.0,
                }
        raise FeedbackError(f"entity {str(entity_id)[:64]!r} was not a candidate of response {response_id}")

    def _ranker_label(self) -> str:
        return f"lightgbm v{self.ranker.version}" if self.ranker.is_trained else "heuristic"

    def ranker_status(self) -> dict:
        """Training status: trained, version, sessions and examples held, last report, thresholds,
        the champion/challenger decisions (newest last, each with its reason) and the debias mode."""
        decisions = self.ranker.decisions(limit=20)
        return {
            "trained": self.ranker.is_trained, "version": self.ranker.version, "label": self._ranker_label(),
            "n_sessions": self.ranker.n_sessions, "n_examples": self.ranker.n_examples,
            "min_sessions": self.ranker.min_sessions, "retrain_every": self.ranker.retrain_every,
            "report": self.ranker.report or {}, "debias": self.ranker.debias,
            "decisions": decisions, "reason": decisions[-1]["decision"] if decisions else
            "no model trained yet: the heuristic ranks",
        }

    def position_bias(self) -> PositionBias:
        """The examination probability per rank (1..10), estimated from the logged adjacent swaps
        (``ltrr.rank.position``); the prior 1/rank until enough swapped searches were clicked."""
        with self._lock:
            searches = list(self._searches.values())
            clicked = list(self._clicked)
        return estimate_position_bias(searches_from_log(searches, clicked))

    def set_ranking_experiments(self, swap_share: float | None = None, interleave_share: float | None = None,
                                expose: bool | None = None, expose_slots: int | None = None) -> None:
        """Share of searches given a random adjacent swap (position-bias estimation) and share
        interleaving the heuristic with the adopted model (``ltrr.rank.stage``); 0 turns one off.
        ``expose``: show what the bandit's exploration alone brought from position 3 on (default
        on); ``expose_slots``: for how many explored arms at most (default 3)."""
        self.rank_stage.set_shares(swap_share, interleave_share)
        if expose is not None or expose_slots is not None:
            self.rank_stage.set_exposure(self.rank_stage.expose if expose is None else expose, expose_slots)

    def interleaving_report(self) -> list[dict]:
        """Per pair of interleaved rankers: wins, losses, ties, the sign test's p-value, the
        leader and a label ("heuristic vs lightgbm v2: 14-6 (3 ties), p = 0.115").

        Only searches that got a click or a skip count (a search still on screen is no tie).
        """
        with self._lock:
            searches = [s for s in self._searches.values() if "interleave" in s]
            clicked = list(self._clicked)
            resolved = set(self._resolved)
        return [t.to_dict() for t in interleave_tally(searches, clicked, resolved)]

    def attribute(self, response_id: str, targets: Iterable[str] | None = None) -> dict:
        """Why a search did or did not show what was wanted (``ltrr.attribution``).

        ``targets``: the wanted entity ids (the simulator knows them); default:
        the entities clicked on this search. Ranks in every arm up to 50 come
        from the feedback event when the engine logged them, else the arms are run again.
        """
        with self._lock:
            search = self._known_search(response_id)
            if search is None:
                raise FeedbackError(f"unknown response id {str(response_id)[:64]!r}")
            wanted = list(targets) if targets is not None else \
                [e for sid, e in self._clicked if sid == response_id]
        lists = self._arm_lists(search)
        return attribute_search(search, wanted, lists).to_dict()

    def _arm_lists(self, search: dict) -> dict[str, list[str]]:
        """Every ready arm's list for the search's query, up to ``ATTRIBUTION_DEPTH`` (arms are deterministic)."""
        pending = self._pending.get(search["id"])
        q = pending.query if pending is not None else self._understood(search["query"], search.get("context") or {})
        lists: dict[str, list[str]] = {}
        if not q.text:
            return lists
        for arm in self.arm_names:
            if not self._arm_status[arm]["ready"]:
                continue
            try:
                lists[arm] = [c.entity_id for c in self._arms[arm].retrieve(q, ATTRIBUTION_DEPTH)]
            except Exception:  # an arm failing must not fail a report
                log.exception("arm %s failed on %r", arm, q.raw)
        return lists

    def train_ranker(self) -> dict:
        """Train the ranker now and return its report; LtrrError when it could not train."""
        self.ranker.set_position_bias(self.position_bias())
        report = self.ranker.train()
        if report.get("reason"):
            raise LtrrError(f"ranker not trained: {report['reason']}")
        return report

    def feature_importances(self) -> dict[str, float]:
        return self.ranker.feature_importances()

    def log_events(self) -> list[dict]:
        """The raw interaction log (intact events, in order)."""
        return list(InteractionLog(self.state.log_path, read_only=True).events())

    def log_frame(self, limit: int | None = None) -> pd.DataFrame:
        """The log, one row per search with its clicks (newest last).

        Cached on the log file: a repeated call reads only the events appended since."""
        frame = cached_log_frame(self.state.log_path)
        return frame if limit is None else frame.tail(int(limit)).reset_index(drop=True)

    def export(self, out_dir: str | Path, fmt: str = "parquet") -> Path:
        """Write the log to ``out_dir/interactions.<fmt>`` (parquet, csv or jsonl)."""
        return export_events(self.log_events(), out_dir, fmt)

    def browse(self, entity_type: str | None = None, text: str = "", limit: int = 100) -> pd.DataFrame:
        """Catalog entities filtered by type and a case-insensitive substring of the title."""
        frame = self._entities.frame
        mask = np.ones(len(frame), dtype=bool)
        if entity_type:
            mask &= (frame["entity_type"] == entity_type).to_numpy()
        if text:
            mask &= frame["title"].str.contains(str(text)[:200], case=False, regex=False).to_numpy()
        cols = ["entity_id", "entity_type", "title", "subtitle", "genre", "popularity", "release_date"]
        return frame.loc[mask, cols].head(max(0, int(limit))).reset_index(drop=True)

    def catalog_counts(self) -> dict[str, int]:
        return self.catalog.counts()

    # ------------------------------------------------------------------ lifecycle
    def reset(self) -> Path:
        """Forget everything learned (the old log and models move to a snapshot, returned)."""
        with self._lock:
            snap = self._clear_state()
            self._log = InteractionLog(self.state.log_path, fsync=self._log.fsync)
            remove_checkpoint(self._checkpoint_dir)
            self._index.truncate(0)
            self.ranker.reset()
            self.memory.clear()
            self.history = UserHistory()
            self.selector.reset()
            self._reset_derived()
        return snap

    def _clear_state(self) -> Path:
        """Close the log and move log and ranker into a ``reset-...`` snapshot (returned); the
        caller reopens the log. If that fails, the log is reopened where it was, nothing lost,
        and the error raised: the engine goes on writing."""
        # A background training writes its model, meta and decisions into the ranker's folder;
        # one that landed while that folder was being removed left it in place and failed the reset.
        self.ranker.void_training()
        self._log.close()
        try:
            return self.state.clear()
        except BaseException:
            self._log = InteractionLog(self.state.log_path, fsync=self._log.fsync)
            raise

    def snapshot(self, name: str) -> Path:
        """Copy the learning state to snapshots/NAME (a plain name, never a path)."""
        with self._lock:
            return self.state.snapshot(safe_name(name))

    def snapshots(self) -> list[str]:
        """Names of the snapshots of this state folder, newest first."""
        folder = self.state.path / "snapshots"
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.is_dir() and (p / "state.json").is_file()]
        return [p.name for p in sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)]

    def restore(self, name: str) -> Path:
        """Make the snapshot NAME the live learning state; the state it replaces is
        kept as a ``reset-...`` snapshot first (returned). Bandit, memory and user
        histories are rebuilt from the restored log, the ranker from its files."""
        name = safe_name(name)
        source = self.state.path / "snapshots" / name
        if not (source / "state.json").is_file():
            known = ", ".join(self.snapshots()) or "none"
            raise LtrrError(f"no snapshot named {name!r} (snapshots: {known})")
        if self._train_thread is not None:
            self._train_thread.join(timeout=60)   # a training run must not write into the swapped folder
        with self._lock:
            kept = self._clear_state()
            for sub in ("log", "ranker"):
                shutil.rmtree(self.state.path / sub, ignore_errors=True)
                if (source / sub).is_dir():
                    shutil.copytree(source / sub, self.state.path / sub)
                else:
                    (self.state.path / sub).mkdir()
            self._log = InteractionLog(self.state.log_path, fsync=self._log.fsync)
            self.ranker = Ranker(self.state.ranker_dir, seed=self.seed)
            self.memory.clear()
            self.history = UserHistory()
            self.selector.reset()
            self._reset_derived()
            self._replay_log()
        return kept

    def close(self) -> None:
        """Release the state lock and files. Idempotent."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        # Background builders stop at their next progress report (one embedding
        # batch): a thread still inside torch at interpreter exit aborts the process.
        self._closing = True
        for thread in getattr(self, "_builders", []):
            thread.join(timeout=60)
        if self._train_thread is not None:
            self._train_thread.join(timeout=30)
        with self._lock:
            self._save_checkpoint()
            self._index.close()
        self._log.close()
        self.state.close()
        if self._owns_catalog:
            self.catalog.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _title(self, entity_id: str) -> str:
        row = self._entities.row_of.get(entity_id)
        return "" if row is None else str(self._entities.titles[row])


def _shown(search: dict) -> set[str]:
    shown = set(search["results"])
    for pairs in (search.get("by_arm") or {}).values():
        shown.update(e for e, _ in pairs)
    return shown


def _judged_event(search_id: str, ranks: Mapping[str, int | None], counts: Mapping[str, int] | None,
                  n_wanted: object, ts: object = None) -> dict:
    """The feedback record of a judgment (``Engine.judge``): every arm's first rank of what was
    wanted, no credit; ``ts`` kept when replaying an export."""
    return {"kind": "feedback", "ts": ts if isinstance(ts, str) else _now(), "search_id": search_id,
            "entity_id": None, "action": "judged", "position": None, "rewards": {}, "bandit_update": False,
            "duplicate": False, "arm_ranks": dict(ranks), "arm_counts": dict(counts or {}),
            "n_wanted": n_wanted if isinstance(n_wanted, int) else None}


def _mapping(value: object) -> dict | None:
    """A logged mapping (e.g. arm ranks) from an untrusted export, or None."""
    return dict(value) if isinstance(value, Mapping) else None


def _clamp_int(value: object, low: int, high: int, default: int) -> int:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    return max(low, min(high, number))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
