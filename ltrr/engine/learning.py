"""Feedback and learning: a click, skip, later find or judgment rewards the bandit, the memory,
the ranker's training data and the log, in one call; the ranker retrains when due."""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Iterable

import numpy as np

from ltrr import reward as reward_rule
from ltrr.engine.records import FEEDBACK_ACTIONS, FeedbackResult, Pending, judged_event, now, shown
from ltrr.engine.warm import JudgedSearch, checked
from ltrr.events import value, warm_event
from ltrr.errors import FeedbackError, LtrrError
from ltrr.progress import ProgressFn, silent
from ltrr.pool import PooledCandidate, pool_candidates
from ltrr.query import Query
from ltrr.rank.features import COLUMN as FEATURE_COLUMN
from ltrr.rank.features import scale_by_max
from ltrr.rank.position import PositionBias
from ltrr.strategies.base import Candidate

if TYPE_CHECKING:
    from ltrr.engine.core import Core

log = logging.getLogger("ltrr.engine")


def _unknown(response_id: str, since: str = "it was never returned by this engine (or the state was reset since)"
             ) -> FeedbackError:
    return FeedbackError(f"unknown response id {response_id[:64]!r}: {since}")


def _not_searched(derived, response_id: str) -> FeedbackError:
    """The error for feedback on a response the log does not hold: an empty query's, or unknown."""
    if response_id in derived.empty_ids:
        return FeedbackError(f"response {response_id} answered an empty query: nothing was searched or logged, "
                             "so there is nothing to give feedback on")
    return _unknown(response_id)


class Learning:
    """Applies feedback and judgments, and keeps the ranker's examples and training."""

    def __init__(self, core: "Core") -> None:
        self.core = core

    def feedback(self, response_id: str, entity_id: str | None = None, action: str = "click") -> FeedbackResult:
        """Reward a search (see :meth:`ltrr.engine.Engine.feedback` for the rules)."""
        core = self.core
        if action not in FEEDBACK_ACTIONS:
            raise FeedbackError(f"unknown action {action!r}; use one of {', '.join(FEEDBACK_ACTIONS)}")
        if not isinstance(response_id, str):
            raise FeedbackError("response id must be a string")
        with core.lock:
            derived = core.derived
            search = derived.known_search(response_id)
            if search is None:
                raise _not_searched(derived, response_id)
            if action == "click":
                if not isinstance(entity_id, str) or entity_id not in shown(search):
                    raise FeedbackError(f"entity {str(entity_id)[:64]!r} was not shown in response {response_id}")
            elif action == "found_later":
                if not isinstance(entity_id, str) or entity_id not in core.entities.row_of:
                    raise FeedbackError(f"entity {str(entity_id)[:64]!r} is not in the catalog")
            else:
                entity_id = None
            # A policy that learns from every arm's rank has them rerun; the others are credited
            # from the lists the search logged (ltrr.reward), which costs no retrieval.
            learns = core.selector.learns_every_arm and (response_id, entity_id) not in derived.clicked and (
                action == "found_later" or action == "click" and response_id not in derived.resolved)
            taught = derived.taught_by(response_id)
        # Full-information feedback: rerun every arm for this query, outside the lock.
        ranks, counts, ranks_now = self.full_ranks(search, entity_id, taught) if learns else (None, None, None)
        with core.lock:
            derived = core.derived
            if derived.known_search(response_id) is None:
                # The state was reset while the arms reran: nothing is written.
                raise _unknown(response_id, "the state was reset since")
            if learns and ((response_id, entity_id) in derived.clicked
                           or action == "click" and response_id in derived.resolved):
                ranks = counts = None   # another feedback resolved this search meanwhile
            event = derived.feedback_event(search, entity_id, action, ranks, counts, ranks_now=ranks_now)
            derived.apply_feedback(event, core.log.append(event))
            n_examples = self.ranker_example(search, entity_id, action, event["duplicate"])
            self.maybe_train()
            entry = core.memory.entry(derived.query_key(search), entity_id) if entity_id else None
            memory = asdict(entry) if entry is not None else {}
        return FeedbackResult(
            search_id=response_id, entity_id=entity_id, action=action, position=event["position"],
            rewards=event["rewards"], bandit_updated=event["bandit_update"], duplicate=event["duplicate"],
            memory=memory, ranker_examples=n_examples,
        )

    def warm_start(self, searches: Iterable[JudgedSearch], progress: ProgressFn = silent) -> int:
        """Log and learn full-information searches of another stream (see :meth:`ltrr.engine.Engine.warm_start`)."""
        core = self.core
        if not core.selector.learns_warm:
            raise LtrrError(f"policy {core.spec} does not learn from a warm start; only the coverage "
                            "learner and the routing table (route) do")
        rows = checked(list(searches), core.arms.names)
        with core.lock:
            for i, (x, ranks, counts) in enumerate(rows):
                event = warm_event(ts=now(), x=[float(v) for v in x], arm_ranks=ranks, arm_counts=counts)
                core.log.append(event)
                core.derived.apply_warm(event)
                if (i + 1) % 500 == 0 or i + 1 == len(rows):
                    progress(i + 1, len(rows), "warm start")
        return len(rows)

    def judge(self, response_id: str, wanted: Iterable[str]) -> dict[str, int | None]:
        """Say what a search drawn for judgment wanted (see :meth:`ltrr.engine.Engine.judge`)."""
        core = self.core
        if not isinstance(response_id, str):
            raise FeedbackError("response id must be a string")
        if isinstance(wanted, str) or not isinstance(wanted, Iterable):
            raise FeedbackError("wanted must be a list of entity ids")
        targets = list(dict.fromkeys(wanted))
        with core.lock:
            search = core.derived.known_search(response_id)
            if search is None:
                raise _not_searched(core.derived, response_id)
            if not (value(search, "decision") or {}).get("judge"):
                raise FeedbackError(f"response {response_id} was not drawn for judgment")
            if response_id in core.derived.judged:
                raise FeedbackError(f"response {response_id} was judged already")
            unknown = [str(e)[:64] for e in targets if not isinstance(e, str) or e not in core.entities.row_of]
            if not targets or unknown:
                raise FeedbackError("wanted must name catalog entities"
                                    + (f"; not in the catalog: {', '.join(unknown[:3])}" if unknown else ""))
            taught = core.derived.taught_by(response_id)
        # Full information: every arm reruns for this query, outside the lock.
        ranks, counts, ranks_now = self.full_ranks(search, set(targets), taught)
        with core.lock:
            derived = core.derived
            if derived.known_search(response_id) is None:
                raise _unknown(response_id, "the state was reset since")
            if response_id in derived.judged:
                raise FeedbackError(f"response {response_id} was judged already")
            event = judged_event(response_id, ranks, counts, len(targets), ranks_now=ranks_now)
            derived.apply_feedback(event, core.log.append(event))
        return dict(ranks)

    def full_ranks(self, search: dict, entity_id: str | set[str] | None,
                   taught: Iterable[str] = ()) -> tuple[dict, dict, dict | None]:
        """The clicked entity's rank (of a set: the first of them) in every ready arm's list up to
        MAX_RANK, the lists' lengths, and the ranks that changed because of the search itself.

        The rerun is the arms' lists now, not as they were: the memory may since have learned from
        this very search (a click before this one, the session chain a retry's click completed
        before its later find was told). ``taught``: what the search taught the memory
        (``DerivedState.taught_by``). The ranks are the memory's list without each of those it
        knows from that one lesson alone, as the search had it: the learner's kind cells, where
        a new text has no pairs, must not credit the memory with what the find itself taught. The
        third value holds the memory's rank as it is now when that differs (else None): the
        query's own cell reads it, since the next search of this very text will find the pair."""
        query = self.core.query_of(search)
        lists = self.core.arms.lists(query, reward_rule.MAX_RANK)
        memory = self.core.memory
        unlearned = {e for e in taught if e in lists.get("memory", ()) and memory.known_from_one_lesson(query, e)}
        now = reward_rule.rank_in(lists["memory"], entity_id) if unlearned else None
        if unlearned:
            lists["memory"] = [e for e in lists["memory"] if e not in unlearned]
        ranks = {arm: reward_rule.rank_in(ids, entity_id) for arm, ids in lists.items()}
        ranks_now = {"memory": now} if unlearned and now != ranks.get("memory") else None
        return ranks, {arm: len(ids) for arm, ids in lists.items()}, ranks_now

    # ------------------------------------------------------------------ the ranker
    def ranker_example(self, search: dict, entity_id: str | None, action: str, duplicate: bool) -> int:
        """Add a clicked search to the ranker's training data; the number of examples held."""
        ranker = self.core.ranker
        if action != "click" or duplicate:
            return ranker.n_examples
        pending = self.pending_of(search)
        shown_ = set(search["results"]) | {entity_id}
        keep = [i for i, p in enumerate(pending.pool) if p.entity_id in shown_]
        if not keep:
            return ranker.n_examples
        labels = np.array([1.0 if pending.pool[i].entity_id == entity_id else 0.0 for i in keep])
        # Display positions (0: not in the shown list) let training correct for position bias.
        shown_at = {e: r for r, e in enumerate(search["results"], start=1)}
        positions = np.array([shown_at.get(pending.pool[i].entity_id, 0) for i in keep])
        ranker.add_example(search["id"], pending.X[keep], labels, positions)
        return ranker.n_examples

    def pending_of(self, search: dict) -> Pending:
        """The search's query, pool and features: as computed live while it is recent, else rebuilt."""
        return self.core.derived.pending.get(search["id"]) or self.rebuild_pending(search)

    def rebuild_pending(self, search: dict) -> Pending:
        """Features of a search no longer in memory (after a restart, in replay): recomputed from its
        log record, with the memory feature as it was when the search ran (see ``_memory_as_of``) and
        the user's genre lean as logged."""
        core = self.core
        q = core.logged_query(search)
        lists = {}
        for arm, pairs in (value(search, "by_arm") or {}).items():
            lists[arm] = [Candidate(e, float(s), rank=i) for i, (e, s) in enumerate(pairs, start=1)]
        pool = pool_candidates(lists, core.entities)
        X = core.features.build(q, pool)
        self._memory_as_of(search, q, pool, X)
        return Pending(q, pool, X)

    def _memory_as_of(self, search: dict, q: Query, pool: list[PooledCandidate], X: np.ndarray) -> None:
        """Put the memory arm's full-pool score back as it was when the search ran.

        Features of a live search are stored before its impressions and clicks
        reach the memory; rebuilt later, the memory already holds them, and the
        clicked item's memory feature would contain its own label. Its own
        impressions and clicks are taken out (later searches' are kept: the
        pending store holds exact features for the last searches).
        """
        core = self.core
        column = FEATURE_COLUMN.get("full_memory")
        if column is None or "memory" not in core.arms.arms or not pool or not q.text:
            return
        clicked = [e for sid, e in core.derived.clicked if sid == search["id"]]
        observed = core.memory.observed_as_of(q, search["results"], clicked)
        X[:, column] = scale_by_max(core.memory.pair_scores(q, [p.entity_id for p in pool], observed))

    def position_bias(self) -> PositionBias:
        """The examination probability per rank, estimated from the logged adjacent swaps of the
        whole log (the derived state's tally, kept as searches and clicks are applied)."""
        core = self.core
        with core.lock:
            return core.derived.swaps.estimate()

    def maybe_train(self) -> None:
        """Retrain the ranker when it is due: inside this call ("sync") or in a background thread."""
        core = self.core
        if core.ranker_training == "off" or not core.ranker.should_retrain():
            return
        core.ranker.set_position_bias(self.position_bias())
        if core.ranker_training == "sync":
            core.ranker.train()
            return
        if core.train_thread is not None and core.train_thread.is_alive():
            return
        core.train_thread = threading.Thread(target=self._train_quietly, name="ltrr-train", daemon=True)
        core.train_thread.start()

    def _train_quietly(self) -> None:
        try:
            self.core.ranker.train()
        except Exception:
            log.exception("background ranker training failed")

    def train(self) -> dict:
        """Train the ranker now (with the current position bias); its report."""
        self.core.ranker.set_position_bias(self.position_bias())
        return self.core.ranker.train()

