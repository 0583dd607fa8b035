"""Simulated users: typos, query types, intents and context shifts, on catalogs with known contents."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.simulate.users import (NIGHT_HOURS, QUERY_TYPES, CatalogView, QueryGenerator, SimUser, UserPopulation,
                                 _NEIGHBOURS, available_query_types, generate_stream, misspell, query_title,
                                 stream_frame)
from ltrr.text import fold, tokenize

TARGET_TYPES = ("exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
                "artist_only", "playlist")


@pytest.fixture(scope="module")
def view(tiny_catalog_path):
    from ltrr.catalog.store import Catalog

    catalog = Catalog.open(tiny_catalog_path)
    try:
        return CatalogView.from_catalog(catalog)
    finally:
        catalog.close()


def _user(view, taste="r&b", types=QUERY_TYPES) -> tuple[SimUser, QueryGenerator]:
    population = UserPopulation.generate(view, 3, np.random.default_rng(0))
    user = SimUser("u1", taste, population.users[0].type_weights, 0.0, 12)
    return user, QueryGenerator(view, population)


# --------------------------------------------------------------------------- typos


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=30).filter(lambda t: t.strip()),
       st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_misspell_always_changes_text_with_letters(text, seed, n):
    assert misspell(text, np.random.default_rng(seed), n) != text


def test_misspell_is_reproducible_and_small():
    a = misspell("blinding lights", np.random.default_rng(5))
    b = misspell("blinding lights", np.random.default_rng(5))
    assert a == b
    # One slip changes the length by at most one character... or two for phonetic x -> ks.
    assert abs(len(a) - len("blinding lights")) <= 2


def test_missing_accents_count_as_a_slip():
    assert misspell("Beyoncé", np.random.default_rng(0), n=1) == "Beyonce"


def test_slips_are_realistic():
    """Every one-slip misspelling is a neighbour key, a phonetic swap, a dropped or a doubled letter."""
    phonetic = {("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"),
                ("s", "z"), ("ee", "i"), ("ou", "u"), ("x", "ks"), ("qu", "kw")}
    word = "kicks of phoenix"
    for seed in range(200):
        out = misspell(word, np.random.default_rng(seed))
        if len(out) == len(word):
            diffs = [i for i, (a, b) in enumerate(zip(word, out)) if a != b]
            if len(diffs) == 1:
                i = diffs[0]
                assert out[i] in _NEIGHBOURS[word[i]] or (word[i], out[i]) in phonetic
                continue
        if len(out) == len(word) - 1:
            assert any(word[:i] + word[i + 1:] == out for i in range(len(word))) or \
                any(word.replace(p, r, 1) == out for p, r in phonetic)
        elif len(out) == len(word) + 1:
            assert any(word[:i + 1] + word[i] + word[i + 1:] == out for i in range(len(word))) or \
                any(word[:i] + word[i:].replace(p, r, 1) == out for p, r in phonetic for i in range(len(word)))
        else:
            assert any(word[:i] + word[i:].replace(p, r, 1) == out for p, r in phonetic for i in range(len(word)))


def test_query_title_drops_credits_and_versions():
    assert query_title("Pumped up Kicks (feat. Joy Corporation) - Remix") == "Pumped up Kicks"
    assert query_title("Stay Hungry [Deluxe 25th Anniversary Edition]") == "Stay Hungry"
    assert query_title("Money In The Grave ft. Rick Ross") == "Money In The Grave"
    assert query_title("(Untitled)") == "(Untitled)"   # never empty


# --------------------------------------------------------------------------- query types and intents


def test_every_query_type_of_the_tiny_catalog_is_supported(view):
    assert available_query_types(view) == QUERY_TYPES


def test_catalog_without_podcasts_never_asks_for_podcasts(view):
    frame = view.frame[~view.frame["entity_type"].isin(["podcast", "episode"])]
    no_podcasts = CatalogView(frame)
    assert "podcast_topic" not in available_query_types(no_podcasts)
    stream = generate_stream(no_podcasts, 300, seed=1)
    assert "podcast_topic" not in {it.query_type for it in stream}
    with pytest.raises(ValueError, match="cannot satisfy query type"):
        generate_stream(no_podcasts, 5, seed=1, query_types=["podcast_topic"])


def test_stream_is_reproducible_and_seed_dependent(view):
    a = stream_frame(generate_stream(view, 200, seed=3))
    b = stream_frame(generate_stream(view, 200, seed=3))
    c = stream_frame(generate_stream(view, 200, seed=4))
    assert a.equals(b)
    assert not a.equals(c)
    assert set(a["query_type"]) == set(QUERY_TYPES)


def test_target_intents_are_satisfied_by_their_target(view):
    for it in generate_stream(view, 300, seed=0, query_types=TARGET_TYPES):
        assert it.intent.kind == "target"
        assert it.intent.target in it.relevant
        row = view.row_of[it.intent.target]
        if it.query_type in ("exact_title", "artist_only"):
            assert fold(it.query) == fold(query_title(view.titles[row]) if it.query_type == "exact_title"
                                          else view.titles[row])
        if it.query_type == "misspelled_title":
            assert fold(it.query) != fold(query_title(view.titles[row]))
        if it.query_type == "partial_title":
            assert set(tokenize(it.query)) <= set(tokenize(view.titles[row]))


def test_genre_era_intent_matches_genre_and_decade(view):
    user, gen = _user(view, taste="rap")
    seen = {}
    for seed in range(60):
        query, intent, relevant = gen.make("genre_era", user, np.random.default_rng(seed))
        seen[intent.description] = (query, relevant)
    query, relevant = seen["genre=rap & 1990<=year<=1999"]
    assert ("90s" in query or "1990s" in query) and ("rap" in query or "hip hop" in query)
    # Illmatic's tracks and album, and the rap playlist that names the decade; nothing else.
    assert relevant == {"track:nystate", "track:theworld", "album:illmatic", "playlist:90srap"}


def test_genre_era_rows_satisfy_the_predicate(view):
    from ltrr.simulate.users import _genre_eras

    for genre, decade, rows in _genre_eras(view):
        for row in rows:
            if view.types[row] in ("track", "album"):
                assert view.genres[row] == genre and decade <= view.years[row] <= decade + 9


def _first_sad_query(gen, user, hour):
    for seed in range(400):
        made = gen.make("mood_activity", user, np.random.default_rng(seed), hour=hour)
        if made and made[1].description.startswith("mood=sad") and "genre=" not in made[1].description:
            return seed, made
    raise AssertionError("a catalog with sad songs must produce a 'sad' query")


def test_mood_query_widens_at_night(view):
    """'sad songs': by day the sad tracks and the sad playlist; at night chill tracks count too."""
    user, gen = _user(view, taste="r&b")
    seed, day = _first_sad_query(gen, user, hour=14)
    night = gen.make("mood_activity", user, np.random.default_rng(seed), hour=23)
    assert 23 in NIGHT_HOURS and 14 not in NIGHT_HOURS
    # Too few sad r&b entities (1 < MIN_RELEVANT) for the taste to narrow anything here.
    assert day[2] == {"track:savetears", "track:rainy", "playlist:sad"}
    assert night[2] == day[2] | {"track:gooddays", "track:theworld"}
    assert "night" in night[1].description


def test_mood_query_follows_taste_when_the_catalog_has_enough():
    frame = pd.DataFrame({
        "entity_id": [f"track:{g}{i}" for g in ("rock", "pop") for i in range(3)],
        "entity_type": "track", "title": [f"Song {i}" for i in range(6)], "subtitle": "Band",
        "genre": ["rock"] * 3 + ["pop"] * 3, "mood": "sad", "popularity": 50.0,
        "release_date": pd.Timestamp("2020-01-01"),
    })
    view = CatalogView(frame)
    user, gen = _user(view, taste="rock")
    _, (query, intent, relevant) = _first_sad_query(gen, user, hour=14)
    assert relevant == {"track:rock0", "track:rock1", "track:rock2"}
    assert "taste=rock" in intent.description


def test_ambiguous_words_come_from_the_catalog(view):
    user, gen = _user(view)
    made = [gen.make("ambiguous", user, np.random.default_rng(s)) for s in range(50)]
    words = {m[0] for m in made if m}
    assert words, "the tiny catalog's titles share words across types"
    for word in words:
        assert any(word in view.title_tokens[r] for r in range(len(view.ids)))


def test_unknown_query_type_is_a_clear_error(view):
    user, gen = _user(view)
    with pytest.raises(ValueError, match="unknown query type 'lyrics'"):
        gen.make("lyrics", user, np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown query type"):
        generate_stream(view, 3, seed=0, query_types=["lyrics"])


@pytest.mark.parametrize("steps", [-1, 1.5, "10", True])
def test_bad_step_counts_are_rejected(view, steps):
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        generate_stream(view, steps, seed=0)


def test_population_is_skewed_and_contextual(view):
    population = UserPopulation.generate(view, 50, np.random.default_rng(0))
    assert np.isclose(population.activity.sum(), 1.0)
    assert population.activity.max() > 5 * population.activity.min()
    assert {u.taste for u in population.users} <= set(view.track_genres)
    stream = generate_stream(view, 500, seed=0, n_users=50)
    hours = np.array([it.context["hour"] for it in stream])
    assert hours.min() >= 0 and hours.max() <= 23
    assert all(set(it.context) == {"user_id", "hour", "weekday"} for it in stream)
