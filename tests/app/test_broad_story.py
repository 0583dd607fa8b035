"""The broad-ask story (issue 27): three listeners ask a vague thing, find nothing, reword it and play
what the reworded search found; the fourth user's vague ask then shows that find in its top ten, and
the story and the Memory page say where it came from. Also: the Search page's own searches carry a
session, so a person rewording a failed search teaches the same lesson."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ltrr_app import broad, stories
from ltrr_app.shared import default_policy
from ltrr_app.stories import CatalogFacts
from tests.app.test_pages import APP, TIMEOUT, assert_clean, frame_with, play_buttons, search
from tests.engine.engines import open_engine

SENTENCE = "learned from 3 users who reworded this search"


def test_the_plan_rewords_with_what_the_catalog_knows():
    def plan(**kw):
        return stories.broad_plan(CatalogFacts(counts={"track": 5}, **kw))

    assert plan(moods=("sad", "chill"), genres=("pop",)).reworded == "chill songs"
    assert plan(moods=("sad",), genres=("pop",)).reworded == "sad songs"
    assert plan(genres=("pop", "rock")).reworded == "pop songs"
    assert plan() is None and stories.steps("broad", CatalogFacts(counts={})) == []
    assert {s.query for s in stories.steps("broad", CatalogFacts(counts={}, moods=("chill",)))} == \
        {stories.VAGUE_ASK, "chill songs"}


def test_three_listeners_put_their_find_in_the_fourth_users_top_ten(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=default_policy())
    try:
        told = stories.broad_plan(CatalogFacts.from_engine(eng))
        assert told is not None
        assert broad.origins(eng, told.vague) == {}, "nothing learned before"
        taught = broad.teach(eng, told, hour=21)
        after = eng.search(told.vague, {"user_id": stories.FOURTH_USER, "hour": 21}, k=10)
        learned = broad.origins(eng, told.vague)
        events = [e for e in eng.log_events() if e["kind"] == "reformulation"]
    finally:
        eng.close()
    assert taught.rank_before is None, "the vague ask fails at first: the find is not in its top ten"
    assert broad.rank_of(after, taught.entity_id) is not None, [r.title for r in after.results]
    origin = learned[taught.entity_id]
    assert (origin.users, origin.clicks) == (3, 0)       # taught by rewording, nobody clicked it for the ask
    assert origin.sentence() == SENTENCE
    assert len(events) == 3 and {e["to_query"] for e in events} == {told.reworded}


def test_origin_sentence_counts_users_in_words():
    assert broad.Origin("x", 1, 0).sentence() == "learned from 1 user who reworded this search"
    assert broad.Origin("x", 2, 0).sentence() == "learned from 2 users who reworded this search"


def pick_broad(at: AppTest) -> AppTest:
    at.sidebar.selectbox(key="ltrr_story_pick").select("broad").run()
    assert_clean(at)
    return at


def test_the_story_in_the_app_shows_the_find_and_where_it_came_from(fresh_state):
    at = pick_broad(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run())
    assert any("What to look for" in m.value for m in at.markdown)
    at.button(key="ltrr_broad_teach").click().run()
    assert_clean(at)
    taught = at.session_state["ltrr_broad_taught"]
    assert taught.rank_before is None
    at.button(key="ltrr_story_broad_2").click().run()
    assert_clean(at)
    resp = at.session_state["ltrr_response"]
    assert resp.query == stories.VAGUE_ASK and at.session_state["ltrr_user"] == stories.FOURTH_USER
    assert taught.entity_id in [r.entity_id for r in resp.results[:10]]
    told = [s.value for s in at.success if SENTENCE in s.value]
    assert told and taught.title in told[0], [s.value for s in at.success]
    # The Memory page, opened on the vague ask (what the story's button does), says the same.
    at.session_state["ltrr_mem_query"] = stories.VAGUE_ASK
    at.switch_page("pages/2_Memory.py").run()
    assert_clean(at)
    assert any(SENTENCE in s.value and taught.title in s.value for s in at.success)
    pairs = frame_with(at, "reworded")
    row = pairs[(pairs["query"] == stories.VAGUE_ASK) & (pairs["title"] == taught.title)]
    assert list(row["reworded"]) == [3]
    # An ask close to it that nobody typed reads what they taught: the page says from which ask.
    at.session_state["ltrr_mem_query"] = "tunes to relax to"
    at.run()
    assert_clean(at)
    close = frame_with(at, "asked")
    assert stories.VAGUE_ASK in list(close["asked"])
    assert taught.title in list(close[close["asked"] == stories.VAGUE_ASK]["title"])


def test_a_person_who_rewords_on_the_search_page_teaches_the_vague_ask(fresh_state):
    at = search(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), stories.VAGUE_ASK)
    at = search(at, "chill songs")
    resp = at.session_state["ltrr_response"]
    target = resp.results[0]
    play_buttons(at)[0].click().run()
    assert_clean(at)
    learned = broad.origins(_engine(), stories.VAGUE_ASK)
    assert target.entity_id in learned and learned[target.entity_id].users == 1


def test_a_users_searches_share_a_session_until_it_goes_idle(fresh_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at = search(at, "chill songs")
    at = search(at, "love")
    sessions = [e["context"].get("session_id") for e in _engine().log_events() if e["kind"] == "search"]
    assert len(sessions) == 2 and sessions[0] and sessions[0] == sessions[1]
    # Another user of the tab gets a session of their own.
    at.selectbox(key="ltrr_user_pick").select("u2").run()
    at = search(at, "night")
    sessions = [e["context"].get("session_id") for e in _engine().log_events() if e["kind"] == "search"]
    assert sessions[-1] and sessions[-1] != sessions[0]


def _engine():
    """The engine the app opened for this test's state (the default policy)."""
    from ltrr.config import default_catalog_path, default_state_dir
    from ltrr_app.hub import state_dir_for
    from ltrr_app.shared import engine_hub

    catalog = default_catalog_path()
    state = state_dir_for(default_state_dir(), catalog, catalog, default_policy())
    assert engine_hub().is_open(catalog, state, default_policy())
    return engine_hub().get(catalog, state, default_policy())


@pytest.mark.parametrize("idle_s, same", [(60.0, True), (601.0, False)])
def test_a_session_is_renewed_after_ten_idle_minutes(idle_s, same):
    at = AppTest.from_string(
        "import streamlit as st\n"
        "from ltrr_app.shared import search_session\n"
        "st.session_state['a'] = search_session('u1', now=1000.0)\n"
        f"st.session_state['b'] = search_session('u1', now=1000.0 + {idle_s})\n"
        "st.session_state['c'] = search_session('u2', now=1000.0)\n")
    at.run()
    assert not at.exception
    a, b, c = (at.session_state[k] for k in "abc")
    assert (a == b) is same and c != a


def test_the_find_is_one_a_search_arm_listed_before_the_random_sample_did():
    from types import SimpleNamespace

    def lists(**arms):
        return {arm: [SimpleNamespace(entity_id=e) for e in ids] for arm, ids in arms.items()}
    # The sample had it first, a search arm only at 3: the next listener's sample may not.
    assert not broad._searched_first(lists(discover=["x"], lexical=["a", "b", "x"]), "x")
    # A search arm had it first, the sample at 2 (depth 3 of the ladder): the search arm is cheaper.
    assert broad._searched_first(lists(discover=["a", "x"], lexical=["x"]), "x")
    assert broad._searched_first(lists(lexical=["a", "b", "x"]), "x")
    assert not broad._searched_first(lists(discover=["x"]), "x")
