"""Reformulation learning on a real engine: a failed vague ask followed, in the same session, by a
search whose click satisfied the user teaches the memory what the vague ask meant."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ltrr import Engine
from ltrr.bandit.coverage.cells import is_query_key
from ltrr.log_export import load_exported
from ltrr.memory.reformulation import user_key
from tests.engine.engines import FAST_ARMS, open_engine

VAGUE = "tunes to unwind to"
P = "track:gooddays"          # what the reformulating users wanted ("good days", a chill track)
Q = "track:theworld"          # what another user wanted from the same ask


def chain(eng, user: str, session: str | None, target: str = P, reworded: str = "good days",
          ts: float | None = None, skip: bool = True) -> tuple[str, str]:
    """A user asks the vague thing, skips it (or just leaves), rewords and clicks ``target``;
    the two response ids."""
    ctx = {"user_id": user}
    if session is not None:
        ctx["session_id"] = session
    if ts is not None:
        ctx["timestamp"] = ts
    first = eng.search(VAGUE, ctx)
    if skip:
        eng.feedback(first.id, action="skip")
    if ts is not None:
        ctx["timestamp"] = ts + 60
    second = eng.search(reworded, ctx)
    assert target in [r.entity_id for r in second.results], "the reworded search must show the target"
    eng.feedback(second.id, target)
    return first.id, second.id


def reformulations(eng) -> list[dict]:
    return [e for e in eng.log_events() if e["kind"] == "reformulation"]


def rank_of(eng, entity_id: str) -> int | None:
    """The fourth user's vague ask: the 1-based rank of ``entity_id`` in its top ten (None: absent)."""
    ids = [r.entity_id for r in eng.search(VAGUE, {"user_id": "u4", "session_id": "s4"}).results[:10]]
    return ids.index(entity_id) + 1 if entity_id in ids else None


def test_three_users_who_reformulated_put_their_find_in_a_fourth_users_top_ten(tiny_catalog_path, tmp_path):
    ranks = {}
    for name, sessions in (("sessions", True), ("no sessions", False)):
        eng = open_engine(tiny_catalog_path, tmp_path / name)
        try:
            for u in range(3):
                chain(eng, f"u{u + 1}", f"s{u + 1}" if sessions else None)
            ranks[name] = rank_of(eng, P)
            if sessions:
                entry = eng.memory_entries(VAGUE).set_index("entity_id").loc[P]
                events = reformulations(eng)
        finally:
            eng.close()
    # The same searches and clicks without sessions teach nothing: the find stays where it was.
    assert ranks["sessions"] is not None and ranks["sessions"] <= 3
    assert ranks["no sessions"] is None or ranks["no sessions"] > ranks["sessions"]
    assert entry["learned_from_reformulations"] and entry["reformulation_users"] == 3
    assert entry["clicks"] == 0                     # kept apart from clicks: nobody clicked it for this ask
    assert len(events) == 3 and {e["entity_id"] for e in events} == {P}
    assert {e["query_norm"] for e in events} == {VAGUE} and {e["to_query"] for e in events} == {"good days"}
    assert {e["user_key"] for e in events} == {user_key(f"u{u}") for u in (1, 2, 3)}   # hashed, never the id


def test_the_memory_arm_lists_the_find_first_for_the_vague_ask(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="static:memory")
    try:
        assert eng.search(VAGUE, {"user_id": "u0"}).results == []     # nothing known before
        for u in range(3):
            chain(eng, f"u{u + 1}", f"s{u + 1}", skip=u != 0)        # leaving without a click fails too
        chain(eng, "u9", "s9", Q, "the world is yours")
        listed = [r.entity_id for r in eng.search(VAGUE, {"user_id": "u4"}).results]
    finally:
        eng.close()
    # Both meanings, the one three users showed first (the rewordings share no words with the
    # vague ask: they teach no substitution, ltrr.memory.rewrites).
    assert listed == [P, Q]


def test_one_user_repeating_the_chain_is_less_sure_than_three_users(tiny_catalog_path, tmp_path):
    entries = {}
    for name, users in (("one", ["u1", "u1", "u1"]), ("three", ["u1", "u2", "u3"])):
        eng = open_engine(tiny_catalog_path, tmp_path / name)
        try:
            for i, user in enumerate(users):
                chain(eng, user, f"{name}{i}")
            entries[name] = eng.memory.entry(VAGUE, P)
            scores = eng.memory.pair_scores(VAGUE, [P])
            entries[name + "_score"] = float(scores[0])
            entries[name + "_confidence"] = float(eng.memory.reformulation_confidence(VAGUE, [P])[0])
        finally:
            eng.close()
    assert entries["one"].reformulation_users == 1 and entries["three"].reformulation_users == 3
    assert entries["one"].reformulations < entries["three"].reformulations
    assert entries["one_score"] < entries["three_score"]
    assert entries["one_confidence"] < entries["three_confidence"]


def test_two_users_with_the_same_vague_ask_keep_two_answers(engine):
    chain(engine, "u1", "s1", P, "good days")
    chain(engine, "u2", "s2", Q, "the world is yours")
    learned = engine.memory_entries(VAGUE)
    learned = learned[learned["learned_from_reformulations"]]
    assert set(learned["entity_id"]) == {P, Q}
    assert (learned["reformulation_users"] == 1).all()


def test_no_session_id_and_no_timestamp_makes_no_chain(engine):
    chain(engine, "u1", None)
    assert reformulations(engine) == []
    entry = engine.memory.entry(VAGUE, P)
    assert entry is None or not entry.learned_from_reformulations


def test_without_a_session_id_a_users_searches_within_ten_minutes_are_one_session(engine):
    chain(engine, "u1", None, ts=1_700_000_000.0)
    assert len(reformulations(engine)) == 1
    # Eleven minutes between the failed ask and the click: two sessions, nothing learned.
    first = engine.search(VAGUE, {"user_id": "u2", "timestamp": 1_700_000_000.0})
    engine.feedback(first.id, action="skip")
    second = engine.search("good days", {"user_id": "u2", "timestamp": 1_700_000_660.0})
    engine.feedback(second.id, P)
    assert len(reformulations(engine)) == 1
    assert engine.memory.entry(VAGUE, P).reformulation_users == 1


def test_a_clicked_search_is_no_failure_and_the_same_query_teaches_nothing(engine):
    ctx = {"user_id": "u1", "session_id": "s1"}
    first = engine.search(VAGUE, ctx)
    engine.feedback(first.id, first.results[0].entity_id)        # satisfied: not a failure
    second = engine.search("good days", ctx)
    engine.feedback(second.id, P)
    again = engine.search("Good Days!", ctx)                      # the same normalised query
    engine.feedback(again.id, P)
    assert reformulations(engine) == []


@pytest.mark.parametrize("order", ["found_later_after", "found_later_before"])
def test_a_later_find_of_the_same_pair_counts_once(engine, order):
    ctx = {"user_id": "u1", "session_id": "s1"}
    first = engine.search(VAGUE, ctx)
    engine.feedback(first.id, action="skip")
    second = engine.search("good days", ctx)
    if order == "found_later_before":
        engine.feedback(first.id, P, action="found_later")
    engine.feedback(second.id, P)
    if order == "found_later_after":
        engine.feedback(first.id, P, action="found_later")
    entry = engine.memory.entry(VAGUE, P)
    # One lesson, counted once: as a reformulation when the chain came first, else as the find.
    taught = entry.clicks + entry.reformulation_users
    assert taught == 1, entry
    assert len(reformulations(engine)) == (1 if order == "found_later_after" else 0)


def test_reopened_and_replayed_states_equal_the_live_one(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        for u in range(3):
            chain(eng, f"u{u}", f"s{u}")
        chain(eng, "u9", "s9", Q, "the world is yours")
        live = eng.memory_entries(limit=10_000)
        export = eng.export(tmp_path / "export", fmt="jsonl")
    finally:
        eng.close()
    for folder, replay in (("s", False), ("rebuilt", True)):
        eng = open_engine(tiny_catalog_path, tmp_path / folder)
        try:
            if replay:
                eng.replay(load_exported(export))
                assert len(reformulations(eng)) == 4     # detected again, not copied
            again = eng.memory_entries(limit=10_000)
        finally:
            eng.close()
        assert again.equals(live), folder


def test_reformulation_events_are_logged_valid_json(engine):
    chain(engine, "u1", "s1")
    lines = (engine.state.log_path).read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    # The failed search, its skip, the reworded search, its click, then the reformulation it completed.
    assert kinds == ["search", "feedback", "search", "feedback", "reformulation"]
    frame = engine.log_frame()
    assert len(frame) == 2                       # the log's table still has one row per search


class SmallMemory(Engine):
    """A memory of three queries."""

    memory_queries = 3


def test_the_engines_memory_stays_bounded_and_replays_the_same_evictions(tiny_catalog_path, tmp_path):
    queries = ["love story", "halo", "kill bill", "good days", "blank space", "shake it off"]
    eng = SmallMemory.open(catalog=tiny_catalog_path, state=tmp_path / "s", policy="linucb", arms=FAST_ARMS,
                           ranker_training="off")
    try:
        for i, query in enumerate(queries):
            response = eng.search(query, {"user_id": f"u{i}"})
            if response.results:
                eng.feedback(response.id, response.results[0].entity_id)
        chain(eng, "u1", "s1")           # two more queries: the vague one and "good days" again
        live = eng.memory_entries(limit=10_000)
        assert eng.memory.n_queries == 3
        assert set(live["query"]) <= {"shake it off", VAGUE, "good days", "blank space"}
    finally:
        eng.close()
    for reopen in ("checkpoint", "log"):
        if reopen == "log":
            shutil.rmtree(tmp_path / "s" / "checkpoint")
        eng = SmallMemory.open(catalog=tiny_catalog_path, state=tmp_path / "s", policy="linucb", arms=FAST_ARMS,
                           ranker_training="off")
        try:
            assert eng.memory_entries(limit=10_000).equals(live), reopen
        finally:
            eng.close()


def test_a_reworded_kind_of_ask_is_searched_again_as_users_reworded_it(tiny_catalog_path, tmp_path):
    """"easygoing rnb" failed a user who found Good Days with "rnb chill": the memory arm lists, for
    a later "easygoing rap", what "rap chill" finds, reopened or rebuilt from the log alike."""

    def remembered(eng) -> list[str]:
        response = eng.search("easygoing rap", {"user_id": "u4", "session_id": "s4"})
        return [r.entity_id for r in response.by_arm.get("memory", [])]

    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="all:budget=10")
    try:
        before = remembered(eng)
        # A rewording that names an artist is one user's taste: it teaches no substitution.
        first = eng.search("easygoing rnb", {"user_id": "u1", "session_id": "s1"})
        eng.feedback(first.id, action="skip")
        second = eng.search("sza chill", {"user_id": "u1", "session_id": "s1"})
        eng.feedback(second.id, P)
        assert remembered(eng) == before and eng.rewordings().empty
        first = eng.search("easygoing rnb", {"user_id": "u2", "session_id": "s2"})
        eng.feedback(first.id, action="skip")
        second = eng.search("rnb chill", {"user_id": "u2", "session_id": "s2"})
        eng.feedback(second.id, P)
        live = remembered(eng)
        learned = eng.rewordings()
        assert learned[["pattern", "replacement", "users"]].values.tolist() == [["easygoing *", "* chill", 1]]
        assert eng.rewordings("easygoing rap")["reworded"].tolist() == ["rap chill"]
        assert eng.rewordings("blinding lights").empty
        export = eng.export(tmp_path / "export", fmt="jsonl")
    finally:
        eng.close()
    assert "track:theworld" in live and "track:theworld" not in before     # Nas's chill track
    for folder, replay in (("s", False), ("rebuilt", True)):
        eng = open_engine(tiny_catalog_path, tmp_path / folder, policy="all:budget=10")
        try:
            if replay:
                eng.replay(load_exported(export))
            assert remembered(eng) == live, folder
        finally:
            eng.close()


def found_later_ranks(eng) -> dict:
    """The arm ranks the last logged feedback (a later find) credited."""
    return [e for e in eng.log_events() if e["kind"] == "feedback"][-1]["arm_ranks"]


def test_a_later_find_is_not_credited_to_the_memory_for_what_its_own_chain_taught(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage")
    try:
        # The retry's click taught the memory (vague ask -> find) before the find was told: when the
        # vague ask ran, the memory held nothing for it.
        first, _ = chain(eng, "u1", "s1")
        assert eng.memory.entry(VAGUE, P).reformulation_users == 1
        eng.feedback(first, P, action="found_later")
        assert found_later_ranks(eng)["memory"] is None
        # ... while the query's own cell hears where the memory lists it now: the next search of
        # this very text will find it there.
        logged = [e for e in eng.log_events() if e["kind"] == "feedback"][-1]
        assert logged["arm_ranks_now"] == {"memory": 1}
        learner = eng.selector.learner
        memory = learner.arms.index("memory")
        searched = next(e for e in eng.log_events() if e["kind"] == "search" and e["id"] == first)
        keys = [k for k in learner.cell_keys(np.asarray(searched["x"]), searched["query_norm"]) if k in learner._cells]
        last = {k: int(learner._cells[k].ranks[-1][memory]) for k in keys}
        assert [last[k] for k in keys if is_query_key(k)] == [1]
        assert all(last[k] > 1 for k in keys if not is_query_key(k)) and len(keys) > 1
        # Another user's chain taught the pair before this user's vague ask ran: the memory held it.
        first, _ = chain(eng, "u2", "s2")
        eng.feedback(first, P, action="found_later")
        assert found_later_ranks(eng)["memory"] == 1
    finally:
        eng.close()


@pytest.mark.slow
def test_an_ask_nobody_typed_before_lists_what_users_found_for_an_ask_close_in_meaning(tiny_catalog_path, tmp_path):
    """With MiniLM: three users reworded "tunes to unwind to" and found Good Days; a fifth user's
    "tunes to relax to", typed by nobody before, lists it, and the Memory page can say why."""
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="static:memory")
    try:
        assert eng.search("tunes to relax to", {"user_id": "u0"}).results == []
        assert eng.close_asks("tunes to relax to").empty
        for u in range(3):
            chain(eng, f"u{u + 1}", f"s{u + 1}")
        got = eng.search("tunes to relax to", {"user_id": "u5", "session_id": "s5"})
        assert [r.entity_id for r in got.results][:1] == [P]
        close = eng.close_asks("tunes to relax to")
        assert close[["asked", "entity_id"]].values.tolist() == [[VAGUE, P]]
        assert 0.6 <= close["similarity"].iloc[0] < 1.0 and close["title"].iloc[0] == "Good Days"
    finally:
        eng.close()
