"""Simulated worlds: the default world is the simulator as it was; the second, third and fourth change who
asks what, how they type and misspell, and how they click; all are chosen by name and checked."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from ltrr.simulate.clicks import CascadeClicks, PositionBasedClicks
from ltrr.simulate.population import UserPopulation
from ltrr.simulate.runner import DEFAULT_RETRY_SHARE
from ltrr.simulate.stream import generate_stream
from ltrr.simulate.typos import misspell
from ltrr.simulate.world import DEFAULT, FOURTH, SECOND, SLIPS, THIRD, WORLDS, World, get_world


def _signature(stream) -> list:
    return [(it.user_id, it.query_type, it.query, it.intent, sorted(it.relevant), it.context, it.phase,
             it.trending, it.instance, it.retry) for it in stream]


def test_the_default_world_is_what_a_stream_without_a_world_gets(view):
    plain = generate_stream(view, 300, seed=5, drift_step=150)
    for world in ("default", DEFAULT, None):
        assert _signature(generate_stream(view, 300, seed=5, drift_step=150, world=world)) == _signature(plain)
    # The runner's and the study's defaults are the default world's.
    assert DEFAULT.click_model() == PositionBasedClicks()
    assert DEFAULT.retry_share == DEFAULT_RETRY_SHARE
    assert DEFAULT.release_share == 0.4


def test_the_second_world_asks_other_things_in_other_words(view):
    a = generate_stream(view, 1500, seed=2, drift_step=500)
    b = generate_stream(view, 1500, seed=2, drift_step=500, world="second")
    share = lambda stream, types: sum(it.query_type in types for it in stream) / len(stream)  # noqa: E731
    # More typos and artist + title searches, fewer broad asks and fewer asks for new releases.
    assert share(b, {"misspelled_title", "misspelled_artist", "artist_title"}) > \
        share(a, {"misspelled_title", "misspelled_artist", "artist_title"}) + 0.05
    assert share(b, {"genre_era", "mood_activity"}) < share(a, {"genre_era", "mood_activity"})
    assert share(b, {"new_releases"}) < share(a, {"new_releases"})
    # A kind of query only the second world makes: a playlist's name, wanting its tracks.
    assert share(a, {"playlist_tracks"}) == 0 and share(b, {"playlist_tracks"}) > 0.02
    for it in (it for it in b if it.query_type == "playlist_tracks"):
        lists = [view.ids[view.playlist_members[p]] for p in view.playlist_members]
        assert any(it.relevant == set(ids) for ids in lists), it.query
        assert not any(view.types[view.row_of[e]] == "playlist" for e in it.relevant)
    # Typed in lower case more often; artist + title in the second world's own forms.
    lower = lambda stream: np.mean([it.query == it.query.lower() for it in stream  # noqa: E731
                                    if it.query_type == "exact_title"])
    assert lower(b) > lower(a) + 0.1
    assert any(" - " in it.query or "'s " in it.query for it in b if it.query_type == "artist_title")
    assert not any(" - " in it.query or "'s " in it.query for it in a if it.query_type == "artist_title")


def test_the_third_world_browses_by_taste_and_reads_less_far(view):
    a = generate_stream(view, 1500, seed=2, drift_step=500)
    c = generate_stream(view, 1500, seed=2, drift_step=500, world="third")
    share = lambda stream, types: sum(it.query_type in types for it in stream) / len(stream)  # noqa: E731
    # Artists and eras asked more than in the default world; playlists' tracks, which it never asks.
    assert share(c, {"artist_only", "genre_era"}) > share(a, {"artist_only", "genre_era"}) + 0.03
    assert share(a, {"playlist_tracks"}) == 0 and share(c, {"playlist_tracks"}) > 0.01
    assert any(it.query.endswith(("start to finish", "full list")) or it.query.startswith("tracks in ")
               for it in c if it.query_type == "playlist_tracks")
    # Each user's mix of asks is their own: a user leans harder on their favourite kind of ask.
    def top_shares(stream):
        per_user: dict[str, Counter] = {}
        for it in stream:
            per_user.setdefault(it.user_id, Counter())[it.query_type] += 1
        return [max(n.values()) / sum(n.values()) for n in per_user.values() if sum(n.values()) >= 20]
    assert np.mean(top_shares(c)) > np.mean(top_shares(a)) + 0.05
    # A steeper position bias than the default world's, and room for a second click.
    third = THIRD.click_model()
    assert isinstance(third, PositionBasedClicks) and third.max_clicks == 2
    assert third.examination(3)[2] < DEFAULT.click_model().examination(3)[2]


def test_the_fourth_world_asks_a_spread_and_clicks_noisily(view):
    a = generate_stream(view, 1500, seed=2, drift_step=500)
    d = generate_stream(view, 1500, seed=2, drift_step=500, world="fourth")
    share = lambda stream, types: sum(it.query_type in types for it in stream) / len(stream)  # noqa: E731
    # Podcasts and playlists' tracks among its asks; artist + title in its own forms.
    assert share(d, {"podcast_topic"}) > 0.01 and share(d, {"playlist_tracks"}) > 0.02
    assert any(it.query.endswith((" all of it", " contents")) or it.query.startswith("the ")
               for it in d if it.query_type == "playlist_tracks")
    assert any(" / " in it.query or ", " in it.query for it in d if it.query_type == "artist_title")
    assert not any(" / " in it.query for it in a if it.query_type == "artist_title")
    # Its users retry more and reword vague asks less than the default world's.
    assert FOURTH.retry_share > DEFAULT.retry_share and FOURTH.reformulate_share < DEFAULT.reformulate_share
    # Patient readers who click wrong results more often, up to three times.
    fourth = FOURTH.click_model()
    assert isinstance(fourth, CascadeClicks) and fourth.max_clicks == 3
    assert fourth.p_irrelevant > SECOND.click_model().p_irrelevant > DEFAULT.click_model().p_irrelevant


def test_the_second_worlds_users_make_more_typos(view):
    rng = np.random.default_rng(0)
    default_users = UserPopulation.generate(view, 200, rng).users
    second_users = UserPopulation.generate(view, 200, np.random.default_rng(0), world=SECOND).users
    assert max(u.typo_rate for u in default_users) <= 0.5
    assert min(u.typo_rate for u in second_users) >= 0.2
    assert np.mean([u.typo_rate for u in second_users]) > np.mean([u.typo_rate for u in default_users]) + 0.2


def test_slip_weights_choose_the_slips():
    rng = np.random.default_rng(1)
    swaps = {misspell("blinding lights", rng, 1, weights=(0, 0, 0, 0, 1)) for _ in range(50)}
    for typed in swaps:
        # Two neighbouring letters of a word swapped: same letters, same length, first letters kept.
        assert sorted(typed) == sorted("blinding lights") and typed != "blinding lights"
        assert [w[0] for w in typed.split()] == ["b", "l"]
    drops = {misspell("blinding lights", rng, 1, weights=(0, 0, 1, 0, 0)) for _ in range(50)}
    assert all(len(typed) == len("blinding lights") - 1 for typed in drops)
    # Without weights (the default world) no letters are ever swapped.
    plain = {misspell("ab", np.random.default_rng(s)) for s in range(100)}
    assert "ba" not in plain
    with pytest.raises(ValueError, match="slip weights"):
        misspell("lights", rng, 1, weights=(1, 1))


def test_the_worlds_click_differently():
    default, second = DEFAULT.click_model(), SECOND.click_model()
    assert isinstance(second, CascadeClicks) and second != default
    results = [f"e{i}" for i in range(10)]
    relevant = {"e3"}

    def clicks(model) -> Counter:
        out = Counter()
        for seed in range(2000):
            outcome = model.clicks(results, relevant, np.random.default_rng(seed))
            out["satisfied"] += outcome.satisfied
            out["stray"] += outcome.n_stray
            out["wrong"] += sum(e not in relevant for _, e in outcome.clicks[:len(outcome.clicks) - outcome.n_stray])
        return out
    a, b = clicks(default), clicks(second)
    assert a["stray"] == 0 and b["stray"] > 30          # mis-taps happen in the second world only
    assert b["wrong"] > 2 * a["wrong"]                  # and clicks on what does not satisfy are likelier


def test_worlds_are_named_and_checked():
    assert get_world("Second") is SECOND and get_world(None) is DEFAULT
    assert set(WORLDS) == {"default", "second", "third", "fourth"} and get_world("fourth") is FOURTH
    with pytest.raises(ValueError, match="unknown world 'fifth'; choose one of default, second, third, fourth"):
        get_world("fifth")
    with pytest.raises(ValueError, match="positive weight"):
        replace(DEFAULT, type_weights=(("exact_title", 0.0),))
    with pytest.raises(ValueError, match="slip_weights"):
        replace(DEFAULT, slip_weights=(1.0,) * (len(SLIPS) - 1))
    with pytest.raises(ValueError, match="no phrasing"):
        replace(SECOND, playlist_track_asks=())
    with pytest.raises(ValueError, match="p_continue"):
        replace(SECOND, click_params=(("p_continue", 2.0),))
    assert isinstance(SECOND, World) and "cascade" not in DEFAULT.describe() and "second" in SECOND.describe()


def test_a_type_the_world_never_asks_is_refused_by_name(view):
    with pytest.raises(ValueError, match="the default world never asks query type.s. playlist_tracks"):
        generate_stream(view, 5, seed=1, query_types=["playlist_tracks"])
    stream = generate_stream(view, 20, seed=1, query_types=["playlist_tracks"], world="second")
    assert {it.query_type for it in stream} == {"playlist_tracks"}
