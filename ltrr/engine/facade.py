"""``Engine``: the one public API used by the app, the CLI, the simulator and the tests.

A search: clean query -> query understanding -> context vector -> the bandit picks arms and
budgets -> arms retrieve -> union with provenance -> features -> ranker -> log -> response.
A click: reward the bandit, the memory, the ranker's training data and the log, in that one call.

The facade only delegates. The parts behind it, each one job:

* :mod:`ltrr.engine.arms`         the arms' lifecycle: open, build in the background, readiness
* :mod:`ltrr.engine.pipeline`     the search pipeline
* :mod:`ltrr.engine.learning`     feedback, judgments, the ranker's examples and training
* :mod:`ltrr.engine.derived`      the state derived from the log, and replay
* :mod:`ltrr.engine.persistence`  checkpoints, reset, snapshots, restore, close
* :mod:`ltrr.engine.reports`      read-only reports
* :mod:`ltrr.engine.core`         what they share; :mod:`ltrr.engine.records` the response types
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, MutableMapping

import pandas as pd

from ltrr.bandit.policy import DEFAULT_POLICY
from ltrr.catalog.store import Catalog
from ltrr.engine.arms import SharedArms
from ltrr.engine.core import Core
from ltrr.engine.learning import Learning
from ltrr.engine.persistence import Persistence
from ltrr.engine.pipeline import SearchPipeline
from ltrr.engine.records import (ARM_HISTORY_LIMIT, CHECKPOINT_EVERY, EXPLAIN_BUDGET, FEEDBACK_ACTIONS, MAX_K,
                                 PENDING_LIMIT, SEARCH_CACHE, FeedbackResult, Result, SearchResponse)
from ltrr.engine.reports import Reports
from ltrr.engine.warm import JudgedSearch
from ltrr.errors import LtrrError
from ltrr.memory import MAX_QUERIES as MEMORY_QUERIES
from ltrr.progress import ProgressFn, silent
from ltrr.rank.position import PositionBias

__all__ = ["Engine", "SearchResponse", "Result", "FeedbackResult", "FEEDBACK_ACTIONS", "MAX_K", "EXPLAIN_BUDGET",
           "ARM_HISTORY_LIMIT", "SEARCH_CACHE", "CHECKPOINT_EVERY"]


class Engine:
    """Search, learn from feedback, report. Thread-safe: one engine may serve many sessions."""

    # Settings of the derived state (class attributes: set them on a subclass, or on Engine before open).
    search_cache = SEARCH_CACHE
    pending_limit = PENDING_LIMIT
    checkpoint_every = CHECKPOINT_EVERY
    # Queries the query-to-entity memory keeps (the least recently searched leave first), and with
    # them the reformulation evidence: what keeps the learned state flat however long it runs.
    memory_queries = MEMORY_QUERIES

    def __init__(self) -> None:  # use Engine.open
        raise TypeError("use Engine.open(catalog=..., state=...)")

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, catalog: str | Path | Catalog, state: str | Path, policy: str = DEFAULT_POLICY, seed: int = 0,
             progress: ProgressFn | None = None, arms: Iterable[str] | None = None, background: bool = True,
             fsync: bool = False, ranker_training: str = "background", arm_budget: int = 20,
             retrieval_cache: MutableMapping | None = None, shared_arms: SharedArms | None = None) -> "Engine":
        """Open an engine on a catalog file and a state folder.

        ``policy``: coverage | linucb | lints | thompson | epsilon | all | static:ARM[,ARM...].
        ``arms``: restrict the arms (default: every registered arm).
        ``background``: open slow arms (semantic) in a background thread so
        searches are served by the other arms meanwhile.
        ``ranker_training``: "background" (retrain off the request path),
        "sync" (retrain inside feedback: reproducible simulations) or "off".
        ``arm_budget``: the budget of ``all`` and ``static:`` arms given none,
        and the largest the mabwiser policies ask for.
        ``retrieval_cache``: a dict shared by engines that see the same queries
        (the simulator): stateless arms compute each query's list once.
        ``shared_arms``: a pool shared by engines on the same Catalog object: stateless arms open once.
        """
        self = object.__new__(cls)
        self._closed = False
        self._core = Core.open(catalog, state, policy, seed, progress or silent, arms, background, fsync,
                               ranker_training, arm_budget, retrieval_cache, cls.search_cache, cls.checkpoint_every,
                               derive=Persistence.attach, memory_queries=cls.memory_queries,
                               shared_arms=shared_arms, pending_limit=cls.pending_limit)
        self._pipeline = SearchPipeline(self._core)
        self._learning = Learning(self._core)
        self._reports = Reports(self._core, self._learning.pending_of)
        return self

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Block until background arms have opened; True when all are ready."""
        return self._core.arms.wait(timeout)

    # ------------------------------------------------------------------ search and feedback
    def search(self, query: object, context: Mapping[str, Any] | None = None, k: int = 10,
               explain: bool = False) -> SearchResponse:
        """Retrieve with the arms the bandit picks, rerank, log; never raises on bad input."""
        return self._pipeline.search(query, context, k, explain)

    def feedback(self, response_id: str, entity_id: str | None = None, action: str = "click") -> FeedbackResult:
        """Reward a search: ``click`` on an entity it showed, ``skip`` (nothing was good), or
        ``found_later``: the user left this search without what they wanted and found
        ``entity_id`` afterwards (typically by the next, reworded search). A find after a miss
        is what tells the learner which arm, at which depth, would have served the query:
        the entity's rank in every arm's list for *this* query is learned as after a click
        (Radlinski and Joachims 2005, query chains), and the memory learns the pair;
        it is not a click on this search (no credit, no ranker example).

        Searches of one session (``context["session_id"]``, else one ``user_id`` within 10 minutes
        by ``context["timestamp"]``) need no ``found_later``: a first click that follows failed
        searches of the session (skipped or left unclicked) logs a ``reformulation`` event per
        failed query and teaches the memory that query -> the clicked entity, with a confidence
        that grows with distinct users (``ltrr.engine.sessions``, ``ltrr.memory.reformulation``). A
        ``found_later`` of the same pair on the failed search still teaches the learner, but the
        memory counts the pair once.

        The bandit is updated once per search, at its first click or skip:
        every selected arm gets 1 if it retrieved the clicked entity within its
        budget, else 0 (all 0 on skip). Later clicks on the same search update
        the memory, the ranker's data and the log, not the bandit. A repeated
        click on the same entity is logged and otherwise ignored.
        """
        return self._learning.feedback(response_id, entity_id, action)

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
        return self._learning.judge(response_id, wanted)

    def warm_start(self, searches: Iterable[JudgedSearch], progress: ProgressFn = silent) -> int:
        """Teach the policy, before it serves, from full-information searches of another stream
        (:mod:`ltrr.engine.warm`: a judged sample, :func:`~ltrr.engine.warm.judged_searches` of an
        exported log). The coverage learner reads each as a judged search of a policy that ran every
        arm at every depth; the routing table (``route``, :mod:`ltrr.bandit.route`) chooses its
        configurations from them. Returns how many were read. Every search is checked first; a bad
        one (or another policy) raises :class:`LtrrError` and teaches nothing. Each is logged (a
        ``warm`` event), so reopening, replaying an export and checkpoints keep it; ``reset``
        forgets it with everything else."""
        return self._learning.warm_start(searches, progress)

    def replay(self, events: Iterable[dict], progress: ProgressFn = silent) -> dict:
        """Rebuild this (empty) state from an exported log: searches and feedback are
        re-applied in order, rewards recomputed from each search's arm lists, and
        the ranker's examples recomputed from the catalog. Returns counts."""
        return self._core.derived.replay(events, self._learning.ranker_example, progress)

    # ------------------------------------------------------------------ the ranker
    def train_ranker(self) -> dict:
        """Train the ranker now and return its report; LtrrError when it could not train."""
        report = self._learning.train()
        if report.get("reason"):
            raise LtrrError(f"ranker not trained: {report['reason']}")
        return report

    def ranker_status(self) -> dict:
        """Training status, thresholds, the champion/challenger decisions and the debias mode."""
        return self._reports.ranker_status()

    def feature_importances(self) -> dict[str, float]:
        """The adopted model's importance per feature."""
        return self._core.ranker.feature_importances()

    def position_bias(self) -> PositionBias:
        """The examination probability per rank (1..10), estimated from the logged adjacent swaps
        (``ltrr.rank.position``); the prior 1/rank until enough swapped searches were clicked."""
        return self._learning.position_bias()

    def set_ranking_experiments(self, swap_share: float | None = None, interleave_share: float | None = None,
                                expose: bool | None = None, expose_slots: int | None = None) -> None:
        """Share of searches given a random adjacent swap (position-bias estimation) and share
        interleaving the heuristic with the adopted model (``ltrr.rank.stage``); 0 turns one off.
        ``expose``: show what the bandit's exploration alone brought from position 3 on (default
        on); ``expose_slots``: for how many explored arms at most (default 3)."""
        stage = self._core.rank_stage
        stage.set_shares(swap_share, interleave_share)
        if expose is not None or expose_slots is not None:
            stage.set_exposure(stage.expose if expose is None else expose, expose_slots)

    # ------------------------------------------------------------------ reports
    def status(self) -> dict:
        """Arms' readiness and build progress, counters, policy and ranker."""
        return self._reports.status()

    def arm_report(self, context: Mapping[str, Any] | None = None) -> list[dict]:
        """Per arm: pulls, rewards, mean and expected reward, selection probability, readiness."""
        return self._reports.arm_report(context)

    def arm_history(self) -> pd.DataFrame:
        """One row per arm per resolved search: step, arm, selection_probability, expected_reward, reward."""
        return self._reports.arm_history()

    def memory_entries(self, query: str | None = None, limit: int = 500) -> pd.DataFrame:
        """The query-to-entity memory's observed entries (optionally for one query), with titles."""
        return self._reports.memory_entries(query, limit)

    def rewordings(self, query: str | None = None, limit: int = 500) -> pd.DataFrame:
        """Phrase substitutions learned from reworded searches ("easygoing *" -> "* chill playlist"):
        pattern, replacement, users, chains, weight; with ``query``, those it matches and what it is
        reworded into (``reworded``)."""
        return self._reports.rewordings(query, limit)

    def close_asks(self, query: str) -> pd.DataFrame:
        """What the memory lists for an ask from what users taught the asks nearest to it in meaning:
        asked, similarity, entity_id, title, score (empty when it lists nothing that way)."""
        return self._reports.close_asks(query)

    def memory_history(self, query: str, entity_id: str) -> pd.DataFrame:
        """How one memory entry's impressions, clicks and observed score evolved, per search of that query."""
        return self._reports.memory_history(query, entity_id)

    def explain(self, response_id: str, entity_id: str) -> dict:
        """Why an entity ranked where it did: the arms that found it, its features, per-feature contributions."""
        return self._reports.explain(response_id, entity_id)

    def interleaving_report(self) -> list[dict]:
        """Per pair of interleaved rankers: wins, losses, ties, the sign test's p-value, the
        leader and a label ("heuristic vs lightgbm v2: 14-6 (3 ties), p = 0.115")."""
        return self._reports.interleaving_report()

    def attribute(self, response_id: str, targets: Iterable[str] | None = None) -> dict:
        """Why a search did or did not show what was wanted (``ltrr.attribution``); ``targets``
        default to the entities clicked on it."""
        return self._reports.attribute(response_id, targets)

    def log_events(self) -> list[dict]:
        """The raw interaction log (intact events, in order)."""
        return self._reports.log_events()

    def log_frame(self, limit: int | None = None) -> pd.DataFrame:
        """The log, one row per search with its clicks (newest last)."""
        return self._reports.log_frame(limit)

    def export(self, out_dir: str | Path, fmt: str = "parquet") -> Path:
        """Write the log to ``out_dir/interactions.<fmt>`` (parquet, csv or jsonl)."""
        return self._reports.export(out_dir, fmt)

    def browse(self, entity_type: str | None = None, text: str = "", limit: int = 100) -> pd.DataFrame:
        """Catalog entities filtered by type and a case-insensitive substring of the title."""
        return self._reports.browse(entity_type, text, limit)

    def catalog_counts(self) -> dict[str, int]:
        """Entities per type in the catalog."""
        return self._core.catalog.counts()

    # ------------------------------------------------------------------ state folder
    def reset(self) -> Path:
        """Forget everything learned (the old log and models move to a snapshot, returned)."""
        return self._core.persistence.reset()

    def snapshot(self, name: str) -> Path:
        """Copy the learning state to snapshots/NAME (a plain name, never a path)."""
        return self._core.persistence.snapshot(name)

    def snapshots(self) -> list[str]:
        """Names of the snapshots of this state folder, newest first."""
        return self._core.persistence.snapshots()

    def restore(self, name: str) -> Path:
        """Make the snapshot NAME the live learning state; the replaced state is kept as a
        ``reset-...`` snapshot (returned)."""
        return self._core.persistence.restore(name)

    def close(self) -> None:
        """Release the state lock and files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._core.persistence.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ what the engine holds
    spec = property(lambda self: self._core.spec, doc="The policy (a PolicySpec).")
    policy = property(lambda self: self._core.spec.name, doc="The policy's name.")
    seed = property(lambda self: self._core.seed, doc="The seed of every random choice.")
    catalog = property(lambda self: self._core.catalog, doc="The catalog (read-only).")
    state = property(lambda self: self._core.state, doc="The state folder (ltrr.state.StateDir).")
    arm_names = property(lambda self: self._core.arms.names, doc="The engine's arms, in order.")
    understander = property(lambda self: self._core.understander, doc="Query understanding.")
    memory = property(lambda self: self._core.memory, doc="The query-to-entity memory.")
    history = property(lambda self: self._core.history, doc="Per-user histories (bandit context).")
    selector = property(lambda self: self._core.selector, doc="The bandit (ltrr.bandit.selector.ArmSelector).")
    features = property(lambda self: self._core.features, doc="The ranker's feature builder.")
    ranker = property(lambda self: self._core.ranker, doc="The learned ranker.")
    rank_stage = property(lambda self: self._core.rank_stage, doc="The rank stage (swaps, interleaving, exposure).")

    # Internals that tests and benchmarks read (prefer the parts: ltrr.engine.derived, .arms, .learning).
    _arms = property(lambda self: self._core.arms.arms)
    _searches = property(lambda self: self._core.derived.searches)
    _resolved = property(lambda self: self._core.derived.resolved)
    _clicked = property(lambda self: self._core.derived.clicked)
    _pending = property(lambda self: self._core.derived.pending)
    _rebuild_pending = property(lambda self: self._learning.rebuild_pending)
