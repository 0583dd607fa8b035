"""Demo state and guided stories under AppTest: the URL keeps the settings, every story runs,
notes are honest, and snapshots restore (Engine.snapshots / Engine.restore)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ltrr.errors import LtrrError
from ltrr_app import demo, stories
from tests.app.test_pages import APP, TIMEOUT, assert_clean, frame_with, play_buttons, search


def test_a_reload_keeps_policy_user_hour_k_and_query_from_the_url(fresh_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    # A reload is a new session that starts from the URL.
    at.query_params.update({"policy": "thompson", "user": "u3", "hour": "7", "k": "5", "q": "halo"})
    at.run()
    assert_clean(at)
    state = at.session_state
    assert (state["ltrr_policy"], state["ltrr_user"], state["ltrr_hour"], state["ltrr_k"]) == ("thompson", "u3", 7, 5)
    resp = state["ltrr_response"]
    assert resp is not None and resp.query == "halo" and len(resp.results) <= 5
    assert at.text_input(key="ltrr_query").value == "halo"
    assert (fresh_state / "thompson").is_dir()
    # Changing the query writes it back, so the next reload keeps it.
    at.text_input(key="ltrr_query").input("kill bill").run()
    assert dict(at.query_params)["q"] in ("kill bill", ["kill bill"])


def test_invalid_url_values_are_ignored_not_fatal(fresh_state):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update({"policy": "no-such-policy", "hour": "99", "k": "7", "user": "x" * 500})
    at.run()
    assert_clean(at)
    from ltrr_app.shared import USERS, default_policy

    assert at.session_state["ltrr_policy"] == default_policy()
    assert 0 <= at.session_state["ltrr_hour"] <= 23 and at.session_state["ltrr_k"] == 10
    assert at.session_state["ltrr_user"] == USERS[0]


def pick_story(at: AppTest, key: str) -> AppTest:
    at.sidebar.selectbox(key="ltrr_story_pick").select(key).run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("key", [k for k, s in stories.STORIES.items() if s.page == "search"])
def test_every_search_story_runs_its_steps_and_says_what_to_look_for(shared_state, key):
    at = pick_story(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), key)
    assert any("What to look for" in m.value for m in at.markdown)
    buttons = [b for b in at.button if str(b.key or "").startswith(f"ltrr_story_{key}_")]
    if key == "drift" and not buttons:
        assert any("does not hold what this story needs" in c.value for c in at.caption)
        return
    assert buttons
    for i in range(len(buttons)):
        at.button(key=f"ltrr_story_{key}_{i}").click().run()
        assert_clean(at)
        resp = at.session_state["ltrr_response"]
        assert resp is not None and resp.query == at.text_input(key="ltrr_query").value
    if key == "context":
        compare = frame_with(at, "arms (budget)")
        assert len(compare) == 2, "the two queries side by side"


def test_the_clicks_story_shows_a_rank_trail(shared_state):
    at = pick_story(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), "clicks")
    at.button(key="ltrr_story_clicks_0").click().run()
    resp = at.session_state["ltrr_response"]
    target = resp.results[min(4, len(resp.results) - 1)]
    play_buttons(at)[target.rank - 1].click().run()
    at.button(key="ltrr_search_go").click().run()
    assert_clean(at)
    trail = next(m.value for m in at.markdown if m.value.startswith(f"**{target.title}**: rank"))
    assert trail.split("rank ")[1].startswith(f"{target.rank} → ")


def test_a_simulator_story_on_the_search_page_links_to_the_simulator(shared_state):
    at = pick_story(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), "cost")
    assert at.session_state["ltrr_story"] == "cost"
    at.switch_page("pages/3_Simulator.py").run()
    assert_clean(at)
    assert any("What to look for" in m.value for m in at.markdown)


def test_notes_say_when_the_catalog_cannot_answer():
    facts = stories.CatalogFacts(counts={"track": 10, "podcast": 0})
    rainy = SimpleNamespace(unmatched_moods=("rainy day",), best=SimpleNamespace(entity_type="track"))
    podcast = SimpleNamespace(unmatched_moods=(), best=SimpleNamespace(entity_type="podcast"))
    plain = SimpleNamespace(unmatched_moods=(), best=SimpleNamespace(entity_type=None))
    assert "No mood match" in demo.honest_notes(rainy, facts)[0] and "“rainy day”" in demo.honest_notes(rainy, facts)[0]
    assert "no podcasts" in demo.honest_notes(podcast, facts)[0]
    assert demo.honest_notes(plain, facts) == []
    assert demo.honest_notes(podcast, stories.CatalogFacts(counts={"podcast": 3})) == []


def test_a_podcast_query_on_the_tiny_catalog_needs_no_excuse(shared_state):
    at = search(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), "history podcast")
    assert not any("no podcasts" in i.value for i in at.info), "the tiny catalog has one"


# --- Engine.snapshots / Engine.restore ----------------------------------------------------------

@pytest.fixture()
def engine(tiny_catalog_path, tmp_path):
    from ltrr import Engine

    eng = Engine.open(catalog=tiny_catalog_path, state=tmp_path / "state", arms=["lexical", "fuzzy", "popular"],
                      background=False, ranker_training="off")
    yield eng
    eng.close()


def test_restore_brings_back_a_snapshot_and_keeps_the_replaced_state(engine):
    first = engine.search("halo", context={"user_id": "u1", "hour": 9})
    engine.feedback(first.id, first.results[0].entity_id)
    engine.snapshot("demo")
    for text in ("kill bill", "good days"):
        engine.search(text, context={"user_id": "u1", "hour": 9})
    assert engine.status()["searches"] == 3

    kept = engine.restore("demo")
    status = engine.status()
    assert (status["searches"], status["clicks"]) == (1, 1)
    assert engine.memory_entries("halo")["clicks"].sum() == 1
    names = engine.snapshots()
    assert "demo" in names and Path(kept).name in names and Path(kept).name.startswith("reset-")
    assert names[0] == Path(kept).name, "newest first"
    # The replaced state is itself restorable.
    engine.restore(Path(kept).name)
    assert engine.status()["searches"] == 3
    # And the live state keeps learning after a restore.
    again = engine.search("halo", context={"user_id": "u1", "hour": 9})
    engine.feedback(again.id, again.results[0].entity_id)
    assert engine.status()["clicks"] == 2


def test_restore_refuses_unknown_and_unsafe_names(engine):
    with pytest.raises(LtrrError, match="no snapshot named 'nothing'"):
        engine.restore("nothing")
    with pytest.raises(ValueError, match="looks like a path"):
        engine.restore("../state")
    assert engine.snapshots() == []
