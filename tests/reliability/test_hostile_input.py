"""Bad input gets a clear answer, never a traceback, and loses nothing."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr import Engine
from ltrr.errors import FeedbackError
from tests.reliability.hostile import HOSTILE, counted

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]

NASTY_QUERIES = [
    "", " ", "\t\n", "x" * 10_000, "!!!", "?.,;:", "🎵🔥💃🏽", "مرحبا بالعالم", "שלום עולם",
    "e\u0301\u0301\u0301\u0301", "a\x00b", "\x00" * 50, "\x1b[31mred", "'; DROP TABLE tracks; --",
    "\" OR 1=1 --", "%", "_", ".*", "(?P<x>", "[a-z]+", "\\", "$(rm -rf /)", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "\u202eevil", "ｔａｙｌｏｒ", "ß", "İstanbul", "null", "None", "NaN", "0", "-1",
]

NASTY_CONTEXTS = [
    None, {}, {"user_id": None}, {"hour": "abc"}, {"hour": float("nan")}, {"hour": math.inf},
    {"hour": -math.inf, "weekday": 10**100}, {"user_id": {"nested": [1, 2]}}, {"user_id": 12345},
    {"timestamp": "not a time"}, {"x" * 1000: "y" * 100_000}, {1: 2, None: 3}, "not a dict", [1, 2, 3],
    {"session_depth": -5}, {"hour": True},
]


@pytest.fixture(scope="module")
def engine(tiny_catalog_path, tmp_path_factory):
    eng = Engine.open(tiny_catalog_path, tmp_path_factory.mktemp("hostile") / "state", arms=ARMS,
                      ranker_training="off")
    yield eng
    eng.close()


def _well_formed(resp, k=10):
    assert isinstance(resp.id, str) and resp.id
    assert len(resp.results) <= k
    assert [r.rank for r in resp.results] == list(range(1, len(resp.results) + 1))
    assert all(math.isfinite(r.score) for r in resp.results)
    assert all(0.0 <= c.propensity <= 1.0 for c in resp.selection)
    assert len({r.entity_id for r in resp.results}) == len(resp.results)


@pytest.mark.parametrize("query", NASTY_QUERIES)
@pytest.mark.parametrize("context", NASTY_CONTEXTS[:4])
def test_nasty_queries(engine, query, context):
    resp = engine.search(query, context=context)
    _well_formed(resp)
    if not query.strip("\x00 \t\n"):
        assert resp.message


@pytest.mark.parametrize("context", NASTY_CONTEXTS)
def test_nasty_contexts(engine, context):
    resp = engine.search("halo", context=context)
    _well_formed(resp)
    assert resp.results[0].title == "Halo"
    engine.feedback(resp.id, resp.results[0].entity_id)  # and the log can hold what was sanitised


@pytest.mark.parametrize("k", [-5, 0, 1, 10**9, "abc", None, 3.7, float("nan")])
def test_odd_k(engine, k):
    _well_formed(engine.search("love", k=k), k=100)


@settings(HOSTILE, max_examples=3000)
@given(query=st.one_of(st.text(max_size=300), st.binary(max_size=50).map(lambda b: b.decode("latin-1"))),
       context=st.dictionaries(st.text(max_size=10), st.one_of(
           st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
           st.text(max_size=50), st.lists(st.integers(), max_size=3)), max_size=5),
       k=st.integers(min_value=-10, max_value=1000))
@counted
def test_search_never_crashes(engine, query, context, k):
    resp = engine.search(query, context=context, k=k)
    _well_formed(resp, k=max(1, min(k, 100)))


@settings(HOSTILE, max_examples=1000)
@given(data=st.data())
@counted
def test_feedback_is_applied_or_refused_clearly(engine, data):
    resp = engine.search(data.draw(st.sampled_from(["halo", "love", "nas", "rap", "sza"])))
    shown = [r.entity_id for r in resp.results]
    response_id = data.draw(st.one_of(st.just(resp.id), st.text(max_size=40)))
    # Results change as the engine learns, so draw a position, not an entity.
    pick = data.draw(st.one_of(st.integers(0, 9), st.text(max_size=40), st.none()))
    entity = (shown[pick % len(shown)] if shown else None) if isinstance(pick, int) else pick
    action = data.draw(st.sampled_from(["click", "skip", "", "CLICK", "like"]))
    before = engine.status()["feedbacks"]
    try:
        engine.feedback(response_id, entity, action=action)
    except FeedbackError as exc:
        assert str(exc)
        assert engine.status()["feedbacks"] == before     # a refused feedback changes nothing
        valid = response_id == resp.id and action in ("click", "skip") and (action == "skip" or entity in shown)
        assert not valid
    else:
        assert engine.status()["feedbacks"] == before + 1
        assert response_id == resp.id and action in ("click", "skip")


def test_feedback_after_reset_is_refused(tiny_catalog_path, tmp_path):
    eng = Engine.open(tiny_catalog_path, tmp_path / "s", arms=ARMS, ranker_training="off")
    try:
        resp = eng.search("halo")
        eng.reset()
        with pytest.raises(FeedbackError, match="reset"):
            eng.feedback(resp.id, resp.results[0].entity_id)
    finally:
        eng.close()


def test_non_string_ids_are_refused(engine):
    resp = engine.search("halo")
    for bad in (None, 42, ["x"], {"a": 1}):
        with pytest.raises(FeedbackError):
            engine.feedback(bad, resp.results[0].entity_id)
        with pytest.raises(FeedbackError):
            engine.feedback(resp.id, bad)
