"""Simulated users who reformulate (issue 27): a broad ask that failed them may be followed, in the
same session, by a more specific search in the simulator's own words; the chance is a setting and
0 (run_simulation's default) leaves every record as it was."""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from types import SimpleNamespace

import numpy as np
import pytest

from ltrr.simulate import run_simulation
from ltrr.simulate import runner as runner_module
from ltrr.simulate import vocab
from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.clicks import ClickOutcome, PositionBasedClicks
from ltrr.simulate.queries import FOLLOW_UP_TYPES, QueryGenerator
from ltrr.simulate.report import per_type_table
from ltrr.simulate.runner import (DEFAULT_REFORMULATE_SHARE, REFORMULATE_TYPES, Reformulation, reformulate,
                                  reformulate_rng)
from ltrr.simulate.stream import generate_stream
from ltrr.simulate.study_compare import by_type
from ltrr.simulate.study_settings import StudySettings
from ltrr.simulate.world import DEFAULT, SECOND
from ltrr.state import policy_folder

ARMS = ["lexical", "fuzzy", "popular"]
POLICIES = ["coverage", "static:popular"]
# Columns that measure the machine (run time), not the simulation: never compared between runs.
TIMINGS = ["latency_ms", "arm_ms"]
NEW = ["reformulated", "reformulation_success", "reformulation"]


@pytest.fixture(scope="module")
def syn_view(tmp_path_factory) -> CatalogView:
    """A small synthetic catalog (3,000 tracks, well under a second): mood, activity and genre
    playlists, artists and common title words enough for every broad ask and its follow-up."""
    from ltrr.catalog.store import Catalog
    from ltrr.catalog.synthetic import generate

    path = generate(tmp_path_factory.mktemp("syn") / "syn.duckdb", tracks=3000, seed=0)
    catalog = Catalog.open(path)
    try:
        return CatalogView.from_catalog(catalog)
    finally:
        catalog.close()


def _events(state_root, policy: str) -> list[dict]:
    return [json.loads(line) for line in
            (state_root / policy_folder(policy) / "log" / "events.jsonl").read_text().splitlines()]


# ----------------------------------------------------------------------------- the stream


def test_only_broad_asks_have_a_follow_up_and_every_search_names_its_session(syn_view):
    stream = generate_stream(syn_view, 600, seed=2)
    broad = [it for it in stream if it.query_type in FOLLOW_UP_TYPES]
    assert {it.query_type for it in broad} == set(FOLLOW_UP_TYPES)
    assert all(it.follow_up is None for it in stream if it not in broad)
    # This catalog can name something wanted for (nearly) every broad ask.
    assert np.mean([it.follow_up is not None for it in broad]) >= 0.95
    assert [it.context["session_id"] for it in stream] == [f"2-{it.step}" for it in stream]
    assert generate_stream(syn_view, 5, seed=3)[0].context["session_id"] == "3-1"


def _marker_words() -> set[str]:
    return {w for table in (vocab.MOOD_MARKERS, vocab.ACTIVITY_MARKERS) for ms in table.values() for m in ms
            for w in vocab.words(m)}


def _simulator_words() -> set[str]:
    """Every word the simulator's own lists may put in a follow-up besides catalog names."""
    genre = {w for g in vocab.GENRE_PHRASES for p in vocab.genre_phrases(g) for w in vocab.words(p)}
    eras = {w for d in range(1950, 2030, 10) for p in vocab.era_phrases(d) for w in vocab.words(p)}
    return vocab.follow_up_words() | _marker_words() | genre | eras


def test_a_follow_up_names_something_the_user_wants_in_the_simulators_words(syn_view):
    stream = [it for it in generate_stream(syn_view, 600, seed=2) if it.follow_up]
    own = _simulator_words()
    markers = [m for table in (vocab.MOOD_MARKERS, vocab.ACTIVITY_MARKERS) for ms in table.values() for m in ms]
    titles = {" ".join(vocab.words(t)) for t in syn_view.titles}
    exact = 0
    for it in stream:
        typed = vocab.words(it.follow_up)
        text = f" {' '.join(typed)} "
        rows = [syn_view.row_of[e] for e in it.relevant]
        # Either the artist of something wanted...
        artists = sorted({" ".join(vocab.words(syn_view.subtitles[r])) for r in rows
                          if syn_view.types[r] in ("track", "album") and syn_view.subtitles[r]}, key=len, reverse=True)
        artist = next((a for a in artists if a and f" {a} " in text), None)
        rest = text.replace(f" {artist} ", " ", 1) if artist else text
        if artist is None:
            # ...or a playlist's mood or activity word, taken from the name of a playlist they want.
            assert it.query_type == "mood_activity", it
            said = [m for m in markers if f" {' '.join(vocab.words(m))} " in text]
            wanted = [r for r in rows if syn_view.types[r] == "playlist"]
            assert any(f" {' '.join(vocab.words(m))} " in f" {' '.join(syn_view.title_tokens[r])} "
                       for m in said for r in wanted), it
        # The rest is the simulator's own words (and, for an ambiguous word, that word).
        extra = set(rest.split()) - own - (set(vocab.words(it.query)) if it.query_type == "ambiguous" else set())
        assert not extra, (it.query, it.follow_up, extra)
        exact += " ".join(typed) in titles
    assert len(stream) > 100
    # Specific, not a title copied out of the catalog every time.
    assert exact / len(stream) < 0.2


def test_two_users_with_the_same_vague_ask_follow_it_up_differently(syn_view):
    stream = generate_stream(syn_view, 1500, seed=4)
    by_ask: dict[str, set] = {}
    wants: dict[str, set] = {}
    for it in stream:
        if it.query_type in REFORMULATE_TYPES and it.follow_up:
            by_ask.setdefault(it.query, set()).add(it.follow_up.lower())
            wants.setdefault(it.query, set()).add(it.relevant)
    repeated = [q for q in by_ask if len(wants[q]) > 1]
    assert repeated, "some vague ask is made by users who want different things"
    assert any(len(by_ask[q]) > 1 for q in repeated)


def test_follow_ups_and_sessions_change_nothing_else_in_the_stream(syn_view, monkeypatch):
    with_them = generate_stream(syn_view, 400, seed=6, drift_step=200)
    monkeypatch.setattr(QueryGenerator, "follow_up", lambda self, *args: None)
    without = generate_stream(syn_view, 400, seed=6, drift_step=200)

    def signature(it):
        return replace(it, follow_up=None, context={k: v for k, v in it.context.items() if k != "session_id"})
    assert [signature(it) for it in with_them] == [signature(it) for it in without]
    assert any(it.follow_up for it in with_them) and not any(it.follow_up for it in without)


# ----------------------------------------------------------------------------- the chance


class _Engine:
    """Records what the user searched and told; shows nothing, so every search fails."""

    def __init__(self) -> None:
        self.searches: list[tuple[str, dict]] = []
        self.feedback_calls: list[tuple] = []

    def search(self, query, context, k=10):
        self.searches.append((query, dict(context)))
        return SimpleNamespace(id=f"s{len(self.searches)}", results=[], judge=False)

    def feedback(self, *args, **kwargs):
        self.feedback_calls.append((args, kwargs))


def test_a_failed_broad_ask_is_followed_up_with_the_set_chance_and_nothing_else_is(syn_view):
    stream = generate_stream(syn_view, 600, seed=2)
    broad = [it for it in stream if it.query_type in REFORMULATE_TYPES and it.follow_up]
    others = [it for it in stream if it.query_type not in REFORMULATE_TYPES]
    failed = ClickOutcome((), False, 10)
    found = ClickOutcome(((1, "x"),), True, 1)
    clicks, share, n = PositionBasedClicks(), 0.3, 3000
    engine = _Engine()
    follow = Reformulation(share)
    typed = []
    for i in range(n):
        it = broad[i % len(broad)]
        if reformulate(engine, failed, it, clicks, 10, follow, reformulate_rng(7, i))[0]:
            typed.append((it.follow_up, it.context))
    made = len(typed)
    # Binomial(3000, 0.3): mean 900, sd 25. +-150 is six sd: a correct draw never fails it, while a
    # chance off by a tenth (0.27 or 0.33, 90 away) or drawn per search instead of per step shows.
    assert abs(made - share * n) <= 150, made
    # Each follow-up is searched in its first search's session and told its skip as feedback.
    assert engine.searches == typed
    assert len(engine.feedback_calls) == made
    # Never after a satisfying click, never for another query type, never with a share of 0.
    quiet = _Engine()
    for i, it in enumerate(broad):
        assert reformulate(quiet, found, it, clicks, 10, Reformulation(1.0), reformulate_rng(7, i)) == (0, 0, "")
        assert reformulate(quiet, failed, it, clicks, 10, Reformulation(0.0), reformulate_rng(7, i)) == (0, 0, "")
    for i, it in enumerate(others):
        assert reformulate(quiet, failed, it, clicks, 10, Reformulation(1.0), reformulate_rng(7, i)) == (0, 0, "")
    assert not quiet.searches and not quiet.feedback_calls


def test_the_follow_up_is_what_the_stream_says_in_the_same_session(syn_view):
    it = next(it for it in generate_stream(syn_view, 200, seed=2) if it.query_type == "mood_activity")
    engine = _Engine()
    assert reformulate(engine, ClickOutcome((), False, 10), it, PositionBasedClicks(), 10, Reformulation(1.0),
                       reformulate_rng(0, it.step)) == (1, 0, it.follow_up)
    assert engine.searches == [(it.follow_up, it.context)]
    assert engine.feedback_calls == [(("s1",), {"action": "skip"})]


# ----------------------------------------------------------------------------- the runner


@pytest.fixture(scope="module")
def always(tiny_catalog_path, tmp_path_factory):
    """Every failed broad ask followed up (share 1) on the tiny catalog; the states kept to read."""
    root = tmp_path_factory.mktemp("reformulate-always")
    result = run_simulation(tiny_catalog_path, POLICIES, 120, seed=3, state_root=root, arms=ARMS,
                            retry_share=0.5, reformulate_share=1.0)
    return result, root


def test_every_failed_broad_ask_is_followed_up_in_its_session_and_fed_as_clicks(always, tiny_catalog_path):
    result, root = always
    records = result.records
    from ltrr.catalog.store import Catalog

    catalog = Catalog.open(tiny_catalog_path)
    try:
        stream = generate_stream(CatalogView.from_catalog(catalog), 120, seed=3)
    finally:
        catalog.close()
    follow_up = {it.step: it.follow_up for it in stream}
    assert records["query"].tolist() == [it.query for it in stream] * len(POLICIES)
    broad = records["query_type"].isin(REFORMULATE_TYPES) & records["step"].map(follow_up).notna()
    expected = (broad & (records["reward"] == 0)).astype(int)
    assert (records["reformulated"] == expected).all() and expected.sum() > 0
    assert (records["reformulation_success"] <= records["reformulated"]).all()
    assert records["reformulation_success"].sum() > 0
    assert (records["reformulation"] == records["step"].map(follow_up).where(expected == 1, "")).all()
    # A broad ask is never retried by name, a named target never followed up.
    assert not ((records["retried"] == 1) & (records["reformulated"] == 1)).any()
    for policy in POLICIES:
        own = records[records["policy"] == policy]
        searches = [e for e in _events(root, policy) if e["kind"] == "search"]
        assert len(searches) == len(own) + own["retried"].sum() + own["reformulated"].sum()
        by_session: dict[str, list[str]] = {}
        for e in searches:
            by_session.setdefault(e["context"]["session_id"], []).append(e["query"])
        assert set(by_session) == {f"3-{s}" for s in own["step"]}
        for r in own.itertuples():
            if r.reformulated:
                assert by_session[f"3-{r.step}"] == [r.query, r.reformulation]
        # Clicks on a follow-up are clicks on the follow-up search; nothing tells the first search.
        events = _events(root, policy)
        follow_ids = {e["id"] for e in searches if e["query"] in set(own.loc[own["reformulated"] == 1, "reformulation"])
                      and len(by_session[e["context"]["session_id"]]) > 1 and
                      by_session[e["context"]["session_id"]][1] == e["query"]}
        told = [e for e in events if e["kind"] == "feedback" and e["search_id"] in follow_ids]
        assert sum(e["action"] == "click" for e in told) >= own["reformulation_success"].sum()
        assert sum(e.get("action") == "found_later" for e in events) == own["found_later"].sum()


def test_the_per_type_tables_show_the_vague_asks_and_their_follow_ups(always):
    records = always[0].records
    table = per_type_table(records).set_index(["policy", "query_type"])
    for policy in POLICIES:
        for qtype in ("mood_activity", "ambiguous"):
            row = table.loc[(policy, qtype)]
            own = records[(records["policy"] == policy) & (records["query_type"] == qtype)]
            assert row["searches"] == len(own) and row["success"] == own["success"].mean()
            assert row["reformulated"] == own["reformulated"].mean()
            assert row["reformulation_success"] == own["reformulation_success"].mean()
    assert table.loc[("coverage", "exact_title"), "reformulated"] == 0
    study_view = by_type(records.assign(label=records["policy"]), 120, "coverage", "static:popular")
    assert {"mood_activity", "ambiguous"} <= set(study_view["query_type"])


def test_every_policy_meets_the_same_follow_ups_with_the_same_numbers(tiny_catalog_path, tmp_path):
    result = run_simulation(tiny_catalog_path, ["coverage", "static:popular", "static:lexical"], 120, seed=5,
                            state_root=tmp_path / "a", arms=ARMS, reformulate_share=0.5)
    records = result.records
    failed = records[records["query_type"].isin(REFORMULATE_TYPES) & (records["reward"] == 0)]
    # Drawn per step, not per policy: a step's failed users all follow up or none does, with the same text.
    per_step = failed.groupby("step")[["reformulated", "reformulation"]].nunique()
    assert (per_step <= 1).all().all()
    assert failed["reformulated"].sum() > 0 and (failed["reformulated"] == 0).any()
    again = run_simulation(tiny_catalog_path, ["coverage", "static:popular", "static:lexical"], 120, seed=5,
                           state_root=tmp_path / "b", arms=ARMS, reformulate_share=0.5)
    assert again.records.drop(columns=TIMINGS).equals(records.drop(columns=TIMINGS))


def test_share_zero_is_the_simulation_before_reformulations(tiny_catalog_path, tmp_path, monkeypatch):
    plain = run_simulation(tiny_catalog_path, POLICIES, 100, seed=3, state_root=tmp_path / "zero", arms=ARMS,
                           retry_share=0.5)
    assert plain.settings["reformulate_share"] == 0.0
    assert (plain.records[["reformulated", "reformulation_success"]] == 0).all().all()
    assert (plain.records["reformulation"] == "").all()
    # The run as it was: streams without follow-ups, and a runner that never draws one. (Sessions stay:
    # the engine may learn from a retry by name in the same session, which share 0 keeps as it is.)
    real_stream = runner_module.generate_stream

    def old_stream(*args, **kwargs):
        return [replace(it, follow_up=None) for it in real_stream(*args, **kwargs)]

    def never(*args, **kwargs):
        raise AssertionError("drew a reformulation")
    with monkeypatch.context() as patch:
        patch.setattr(runner_module, "generate_stream", old_stream)
        patch.setattr(runner_module, "reformulate", lambda *args: (0, 0, ""))
        patch.setattr(runner_module, "reformulate_rng", never)
        old = run_simulation(tiny_catalog_path, POLICIES, 100, seed=3, state_root=tmp_path / "old", arms=ARMS,
                             retry_share=0.5)
    keep = [c for c in plain.records.columns if c not in TIMINGS + NEW]
    assert plain.records[keep].equals(old.records[keep])
    # Following up changes nothing before the first follow-up: the engines only then learn otherwise.
    on = run_simulation(tiny_catalog_path, POLICIES, 100, seed=3, state_root=tmp_path / "on", arms=ARMS,
                        retry_share=0.5, reformulate_share=1.0).records
    first = int(on.loc[on["reformulated"] == 1, "step"].min())
    assert plain.records.loc[plain.records["step"] <= first, keep].equals(on.loc[on["step"] <= first, keep])
    assert not plain.records[keep].equals(on[keep])


def test_bad_reformulation_settings_fail_before_any_engine_opens(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="reformulate_share"):
        run_simulation(tiny_catalog_path, POLICIES, 5, seed=0, state_root=tmp_path, arms=ARMS, reformulate_share=1.5)
    with pytest.raises(ValueError, match="no follow-up for exact_title"):
        run_simulation(tiny_catalog_path, POLICIES, 5, seed=0, state_root=tmp_path, arms=ARMS,
                       reformulate_share=0.5, reformulate_types=["exact_title"])
    assert not any(tmp_path.iterdir())


def test_the_worlds_and_the_study_set_the_chance(tiny_catalog_path):
    assert DEFAULT.reformulate_share == DEFAULT_REFORMULATE_SHARE == 0.5
    assert SECOND.reformulate_share == 0.3
    assert StudySettings(catalog="c.duckdb").reformulate_share == 0.5
    second = StudySettings(catalog="c.duckdb", world="second")
    assert second.reformulate_share == 0.3
    assert StudySettings(catalog="c.duckdb", reformulate_share=0.0).reformulate_share == 0.0
    assert StudySettings(**asdict(second)) == second
