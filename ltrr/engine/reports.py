"""Read-only reports: status, the bandit's view, memory, explanations, the ranker, interleaving,
attribution, the log and the catalog. Nothing here changes what the engine learned."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from ltrr.attribution import DEPTH as ATTRIBUTION_DEPTH
from ltrr.attribution import attribute_search
from ltrr.bandit.context import context_vector
from ltrr.engine.records import Pending
from ltrr.errors import FeedbackError
from ltrr.interleave import tally as interleave_tally
from ltrr.log import InteractionLog
from ltrr.log_export import export_events
from ltrr.log_frame import cached_log_frame
from ltrr.memory import posterior
from ltrr.rank.features import FEATURE_NAMES
from ltrr.sanitize import sanitize_context
from ltrr.text import normalize_query

if TYPE_CHECKING:
    from ltrr.engine.core import Core

ARM_HISTORY_COLUMNS = ["step", "arm", "selected", "selection_probability", "expected_reward", "reward"]


class Reports:
    """Answers questions about one engine's state. ``pending_of`` gives a search's features
    (``Learning.pending_of``: live ones, or rebuilt from the log)."""

    def __init__(self, core: "Core", pending_of: Callable[[dict], Pending]) -> None:
        self.core = core
        self.pending_of = pending_of

    def status(self) -> dict:
        """Arms' readiness and build progress, counters, policy and ranker."""
        core, derived = self.core, self.core.derived
        return {
            "arms": core.arms.report(),
            "searches": derived.n_searches, "feedbacks": derived.n_feedbacks, "clicks": derived.n_clicks,
            "warm_start": derived.n_warm,
            "policy": core.spec.name, "ranker": core.ranker_label(),
        }

    def arm_report(self, context: Mapping[str, Any] | None = None) -> list[dict]:
        """Per arm: pulls, rewards, mean and expected reward, selection probability, readiness."""
        core = self.core
        x = None
        if context is not None:
            ctx = sanitize_context(context)
            q = core.understood(ctx.get("query", ""), ctx)
            x = context_vector(q, q.understanding, ctx, core.history, core.vocabulary)
        with core.lock:
            rows = core.selector.report(x)
        for row in rows:
            row["ready"] = core.arms.is_ready(row["arm"])
        return rows

    def arm_history(self) -> pd.DataFrame:
        """One row per arm per resolved search: step, arm, selection_probability, expected_reward, reward."""
        with self.core.lock:
            return pd.DataFrame(list(self.core.derived.arm_history), columns=ARM_HISTORY_COLUMNS)

    def memory_entries(self, query: str | None = None, limit: int = 500) -> pd.DataFrame:
        """The query-to-entity memory's observed entries (optionally for one query), with titles."""
        frame = self.core.memory.entries()
        if query:
            frame = frame[frame["query"] == normalize_query(query)]
        frame = frame.head(max(0, int(limit))).copy()
        frame.insert(2, "title", [self.core.title(e) for e in frame["entity_id"]])
        return frame.reset_index(drop=True)

    def rewordings(self, query: str | None = None, limit: int = 500) -> pd.DataFrame:
        """The phrase substitutions the memory learned from reworded searches (optionally those
        ``query`` matches, with what it is reworded into), the best supported first."""
        frame = self.core.memory.rewordings(query or None)
        return frame.head(max(0, int(limit))).reset_index(drop=True)

    def close_asks(self, query: str) -> pd.DataFrame:
        """What the memory lists for ``query`` from the taught asks nearest in meaning
        (:mod:`ltrr.strategies.nearby`): asked (the taught ask), similarity, entity_id, title, score;
        empty when the memory arm is not open or lists nothing that way."""
        columns = ["asked", "similarity", "entity_id", "title", "score"]
        arm = self.core.arms.arms.get("memory")
        close = getattr(arm, "close_asks", None)
        rows = []
        if close is not None and str(query or "").strip():
            q = self.core.understood(query, {})
            rows = [(asked, round(similarity, 3), entity_id, self.core.title(entity_id), score)
                    for entity_id, score, asked, similarity in close(q)]
        return pd.DataFrame(rows, columns=columns).astype(
            {"asked": "object", "similarity": "float64", "entity_id": "object", "title": "object", "score": "float64"})

    def memory_history(self, query: str, entity_id: str) -> pd.DataFrame:
        """How one memory entry's impressions, clicks and observed score evolved, per search of that query."""
        core = self.core
        qn = normalize_query(query)
        rows, imp, clk = [], 0, 0
        predicted, _ = core.memory.predicted(qn, entity_id)
        with core.lock:
            clicked = {s for s, e in core.derived.clicked if e == entity_id}
            for step, (sid, ev) in enumerate(core.derived.searches.items(), start=1):
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
        core = self.core
        with core.lock:
            pending = core.derived.pending.get(response_id)
            search = core.derived.known_search(response_id)
        if search is None:
            raise FeedbackError(f"unknown response id {str(response_id)[:64]!r}")
        if pending is None:
            pending = self.pending_of(search)
        for i, item in enumerate(pending.pool):
            if item.entity_id == entity_id:
                x = pending.X[i: i + 1]
                contrib = core.ranker.contributions(x)[0]
                return {
                    "arms": {a: {"rank": item.arm_ranks[a], "score": item.arm_scores[a]} for a in item.arms},
                    "features": {n: float(v) for n, v in zip(FEATURE_NAMES, x[0])},
                    "contributions": {n: float(v) for n, v in zip(FEATURE_NAMES, contrib)},
                    "bias": float(contrib[-1]) if len(contrib) > len(FEATURE_NAMES) else 0.0,
                }
        raise FeedbackError(f"entity {str(entity_id)[:64]!r} was not a candidate of response {response_id}")

    def ranker_status(self) -> dict:
        """Training status: trained, version, sessions and examples held, last report, thresholds,
        the champion/challenger decisions (newest last, each with its reason) and the debias mode."""
        ranker = self.core.ranker
        decisions = ranker.decisions(limit=20)
        return {
            "trained": ranker.is_trained, "version": ranker.version, "label": self.core.ranker_label(),
            "n_sessions": ranker.n_sessions, "n_examples": ranker.n_examples,
            "min_sessions": ranker.min_sessions, "retrain_every": ranker.retrain_every,
            "report": ranker.report or {}, "debias": ranker.debias,
            "decisions": decisions, "reason": decisions[-1]["decision"] if decisions else
            "no model trained yet: the heuristic ranks",
        }

    def interleaving_report(self) -> list[dict]:
        """Per pair of interleaved rankers: wins, losses, ties, the sign test's p-value, the leader
        and a label. Only searches that got a click or a skip count."""
        core = self.core
        with core.lock:
            searches = [s for s in core.derived.searches.values() if "interleave" in s]
            clicked = list(core.derived.clicked)
            resolved = set(core.derived.resolved)
        return [t.to_dict() for t in interleave_tally(searches, clicked, resolved)]

    def attribute(self, response_id: str, targets: Iterable[str] | None = None) -> dict:
        """Why a search did or did not show what was wanted (``ltrr.attribution``), from the lists
        and ranks logged with it; ``targets`` default to the entities clicked on it."""
        core = self.core
        with core.lock:
            search = core.derived.known_search(response_id)
            if search is None:
                raise FeedbackError(f"unknown response id {str(response_id)[:64]!r}")
            wanted = list(targets) if targets is not None else \
                [e for sid, e in core.derived.clicked if sid == response_id]
            # The ranks logged with the search's feedback: what the arms held then, not now.
            feedback = core.derived.feedback_of(response_id)
        lists = core.arms.lists(core.query_of(search), ATTRIBUTION_DEPTH)
        return attribute_search(search, wanted, lists, feedback).to_dict()

    def log_events(self) -> list[dict]:
        """The raw interaction log (intact events, in order)."""
        return list(InteractionLog(self.core.state.log_path, read_only=True).events())

    def log_frame(self, limit: int | None = None) -> pd.DataFrame:
        """The log, one row per search with its clicks (newest last); cached on the log file."""
        frame = cached_log_frame(self.core.state.log_path)
        return frame if limit is None else frame.tail(int(limit)).reset_index(drop=True)

    def export(self, out_dir: str | Path, fmt: str = "parquet") -> Path:
        """Write the log to ``out_dir/interactions.<fmt>``."""
        return export_events(self.log_events(), out_dir, fmt)

    def browse(self, entity_type: str | None = None, text: str = "", limit: int = 100) -> pd.DataFrame:
        """Catalog entities filtered by type and a case-insensitive substring of the title."""
        frame = self.core.entities.frame
        mask = np.ones(len(frame), dtype=bool)
        if entity_type:
            mask &= (frame["entity_type"] == entity_type).to_numpy()
        if text:
            mask &= frame["title"].str.contains(str(text)[:200], case=False, regex=False).to_numpy()
        cols = ["entity_id", "entity_type", "title", "subtitle", "genre", "popularity", "release_date"]
        return frame.loc[mask, cols].head(max(0, int(limit))).reset_index(drop=True)
