"""The search pipeline: clean query -> query understanding -> context vector -> the bandit picks
arms and budgets -> arms retrieve (concurrently) -> union with provenance -> features -> rank
stage -> log -> response."""
from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ltrr.bandit.context import context_vector
from ltrr.bandit.selection import ArmChoice
from ltrr.engine.records import EXPLAIN_BUDGET, MAX_K, Pending, Result, SearchResponse, clamp_int, now
from ltrr.events import search_event
from ltrr.fanout import fan_out
from ltrr.pool import PooledCandidate, pool_candidates
from ltrr.query import Query
from ltrr.rank.features import FEATURE_NAMES
from ltrr.rank.stage import explored_rows
from ltrr.sanitize import sanitize_context
from ltrr.strategies.base import Candidate

if TYPE_CHECKING:
    from ltrr.engine.core import Core


class SearchPipeline:
    """Runs one search end to end and logs it."""

    def __init__(self, core: "Core") -> None:
        self.core = core

    def search(self, query: object, context: Mapping[str, Any] | None = None, k: int = 10,
               explain: bool = False) -> SearchResponse:
        """Retrieve with the arms the bandit picks, rerank, log; never raises on bad input."""
        core = self.core
        t0 = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(stage: str, start: float) -> float:
            now_ = time.perf_counter()
            timings[stage] = (now_ - start) * 1000
            return now_

        k = clamp_int(k, 1, MAX_K, default=10)
        ctx = sanitize_context(context)
        t = time.perf_counter()
        q = core.understood(query, ctx)
        understanding = q.understanding
        t = lap("understanding", t)
        if not q.text:
            # Nothing to search for: no arm runs, nothing is logged or learned.
            timings["total"] = (time.perf_counter() - t0) * 1000
            return self.empty(q, timings)
        user_id = str(ctx.get("user_id", "anonymous"))
        # The user's lean as they search, rounded as logged so that what is rebuilt from the log
        # (features, the memory's list) is what was served. It rides on the query: the memory arm
        # orders its list by it and the ranker's user_genre reads it.
        affinity = {g: round(v, 6) for g, v in core.history.affinity(ctx.get("user_id")).items()}
        q = q.with_lean(affinity)
        # A probe before the bandit decides: what the memory already holds for this query.
        remembered = core.arms.remembered(q)
        t = lap("probe", t)
        x = context_vector(q, understanding, ctx, core.history, core.vocabulary, remembered=remembered)
        available = core.arms.ready()
        # The probes are exact: a memory that holds nothing for the query (no pair, no rewording)
        # returns nothing, so the bandit is not offered it (spending the choice on it left some
        # typos with no result).
        empty = core.arms.empty(q, known={"memory": remembered} if remembered else None)
        offered = [a for a in available if a not in empty]
        with core.lock:
            selection = core.selector.select(x, offered, query=q.text)
        choices = [replace(selection[a], ready=a in available, empty=a in empty) for a in core.arms.names]
        t = lap("bandit", t)

        by_arm_cands: dict[str, list[Candidate]] = {}
        shown_arms = [c for c in choices if c.ready and (c.selected or explain)]
        if q.text:
            # The arms do not depend on each other: they run concurrently, so the search waits
            # for its slowest arm, not for their sum. A failing arm is logged and contributes [].
            start = time.perf_counter()
            arms = core.arms.arms
            budgets = {c.arm: (c.budget if c.selected else EXPLAIN_BUDGET) for c in shown_arms}
            outcomes = fan_out({arm: (lambda arm=arm, b=b: arms[arm].retrieve(q, b)[:b])
                                for arm, b in budgets.items()}, what="arm")
            for arm, outcome in outcomes.items():
                by_arm_cands[arm] = outcome.value
                # A shared retrieval cache (simulations) answers in microseconds; the arm's cost
                # on this query is what computing its list took, and that is what gets logged.
                computed = arms[arm].cost_ms(q)
                timings[f"arm:{arm}"] = outcome.ms if computed is None else computed
            timings["arms"] = (time.perf_counter() - start) * 1000
        t = time.perf_counter()
        selected_lists = {c.arm: by_arm_cands.get(c.arm, []) for c in choices if c.selected}
        pool = pool_candidates(selected_lists, core.entities)
        t = lap("union", t)
        X = core.features.build(q, pool)
        pool_ids = [p.entity_id for p in pool]
        decision = selection.decision or {}
        explored = None
        if (decision.get("explored") or decision.get("tried")) and isinstance(decision.get("greedy"), Mapping):
            # What exploration alone brought gets a chance to be seen (see ltrr.rank.stage); so do
            # the arms a failing query tries (they are in the greedy configuration only for that).
            tried = set(decision.get("tried") or ())
            base = {a: 0 if a in tried else b for a, b in decision["greedy"].items()}
            explored = explored_rows(base, {a: [c.entity_id for c in lst] for a, lst in selected_lists.items()},
                                     pool_ids)
        ranked = core.rank_stage.rank(core.ranker, q, pool_ids, X, k, explored=explored)
        scores, order = ranked.scores, ranked.order
        t = lap("rank", t)

        results = [self.result(pool[i], float(scores[i]), r, X[i] if explain else None)
                   for r, i in enumerate(order, start=1)]
        response = SearchResponse(
            id=uuid.uuid4().hex,
            query=q.raw,
            results=results,
            selection=choices,
            by_arm={a: [self.arm_result(a, c) for c in cands] for a, cands in by_arm_cands.items()},
            understanding=understanding,
            pool=[self.result(p, 0.0, r, None) for r, p in enumerate(pool, start=1)],
            ranker=core.ranker_label(),
            message=message(q, results),
            decision=selection.decision,
            context_features=[float(v) for v in x],
            exposed=ranked.expose,
            judge=bool((selection.decision or {}).get("judge")),
        )
        event = search_event(
            id=response.id, ts=now(), user_id=user_id, query=q.raw, query_norm=q.text, context=ctx,
            understanding=understanding.to_dict(), policy=core.policy_id,
            x=[round(float(v), 6) for v in x],
            selection=[
                {"arm": c.arm, "selected": c.selected, "budget": c.budget,
                 "propensity": round(c.propensity, 6), "budget_propensity": round(c.budget_propensity, 6),
                 "expectation": None if not np.isfinite(c.expectation) else round(c.expectation, 6),
                 **({"empty": True} if c.empty else {})}
                for c in choices
            ],
            decision=selection.decision,
            arm_ms={a: round(timings[f"arm:{a}"], 3) for a in selected_lists if f"arm:{a}" in timings},
            by_arm={a: [[c.entity_id, round(float(c.score), 6)] for c in cands]
                    for a, cands in selected_lists.items()},
            results=[r.entity_id for r in results],
            affinity=affinity,
            **ranked.log_fields(),
        )
        with core.lock:
            derived = core.derived
            derived.apply_search(event, core.log.append(event), q)
            derived.pending[response.id] = Pending(q, pool, X)
            while len(derived.pending) > core.pending_limit:
                derived.pending.popitem(last=False)
        lap("log", t)
        timings["total"] = (time.perf_counter() - t0) * 1000
        response.timings = timings
        return response

    def empty(self, q: Query, timings: dict[str, float]) -> SearchResponse:
        """The answer to a query with nothing to search for (empty, blanks or punctuation): no
        results, no arm selected, a message; not logged, so feedback on it is refused."""
        core = self.core
        ready = set(core.arms.ready())
        choices = [ArmChoice(a, selected=False, budget=0, propensity=0.0, expectation=float("nan"),
                             budget_propensity=0.0, ready=a in ready) for a in core.arms.names]
        response = SearchResponse(id=uuid.uuid4().hex, query=q.raw, results=[], selection=choices, by_arm={},
                                  understanding=q.understanding, ranker=core.ranker_label(),
                                  message=message(q, []), timings=timings)
        with core.lock:
            core.derived.remember_empty(response.id)
        return response

    def result(self, item: PooledCandidate, score: float, rank: int, x: np.ndarray | None) -> Result:
        """A pooled candidate as a ranked result (with its features when ``x`` is given)."""
        ents, row = self.core.entities, item.row
        feats = {n: float(v) for n, v in zip(FEATURE_NAMES, x)} if x is not None else {}
        return Result(entity_id=item.entity_id, entity_type=ents.types[row], title=ents.titles[row],
                      subtitle=ents.subtitles[row], score=score, rank=rank, arms=item.arms, features=feats)

    def arm_result(self, arm: str, cand: Candidate) -> Result:
        """One arm's candidate as a result of that arm's list."""
        ents = self.core.entities
        row = ents.row_of[cand.entity_id]
        return Result(entity_id=cand.entity_id, entity_type=ents.types[row], title=ents.titles[row],
                      subtitle=ents.subtitles[row], score=float(cand.score), rank=cand.rank, arms=[arm],
                      features=dict(cand.features))


def message(q: Query, results: list[Result]) -> str:
    """What to tell the user about a search's results ("" when there is nothing to say)."""
    if not q.text:
        return "Empty query: type a song, an artist, a genre or a mood to search."
    if not results:
        return f"No results for “{q.raw}”."
    return ""
