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


def test_sleepers_cost_about_the_slowest_not_the_sum():
    start = time.perf_counter()
    out = fan_out({f"s{i}": (lambda: time.sleep(0.2)) for i in range(4)}, inline_below_ms=0)
    wall = time.perf_counter() - start
    assert wall < 0.6                                     # sequential would be 0.8 s
    assert all(150 <= o.ms < 600 for o in out.values())   # each call timed on its own


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
    pause = {"cheap": 0.0, "slow": 0.01, "slower": 0.02}

    def call(name):
        def run():
            seen[name].add(threading.get_ident())
            time.sleep(pause[name])
        return run

    calls = {n: call(n) for n in seen}
    fan_out(calls)                                   # never seen: all cheap, all inline
    assert all(s == {threading.get_ident()} for s in seen.values())
    for s in seen.values():
        s.clear()
    fan_out(calls)                                   # now timed: "slow" goes to the pool
    me = threading.get_ident()
    assert seen["cheap"] == {me} and seen["slower"] == {me} and me not in seen["slow"]


def test_nothing_and_one():
    assert fan_out({}) == {}
    assert fan_out({"only": lambda: 7}, fallback=lambda: 0)["only"].value == 7
