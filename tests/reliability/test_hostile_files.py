"""Hostile bytes where ltrr reads files and names: the interaction log, exported
UBI files, snapshot/catalog names and policy specs. Each is read or refused
with a clear ValueError; nothing else escapes, nothing invalid gets through."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.bandit.policy import PolicySpec
from ltrr.log import InteractionLog, is_valid_event
from ltrr.log_export import from_ubi, read_ubi
from ltrr.log_frame import log_frame
from ltrr.state import UnsafeNameError, policy_folder, safe_name
from tests.reliability.hostile import HOSTILE, counted

# Values of every JSON type, right and wrong for each field: type confusion is the
# hostile part, and drawing from a fixed set keeps each example cheap to generate.
VALUES = [None, True, 0, -1, 2**70, 1.5, "", "x", "track:a", "\x00", "🔥", [], ["a"], [1, None], [["a", 1.0]],
          [{"arm": "lexical", "selected": True}], [{"arm": 3}], {}, {"a": 1}, {"intent": "track"},
          {"lexical": [["a", 1.0]]}, {"lexical": "x"}]
JSON = st.one_of(st.sampled_from(VALUES), st.text(max_size=8), st.integers(), st.floats())


VALID = {
    "search": {"kind": "search", "id": "s1", "query": "halo", "query_norm": "halo", "user_id": "u", "ts": "t",
               "results": ["track:a"], "selection": [{"arm": "lexical", "selected": True, "budget": 5}],
               "by_arm": {"lexical": [["track:a", 1.0]]}, "x": [0.5], "understanding": {"intent": "track"},
               "context": {"hour": 3}, "policy": "linucb"},
    "feedback": {"kind": "feedback", "search_id": "s1", "action": "click", "entity_id": "track:a",
                 "position": 1, "ts": "t"},
}


def event_like():
    """A valid event with up to three fields replaced by values of any type, or one dropped:
    mostly-right events reach the code past the first check."""
    def corrupt(kind):
        keys = list(VALID[kind])
        return st.tuples(st.dictionaries(st.sampled_from(keys), JSON, max_size=3),
                         st.sets(st.sampled_from(keys), max_size=1)).map(
            lambda change: {k: v for k, v in {**VALID[kind], **change[0]}.items() if k not in change[1]})
    return st.one_of(corrupt("search"), corrupt("feedback"), st.dictionaries(st.text(max_size=6), JSON, max_size=3))


@pytest.fixture
def log_path(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile-log") / "events.jsonl"


@settings(HOSTILE, max_examples=2000)
@given(lines=st.lists(st.one_of(event_like().map(lambda e: json.dumps(e).encode()), st.binary(max_size=60),
                                JSON.map(lambda v: json.dumps(v).encode())), max_size=4),
       torn=st.binary(max_size=30))
@counted
def test_log_reading_keeps_only_valid_events(log_path, lines, torn):
    data = b"".join(line.replace(b"\n", b" ") + b"\n" for line in lines) + torn
    log_path.write_bytes(data)
    log = InteractionLog(log_path, read_only=True)
    events = list(log.events())
    assert all(is_valid_event(e) for e in events)
    pieces = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert len(events) + log.skipped == pieces            # every line is either kept or counted as skipped
    frame = log_frame(events)                      # and the app's table can always be drawn
    assert len(frame) == len({e["id"] for e in events if e["kind"] == "search"})


@settings(HOSTILE, max_examples=2000)
@given(pairs=st.lists(st.tuples(st.sampled_from(["ubi_queries", "ubi_events", "other"]),
                                st.one_of(st.fixed_dictionaries({}, optional={
                                    "query_id": JSON, "user_query": JSON, "client_id": JSON, "timestamp": JSON,
                                    "query_response_hit_ids": JSON, "action_name": JSON,
                                    "query_attributes": st.one_of(JSON, st.fixed_dictionaries(
                                        {"ltrr_search": JSON.map(json.dumps)})),
                                    "event_attributes": st.one_of(JSON, st.fixed_dictionaries({}, optional={
                                        "object": st.dictionaries(st.just("object_id"), JSON, max_size=1),
                                        "position": st.dictionaries(st.just("ordinal"), JSON, max_size=1),
                                        "ltrr_feedback": JSON.map(json.dumps)}))}), JSON)), max_size=3))
@counted
def test_ubi_documents_are_read_or_refused_clearly(pairs):
    try:
        events = from_ubi(pairs)
    except ValueError as exc:
        assert str(exc).startswith("UBI ")
        return
    assert [e["kind"] for e in events] == ["search" if i == "ubi_queries" else "feedback" for i, _ in pairs]
    log_frame([e for e in events if is_valid_event(e)])


@settings(HOSTILE, max_examples=300)
@given(raw=st.binary(max_size=200))
@counted
def test_ubi_files_of_any_bytes_are_read_or_refused_clearly(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("ubi") / "x.ndjson"
    path.write_bytes(raw)
    try:
        read_ubi(path)
    except ValueError as exc:
        assert str(exc)


NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@settings(HOSTILE, max_examples=2000)
@given(text=st.one_of(st.text(max_size=80), st.from_regex(r"[./\\a-zA-Z ]{0,12}", fullmatch=True),
                      st.sampled_from(["..", "../..", "/", "a/../b", "C:\\x", "~", ".", " . ", "\x00"])))
@counted
def test_names_become_plain_names_or_are_refused(text):
    try:
        name = safe_name(text)
    except UnsafeNameError as exc:
        assert isinstance(exc, ValueError) and str(exc)
        return
    assert NAME.match(name) and ".." not in name and "/" not in name and "\\" not in name
    assert safe_name(name) == name                         # a safe name stays itself


@settings(HOSTILE, max_examples=1500)
@given(text=st.one_of(st.text(max_size=120), st.from_regex(r"(static|linucb|all|epsilon):[a-z,=.0-9 ]{0,20}",
                                                           fullmatch=True)))
@counted
def test_policy_specs_parse_or_are_refused_clearly(text):
    try:
        spec = PolicySpec.parse(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert PolicySpec.parse(str(spec)) == spec              # what parses prints back to itself
    folder = policy_folder(str(spec))
    assert NAME.match(folder) and folder == safe_name(folder)
