"""Persistence: checkpoints of the derived state, deriving it on open, reset, snapshots,
restore and close.

A checkpoint (``ltrr.checkpoint``) holds the derived state with the log offset it covers; it
is written every ``checkpoint_every`` feedbacks and on close, so that open replays only the
log after it. The log stays the source of truth: a checkpoint that does not match is ignored.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ltrr.bandit.context import CONTEXT_FEATURES, UserHistory
from ltrr.checkpoint import LogMark, load_checkpoint, remove_checkpoint, save_checkpoint
from ltrr.engine.derived import DerivedState
from ltrr.errors import LtrrError
from ltrr.log import InteractionLog
from ltrr.rank.position import SwapTally
from ltrr.rank.ranker import Ranker
from ltrr.state import safe_name

if TYPE_CHECKING:
    from ltrr.engine.core import Core

log = logging.getLogger("ltrr.engine")


class Persistence:
    """Saves and restores one engine's derived state and state folder."""

    def __init__(self, core: "Core") -> None:
        self.core = core
        self.checkpoint_at = -1      # log offset of the checkpoint on disk (-1: none known)
        core.derived.checkpoint_due = self.save_checkpoint

    @classmethod
    def attach(cls, core: "Core") -> None:
        """Give an opening core its derived state and persistence, and derive the state from the log."""
        core.derived = DerivedState(core)
        core.persistence = cls(core)
        core.persistence.derive()

    # ------------------------------------------------------------------ deriving
    def derive(self) -> None:
        """Derive bandit, memory and histories: from the checkpoint when one matches the log, then
        from the log after it; from the whole log otherwise (rewards recomputed, not trusted)."""
        core = self.core
        start = self.load_checkpoint()
        if start == 0:
            core.index.truncate(0)
        n_feedback = core.derived.replay_log(start)
        if start or n_feedback:
            log.info("derived state: checkpoint up to byte %d, then %d feedbacks replayed", start, n_feedback)
        if core.checkpoint_every > 0 and n_feedback >= core.checkpoint_every:
            self.save_checkpoint()   # a process killed before close still opens fast next time

    def forget(self) -> None:
        """Empty the derived state and every learner (the log and ranker files are left alone)."""
        core = self.core
        core.memory.clear()
        core.history = UserHistory()
        core.selector.reset()
        core.derived.clear()
        self.checkpoint_at = -1

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_key(self) -> dict:
        """What a checkpoint must have been made for (else the log is replayed)."""
        core = self.core
        return {"policy": str(core.spec), "arms": list(core.arms.names), "seed": core.seed,
                "arm_budget": core.selector.arm_budget, "context": list(CONTEXT_FEATURES),
                "search_cache": core.search_cache, "memory_queries": core.memory.max_queries,
                # Checkpoints before the swap tally lack the position-bias evidence of the log they
                # cover: they are made for another key, and the whole log is replayed once.
                "swap_tally_k": core.derived.swaps.k}

    def save_checkpoint(self) -> None:
        """Write the derived state with the log prefix it covers (call under the lock)."""
        core, derived = self.core, self.core.derived
        try:
            size = core.state.log_path.stat().st_size
            if size == self.checkpoint_at:
                return            # nothing was logged since the checkpoint on disk
            core.index.flush(fsync=core.log.fsync)
            mark = LogMark.at(core.state.log_path, size)
            n_records = len(core.index)
            state = {
                "counters": {"searches": derived.n_searches, "feedbacks": derived.n_feedbacks,
                             "clicks": derived.n_clicks, "resolved": derived.n_resolved,
                             "warm": derived.n_warm},
                "selector": core.selector.state_dict(),
                "memory": core.memory.state_dict(),
                "history": core.history.state_dict(),
                "recent": {"ids": list(derived.searches),
                           "offsets": np.array([derived.offsets[s] for s in derived.searches], dtype=np.int64),
                           "resolved": sorted(derived.resolved),
                           "judged": sorted(derived.judged),
                           "clicked": [[sid, list(ids)] for sid, ids in derived.clicks_of.items()],
                           "reformed": [[sid, list(ids)] for sid, ids in derived.reformed_of.items()]},
                "sessions": derived.sessions.state_dict(),
                "arm_history": [list(row) for row in derived.arm_history],
                "swaps": derived.swaps.state_dict(),
                "index": {"records": n_records, "digest": core.index.digest(n_records)},
            }
            save_checkpoint(core.checkpoint_dir, self.checkpoint_key(), mark, state, fsync=core.log.fsync)
            self.checkpoint_at = size
        except Exception:   # the log still holds everything: the next open replays more, that is all
            log.exception("checkpoint not written")

    def load_checkpoint(self) -> int:
        """Load the checkpoint into the (empty) derived state; the log offset to replay from (0: none)."""
        core, derived = self.core, self.core.derived
        found = load_checkpoint(core.checkpoint_dir, self.checkpoint_key(), core.state.log_path)
        if found is None:
            return 0
        try:
            state = found.state
            index = state["index"]
            n_records = int(index["records"])
            if len(core.index) < n_records or core.index.digest(n_records) != index["digest"]:
                raise ValueError("the search index does not hold what the checkpoint relies on")
            recent = state["recent"]
            for sid, offset in zip(recent["ids"], np.asarray(recent["offsets"]).tolist(), strict=True):
                event = core.log.read_at(offset)
                if event is None or event["kind"] != "search" or event["id"] != sid:
                    raise ValueError(f"no search {sid!r} at byte {offset} of the log")
                derived.searches[sid], derived.offsets[sid] = event, offset
            derived.resolved.update(recent["resolved"])
            derived.judged.update(recent.get("judged") or ())     # absent from checkpoints before judgments
            for sid, ids in recent["clicked"]:
                derived.clicks_of[sid] = list(ids)
                derived.clicked.update((sid, e) for e in ids)
            # Both absent from checkpoints before reformulations: no chain was learned then.
            for sid, ids in recent.get("reformed") or ():
                derived.reformed_of[sid] = list(ids)
                derived.reformed.update((sid, e) for e in ids)
            if state.get("sessions") is not None:
                derived.sessions.load_state_dict(state["sessions"])
            names: dict[str, str] = {}     # one string per arm name, not one per row as decoded
            derived.arm_history.extend(
                (step, names.setdefault(arm, arm), selected, p, expected, reward)
                for step, arm, selected, p, expected, reward in state["arm_history"])
            counters = state["counters"]
            derived.n_searches, derived.n_feedbacks = int(counters["searches"]), int(counters["feedbacks"])
            derived.n_clicks, derived.n_resolved = int(counters["clicks"]), int(counters["resolved"])
            derived.n_warm = int(counters.get("warm", 0))      # absent from checkpoints before warm starts
            derived.swaps = SwapTally.from_state(state["swaps"])
            core.selector.load_state_dict(state["selector"])
            core.memory.load_state_dict(state["memory"])
            core.history.load_state_dict(state["history"])
            core.index.truncate(n_records)
            self.checkpoint_at = found.mark.offset
        except Exception as exc:   # whatever is wrong with it, the log is the source of truth
            log.warning("ignoring checkpoint in %s: %s; replaying the whole log", core.checkpoint_dir, exc)
            self.forget()
            return 0
        return found.mark.offset

    # ------------------------------------------------------------------ reset, snapshots, restore
    def reset(self) -> Path:
        """Forget everything learned (the old log and models move to a snapshot, returned)."""
        core = self.core
        with core.lock:
            snap = self._clear_state()
            core.log = InteractionLog(core.state.log_path, fsync=core.log.fsync)
            remove_checkpoint(core.checkpoint_dir)
            core.index.truncate(0)
            core.ranker.reset()
            self.forget()
        return snap

    def _clear_state(self) -> Path:
        """Close the log and move log and ranker into a ``reset-...`` snapshot (returned); the
        caller reopens the log. If that fails, the log is reopened where it was, nothing lost,
        and the error raised: the engine goes on writing."""
        core = self.core
        # A background training writes its model, meta and decisions into the ranker's folder;
        # one that landed while that folder was being removed left it in place and failed the reset.
        core.ranker.void_training()
        core.log.close()
        try:
            return core.state.clear()
        except BaseException:
            core.log = InteractionLog(core.state.log_path, fsync=core.log.fsync)
            raise

    def snapshot(self, name: str) -> Path:
        """Copy the learning state to snapshots/NAME (a plain name, never a path)."""
        with self.core.lock:
            return self.core.state.snapshot(safe_name(name))

    def snapshots(self) -> list[str]:
        """Names of the snapshots of this state folder, newest first."""
        folder = self.core.state.path / "snapshots"
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.is_dir() and (p / "state.json").is_file()]
        return [p.name for p in sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)]

    def restore(self, name: str) -> Path:
        """Make the snapshot NAME the live learning state; the state it replaces is kept as a
        ``reset-...`` snapshot first (returned). Bandit, memory and user histories are rebuilt
        from the restored log, the ranker from its files."""
        core = self.core
        name = safe_name(name)
        source = core.state.path / "snapshots" / name
        if not (source / "state.json").is_file():
            known = ", ".join(self.snapshots()) or "none"
            raise LtrrError(f"no snapshot named {name!r} (snapshots: {known})")
        core.join_training(timeout=60)   # a training run must not write into the swapped folder
        with core.lock:
            kept = self._clear_state()
            for sub in ("log", "ranker"):
                shutil.rmtree(core.state.path / sub, ignore_errors=True)
                if (source / sub).is_dir():
                    shutil.copytree(source / sub, core.state.path / sub)
                else:
                    (core.state.path / sub).mkdir()
            core.log = InteractionLog(core.state.log_path, fsync=core.log.fsync)
            core.ranker = Ranker(core.state.ranker_dir, seed=core.seed)
            self.forget()
            self.derive()
        return kept

    def close(self) -> None:
        """Stop background work, write a last checkpoint and release the files."""
        core = self.core
        # Background builders stop at their next progress report (one embedding batch).
        core.arms.close()
        core.join_training(timeout=30)
        with core.lock:
            self.save_checkpoint()
            core.index.close()
        core.log.close()
        core.state.close()
        if core.owns_catalog:
            core.catalog.close()
