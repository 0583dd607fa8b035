"""The log as a table (ltrr.log_frame): one row per search, and the cache that follows a log file."""
import json

from ltrr.log import read_events
from ltrr.log_frame import LogFrameCache, cached_log_frame, log_frame
from tests.test_log import _click, _search


def test_frame_has_one_row_per_search_with_clicks(tmp_path):
    frame = log_frame([_search(1), _search(2), _click(1), _click(1, "track:a")])
    assert list(frame["id"]) == ["s1", "s2"]
    assert list(frame["n_clicks"]) == [2, 0]
    assert json.loads(frame.loc[0, "clicks"])[0]["position"] == 2


# --------------------------------------------------------------------------- the cached frame


def _append(path, *events):
    with open(path, "ab") as fh:
        for ev in events:
            fh.write(json.dumps(ev).encode() + b"\n")


def test_cached_frame_follows_the_log_reading_only_the_tail(tmp_path):
    path = tmp_path / "events.jsonl"
    cache = LogFrameCache(path)
    assert cache.frame().empty
    _append(path, _search(1), _search(2))
    assert list(cache.frame()["id"]) == ["s1", "s2"]
    reads = cache.reads
    cache.frame()
    assert cache.reads == reads                      # unchanged log: nothing read
    _append(path, _click(1), _search(3), _click(3, "track:a"), _click(1, "track:a"))
    frame = cache.frame()
    assert cache.reads == reads + 1
    assert frame.equals(log_frame(read_events(path)))   # the same as folding the whole log
    assert list(frame["n_clicks"]) == [2, 0, 1]


def test_cached_frame_waits_for_a_line_in_flight(tmp_path):
    path = tmp_path / "events.jsonl"
    _append(path, _search(1))
    cache = LogFrameCache(path)
    cache.frame()
    with open(path, "ab") as fh:
        fh.write(json.dumps(_click(1)).encode()[:20])           # half written
    assert list(cache.frame()["n_clicks"]) == [0]
    with open(path, "ab") as fh:
        fh.write(json.dumps(_click(1)).encode()[20:] + b"\n")   # finished
    assert list(cache.frame()["n_clicks"]) == [1]


def test_cached_frame_notices_a_replaced_log(tmp_path):
    path = tmp_path / "events.jsonl"
    _append(path, _search(1), _search(2))
    cache = LogFrameCache(path)
    assert len(cache.frame()) == 2
    path.unlink()                                     # reset: the log moves away, a new one starts
    assert cache.frame().empty
    _append(path, _search(7), _search(8), _search(9))
    assert list(cache.frame()["id"]) == ["s7", "s8", "s9"]
    with open(path, "r+b") as fh:                     # same file, rewritten in place and longer:
        fh.truncate(0)                                # only its first line tells it apart
    _append(path, _search(4), _search(5), _search(6), _search(10))
    assert list(cache.frame()["id"]) == ["s4", "s5", "s6", "s10"]


def test_cached_frame_is_a_copy(tmp_path):
    path = tmp_path / "events.jsonl"
    _append(path, _search(1))
    frame = cached_log_frame(path)
    frame.loc[0, "query"] = "changed"
    assert cached_log_frame(path).loc[0, "query"] == "q1"
