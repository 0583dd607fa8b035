"""Context features: each feature on inputs whose right value is known, hostile input, UserHistory."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.bandit.context import CONTEXT_FEATURES, UserHistory, context_vector
from ltrr.understanding_results import Interpretation, Understanding

ROOT = Path(__file__).resolve().parents[2]
EMPTY = Understanding(query="")


def vec(query: object = "", understanding: Understanding | None = EMPTY, context=None, history=None) -> dict:
    x = context_vector(query, understanding, context or {}, history)
    return dict(zip(CONTEXT_FEATURES, x))


def test_vector_shape_type_and_names():
    x = context_vector("taylor swift", EMPTY, {})
    assert x.dtype == np.float64
    assert x.shape == (len(CONTEXT_FEATURES),)
    assert len(set(CONTEXT_FEATURES)) == len(CONTEXT_FEATURES)
    assert vec()["bias"] == 1.0


@pytest.mark.parametrize("query, bucket", [
    ("adele", "q_one_word"), ("taylor swift", "q_two_words"), ("songs for a rainy day", "q_three_plus_words"),
])
def test_token_count_buckets_are_one_hot(query, bucket):
    v = vec(query)
    buckets = {k: v[k] for k in ("q_one_word", "q_two_words", "q_three_plus_words")}
    assert buckets == {k: float(k == bucket) for k in buckets}


def test_empty_query_has_no_token_bucket_and_no_length():
    v = vec("")
    assert v["q_one_word"] == v["q_two_words"] == v["q_three_plus_words"] == v["q_chars"] == 0.0


def test_char_length_is_scaled_and_capped():
    assert vec("abcd")["q_chars"] == pytest.approx(4 / 64)
    assert vec("a" * 500)["q_chars"] == 1.0


def test_digits_flag():
    assert vec("1989")["q_has_digits"] == 1.0
    assert vec("folklore")["q_has_digits"] == 0.0


@pytest.mark.parametrize("query, share", [
    ("beyoncé", 0.0), ("кино", 1.0), ("bts 방탄소년단", 5 / 8), ("!!! 123", 0.0),
])
def test_non_latin_share_counts_letters_only(query, share):
    assert vec(query)["q_non_latin"] == pytest.approx(share)


def test_free_text_share_is_what_understanding_left_unexplained():
    explained = Understanding(query="rap", interpretations=(Interpretation(1.0, genres=("rap",), free_text=""),))
    half = Understanding(query="90s adele",
                         interpretations=(Interpretation(1.0, year_from=1990, year_to=1999, free_text="adele"),))
    assert vec("rap", explained)["q_free_text_share"] == 0.0
    assert vec("90s adele", half)["q_free_text_share"] == 0.5
    # No interpretation: the whole query is free text.
    assert vec("hello there", Understanding(query="hello there"))["q_free_text_share"] == 1.0


def test_type_scores_and_intent():
    v = vec("x", Understanding(query="x", type_scores={"artist": 0.9, "track": 0.2}))
    assert (v["type_artist"], v["type_track"], v["type_album"], v["intent_any"]) == (0.9, 0.2, 0.0, 0.0)
    assert vec("x", Understanding(query="x"))["intent_any"] == 1.0
    assert vec("x", Understanding(query="x", type_scores={"artist": 0.3}))["intent_any"] == 1.0


def test_slot_confidences_with_subgenre_counting_as_genre():
    u = Understanding(query="x", slot_confidence={
        "genre": 0.4, "subgenre": 0.9, "mood": 0.5, "era": 1.0, "artist": 0.8, "activity": 0.6, "new": 0.7})
    v = vec("x", u)
    assert [v[f"slot_{s}"] for s in ("genre", "mood", "era", "artist", "activity", "new")] == \
        [0.9, 0.5, 1.0, 0.8, 0.6, 0.7]


def test_user_bucket_is_one_hot_stable_and_spread():
    buckets = [k for k in CONTEXT_FEATURES if k.startswith("user_bucket_")]
    one = vec(context={"user_id": "alice"})
    assert sum(one[b] for b in buckets) == 1.0
    assert one == vec(context={"user_id": "alice"})
    # int and str ids are the same user
    assert vec(context={"user_id": 7}) == vec(context={"user_id": "7"})
    used = {next(b for b in buckets if vec(context={"user_id": f"user{i}"})[b]) for i in range(60)}
    assert used == set(buckets)
    assert sum(vec(context={})[b] for b in buckets) == 0.0


def test_user_bucket_does_not_depend_on_the_process_hash_seed():
    # Replaying the log after a restart must give the same contexts.
    code = ("from ltrr.bandit.context import context_vector as c; from ltrr.understanding_results import Understanding as U;"
            "print(c('q', U(query='q'), {'user_id': 'alice'}).tolist())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outs) == 1
    assert json.loads(outs.pop()) == context_vector("q", Understanding(query="q"), {"user_id": "alice"}).tolist()


def test_genre_profile_and_activity_come_from_history():
    history = UserHistory()
    for genre in ("pop", "pop", "Pop", "rap", "R&B", None):
        history.record_click("u1", genre)
    for _ in range(10):
        history.record_search("u1")
    v = vec(context={"user_id": "u1"}, history=history)
    assert (v["profile_pop"], v["profile_rap"], v["profile_r_b"], v["profile_edm"]) == (0.6, 0.2, 0.2, 0.0)
    assert v["profile_top_share"] == 0.6
    assert v["user_searches"] == pytest.approx(math.log1p(10) / math.log1p(1000))
    assert v["user_clicks"] == pytest.approx(math.log1p(6) / math.log1p(1000))
    # Another user, or no history, sees none of it.
    assert vec(context={"user_id": "u2"}, history=history)["profile_pop"] == 0.0
    assert vec(context={"user_id": "u1"})["user_searches"] == 0.0


def test_activity_counts_saturate_at_one():
    history = UserHistory()
    for _ in range(5000):
        history.record_search("heavy")
    assert vec(context={"user_id": "heavy"}, history=history)["user_searches"] == 1.0


@pytest.mark.parametrize("context, expected", [
    ({"hour": 6}, {"hour_sin": 1.0, "hour_cos": 0.0}),
    ({"hour": 0}, {"hour_sin": 0.0, "hour_cos": 1.0}),
    ({"hour": "18"}, {"hour_sin": -1.0, "hour_cos": 0.0}),
    ({"weekday": 5}, {"weekend": 1.0, "weekday_sin": math.sin(2 * math.pi * 5 / 7)}),
    ({"weekday": 2}, {"weekend": 0.0, "weekday_cos": math.cos(2 * math.pi * 2 / 7)}),
    # 1970-01-01 00:00 UTC was a Thursday.
    ({"timestamp": 0},
     {"hour_sin": 0.0, "hour_cos": 1.0, "weekend": 0.0, "weekday_sin": math.sin(2 * math.pi * 3 / 7)}),
    # 2024-06-01 was a Saturday.
    ({"timestamp": "2024-06-01T18:00:00"}, {"hour_sin": -1.0, "weekend": 1.0}),
    # Explicit keys win over the timestamp.
    ({"timestamp": 0, "hour": 6, "weekday": 6}, {"hour_sin": 1.0, "weekend": 1.0}),
])
def test_time_features(context, expected):
    v = vec(context=context)
    for key, value in expected.items():
        assert v[key] == pytest.approx(value, abs=1e-12), key


def test_session_depth_is_log_scaled():
    assert vec(context={"session_depth": 0})["session_depth"] == 0.0
    assert vec(context={"session_depth": 5})["session_depth"] == pytest.approx(math.log1p(5) / math.log1p(50))
    assert vec(context={"session_depth": 10**6})["session_depth"] == 1.0


# -- hostile input -----------------------------------------------------------------------

class ExplodingMapping(dict):
    def get(self, key, default=None):
        raise RuntimeError("boom")


# Each hostile value must give exactly the vector of the key being absent.
@pytest.mark.parametrize("key, value", [
    ("hour", "abc"), ("hour", float("nan")), ("hour", float("inf")), ("hour", -float("inf")), ("hour", 1e308),
    ("hour", 10**400), ("hour", -5), ("hour", 24), ("hour", True), ("hour", {"a": [1, 2]}), ("hour", [13]),
    ("hour", None), ("hour", "1e999"), ("hour", "   "),
    ("weekday", 7), ("weekday", 2.5), ("weekday", "mon"), ("weekday", -1), ("weekday", float("nan")),
    ("user_id", {"nested": {"deep": 1}}), ("user_id", None), ("user_id", 3.5), ("user_id", True),
    ("user_id", ""), ("user_id", "\x00\x01"), ("user_id", ["alice"]),
    ("timestamp", "not a date"), ("timestamp", 1e20), ("timestamp", -1e20), ("timestamp", float("nan")),
    ("timestamp", object()), ("timestamp", {"t": 1}),
    ("session_depth", -3), ("session_depth", "many"), ("session_depth", float("inf")), ("session_depth", [1]),
])
def test_hostile_context_values_fall_back_to_the_missing_key_default(key, value):
    history = UserHistory()
    history.record_click("alice", "pop")
    expected = context_vector("rap 2020", EMPTY, {}, history)
    got = context_vector("rap 2020", EMPTY, {key: value}, history)
    np.testing.assert_array_equal(got, expected)


def test_huge_user_id_is_cut_not_rejected():
    x = vec(context={"user_id": "x" * 100_000})
    assert sum(v for k, v in x.items() if k.startswith("user_bucket_")) == 1.0


@pytest.mark.parametrize("context", [None, "string", [], 42, ExplodingMapping(hour=3)])
def test_a_context_that_is_not_a_usable_mapping_counts_as_empty(context):
    np.testing.assert_array_equal(context_vector("q", EMPTY, context), context_vector("q", EMPTY, {}))


@pytest.mark.parametrize("understanding", [
    None, "text", 42,
    Understanding(query="x", type_scores={"artist": "high", "track": float("nan")},
                  slot_confidence={"genre": float("inf"), "mood": None}),
    Understanding(query="x", type_scores={"artist": object(), "track": 0.9}),
    Understanding(query="x", type_scores="nonsense", slot_confidence=[1, 2]),
    Understanding(query="x", type_scores={"artist": 7.0, "track": -3.0}),
])
def test_broken_understandings_never_raise_and_stay_in_range(understanding):
    x = context_vector("taylor", understanding, {})
    assert np.isfinite(x).all() and x.min() >= -1.0 and x.max() <= 1.0


@pytest.mark.parametrize("query", [None, 12345, "\x00" * 10_000, "🎵🔥" * 200, "a" * 1_000_000, b"bytes"])
def test_any_query_object_gives_a_valid_vector(query):
    x = context_vector(query, EMPTY, {})
    assert np.isfinite(x).all() and x.min() >= -1.0 and x.max() <= 1.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["user_id", "hour", "weekday", "timestamp", "session_depth"]) | st.text(max_size=8)


@settings(max_examples=150, deadline=None)
@given(query=st.text(max_size=40), context=st.dictionaries(keys, json_values, max_size=6))
def test_arbitrary_contexts_never_raise_and_stay_in_range(query, context):
    x = context_vector(query, Understanding(query=query), context, UserHistory())
    assert x.shape == (len(CONTEXT_FEATURES),)
    assert np.isfinite(x).all() and x.min() >= -1.0 and x.max() <= 1.0


# -- UserHistory -------------------------------------------------------------------------

def test_history_counts_and_profile():
    history = UserHistory()
    history.record_search("u")
    history.record_search("u")
    history.record_click("u", "rock")
    history.record_click("u", "pop")
    history.record_click("u", "rock")
    history.record_click("u")
    assert (history.searches("u"), history.clicks("u")) == (2, 4)
    assert history.profile("u") == {"rock": 2 / 3, "pop": 1 / 3}
    assert list(history.profile("u")) == ["rock", "pop"]      # most clicked first
    assert history.profile("nobody") == {}
    assert (history.searches("nobody"), history.clicks(None)) == (0, 0)


def test_affinity_grows_with_the_clicks_behind_it():
    history = UserHistory()
    history.record_click("u", "rock")
    assert history.affinity("u") == {"rock": pytest.approx(1 / 4)}    # one click: a weak lean, not 100%
    for _ in range(9):
        history.record_click("u", "rock")
    history.record_click("u", "Pop")
    history.record_click("u")                                          # no genre: not in the lean
    lean = history.affinity("u")
    assert lean == {"rock": pytest.approx(10 / 14), "pop": pytest.approx(1 / 14)}
    assert lean["rock"] < history.profile("u")["rock"]
    assert history.affinity("nobody") == {} and history.affinity(None) == {}


def test_history_ignores_anonymous_and_malformed_users():
    history = UserHistory()
    for user in (None, {"a": 1}, 3.5, "", True):
        history.record_search(user)
        history.record_click(user, "pop")
    assert history.to_dict() == {"searches": {}, "clicks": {}, "genres": {}}


def test_history_round_trips_through_json():
    history = UserHistory()
    history.record_search("a")
    history.record_click("a", "R&B")
    history.record_click(17, "latin")
    restored = UserHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored.to_dict() == history.to_dict()
    assert restored.profile("a") == {"r b": 1.0}
    assert restored.clicks(17) == 1
    np.testing.assert_array_equal(context_vector("q", EMPTY, {"user_id": "a"}, restored),
                                  context_vector("q", EMPTY, {"user_id": "a"}, history))


@pytest.mark.parametrize("data", [None, [], "x", {"searches": [1]}, {"searches": {"u": -1, "v": "2", "w": 1.5}},
                                  {"genres": {"u": "pop"}}, {"genres": {"u": {"pop": True}}}])
def test_history_from_malformed_dict_skips_bad_entries(data):
    history = UserHistory.from_dict(data)
    assert history.to_dict() == {"searches": {}, "clicks": {}, "genres": {}}


def test_history_is_thread_safe():
    history = UserHistory()

    def work():
        for i in range(500):
            history.record_search("u")
            history.record_click("u", "pop" if i % 2 else "rap")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (history.searches("u"), history.clicks("u")) == (4000, 4000)
    assert history.profile("u") == {"pop": 0.5, "rap": 0.5}


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40) | st.sampled_from(["Tayler  Swift!", "Beyoncé  HALO 2020", "ラップ rap"]))
def test_a_query_made_once_gives_the_vector_its_string_gives(text):
    """context_vector takes the Query the search made (no second cleaning) with the same result."""
    from ltrr.bandit.vocab import CatalogVocabulary
    from ltrr.query import Query

    vocabulary = CatalogVocabulary.from_names(["Love Story", "Halo", "Taylor Swift"])
    q = Query.make(text)
    u = Understanding(query=q.text)
    np.testing.assert_array_equal(context_vector(q, u, {}, None, vocabulary),
                                  context_vector(text, u, {}, None, vocabulary))


def test_history_keeps_the_most_recently_active_users_and_round_trips_their_order():
    history = UserHistory(max_users=3)
    for user in ("a", "b", "c"):
        history.record_search(user)
    history.record_click("a", "pop")          # a is active again: b is now the least recent
    history.record_search("d")                # ... and leaves
    assert len(history) == 3
    assert history.searches("b") == 0 and history.searches("a") == 1
    assert history.profile("a") == {"pop": 1.0}
    again = UserHistory(max_users=3)
    again.load_state_dict(history.state_dict())
    again.record_search("e")                  # the least recent after the round trip is c
    assert again.searches("c") == 0
    assert {u: again.searches(u) for u in "ade"} == {"a": 1, "d": 1, "e": 1}


def test_a_history_loaded_under_a_smaller_bound_keeps_its_most_recent_users():
    history = UserHistory(max_users=3)
    for user in ("a", "b", "c"):
        history.record_search(user)
    smaller = UserHistory(max_users=2)
    smaller.load_state_dict(history.state_dict())
    assert len(smaller) == 2
    assert {u: smaller.searches(u) for u in "abc"} == {"a": 0, "b": 1, "c": 1}
