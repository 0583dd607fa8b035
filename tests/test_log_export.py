"""Exports of the log and reading them back (ltrr.log_export): tables, raw JSONL, OpenSearch UBI."""
import json

import pandas as pd
import pytest

from ltrr.log import read_events
from ltrr.log_export import export_events, load_exported
from ltrr.log_frame import log_frame
from tests.test_log import _click, _search


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


# --------------------------------------------------------------------------- OpenSearch UBI


def _skip(i: int) -> dict:
    return {"kind": "feedback", "ts": "t2", "search_id": f"s{i}", "entity_id": None, "action": "skip",
            "position": None, "rewards": {"lexical": 0.0}, "bandit_update": True, "duplicate": False}


def _ubi_docs(path):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    actions, docs = lines[0::2], lines[1::2]
    return [(a["index"]["_index"], a["index"].get("_id"), d) for a, d in zip(actions, docs)]


def test_ubi_export_has_the_ubi_shape(tmp_path):
    path = export_events([_search(1), _click(1), _search(2), _skip(2)], tmp_path, "ubi")
    assert path.name == "interactions.ubi.ndjson"
    docs = _ubi_docs(path)
    assert [(index, _id) for index, _id, _ in docs] == [
        ("ubi_queries", "s1"), ("ubi_events", None), ("ubi_queries", "s2"), ("ubi_events", None)]
    query, click, skip = docs[0][2], docs[1][2], docs[3][2]
    assert {k: query[k] for k in ("query_id", "user_query", "client_id", "timestamp", "query_response_hit_ids",
                                  "object_id_field")} == {
        "query_id": "s1", "user_query": "q1", "client_id": "u", "timestamp": "t",
        "query_response_hit_ids": ["track:a", "track:b"], "object_id_field": "entity_id"}
    assert query["query_attributes"]["arms_selected"] == "lexical"
    assert click["action_name"] == "click" and click["query_id"] == "s1" and click["client_id"] == "u"
    assert click["event_attributes"]["object"]["object_id"] == "track:b"
    assert click["event_attributes"]["position"] == {"ordinal": 2}
    assert skip["action_name"] == "skip" and "object" not in skip["event_attributes"]
    assert "position" not in skip["event_attributes"]
    for _, _, doc in docs:                    # OpenSearch's dynamic mapping: no nulls, no mixed arrays
        assert None not in doc.values()
        for attrs in (doc.get("query_attributes", {}), doc.get("event_attributes", {})):
            assert all(isinstance(v, (str, dict)) for k, v in attrs.items() if k.startswith("ltrr_"))


def _found_later(i: int, entity: str = "track:z") -> dict:
    return {"kind": "feedback", "ts": "t", "search_id": f"s{i}", "entity_id": entity, "action": "found_later",
            "position": None, "rewards": {}, "bandit_update": False, "duplicate": False,
            "arm_ranks": {"lexical": None, "fuzzy": 3}, "arm_counts": {"lexical": 2, "fuzzy": 50}}


def test_ubi_round_trip_gives_back_the_same_searches_and_clicks(tmp_path):
    events = [_search(1), _click(1), _click(1, "track:a"), _search(2), _skip(2), _found_later(2), _search(3)]
    back = load_exported(export_events(events, tmp_path, "ubi"))
    originals = read_events(export_events(events, tmp_path, "jsonl"))   # what the log itself stores
    strip = lambda ev: {k: v for k, v in ev.items() if k != "v"}       # noqa: E731
    assert [strip(e) for e in back] == [strip(e) for e in originals]
    assert log_frame(back).equals(log_frame(originals))


def test_ubi_from_another_source_gives_searches_and_clicks(tmp_path):
    path = tmp_path / "other.ndjson"
    lines = [{"index": {"_index": "ubi_queries"}},
             {"query_id": "q-1", "user_query": "blue", "client_id": "c9", "timestamp": "2025-01-01T00:00:00Z",
              "query_response_hit_ids": ["7", "8"]},
             {"create": {"_index": "ubi_events"}},
             {"action_name": "click", "query_id": "q-1", "timestamp": "2025-01-01T00:00:05Z",
              "event_attributes": {"object": {"object_id": 8}, "position": {"ordinal": 2}}}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    search, click = load_exported(path)
    assert (search["id"], search["query"], search["user_id"], search["results"]) == ("q-1", "blue", "c9", ["7", "8"])
    assert (click["search_id"], click["entity_id"], click["position"], click["action"]) == ("q-1", "8", 2, "click")
    frame = log_frame([search, click])
    assert list(frame["n_clicks"]) == [1]


@pytest.mark.parametrize("lines, message", [
    ([{"index": {"_index": "ubi_queries"}}, {"user_query": "x"}], "query document 1 lacks"),
    ([{"index": {"_index": "ubi_events"}}, {"query_id": "q"}], "action_name"),
    ([{"index": {"_index": "logs"}}, {}], "not ubi_queries"),
    ([{"query_id": "q"}], "index action"),
    ([{"index": {"_index": "ubi_queries"}}], "no document"),
    ([{"index": {"_index": "ubi_queries"}},
      {"query_id": "q", "user_query": "x", "query_attributes": {"ltrr_search": "[1]"}}], "not a JSON object"),
])
def test_bad_ubi_files_name_the_problem(tmp_path, lines, message):
    path = tmp_path / "bad.ndjson"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with pytest.raises(ValueError, match=message):
        load_exported(path)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ubi"])
def test_every_declared_field_survives_each_export_in_log_order(tmp_path, fmt):
    """Decision, arm run times, the rank stage's swap/interleave/pin/exposure, the user's genre lean,
    and each feedback's ranks, counts and credit come back, and feedback arriving after a later
    search stays there."""
    full = {**_search(1), "x": [1.0, 0.5], "decision": {"greedy": {"lexical": 5}, "explored": True},
            "arm_ms": {"lexical": 1.25}, "swap": {"pos": 1, "p": 0.05}, "pinned": "track:a",
            "interleave": {"a": "heuristic", "b": "lightgbm v1", "teams": ["", "a"]},
            "expose": [{"arm": "lexical", "entity_id": "track:b", "p": 1.0, "from": 5, "to": 3}],
            "affinity": {"rock": 0.7, "r b": 0.125}}
    judged = {"kind": "feedback", "ts": "t", "search_id": "s2", "entity_id": None, "action": "judged",
              "position": None, "rewards": {}, "bandit_update": False, "duplicate": False,
              "arm_ranks": {"lexical": 2}, "arm_counts": {"lexical": 9}, "n_wanted": 1}
    # As the engine writes them: decision and arm_ms always present (null when unused).
    plain = [{**_search(i), "x": [0.0, 1.0], "decision": None, "arm_ms": {}} for i in (2, 3)]
    events = [full, plain[0], {**_click(1), "arm_ranks": {"lexical": 2, "fuzzy": None}}, judged, plain[1]]
    back = load_exported(export_events(events, tmp_path, fmt))
    assert back == events


def test_a_table_export_from_before_the_new_columns_still_loads(tmp_path):
    """An older CSV (the shown columns only, no seq): each search, then its feedback, as before."""
    path = export_events([_search(1), _search(2), _click(1)], tmp_path, "csv")
    old = pd.read_csv(path, dtype=str, keep_default_na=False)
    old = old[["id", "ts", "user_id", "query", "query_norm", "policy", "intent", "arms_selected", "n_results",
               "results", "clicks", "n_clicks", "context", "understanding", "selection", "by_arm", "x"]]
    old["clicks"] = [json.dumps([{k: c[k] for k in ("entity_id", "position", "action", "ts")}
                                 for c in json.loads(cell)]) for cell in old["clicks"]]
    old.to_csv(path, index=False)
    back = load_exported(path)
    assert [(e["kind"], e.get("id", e.get("search_id"))) for e in back] == [
        ("search", "s1"), ("feedback", "s1"), ("search", "s2")]
    assert "decision" not in back[0] and back[1]["entity_id"] == "track:b"
