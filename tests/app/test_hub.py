"""EngineHub: one engine per (catalog, state, policy), bounded by idle time and count."""
from __future__ import annotations

import threading

import pytest

from ltrr_app.hub import EngineHub


class FakeEngine:
    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def _hub(clock, **kwargs) -> tuple[EngineHub, list[FakeEngine]]:
    opened: list[FakeEngine] = []

    def opener(**kw):
        opened.append(FakeEngine(**kw))
        return opened[-1]

    return EngineHub(opener=opener, clock=clock, **kwargs), opened


def _get(hub, tmp_path, policy: str, state: str = "s"):
    return hub.get(tmp_path / "c.duckdb", tmp_path / state / policy, policy)


def test_an_idle_engine_is_closed_and_reopened_on_demand(tmp_path, clock):
    hub, opened = _hub(clock, idle_s=600)
    first = _get(hub, tmp_path, "linucb")
    clock.now = 500
    assert _get(hub, tmp_path, "linucb") is first          # in use: the idle clock restarts
    clock.now = 1000
    _get(hub, tmp_path, "thompson")                        # linucb idle 500 s < 600 s: kept
    assert first.closed == 0 and len(hub.open_engines()) == 2
    clock.now = 1100
    _get(hub, tmp_path, "thompson")                        # linucb idle 600 s: closed
    assert first.closed == 1
    assert [k.policy for k in hub.open_engines()] == ["thompson"]
    again = _get(hub, tmp_path, "linucb")
    assert again is not first and again.closed == 0 and len(opened) == 3


def test_evict_idle_without_a_request(tmp_path, clock):
    hub, opened = _hub(clock, idle_s=60)
    _get(hub, tmp_path, "linucb")
    clock.now = 59
    assert hub.evict_idle() == []
    clock.now = 60
    assert [k.policy for k in hub.evict_idle()] == ["linucb"]
    assert opened[0].closed == 1 and hub.open_engines() == []


def test_least_recently_used_engines_beyond_the_limit_are_closed(tmp_path, clock):
    hub, opened = _hub(clock, max_engines=2, busy_s=10)
    for i, policy in enumerate(["a", "b", "c"]):
        clock.now = 100 * i
        _get(hub, tmp_path, policy)
    assert [e.closed for e in opened] == [1, 0, 0]         # "a" was the least recently used
    clock.now = 300
    _get(hub, tmp_path, "b")                               # "b" is now more recent than "c"
    clock.now = 400
    _get(hub, tmp_path, "d")
    assert [e.closed for e in opened] == [1, 0, 1, 0]
    assert [k.policy for k in hub.open_engines()] == ["b", "d"]


def test_an_engine_in_use_is_never_closed_to_make_room(tmp_path, clock):
    hub, opened = _hub(clock, max_engines=1, busy_s=120)
    _get(hub, tmp_path, "a")
    clock.now = 60
    _get(hub, tmp_path, "b")                               # "a" was asked for 60 s ago: busy
    assert [e.closed for e in opened] == [0, 0] and len(hub.open_engines()) == 2
    clock.now = 200
    _get(hub, tmp_path, "b")                               # now "a" may go
    assert [e.closed for e in opened] == [1, 0]


def test_an_engine_that_fails_to_close_does_not_stop_the_others(tmp_path, clock):
    hub, opened = _hub(clock, idle_s=10)
    _get(hub, tmp_path, "a")
    _get(hub, tmp_path, "b")
    opened[0].close = lambda: (_ for _ in ()).throw(RuntimeError("disk gone"))
    clock.now = 10
    assert sorted(k.policy for k in hub.evict_idle()) == ["a", "b"]
    assert opened[1].closed == 1


def test_sessions_on_an_open_engine_are_served_while_another_opens(tmp_path, clock):
    release, started = threading.Event(), threading.Event()

    def opener(**kw):
        if kw["policy"] == "slow":
            started.set()
            assert release.wait(10)
        return FakeEngine(**kw)

    hub = EngineHub(opener=opener, clock=clock)
    fast = _get(hub, tmp_path, "fast")
    slow = threading.Thread(target=_get, args=(hub, tmp_path, "slow"))
    slow.start()
    assert started.wait(10)
    assert _get(hub, tmp_path, "fast") is fast             # not blocked behind the slow open
    assert hub.is_open(tmp_path / "c.duckdb", tmp_path / "s" / "fast", "fast")
    release.set()
    slow.join(10)
    assert len(hub.open_engines()) == 2


@pytest.mark.parametrize("kwargs", [{"max_engines": 0}, {"idle_s": 0}, {"busy_s": -1}])
def test_bad_limits_are_refused(kwargs):
    with pytest.raises(ValueError):
        EngineHub(opener=FakeEngine, **kwargs)


# --- opening in the background (the page draws its search box first and polls) ----------------

def _start(hub, tmp_path, policy: str):
    return hub.start(tmp_path / "c.duckdb", tmp_path / "s" / policy, policy)


def test_start_opens_in_the_background_once_and_sessions_share_the_opening(tmp_path, clock):
    release, calls = threading.Event(), []

    def opener(**kw):
        calls.append(kw["policy"])
        assert release.wait(10)
        return FakeEngine(**kw)

    hub = EngineHub(opener=opener, clock=clock)
    first = _start(hub, tmp_path, "linucb")
    assert not first.done                                   # start() did not wait for the opener
    assert _start(hub, tmp_path, "linucb") is first         # a second session polls the same opening
    release.set()
    assert first.wait(10) and first.error is None
    assert calls == ["linucb"] and isinstance(first.engine, FakeEngine)
    again = _start(hub, tmp_path, "linucb")                 # already open: a finished opening at once
    assert again.done and again.engine is first.engine and calls == ["linucb"]


def test_a_failed_opening_reports_its_error_and_the_next_start_tries_again(tmp_path, clock):
    attempts = []

    def opener(**kw):
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("not a catalog")
        return FakeEngine(**kw)

    hub = EngineHub(opener=opener, clock=clock)
    failed = _start(hub, tmp_path, "linucb")
    assert failed.wait(10)
    assert isinstance(failed.error, ValueError) and failed.engine is None
    assert not hub.is_open(tmp_path / "c.duckdb", tmp_path / "s" / "linucb", "linucb")
    retried = _start(hub, tmp_path, "linucb")
    assert retried is not failed and retried.wait(10) and retried.error is None and len(attempts) == 2


def test_the_opening_measures_its_pace_over_the_arms_and_says_the_time_left(clock):
    from ltrr_app.hub import Opening

    opening = Opening(clock)
    opening.report(0, 0, "Loading catalog")
    assert opening.fraction() == 0.0 and opening.eta_s() is None    # no arm yet: nothing to measure
    clock.now = 5.0
    opening.report(0, 4, "Opening arm lexical")
    opening.report(5, 10, "lexical: indexing")                      # half of the first of four arms
    assert opening.fraction() == pytest.approx(0.125)
    assert opening.eta_s() is None                                  # no time has passed on the arms yet
    clock.now = 7.0                                                 # 1/8 of the arms took 2 s
    assert opening.eta_s() == pytest.approx(14.0)
    assert opening.message() == "lexical: indexing"
    opening.report(0, 10, "lexical: tokenising")                    # the arm's next step starts at 0
    assert opening.fraction() == pytest.approx(0.125), "progress never goes backwards"
    opening.report(2, 4, "Opening arm memory")                      # a skipped arm counts as done
    assert opening.fraction() == pytest.approx(0.5)
    clock.now = 9.0
    assert opening.eta_s() == pytest.approx(4.0)                   # half in 4 s: 4 s left
    opening.finish(FakeEngine(), None)
    assert opening.done and opening.fraction() == 1.0 and opening.eta_s() == 0.0


def test_start_imports_the_engine_modules_in_the_calling_thread(tmp_path, clock):
    seen = []
    hub = EngineHub(opener=FakeEngine, clock=clock, preload=lambda: seen.append(threading.current_thread()))
    _start(hub, tmp_path, "a").wait(10)
    assert seen == [threading.current_thread()]
