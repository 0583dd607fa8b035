"""Replay equals live: whatever the order of searches, clicks, duplicate clicks, skips, later finds
and judgments, the state derived live is the state derived again from the log, from scratch and
from a checkpoint plus the log after it.

Searches carry a session id, or a user and a timestamp, or neither, so that clicks after failed
searches complete session chains: the reformulation events they log, and the memory's
reformulation evidence, must replay exactly too.

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
    derived = eng._core.derived                                                  # noqa: SLF001
    return {"arm_report": eng.arm_report(), "selector": eng.selector.state_dict(), "memory": memory,
            "reformulation_clock": eng.memory.reformulations.clock,
            "sessions": derived.sessions.state_dict(),
            "arm_history": eng.arm_history(),
            "counters": {k: status[k] for k in ("searches", "feedbacks", "clicks")},
            "swap_tally": derived.swaps.state_dict(), "position_bias": eng.position_bias().to_dict(),
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


def context(j: int, n: int) -> dict:
    """The context of the ``n``-th search: a session id, a user with a timestamp (five minutes after
    the previous search: one session), or a bare user (no session)."""
    ctx: dict = {"user_id": f"u{j % 2}"}
    if j % 3 == 0:
        ctx["session_id"] = f"s{j % 2}"
    elif j % 3 == 1:
        ctx["timestamp"] = 1_700_000_000 + 300 * n
    return ctx


def run_live(eng: Engine, steps: list[tuple]) -> None:
    """Apply the steps: each names an action and indexes into the searches made so far."""
    responses, clicked = [], {}
    for action, i, j in steps:
        if action == "search":
            responses.append(eng.search(QUERIES[i % len(QUERIES)], context=context(j, len(responses))))
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


def live_and_replayed(catalog: Path, root: Path, steps: list[tuple],
                      swap_share: float | None = None) -> tuple[dict, dict, dict, dict, bool]:
    """The derived state of the log replayed with every search in memory (the reference), live
    with the small cache, reopened from the whole log, and reopened from checkpoint + tail; and
    whether that last one started from a checkpoint. ``swap_share``: the live searches' swap share
    (None: the engine's default); replay reads the logged swaps."""
    live_dir, log_dir, ckpt_dir = root / "live", root / "log", root / "ckpt"
    eng = _open(catalog, live_dir)
    try:
        if swap_share is not None:
            eng.set_ranking_experiments(swap_share=swap_share)
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


# One session: two searches left unclicked, then a click on a third teaches two reformulations; a
# skip after the fact, searches that push the failed ones out of memory, later finds on one of them
# (read back from the log) and a click in a user's timestamped session.
CHAIN_THEN_FIND = [("search", 0, 0), ("search", 3, 0), ("search", 1, 0), ("click", 0, 0), ("skip", 1, 0),
                   ("search", 2, 1), ("search", 0, 1), ("found_later", 3, 0), ("found_later", 3, 1),
                   ("click", 0, 1)]


def test_session_chains_replay_as_they_were_learned_live(tiny_catalog_path, tmp_path):
    reference, live, from_log, from_ckpt, used_checkpoint = live_and_replayed(tiny_catalog_path, tmp_path,
                                                                              CHAIN_THEN_FIND)
    learned = reference["memory"][reference["memory"]["learned_from_reformulations"]]
    assert len(learned) >= 2 and used_checkpoint
    for name, state in (("small cache", live), ("the log", from_log), ("checkpoint + tail", from_ckpt)):
        assert_same(state, reference, name)


STEP = st.tuples(st.sampled_from(["search", "click", "duplicate", "skip", "found_later", "judge"]),
                 st.integers(0, 3), st.integers(0, 7))


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=4, max_size=30))
@example(steps=LATER_FIND_THEN_CLICK)
@example(steps=CHAIN_THEN_FIND)
def test_replay_equals_live_for_any_interleaving(tiny_catalog_path, tmp_path_factory, steps):
    root = tmp_path_factory.mktemp("replay")
    reference, live, from_log, from_ckpt, _ = live_and_replayed(tiny_catalog_path, root, steps)
    for name, state in (("small cache", live), ("the log", from_log), ("checkpoint + tail", from_ckpt)):
        assert_same(state, reference, name)


def test_the_position_bias_counts_the_whole_log_live_from_a_checkpoint_and_replayed(tiny_catalog_path, tmp_path):
    """Every search swapped or logged as a control, clicks on searches long out of the two-search
    cache: the swap tally (and the estimate read from it) is the same live, from the log, from a
    checkpoint + tail and in the reference, and it holds clicks next to swaps of searches the cache
    no longer holds (an estimate over the recent searches alone would miss them)."""
    from ltrr.rank.position import estimate_position_bias, searches_from_log

    rng = np.random.default_rng(7)
    steps: list[tuple] = []
    for n in range(40):
        steps.append(("search", n, int(rng.integers(0, 8))))
        # Clicks on the newest search and the ones three back (read back from the log), duplicates,
        # later finds of shown and unshown tracks, and skips.
        for action in rng.choice(["click", "click", "duplicate", "found_later", "skip"], size=2):
            steps.append((str(action), int(rng.integers(0, 4)), int(rng.integers(0, 8))))
    reference, live, from_log, from_ckpt, used_checkpoint = live_and_replayed(tiny_catalog_path, tmp_path, steps,
                                                                              swap_share=0.6)
    assert used_checkpoint
    for name, state in (("small cache", live), ("the log", from_log), ("checkpoint + tail", from_ckpt)):
        assert_same(state, reference, name)
    assert sum(reference["swap_tally"]["swap_clicks"]) == live["position_bias"]["swap_clicks"] > 0
    eng = _open(tiny_catalog_path, tmp_path / "log")
    try:
        events = eng.log_events()
        searches = [e for e in events if e["kind"] == "search"]
        clicks = [(e["search_id"], e["entity_id"]) for e in events
                  if e["kind"] == "feedback" and e["action"] == "click" and not e["duplicate"]]
        # The tally is the estimator over the whole log's searches and their shown, clicked results...
        assert estimate_position_bias(searches_from_log(searches, clicks)).to_dict() == live["position_bias"]
        # ...where the recent searches alone (the estimate before the tally) hold fewer swap clicks.
        derived = eng._core.derived                                                  # noqa: SLF001
        recent = estimate_position_bias(searches_from_log(list(derived.searches.values()), derived.clicked))
        assert recent.swap_clicks < live["position_bias"]["swap_clicks"]
    finally:
        eng.close()


def test_a_checkpoint_without_the_swap_tally_is_ignored_and_the_log_replayed(tiny_catalog_path, tmp_path, caplog):
    """A checkpoint written before the tally (its key without ``swap_tally_k``, its state without
    ``swaps``) covers searches whose swap evidence it does not hold: it is ignored, and the whole
    log gives the tally the engine had live."""
    from ltrr.checkpoint import load_checkpoint, save_checkpoint

    eng = _open(tiny_catalog_path, tmp_path / "s")
    try:
        eng.set_ranking_experiments(swap_share=0.6)
        for n in range(12):
            resp = eng.search(QUERIES[n % len(QUERIES)], context=context(n, n))
            if resp.results:
                eng.feedback(resp.id, resp.results[-1].entity_id)
        live = eng._core.derived.swaps.state_dict()                                  # noqa: SLF001
        core = eng._core                                                              # noqa: SLF001
        key = core.persistence.checkpoint_key()
        folder, log_path = core.checkpoint_dir, core.state.log_path
    finally:
        eng.close()
    assert sum(row[0] for row in live["treated"]) > 0           # some searches were swapped
    found = load_checkpoint(folder, key, log_path)
    assert found is not None and found.state["swaps"] == live
    old_key = {name: v for name, v in key.items() if name != "swap_tally_k"}
    save_checkpoint(folder, old_key, found.mark, {name: v for name, v in found.state.items() if name != "swaps"})
    caplog.clear()
    eng = _open(tiny_catalog_path, tmp_path / "s")
    try:
        assert any("ignoring checkpoint" in r.getMessage() for r in caplog.records)
        assert eng._core.derived.swaps.state_dict() == live                          # noqa: SLF001
    finally:
        eng.close()
