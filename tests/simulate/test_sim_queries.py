"""What simulated users type and what satisfies them: target and broad intents, context shifts
(night, taste), ambiguous words, personal intents of repeated queries and retries."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ltrr.simulate import vocab
from ltrr.simulate.catalog_view import CatalogView, query_title
from ltrr.simulate.demand import QueryPool
from ltrr.simulate.population import SimUser, UserPopulation
from ltrr.simulate.queries import NIGHT_HOURS, QueryGenerator
from ltrr.simulate.stream import generate_stream
from ltrr.simulate.vocab import fold
from ltrr.simulate.vocab import words as tokenize

TARGET_TYPES = ("exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
                "artist_only", "playlist")


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


def test_genre_era_intent_matches_genre_and_decade(view, sim_user):
    user, gen = sim_user(view, taste="rap")
    seen = {}
    for seed in range(60):
        query, intent, relevant = gen.make("genre_era", user, np.random.default_rng(seed))
        seen[intent.description] = (query, relevant)
    query, relevant = seen["genre=rap & 1990<=year<=1999"]
    assert any(era in query for era in vocab.era_phrases(1990))
    assert any(g in query for g in vocab.genre_phrases("rap"))
    # Illmatic's tracks and album, and the rap playlist that names the decade; nothing else.
    assert relevant == {"track:nystate", "track:theworld", "album:illmatic", "playlist:90srap"}


def _first_sad_query(gen, user, hour):
    for seed in range(400):
        made = gen.make("mood_activity", user, np.random.default_rng(seed), hour=hour)
        if made and made[1].description.startswith("mood=sad") and "genre=" not in made[1].description:
            return seed, made
    raise AssertionError("a catalog with sad songs must produce a 'sad' query")


def test_mood_query_widens_at_night(view, sim_user):
    """'sad songs': by day the sad tracks and the sad playlist; at night chill tracks count too."""
    user, gen = sim_user(view, taste="r&b")
    seed, day = _first_sad_query(gen, user, hour=14)
    night = gen.make("mood_activity", user, np.random.default_rng(seed), hour=23)
    assert 23 in NIGHT_HOURS and 14 not in NIGHT_HOURS
    # Too few sad r&b entities (1 < MIN_RELEVANT) for the taste to narrow anything here.
    assert day[2] == {"track:savetears", "track:rainy", "playlist:sad"}
    assert night[2] == day[2] | {"track:gooddays", "track:theworld"}
    assert "night" in night[1].description


def test_mood_query_follows_taste_when_the_catalog_has_enough(sim_user):
    frame = pd.DataFrame({
        "entity_id": [f"track:{g}{i}" for g in ("rock", "pop") for i in range(3)],
        "entity_type": "track", "title": [f"Song {i}" for i in range(6)], "subtitle": "Band",
        "genre": ["rock"] * 3 + ["pop"] * 3, "mood": "sad", "popularity": 50.0,
        "release_date": pd.Timestamp("2020-01-01"),
    })
    view = CatalogView(frame)
    user, gen = sim_user(view, taste="rock")
    _, (query, intent, relevant) = _first_sad_query(gen, user, hour=14)
    assert relevant == {"track:rock0", "track:rock1", "track:rock2"}
    assert "taste=rock" in intent.description


def test_ambiguous_words_come_from_the_catalog(view, sim_user):
    user, gen = sim_user(view)
    made = [gen.make("ambiguous", user, np.random.default_rng(s)) for s in range(50)]
    words = {m[0] for m in made if m}
    assert words, "the tiny catalog's titles share words across types"
    for word in words:
        assert any(word in view.title_tokens[r] for r in range(len(view.ids)))


def test_unknown_query_type_is_a_clear_error(view, sim_user):
    user, gen = sim_user(view)
    with pytest.raises(ValueError, match="unknown query type 'lyrics'"):
        gen.make("lyrics", user, np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown query type"):
        generate_stream(view, 3, seed=0, query_types=["lyrics"])


def test_a_repeated_mood_query_is_judged_for_the_user_at_hand(view):
    population = UserPopulation.generate(view, 30, np.random.default_rng(0), query_types=["mood_activity"])
    gen = QueryGenerator(view, population)
    pool = QueryPool.generate(gen.draw_fresh, 40, 1.0, 1.0, np.random.default_rng(1))
    personal = [draft for _, draft in pool.entries if draft.personal is not None]
    assert personal
    draft = next(d for d in personal if d.intent.description.startswith("mood=sad") and "genre=" not in
                 d.intent.description)
    day_user = SimUser("a", "rap", population.users[0].type_weights, 0.0, 12)
    day, night = draft.for_user(day_user, 14), draft.for_user(day_user, 23)
    assert "night" not in day[0].description and "night" in night[0].description
    assert set(day[1]) < set(night[1])


def test_a_retry_names_the_target_as_the_catalog_spells_it(view):
    stream = generate_stream(view, 300, seed=5)
    for it in stream:
        if it.intent.kind != "target":
            assert it.retry is None
            continue
        row = view.row_of[it.intent.target]
        assert fold(view.titles[row]).split()[0] in fold(it.retry)
        if view.types[row] == "track":
            assert it.retry.endswith(view.subtitles[row].lower())
    assert any(it.retry and it.retry != it.query for it in stream)
    assert any(it.retry is None for it in stream)
