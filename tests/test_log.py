import json

import pandas as pd
import pytest

from ltrr.log import InteractionLog, export_events, load_exported, log_frame, read_events


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


def test_frame_has_one_row_per_search_with_clicks(tmp_path):
    frame = log_frame([_search(1), _search(2), _click(1), _click(1, "track:a")])
    assert list(frame["id"]) == ["s1", "s2"]
    assert list(frame["n_clicks"]) == [2, 0]
    assert json.loads(frame.loc[0, "clicks"])[0]["position"] == 2


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_formats_round_trip(tmp_path, fmt):
    events = [_search(1), _click(1), _search(2)]
    path = export_events(events, tmp_path / "out", fmt)
    assert path == tmp_path / "out" / f"interactions.{fmt}"
    back = load_exported(path)
    assert [e["kind"] for e in back if e["kind"] == "search"] == ["search", "search"]
    clicks = [e for e in back if e["kind"] == "feedback"]
    assert len(clicks) == 1 and clicks[0]["entity_id"] == "track:b"
    if fmt != "jsonl":
        assert len(pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)) == 2


def test_unknown_export_format(tmp_path):
    with pytest.raises(ValueError, match="parquet"):
        export_events([], tmp_path, "xml")
