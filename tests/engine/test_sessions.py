"""Session chains: which searches make a session, which of them failed, and the bounds."""
from __future__ import annotations

import json

import pytest

from ltrr.engine.sessions import SESSION_GAP, SessionChains, epoch_seconds, session_of


def test_a_session_is_the_session_id_else_a_timestamped_user_else_none():
    assert session_of({"session_id": "abc", "user_id": "u"}, "u") == ("s:abc", None)
    assert session_of({"user_id": "u", "timestamp": 100}, "u") == ("u:u", 100.0)
    assert session_of({"user_id": "u", "timestamp": "1970-01-01T00:01:40"}, "u") == ("u:u", 100.0)
    assert session_of({"user_id": "u"}, "u") == (None, None)              # no clock: no session
    assert session_of({"timestamp": 100}, "anonymous") == (None, None)     # no user: no session
    assert session_of({"user_id": "u", "timestamp": "soon"}, "u") == (None, None)
    assert epoch_seconds(True) is None and epoch_seconds(float("nan")) is None


def test_earlier_unclicked_searches_of_other_queries_make_the_chains():
    chains = SessionChains()
    ctx = {"session_id": "s"}
    for sid, query in (("a", "tunes to unwind to"), ("b", "relaxing"), ("c", "relaxing"), ("d", "chill")):
        chains.on_search(sid, query, "u1", ctx)
    found = chains.on_click("d", "track:p")
    # One chain per distinct failed query (its latest search), most recent first.
    assert [(c.from_id, c.from_query, c.to_id, c.to_query) for c in found] == [
        ("c", "relaxing", "d", "chill"), ("a", "tunes to unwind to", "d", "chill")]
    chains.note_found("a", "track:q")
    assert [c.from_id for c in chains.on_click("d", "track:q")] == ["c"]    # a taught q already
    chains.on_search("e", "anything", "u1", ctx)
    assert chains.on_click("e", "track:r")[0].from_id == "c"                 # d was clicked: no failure


def test_a_users_session_ends_after_the_gap():
    chains = SessionChains()
    chains.on_search("a", "vague", "u", {"user_id": "u", "timestamp": 0})
    chains.on_search("b", "precise", "u", {"user_id": "u", "timestamp": SESSION_GAP})
    assert [c.from_id for c in chains.on_click("b", "track:p")] == ["a"]
    chains.on_search("c", "vague again", "u", {"user_id": "u", "timestamp": 3 * SESSION_GAP})
    chains.on_search("d", "precise again", "u", {"user_id": "u", "timestamp": 3 * SESSION_GAP + 1})
    assert [c.from_id for c in chains.on_click("d", "track:p")] == ["c"]     # a and b were another session


def test_sessions_and_searches_per_session_are_bounded():
    chains = SessionChains(limit=3, per_session=2)
    for i in range(10):
        for j in range(3):
            chains.on_search(f"{i}-{j}", f"q{j}", "u", {"session_id": f"s{i}"})
    assert len(chains) == 3
    state = chains.state_dict()["sessions"]
    assert [key for key, _, _ in state] == ["s:s7", "s:s8", "s:s9"]
    assert all(len(searches) == 2 for _, _, searches in state)
    assert chains.on_click("0-2", "track:p") == []                   # its session was forgotten
    assert [c.from_id for c in chains.on_click("9-2", "track:p")] == ["9-1"]


def test_state_round_trips_through_json():
    chains = SessionChains()
    chains.on_search("a", "vague", "u", {"user_id": "u", "timestamp": 5})
    chains.on_search("b", "precise", "u", {"session_id": "x"})
    chains.note_found("a", "track:q")
    again = SessionChains()
    again.load_state_dict(json.loads(json.dumps(chains.state_dict())))
    assert again.state_dict() == chains.state_dict()
    with pytest.raises(ValueError, match="malformed session state"):
        again.load_state_dict({"sessions": [["k", None, [["a", "q"]]]]})
    assert again.state_dict() == chains.state_dict()
