"""ArmSelector.state_dict for the mabwiser policies (real mabwiser, no mocks): a state saved
through the checkpoint file format and loaded decides exactly like a replay of the same
history, a state for another policy or arms is refused, and an engine under LinUCB opens
from its checkpoint plus the log's tail."""
from __future__ import annotations

import json
import logging
import re
import shutil

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.bandit.policy import LEARNING_POLICIES, PolicySpec
from ltrr.bandit.selector import ArmSelector
from ltrr.checkpoint import CHECKPOINT_FILE, LogMark, load_checkpoint, save_checkpoint
from tests.engine.engines import open_engine

ARMS = ("lexical", "fuzzy", "structured", "semantic", "memory", "popular", "fresh", "related")
D = len(CONTEXT_FEATURES)


def selector(policy: str, arms=ARMS, seed: int = 7) -> ArmSelector:
    return ArmSelector(PolicySpec.parse(policy), arms, seed=seed)


def random_context(rng: np.random.Generator) -> np.ndarray:
    """Sparse features in [0, 1] with the bias term on, like real context vectors."""
    x = (rng.random(D) < 0.3) * rng.random(D)
    x[0] = 1.0
    return x


def good_arm(x: np.ndarray) -> str:
    """The arm that holds the clicked item: one context feature decides."""
    return "memory" if x[3] > 0 else "lexical"


def drive(sel: ArmSelector, rounds: int, seed: int) -> list[tuple[np.ndarray, dict[str, float]]]:
    """Searches as the engine makes them: select, then a reward per selected arm (a partial one
    now and then, so the rewards are not all 0/1). Returns the (context, rewards) learned."""
    rng = np.random.default_rng(seed)
    history = []
    for t in range(rounds):
        x = random_context(rng)
        s = sel.select(x)
        rewards = {a: (0.6 if t % 7 == 0 else 1.0) * (a == good_arm(x)) for a in s.selected_arms}
        sel.update(x, rewards)
        history.append((x, rewards))
    return history


def lockstep(a: ArmSelector, b: ArmSelector, rounds: int, seed: int) -> None:
    """Both selectors search the same new contexts and learn the same rewards; each decision equal."""
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        x = random_context(rng)
        s = a.select(x)
        assert b.select(x) == s
        rewards = {arm: float(arm == good_arm(x)) for arm in s.selected_arms}
        a.update(x, rewards)
        b.update(x, rewards)


def replayed(policy: str, history, arms=ARMS) -> ArmSelector:
    """A fresh selector that learned the same history through the same calls (the engine's replay)."""
    sel = selector(policy, arms)
    for x, rewards in history:
        sel.update(x, rewards)
    return sel


def through_checkpoint_file(state: dict, tmp_path) -> dict:
    """``state`` written and read back by the real checkpoint format (JSON + arrays, no pickle)."""
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"id":"a"}\n')
    save_checkpoint(tmp_path / "cp", {"k": 1}, LogMark.at(log, log.stat().st_size), {"selector": state})
    loaded = load_checkpoint(tmp_path / "cp", {"k": 1}, log)
    assert loaded is not None
    return loaded.state["selector"]


def same_state(a, b) -> bool:
    """Two saved states hold the same values (arrays compared exactly, element by element)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def decisions(sel: ArmSelector, seed: int, n: int = 25) -> list:
    """What the selector decides at new contexts: selections (arms, budgets, propensities,
    expectations, exactly), then its report with and without a context."""
    rng = np.random.default_rng(seed)
    xs = [random_context(rng) for _ in range(n)]
    out = [sel.select(x) for x in xs]
    out.append(sel.report(xs[0]))
    out.append(sel.report())
    return out


# -- round trips -------------------------------------------------------------------------

@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_a_loaded_state_decides_exactly_like_a_replay_of_its_history(policy, tmp_path):
    live = selector(policy)
    history = drive(live, 300, seed=1)
    saved = live.state_dict()
    restored = selector(policy)
    restored.load_state_dict(through_checkpoint_file(saved, tmp_path))
    assert same_state(restored.state_dict(), saved)           # nothing lost on the way
    twin = replayed(policy, history)
    assert restored.n_events == twin.n_events == 300 and restored.is_fitted
    assert decisions(restored, seed=50) == decisions(twin, seed=50)
    lockstep(restored, twin, 100, seed=2)                      # ...and they go on learning alike
    assert decisions(restored, seed=51) == decisions(twin, seed=51)
    assert same_state(restored.state_dict(), twin.state_dict())


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_a_loaded_state_agrees_with_the_batch_replay(policy, tmp_path):
    # fit() sums each arm's events in one batch: LinUCB/LinTS agree up to rounding (module docstring).
    live = selector(policy)
    history = drive(live, 200, seed=3)
    restored = selector(policy)
    restored.load_state_dict(through_checkpoint_file(live.state_dict(), tmp_path))
    batch = selector(policy)
    batch.fit([x for x, _ in history], [r for _, r in history])
    for a, b in zip(decisions(restored, seed=60)[:-2], decisions(batch, seed=60)[:-2]):
        np.testing.assert_allclose([c.expectation for c in a.choices], [c.expectation for c in b.choices],
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose([c.propensity for c in a.choices], [c.propensity for c in b.choices],
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_the_state_of_a_selector_that_learned_nothing_round_trips(policy, tmp_path):
    restored = selector(policy)
    restored.load_state_dict(through_checkpoint_file(selector(policy).state_dict(), tmp_path))
    assert not restored.is_fitted
    fresh = selector(policy)
    assert decisions(restored, seed=70) == decisions(fresh, seed=70)
    lockstep(restored, fresh, 40, seed=4)             # the first update is mabwiser's first fit
    assert decisions(restored, seed=71) == decisions(fresh, seed=71)
    assert same_state(restored.state_dict(), fresh.state_dict())


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_learning_never_draws_from_the_random_streams(policy):
    # Why a loaded state may restart both streams from the seed: a replay leaves them there too.
    sel = selector(policy)
    history = drive(selector(policy), 80, seed=11)
    sel.fit([x for x, _ in history], [r for _, r in history])
    for x, rewards in history:
        sel.update(x, rewards)
    seeded = np.random.default_rng(7).bit_generator.state
    assert sel._rng.bit_generator.state == seeded                              # noqa: SLF001
    assert sel._mab.mab._rng.rng.bit_generator.state == seeded                 # noqa: SLF001


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_the_saved_model_is_plain_arrays_of_a_fixed_size(policy):
    sel = selector(policy)
    drive(sel, 50, seed=5)
    small = sel.state_dict()["mab"]
    drive(sel, 250, seed=6)
    mab = sel.state_dict()["mab"]
    arrays = {k: v for k, v in mab.items() if isinstance(v, np.ndarray)}
    assert arrays and all(v.dtype.kind in "fi" for v in arrays.values())
    json.dumps({k: v for k, v in mab.items() if k not in arrays})        # the rest is plain JSON
    # Sufficient statistics: the size does not grow with the history.
    assert {k: v.shape for k, v in arrays.items()} == {k: v.shape for k, v in small.items() if k in arrays}


# -- refusals ----------------------------------------------------------------------------

def mangled(state: dict, **mab_changes) -> dict:
    """A copy of ``state`` whose mabwiser entry has ``mab_changes`` (None: the key removed)."""
    mab = {k: v for k, v in state["mab"].items() if mab_changes.get(k, 0) is not None}
    mab.update({k: v for k, v in mab_changes.items() if v is not None})
    return {**state, "mab": mab}


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_a_state_for_another_policy_or_arms_is_refused_and_changes_nothing(policy):
    sel = selector(policy)
    drive(sel, 120, seed=8)
    before = sel.state_dict()
    others = [p for p in LEARNING_POLICIES if p != policy]
    foreign = [selector(p) for p in others]
    foreign.append(selector(policy, arms=ARMS[:-1]))                   # other arms
    foreign.append(selector(policy, arms=ARMS[::-1]))                  # the same arms, another order
    tuned = {"linucb": "linucb:alpha=0.25", "lints": "lints:l2_lambda=2", "thompson": None,
             "epsilon": "epsilon:epsilon=0.3"}[policy]
    if tuned:
        foreign.append(selector(tuned))                                # other hyper-parameters
    for other in foreign:
        drive(other, 30, seed=9)
        with pytest.raises(ValueError, match="not for policy"):
            sel.load_state_dict(other.state_dict())
    assert same_state(sel.state_dict(), before)
    twin = selector(policy)
    drive(twin, 120, seed=8)                      # its random stream where sel's is, too
    assert decisions(sel, seed=80) == decisions(twin, seed=80)


@pytest.mark.parametrize("policy", LEARNING_POLICIES)
def test_a_malformed_model_is_refused_and_changes_nothing(policy):
    sel = selector(policy)
    drive(sel, 60, seed=10)
    before = sel.state_dict()
    name = {"linucb": "A_inv", "lints": "beta", "thompson": "success", "epsilon": "count"}[policy]
    bad = [
        {**before, "mab": None},                                       # no model at all
        mangled(before, **{name: None}),                               # an array missing
        mangled(before, **{name: before["mab"][name][:-1]}),           # one arm short
        mangled(before, fitted=False, trained=[False] * len(ARMS)),   # disagrees with the selector
        mangled(before, fitted=False),                                 # trained but never fitted
        mangled(before, trained=[True]),
    ]
    if policy in ("linucb", "lints"):
        bad.append(mangled(before, num_features=D + 1))
        bad.append(mangled(before, A=np.full_like(before["mab"]["A"], np.nan)))
    elif policy == "thompson":
        bad.append(mangled(before, fail=np.zeros(len(ARMS))))          # below the Beta(1, 1) prior
    else:
        bad.append(mangled(before, count=-np.ones(len(ARMS))))
    other = selector(policy)
    other.load_state_dict(before)
    for state in bad:
        with pytest.raises(ValueError, match="mabwiser"):
            other.load_state_dict(state)
        with pytest.raises(ValueError, match="mabwiser"):
            selector(policy).load_state_dict(state)
    assert same_state(other.state_dict(), before)
    reference = selector(policy)
    reference.load_state_dict(before)
    assert decisions(other, seed=90) == decisions(reference, seed=90)


# -- the engine --------------------------------------------------------------------------

QUERIES = ["halo", "kill bill", "love story", "nas", "blinding lights", "taylor swift", "good days",
           "sza", "halo", "beyonce crazy", "the weeknd", "rainy day", "save your tears", "blank space"]


def feed(engine, queries, start: int = 0) -> int:
    """A search per query by a few users, then a click or a skip; returns the feedbacks given."""
    n = 0
    for i, q in enumerate(queries, start=start):
        resp = engine.search(q, context={"user_id": f"u{i % 3}", "hour": i % 24})
        if i % 4 == 3 or not resp.results:
            engine.feedback(resp.id, action="skip")
        else:
            engine.feedback(resp.id, resp.results[min(i % 3, len(resp.results) - 1)].entity_id)
        n += 1
    return n


def later_searches(engine) -> list:
    """What the engine decides and shows for the same new searches."""
    out = []
    for i, q in enumerate(["halo", "kill bill", "nas illmatic", "taylor", "love"]):
        resp = engine.search(q, context={"user_id": f"u{i % 3}", "hour": 12})
        out.append(([(c.arm, c.selected, c.budget, c.propensity, c.expectation) for c in resp.selection],
                    [r.entity_id for r in resp.results]))
    return out


def opened_from(caplog) -> tuple[int, int] | None:
    """(checkpoint byte offset, feedbacks replayed after it) from the engine's open, if it said."""
    for record in caplog.records:
        found = re.match(r"derived state: checkpoint up to byte (\d+), then (\d+) feedbacks replayed",
                         record.getMessage())
        if found:
            return int(found[1]), int(found[2])
    return None


def test_a_linucb_engine_opens_from_its_checkpoint_and_the_log_tail(tiny_catalog_path, tmp_path, caplog):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state, policy="linucb")
    feed(eng, QUERIES)
    eng.close()                                      # the checkpoint covers these searches
    checkpoint = state / "checkpoint" / CHECKPOINT_FILE
    assert checkpoint.is_file()
    saved = tmp_path / "checkpoint-1"
    shutil.copy(checkpoint, saved)
    eng = open_engine(tiny_catalog_path, state, policy="linucb")
    tail = feed(eng, QUERIES[::-1], start=len(QUERIES))
    eng.close()
    shutil.copy(saved, checkpoint)                   # the checkpoint now has a tail to replay
    full = tmp_path / "full"
    shutil.copytree(state, full)
    shutil.rmtree(full / "checkpoint")
    (full / ".lock").unlink(missing_ok=True)

    caplog.set_level(logging.INFO, logger="ltrr")
    a = open_engine(tiny_catalog_path, state, policy="linucb")
    try:
        assert not any("ignoring checkpoint" in r.getMessage() for r in caplog.records)
        start, replayed_feedbacks = opened_from(caplog)
        assert start > 0 and replayed_feedbacks == tail     # only the log after the mark
        b = open_engine(tiny_catalog_path, full, policy="linucb")
        try:
            assert a.status()["searches"] == b.status()["searches"] == 2 * len(QUERIES)
            assert a.selector.is_fitted and same_state(a.selector.state_dict(), b.selector.state_dict())
            assert a.arm_report() == b.arm_report()
            assert later_searches(a) == later_searches(b)
        finally:
            b.close()
    finally:
        a.close()
