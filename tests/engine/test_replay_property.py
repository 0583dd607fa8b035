"""Replay equals live: whatever the order of searches, clicks, duplicate clicks, skips, later finds
and judgments, the state derived live is the state derived again from the log, from scratch and
from a checkpoint plus the log after it.

The engine keeps only ``search_cache`` searches in memory; feedback on an older one reads it back
from the log (``DerivedState._recall``). A cache of 2 sends most feedback through that path; the
reference is the same log replayed by an engine that keeps every search in memory (the live rule
with nothing read back; measured arm times come from the log, so they are the same), so reading a
search back must apply exactly the live rule.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ltrr import Engine

POLICY = "coverage:judged=0.3"
ARMS = ["lexical", "fuzzy", "memory", "popular"]
QUERIES = ["love story", "taylor swift", "sad songs", "halo"]
FINDS = ["track:lovestory", "track:halo", "track:rainy", "track:kill"]


class SmallCache(Engine):
    """Two searches in memory, a checkpoint every three feedbacks."""

    search_cache = 2
    checkpoint_every = 3


def _open(catalog: Path, state: Path, cls: type[Engine] = SmallCache) -> Engine:
    return cls.open(catalog=catalog, state=state, policy=POLICY, seed=0, arms=ARMS, ranker_training="off")


def derived_state(eng: Engine) -> dict:
    """What the engine derives from the log: arm report, learner state, memory, per-step arm
    history, counters."""
    status = eng.status()
    memory = eng.memory_entries(limit=10_000).sort_values(["query", "entity_id"]).reset_index(drop=True)
    return {"arm_report": eng.arm_report(), "selector": eng.selector.state_dict(), "memory": memory,
            "arm_history": eng.arm_history(),
            "counters": {k: status[k] for k in ("searches", "feedbacks", "clicks")},
            "resolved": eng._core.derived.n_resolved}                           # noqa: SLF001


def assert_same(a, b, where: str = "state") -> None:
    """Exactly equal, arrays and frames included (NaN equals NaN)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and a != a:
        assert b != b, where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def run_live(eng: Engine, steps: list[tuple]) -> None:
    """Apply the steps: each names an action and indexes into the searches made so far."""
    responses, clicked = [], {}
    for action, i, j in steps:
        if action == "search":
            responses.append(eng.search(QUERIES[i % len(QUERIES)], context={"user_id": f"u{j % 2}"}))
            continue
        if not responses:
            continue
        resp = responses[-1 - i % min(4, len(responses))]     # one of the last four: two are read back
        if action == "click" and resp.results:
            entity = resp.results[j % len(resp.results)].entity_id
            eng.feedback(resp.id, entity)
            clicked.setdefault(resp.id, entity)
        elif action == "duplicate" and resp.id in clicked:
            eng.feedback(resp.id, clicked[resp.id])
        elif action == "skip":
            eng.feedback(resp.id, action="skip")
        elif action == "found_later":
            eng.feedback(resp.id, FINDS[j % len(FINDS)], action="found_later")
        elif action == "judge" and resp.judge and resp.id not in clicked.get("judged", ()):
            eng.judge(resp.id, [FINDS[j % len(FINDS)]])
            clicked.setdefault("judged", set()).add(resp.id)


def live_and_replayed(catalog: Path, root: Path, steps: list[tuple]) -> tuple[dict, dict, dict, dict, bool]:
    """The derived state of the log replayed with every search in memory (the reference), live
    with the small cache, reopened from the whole log, and reopened from checkpoint + tail; and
    whether that last one started from a checkpoint."""
    live_dir, log_dir, ckpt_dir = root / "live", root / "log", root / "ckpt"
    eng = _open(catalog, live_dir)
    try:
        run_live(eng, steps)
        live = derived_state(eng)
        eng._core.index.flush()                                                    # noqa: SLF001
        # As a killed process leaves it: the last checkpoint written, the log after it.
        shutil.copytree(live_dir, ckpt_dir)
        # The log alone: no checkpoint (nor the search index kept beside it).
        shutil.copytree(live_dir, log_dir)
        shutil.rmtree(log_dir / "checkpoint")
        shutil.copytree(log_dir, root / "reference")
    finally:
        eng.close()
    eng = _open(catalog, root / "reference", Engine)
    try:
        reference = derived_state(eng)
    finally:
        eng.close()
    states = []
    used_checkpoint = False
    for folder in (log_dir, ckpt_dir):
        eng = _open(catalog, folder)
        try:
            states.append(derived_state(eng))
            if folder == ckpt_dir:
                used_checkpoint = eng._core.persistence.checkpoint_at > 0              # noqa: SLF001
        finally:
            eng.close()
    return reference, live, states[0], states[1], used_checkpoint


# A later find on a search, two searches push it out of memory, then a click on it, a second find of
# the clicked entity and a skip on another search read back from the log.
LATER_FIND_THEN_CLICK = [("search", 0, 0), ("found_later", 0, 1), ("search", 1, 0), ("search", 2, 0),
                         ("search", 3, 0), ("click", 3, 0), ("found_later", 0, 0), ("skip", 2, 0)]


def test_a_click_after_a_later_find_on_an_old_search_teaches_as_it_did_live(tiny_catalog_path, tmp_path):
    """The bug the rule fixes: read back from the log, a later find resolved its search and never
    marked the entity found, so a click after it skipped the bandit update that live made."""
    steps = LATER_FIND_THEN_CLICK
    reference, live, from_log, from_ckpt, used_checkpoint = live_and_replayed(tiny_catalog_path, tmp_path, steps)
    assert reference["resolved"] == 2           # the click resolved search 0, the skip search 1
    assert used_checkpoint
    for name, state in (("small cache", live), ("the log", from_log), ("checkpoint + tail", from_ckpt)):
        assert_same(state, reference, name)


STEP = st.tuples(st.sampled_from(["search", "click", "duplicate", "skip", "found_later", "judge"]),
                 st.integers(0, 3), st.integers(0, 7))


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=4, max_size=30))
@example(steps=LATER_FIND_THEN_CLICK)
def test_replay_equals_live_for_any_interleaving(tiny_catalog_path, tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("replay")
    reference, live, from_log, from_ckpt, _ = live_and_replayed(tiny_catalog_path, root, steps)
    for name, state in (("small cache", live), ("the log", from_log), ("checkpoint + tail", from_ckpt)):
        assert_same(state, reference, name)
