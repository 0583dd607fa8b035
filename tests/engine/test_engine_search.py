"""The search pipeline through the engine's public API, on the tiny catalog (every arm but the slow
semantic one)."""
from __future__ import annotations

import pytest

from ltrr.errors import FeedbackError
from tests.engine.engines import FAST_ARMS, open_engine


def test_search_response_is_complete(engine):
    resp = engine.search("blinding lights", context={"user_id": "u1", "hour": 21}, k=5, explain=True)
    assert resp.id and resp.results and len(resp.results) <= 5
    top = resp.results[0]
    assert top.entity_id == "track:blinding"
    assert top.entity_type == "track" and top.title == "Blinding Lights" and top.subtitle == "The Weeknd"
    assert "lexical" in top.arms and top.features
    assert {c.arm for c in resp.selection} == set(FAST_ARMS)
    assert all(0.0 <= c.propensity <= 1.0 for c in resp.selection)
    assert set(resp.by_arm) == set(FAST_ARMS)          # explain=True shows every ready arm
    assert resp.understanding.query == "blinding lights"
    assert resp.timings["total"] > 0
    assert [r.rank for r in resp.results] == list(range(1, len(resp.results) + 1))


@pytest.mark.parametrize("query", ["", "   ", "\t\n", " ?! "])
def test_an_empty_query_is_answered_but_not_searched_or_logged(engine, query):
    """Issue 29: nothing to search for runs no arm, writes nothing to the log and teaches nothing."""
    before = engine.status()
    resp = engine.search(query, context={"user_id": "u1"})
    assert resp.results == [] and resp.by_arm == {} and "Empty query" in resp.message
    assert {c.arm for c in resp.selection} == set(FAST_ARMS)
    assert not any(c.selected for c in resp.selection) and all(c.propensity == 0.0 for c in resp.selection)
    assert "total" in resp.timings
    assert engine.log_events() == [] and engine.status()["searches"] == before["searches"] == 0
    with pytest.raises(FeedbackError, match="empty query"):
        engine.feedback(resp.id, action="skip")
    assert engine.log_events() == []


def test_log_has_one_row_per_search_and_one_record_per_feedback(engine):
    n_clicks = 0
    for i, q in enumerate(["halo", "kill bill", "90s rap", "sza", "love", ""]):
        resp = engine.search(q, context={"user_id": f"u{i % 2}"})
        if resp.results and i % 2 == 0:
            engine.feedback(resp.id, resp.results[-1].entity_id)
            n_clicks += 1
    frame = engine.log_frame()
    assert len(frame) == 5          # the empty query is not a search
    assert frame["n_clicks"].sum() == n_clicks
    events = engine.log_events()
    assert sum(e["kind"] == "feedback" for e in events) == n_clicks


@pytest.mark.parametrize("policy", ["all", "static:lexical,fuzzy"])
def test_fixed_policies_never_change_their_choice(tiny_catalog_path, tmp_path, policy):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy=policy)
    try:
        # Per query: an arm whose probe says it has nothing for a query is not offered for it.
        choices: dict[str, set] = {}
        for i in range(30):
            text = ["halo", "love", "nas"][i % 3]
            resp = eng.search(text)
            choices.setdefault(text, set()).add(
                tuple((c.arm, c.selected, c.budget, c.propensity) for c in resp.selection))
            if resp.results:
                eng.feedback(resp.id, resp.results[0].entity_id)
        assert all(len(seen) == 1 for seen in choices.values())
    finally:
        eng.close()


def test_explain_gives_features_and_contributions(engine):
    resp = engine.search("blinding lights", explain=True)
    why = engine.explain(resp.id, resp.results[0].entity_id)
    assert "lexical" in why["arms"]
    assert set(why["features"]) == set(why["contributions"])
    assert why["features"]["title_exact"] == 1.0


def test_a_search_logs_its_policy_with_its_settings(tiny_catalog_path, tmp_path):
    from ltrr.bandit.policy import PolicySpec
    from ltrr.events import logged_policy

    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="coverage:judged=0.2")
    try:
        eng.search("love story")
        logged = [e for e in eng.log_events() if e["kind"] == "search"][-1]
    finally:
        eng.close()
    assert logged["policy"] != "coverage" and "judged=0.2" in logged["policy"]
    assert logged_policy(logged) == PolicySpec.parse("coverage:judged=0.2") == eng.spec
