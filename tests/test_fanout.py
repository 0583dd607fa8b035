"""The fan-out: concurrent, ordered, per-call timings, failures contained."""
from __future__ import annotations

import threading
import time

import pytest

from ltrr import fanout
from ltrr.fanout import Outcome, fan_out


@pytest.fixture(autouse=True)
def fresh_costs():
    fanout.reset_costs()
    yield
    fanout.reset_costs()


def test_results_come_back_by_name_in_the_callers_order():
    calls = {name: (lambda n=name: [n] * 2) for name in ["c", "a", "b"]}
    out = fan_out(calls)
    assert list(out) == ["c", "a", "b"]
    assert {n: o.value for n, o in out.items()} == {"c": ["c", "c"], "a": ["a", "a"], "b": ["b", "b"]}
    assert all(o.ok and o.ms >= 0 for o in out.values())


def test_calls_run_concurrently():
    """Three calls that each wait for all three to have started can only finish if they overlap."""
    barrier = threading.Barrier(3, timeout=5)

    def call(name: str):
        def run():
            barrier.wait()
            return name
        return run

    out = fan_out({n: call(n) for n in "xyz"}, inline_below_ms=0)
    assert [o.value for o in out.values()] == ["x", "y", "z"] and all(o.ok for o in out.values())


def test_each_call_is_timed_on_its_own_thread():
    """Each outcome's ms covers its own call (at least its 0.2 s sleep) and the call ran on a pool
    thread. How much wall time the overlap saves is a number, not a test: benchmarks/timings.py."""
    threads: dict[str, int] = {}

    def sleeper(name: str):
        def run():
            threads[name] = threading.get_ident()
            time.sleep(0.2)
        return run

    out = fan_out({f"s{i}": sleeper(f"s{i}") for i in range(4)}, inline_below_ms=0)
    assert all(o.ok and o.ms >= 199 for o in out.values())
    # All four are slow (inline_below_ms=0): one runs here rather than leave this thread idle.
    assert sum(t == threading.get_ident() for t in threads.values()) == 1


def test_a_failing_call_gets_the_fallback_and_is_logged(caplog):
    def boom():
        raise RuntimeError("index on fire")

    out = fan_out({"good": lambda: [1], "bad": boom, "first_bad": boom}, what="arm", inline_below_ms=0)
    assert out["good"] == Outcome([1], out["good"].ms)
    for name in ("bad", "first_bad"):
        assert out[name].value == [] and not out[name].ok
        assert isinstance(out[name].error, RuntimeError)
        assert f"arm {name} failed" in caplog.text
    assert "index on fire" in caplog.text


def test_only_calls_that_were_slow_leave_the_calling_thread():
    seen: dict[str, set] = {"cheap": set(), "slow": set(), "slower": set()}
    # Far apart, and far from the 20 ms threshold below, so that a loaded machine's pauses of a few
    # ms cannot reorder them: what is asserted is where calls run, not how fast.
    pause = {"cheap": 0.0, "slow": 0.06, "slower": 0.18}

    def call(name):
        def run():
            seen[name].add(threading.get_ident())
            time.sleep(pause[name])
        return run

    calls = {n: call(n) for n in seen}
    fan_out(calls, inline_below_ms=20)               # never seen: all cheap, all inline
    assert all(s == {threading.get_ident()} for s in seen.values())
    for s in seen.values():
        s.clear()
    fan_out(calls, inline_below_ms=20)               # now timed: the slow ones go to the pool
    me = threading.get_ident()
    assert seen["cheap"] == {me} and me not in seen["slow"] | seen["slower"]
    for s in seen.values():
        s.clear()
    fan_out({n: calls[n] for n in ("slow", "slower")}, inline_below_ms=20)   # all slow: the slowest stays here
    assert seen["slower"] == {me} and me not in seen["slow"]


def test_nothing_and_one():
    assert fan_out({}) == {}
    assert fan_out({"only": lambda: 7}, fallback=lambda: 0)["only"].value == 7


# --- the engine's arms on the fan-out ---------------------------------------------

@pytest.fixture()
def engine(tiny_catalog, tmp_path):
    from ltrr.engine import Engine

    eng = Engine.open(tiny_catalog, tmp_path / "state", policy="all",
                      arms=["lexical", "fuzzy", "structured", "popular", "related"], ranker_training="off")
    yield eng
    eng.close()


def test_concurrent_arms_give_the_same_search_as_arms_in_turn(engine, monkeypatch):
    def ranked_ids(inline_ms: float) -> tuple[list[str], dict[str, list[str]]]:
        monkeypatch.setattr(fanout, "INLINE_BELOW_MS", inline_ms)
        resp = engine.search("taylor swift love", {"user_id": "u1", "hour": 12})
        assert "arms" in resp.timings and all(f"arm:{a}" in resp.timings for a in resp.by_arm)
        return [r.entity_id for r in resp.results], {a: [r.entity_id for r in rs] for a, rs in resp.by_arm.items()}

    in_turn = ranked_ids(float("inf"))
    assert in_turn[0]
    assert ranked_ids(0.0) == in_turn                   # every arm but one on pool threads


def test_a_failing_arm_does_not_fail_the_search(engine, monkeypatch, caplog):
    def broken(query, budget):
        raise RuntimeError("fuzzy index on fire")

    monkeypatch.setattr(engine._arms["fuzzy"], "retrieve", broken)
    resp = engine.search("blank space")
    assert resp.results and resp.by_arm["fuzzy"] == []
    assert "arm fuzzy failed" in caplog.text and "fuzzy index on fire" in caplog.text
