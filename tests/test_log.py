import json

from ltrr.log import InteractionLog, read_events
from ltrr.log_frame import log_frame


def _search(i: int) -> dict:
    return {"kind": "search", "id": f"s{i}", "ts": "t", "user_id": "u", "query": f"q{i}",
            "query_norm": f"q{i}", "context": {"hour": 3}, "understanding": {"intent": "any"},
            "policy": "linucb", "x": [1.0, float("nan")],
            "selection": [{"arm": "lexical", "selected": True, "budget": 5, "propensity": 1.0, "expectation": 0.5}],
            "by_arm": {"lexical": [["track:a", 2.0], ["track:b", 1.0]]}, "results": ["track:a", "track:b"]}


def _click(i: int, entity: str = "track:b") -> dict:
    return {"kind": "feedback", "ts": "t", "search_id": f"s{i}", "entity_id": entity, "action": "click",
            "position": 2, "rewards": {"lexical": 1.0}, "bandit_update": True, "duplicate": False}


def test_append_and_read_round_trip(tmp_path):
    log = InteractionLog(tmp_path / "events.jsonl")
    log.append(_search(1))
    log.append(_click(1))
    log.close()
    events = read_events(tmp_path / "events.jsonl")
    assert [e["kind"] for e in events] == ["search", "feedback"]
    assert events[0]["x"] == [1.0, None]  # NaN is written as null, never as invalid JSON


def test_torn_tail_is_dropped_on_open(tmp_path):
    path = tmp_path / "events.jsonl"
    log = InteractionLog(path)
    log.append(_search(1))
    log.close()
    with open(path, "ab") as fh:
        fh.write(b'{"kind": "feedback", "search_')  # a crash mid-write
    log = InteractionLog(path)
    log.append(_search(2))
    log.close()
    assert [e["id"] for e in read_events(path)] == ["s1", "s2"]


def test_garbage_lines_are_skipped(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"not json\n" + json.dumps(_search(1)).encode() + b"\n[1,2]\n")
    log = InteractionLog(path, read_only=True)
    assert [e["id"] for e in log.events()] == ["s1"]
    assert log.skipped == 2


def test_events_of_unexpected_shape_are_skipped_not_fatal(tmp_path):
    path = tmp_path / "events.jsonl"
    bad_kind = dict(_search(1), kind=["search"])                    # unhashable kind
    bad_understanding = dict(_search(2), understanding=["not", "a", "dict"])
    path.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in (bad_kind, bad_understanding)))
    events = read_events(path)
    assert [e["id"] for e in events] == ["s2"]
    assert log_frame(events)["intent"].tolist() == [None]
