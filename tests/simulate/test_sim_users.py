"""Simulated users: typos, query types, intents, context shifts, repetition, drift and the
simulator's independence from the system's vocabularies, on catalogs with known contents."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.simulate import vocab
from ltrr.simulate.demand import QueryPool, plan_drift
from ltrr.simulate.users import (DRIFT_TYPES, NIGHT_HOURS, QUERY_TYPES, STREAM_COLUMNS, CatalogView, QueryGenerator,
                                 SimUser, UserPopulation, _NEIGHBOURS, available_query_types,
                                 generate_stream, misspell, query_title, stream_frame)
from ltrr.simulate.vocab import fold
from ltrr.simulate.vocab import words as tokenize

TARGET_TYPES = ("exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
                "artist_only", "playlist")


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
    assert any(era in query for era in vocab.era_phrases(1990))
    assert any(g in query for g in vocab.genre_phrases("rap"))
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


# --------------------------------------------------------------------------- independence from the system


SIMULATOR = Path(__file__).resolve().parents[2] / "ltrr" / "simulate"
SYSTEM_MODULES = ("ltrr.vocabulary", "ltrr.understanding", "ltrr.catalog.wordlists", "ltrr.memory",
                       "ltrr.strategies", "ltrr.text")


def _ltrr_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("ltrr")}


@pytest.mark.parametrize("module", ["users.py", "vocab.py", "demand.py", "clicks.py"])
def test_simulator_imports_none_of_the_systems_vocabularies(module):
    imports = _ltrr_imports(SIMULATOR / module)
    assert not {m for m in imports if m.startswith(SYSTEM_MODULES)}, imports
    # users.py reads the catalog (data), its own vocabulary and the simulator's argument check;
    # nothing else from ltrr.
    allowed = {"ltrr.simulate", "ltrr.simulate.vocab", "ltrr.simulate.demand", "ltrr.catalog.store",
               "ltrr.simulate.users", "ltrr.simulate.clicks"}
    # A name imported from an allowed module ("ltrr.simulate.vocab.fold") is fine; "ltrr.simulate.runner" is not.
    unexpected = {m for m in imports if m not in allowed and m.rpartition(".")[0] not in allowed - {"ltrr.simulate"}}
    assert not unexpected, unexpected


def _qu_phrases() -> set[str]:
    """Every phrase query understanding and the structured arm recognise, folded, minus bare nouns
    for "song" that any music query uses."""
    from ltrr import vocabulary as qu

    phrases = [*qu.TYPE_WORDS, *(m for g in qu.GENRE_GROUPS for m in g), *(m for g in qu.MOOD_GROUPS for m in g),
               *qu.MOOD_PHRASES, *qu.ACTIVITY_WORDS, *(w for ws in qu.ACTIVITY_NAME_WORDS.values() for w in ws),
               *qu.NEW_WORDS, *qu.DECADE_WORDS]
    out = {" ".join(tokenize(p)) for p in phrases}
    return out - {"song", "songs", "tune", "tunes", "track", "tracks", "hits"}


def test_simulator_phrasing_overlaps_little_with_query_understanding():
    from ltrr import vocabulary as qu

    qu_words = {w for p in _qu_phrases() for w in p.split()} - qu.FILLER_WORDS
    carrier = vocab.ask_carrier_words()
    assert len(carrier) >= 60, "enough phrasing to measure"
    shared = carrier & qu_words
    assert len(shared) / len(carrier) <= 0.2, sorted(shared)
    templates = [t for asks in (*vocab.MOOD_ASKS.values(), *vocab.ACTIVITY_ASKS.values()) for t in asks]
    templates += list(vocab.ERA_ASKS)
    phrases = _qu_phrases()

    def names_a_qu_phrase(template: str) -> bool:
        text = f" {' '.join(tokenize(template.replace('{g}', ' ').replace('{era}', ' ')))} "
        return any(f" {p} " in text for p in phrases)
    flagged = [t for t in templates if names_a_qu_phrase(t)]
    # A few everyday phrasings ("sad songs", "something upbeat for the gym") are allowed, not the norm.
    assert len(flagged) / len(templates) <= 0.15, flagged


def test_genre_era_queries_are_not_the_memory_seeds_phrasing(view):
    from ltrr.memory import seed_queries
    from ltrr.text import normalize_query

    seeded = {q for q, _ in seed_queries("track", "N.Y. State of Mind", "Nas", 65.0, "rap", 1994)}
    seeded |= {q for q, _ in seed_queries("playlist", "90s Rap Classics", "", 70.0, "rap", 1994)}
    assert "90s rap" in seeded, "the seed predicts the bare era + genre form"
    user, gen = _user(view, taste="rap")
    typed = {gen.make("genre_era", user, np.random.default_rng(s))[0] for s in range(300)}
    assert len(typed) > 20
    assert not {normalize_query(q) for q in typed} & seeded


# --------------------------------------------------------------------------- repetition


def test_repetition_follows_a_zipf_law_over_the_pool(view):
    stream = generate_stream(view, 4000, seed=2, repeat_share=0.5, zipf_exponent=1.2, query_pool=50)
    ranks = np.array([it.instance for it in stream if it.is_repeat])
    n = len(stream)
    assert abs(len(ranks) / n - 0.5) <= 4 * np.sqrt(0.25 / n)
    expected = 1.0 / np.arange(1, 51) ** 1.2
    expected /= expected.sum()
    observed = np.bincount(ranks, minlength=51)[1:] / len(ranks)
    se = np.sqrt(expected * (1 - expected) / len(ranks))
    assert np.all(np.abs(observed - expected) <= 4 * se + 1e-3)
    # The exponent is a real setting: flat popularity spreads the same repeats thin.
    flat = generate_stream(view, 4000, seed=2, repeat_share=0.5, zipf_exponent=0.0, query_pool=50)
    flat_top = np.mean([it.instance == 1 for it in flat if it.is_repeat])
    assert flat_top < observed[0] / 4


def test_a_repeated_instance_is_the_same_query_and_intent(view):
    stream = generate_stream(view, 1500, seed=4, repeat_share=0.6, query_pool=20)
    by_instance: dict[int, set] = {}
    for it in stream:
        if it.is_repeat:
            key = (it.query_type, it.query, it.intent.target if it.intent.kind == "target" else None)
            by_instance.setdefault(it.instance, set()).add(key)
    assert len(by_instance) >= 10
    assert all(len(keys) == 1 for keys in by_instance.values())
    # Repetition makes popular queries recur; without it the same stream repeats far less.
    again = sum(n - 1 for n in pd.Series([it.query for it in stream]).value_counts() if n > 1)
    none = generate_stream(view, 1500, seed=4, repeat_share=0.0)
    assert all(it.instance is None for it in none)
    again_none = sum(n - 1 for n in pd.Series([it.query for it in none]).value_counts() if n > 1)
    assert again > again_none


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


# --------------------------------------------------------------------------- drift


def test_drift_sends_demand_to_the_newest_releases_and_a_trending_artist(view):
    plan = plan_drift(view, 200, 0.6, 2, seed=0)
    trending = set(view.ids[plan.new_rows]) | set(view.ids[plan.artist_track_rows]) | {view.ids[plan.artist_row]}
    stream = generate_stream(view, 800, seed=0, drift_step=200, drift_share=0.6, drift_new_releases=2)
    assert [it.phase for it in stream] == ["before"] * 199 + ["after"] * 601
    before = [it for it in stream if it.phase == "before"]
    after = [it for it in stream if it.phase == "after"]
    assert not any(it.trending for it in before)
    share = np.mean([it.trending for it in after])
    assert abs(share - 0.6) <= 4 * np.sqrt(0.24 / len(after))
    new_ids = set(view.ids[plan.new_rows])
    asks = [it for it in after if it.query_type == "new_releases"]
    for it in after:
        if it.trending and it.query_type != "new_releases":
            assert it.query_type in DRIFT_TYPES and it.intent.target in trending
    # The default share (0.4) of trending searches ask what just came out: any new release will do.
    assert abs(len(asks) / sum(it.trending for it in after) - 0.4) <= 0.1
    accepted = set(view.ids[plan.release_rows(view)])
    assert new_ids <= accepted and all(view.types[view.row_of[i]] in ("track", "album") for i in accepted)
    assert all(it.trending and it.relevant == frozenset(accepted) and it.intent.target is None for it in asks)
    assert {it.query.lower() for it in asks} <= set(vocab.RELEASE_ASKS)
    assert not any(it.query_type == "new_releases" for it in before)
    demand = lambda part: np.mean([it.intent.target in trending or it.query_type == "new_releases"  # noqa: E731
                                   for it in part])
    assert demand(after) >= demand(before) + 0.3
    off = generate_stream(view, 800, seed=0, drift_step=200, drift_share=0.6, drift_new_releases=2,
                          drift_release_share=0.0)
    assert not any(it.query_type == "new_releases" for it in off)


def test_no_drift_without_a_step_and_no_trending_without_title_types(view):
    plain = generate_stream(view, 200, seed=1)
    assert {it.phase for it in plain} == {"before"} and not any(it.trending for it in plain)
    broad = generate_stream(view, 200, seed=1, query_types=["genre_era"], drift_step=50)
    assert not any(it.trending for it in broad) and broad[-1].phase == "after"


def test_stream_with_drift_and_repetition_is_reproducible(view):
    kwargs = dict(drift_step=100, repeat_share=0.4, zipf_exponent=0.8, query_pool=30)
    a = stream_frame(generate_stream(view, 300, seed=5, **kwargs))
    b = stream_frame(generate_stream(view, 300, seed=5, **kwargs))
    assert list(a.columns) == STREAM_COLUMNS and a.equals(b)
    assert a["instance"].notna().any() and a["trending"].any()


@pytest.mark.parametrize("kwargs, message", [
    ({"repeat_share": 1.5}, "repeat_share must be a number between 0 and 1"),
    ({"zipf_exponent": -1.0}, "zipf_exponent must be a finite number"),
    ({"zipf_exponent": float("nan")}, "zipf_exponent must be a finite number"),
    ({"query_pool": 0}, "query_pool must be an integer >= 1"),
    ({"drift_step": 0}, "drift_step must be an integer >= 1"),
    ({"drift_step": 2.5}, "drift_step must be an integer >= 1"),
    ({"drift_share": -0.1}, "drift_share must be a number between 0 and 1"),
    ({"drift_new_releases": 0}, "drift_new_releases must be an integer >= 1"),
])
def test_bad_stream_settings_are_rejected(view, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_stream(view, 10, seed=0, **kwargs)


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
