"""The rank stage inside the real engine: swaps logged with their propensity, features as of
search time, the interleaving report, champion/challenger status and no bandit feedback loop."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr import Engine
from ltrr.rank.features import COLUMN
from ltrr.rank.heuristic import heuristic_scores

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]


def open_engine(catalog, state, **kw):
    kw.setdefault("arms", FAST_ARMS)
    kw.setdefault("ranker_training", "off")
    kw.setdefault("policy", "all")
    return Engine.open(catalog=catalog, state=state, seed=0, **kw)


@pytest.fixture()
def engine(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "state")
    yield eng
    eng.close()


def test_swaps_are_logged_with_their_propensity_and_applied(engine):
    engine.set_ranking_experiments(swap_share=1.0)
    resp = engine.search("love", context={"user_id": "u"})
    event = [e for e in engine.log_events() if e["kind"] == "search"][-1]
    swap = event["swap"]
    assert 1 <= swap["pos"] < len(resp.results) and swap["p"] == pytest.approx(1.0 / (len(resp.results) - 1))
    assert swap["share"] == 1.0
    # The two swapped results are the ranker's order with one adjacent pair exchanged.
    scores = {r.entity_id: r.score for r in resp.results}
    shown = [r.entity_id for r in resp.results]
    i = swap["pos"] - 1
    assert scores[shown[i]] <= scores[shown[i + 1]]
    engine.set_ranking_experiments(swap_share=0.0)
    engine.search("love", context={"user_id": "u"})
    assert "swap" not in [e for e in engine.log_events() if e["kind"] == "search"][-1]
    with pytest.raises(ValueError, match="share"):
        engine.set_ranking_experiments(swap_share=2)


def test_short_lists_are_swapped_within_the_list_and_non_swaps_logged(engine):
    """Three results shown: the swap is at 1 or 2 with p = share / 2; an unswapped search logs its
    chance of no swap, 1 - share, so every search of the estimate carries its propensity."""
    engine.set_ranking_experiments(swap_share=0.5)
    logged = []
    for _ in range(40):
        resp = engine.search("love", context={"user_id": "u"}, k=3)
        assert len(resp.results) == 3
        logged.append([e for e in engine.log_events() if e["kind"] == "search"][-1]["swap"])
    moved = [s for s in logged if s["pos"] >= 1]
    assert moved and {s["pos"] for s in moved} <= {1, 2} and {s["p"] for s in moved} == {0.25}
    assert len(moved) < len(logged) and {(s["p"], s["share"]) for s in logged if s["pos"] == 0} == {(0.5, 0.5)}
    engine.set_ranking_experiments(swap_share=0.0)


def test_the_heuristic_no_longer_reads_the_bandits_expectations(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "s", policy="linucb")
    try:
        eng.set_ranking_experiments(swap_share=0.0)
        resp = eng.search("blinding lights", explain=True, context={"user_id": "u"})
        X = np.array([[r.features[n] for n in r.features] for r in resp.results])
        # Fixed arm weights (all 1): the shown scores are the plain heuristic's.
        np.testing.assert_allclose([r.score for r in resp.results], heuristic_scores(X), rtol=1e-5)
    finally:
        eng.close()


def _memory_feature_of(engine, search_id, entity_id):
    example = engine.ranker.example(search_id)
    X, y, pos = example
    return float(X[y > 0][0, COLUMN["full_memory"]]) if entity_id else None


def test_a_rebuilt_search_has_its_memory_feature_as_it_was_before_its_own_click(engine):
    engine.set_ranking_experiments(swap_share=0.0)
    for _ in range(2):                            # an earlier search of the same query taught the memory
        first = engine.search("halo", context={"user_id": "u"})
        engine.feedback(first.id, "track:halo")
    resp = engine.search("halo", context={"user_id": "u"}, explain=True)
    at_search = next(r for r in resp.results if r.entity_id == "track:halo").features["full_memory"]
    pending = engine._pending.pop(resp.id)                                      # noqa: SLF001  as after a restart
    engine.feedback(resp.id, "track:halo")
    rebuilt = _memory_feature_of(engine, resp.id, "track:halo")
    assert rebuilt == pytest.approx(at_search, abs=1e-6)
    np.testing.assert_allclose(engine._rebuild_pending(engine._searches[resp.id]).X,   # noqa: SLF001
                               pending.X, atol=1e-6)
    # What the leak would have looked like: the memory's score now includes this click.
    now = engine.memory.pair_scores("halo", ["track:halo"])[0]
    before = engine.memory.pair_scores("halo", ["track:halo"], engine.memory.observed_as_of(
        "halo", engine._searches[resp.id]["results"], ["track:halo"]))[0]        # noqa: SLF001
    assert now > before


def test_a_search_ranks_by_the_users_lean_and_is_rebuilt_with_the_lean_it_had(engine):
    engine.set_ranking_experiments(swap_share=0.0)
    for _ in range(6):                            # this user clicks r&b
        first = engine.search("save your tears", context={"user_id": "fan"})
        engine.feedback(first.id, "track:savetears")
    resp = engine.search("love", context={"user_id": "fan"}, explain=True)
    lean = {r.entity_id: r.features["user_genre"] for r in resp.results}
    assert lean["track:crazy"] == pytest.approx(6 / 9, abs=1e-6)            # r&b: 6 clicks + 3 unseen
    assert lean["track:lovestory"] == 0.0                                    # pop: never clicked
    assert engine._searches[resp.id]["affinity"] == {"r b": pytest.approx(6 / 9, abs=1e-6)}  # noqa: SLF001
    stranger = engine.search("love", context={"user_id": "stranger"}, explain=True)
    assert not any(r.features["user_genre"] for r in stranger.results)
    # Rebuilt after more clicks (as after a restart), the features are the ones it was served with.
    pending = engine._pending.pop(resp.id)                                   # noqa: SLF001
    engine.feedback(resp.id, "track:crazy")
    for _ in range(3):
        later = engine.search("halo", context={"user_id": "fan"})
        engine.feedback(later.id, "track:halo")
    np.testing.assert_allclose(engine._rebuild_pending(engine._searches[resp.id]).X,   # noqa: SLF001
                               pending.X, atol=1e-6)


def test_the_memory_lists_in_the_users_order_and_a_click_is_credited_in_that_order(engine):
    engine.set_ranking_experiments(swap_share=0.0)
    first = engine.search("love", context={"user_id": "other"})
    engine.feedback(first.id, "track:crazy")                 # "love" now holds crazy above love story
    for _ in range(6):                                       # this user clicks pop
        resp = engine.search("love story", context={"user_id": "fan"})
        engine.feedback(resp.id, "track:lovestory")

    def memory_list(resp):
        return [r.entity_id for r in resp.by_arm["memory"]]

    stranger = engine.search("love", context={"user_id": "stranger"}, explain=True)
    fan = engine.search("love", context={"user_id": "fan"}, explain=True)
    assert memory_list(stranger) == ["track:crazy", "track:lovestory"]
    assert memory_list(fan) == ["track:lovestory", "track:crazy"]
    # The click's full-information rank is read in the fan's order, also when the search is
    # rerun from its log record (as after a restart): the lean comes from the log.
    engine._pending.pop(fan.id)                                              # noqa: SLF001
    engine.feedback(fan.id, "track:lovestory")
    logged = [e for e in engine.log_events() if e["kind"] == "feedback"][-1]
    assert logged["arm_ranks"]["memory"] == 1


def test_replay_builds_the_same_ranker_examples_as_the_live_engine(engine, tmp_path, tiny_catalog_path):
    engine.set_ranking_experiments(swap_share=0.0)
    for query, target in [("halo", "track:halo"), ("halo", "track:halo"), ("kill bill", "track:kill"),
                          ("halo", "track:halo")]:
        resp = engine.search(query, context={"user_id": "u"})
        engine.feedback(resp.id, target)
    replayed = open_engine(tiny_catalog_path, tmp_path / "replayed")
    try:
        replayed.replay(engine.log_events())
        for sid, (X, y, pos) in engine.ranker.examples().items():
            X2, y2, pos2 = replayed.ranker.example(sid)
            np.testing.assert_allclose(X2, X, atol=1e-6)
            assert y2.tolist() == y.tolist() and pos2.tolist() == pos.tolist()
    finally:
        replayed.close()


def test_examples_carry_display_positions(engine):
    engine.set_ranking_experiments(swap_share=0.0)
    resp = engine.search("love", context={"user_id": "u"})
    target = resp.results[2]
    engine.feedback(resp.id, target.entity_id)
    X, y, pos = engine.ranker.example(resp.id)
    assert pos[y > 0].tolist() == [3]
    assert sorted(pos.tolist()) == list(range(1, len(resp.results) + 1))


def test_position_bias_and_ranker_status_are_reported(engine):
    bias = engine.position_bias()
    assert bias.source == "prior" and bias.propensity[0] == 1.0
    status = engine.ranker_status()
    assert status["decisions"] == [] and "heuristic" in status["reason"] and status["debias"] == "ips"


def test_interleaving_credits_the_team_that_contributed_the_click(engine, monkeypatch):
    engine.set_ranking_experiments(swap_share=0.0, interleave_share=1.0)
    # Stand-in model: ranks by popularity only, so it disagrees with the heuristic.
    ranker = engine.ranker
    monkeypatch.setattr(type(ranker), "is_trained", property(lambda self: True))
    monkeypatch.setattr(type(ranker), "label", property(lambda self: "lightgbm v9"))
    monkeypatch.setattr(ranker, "score", lambda X, arm_weights=None: X[:, COLUMN["popularity"]].astype(float))
    outcomes = []
    for _ in range(6):
        resp = engine.search("love", context={"user_id": "u"})
        event = engine._searches[resp.id]                                         # noqa: SLF001
        info = event["interleave"]
        assert info["a"] == "heuristic" and info["b"] == "lightgbm v9"
        assert len(info["teams"]) == len(event["results"])
        team_b = [e for e, t in zip(event["results"], info["teams"]) if t == "b"]
        engine.feedback(resp.id, team_b[0])
        outcomes.append("b")
    engine.search("love", context={"user_id": "u"})                  # on screen, no feedback: not counted
    (report,) = engine.interleaving_report()
    assert (report["wins"], report["losses"], report["ties"]) == (0, 6, 0)
    assert report["leader"] == "lightgbm v9" and report["p_value"] == pytest.approx(2 / 64)
    assert report["label"].startswith("heuristic vs lightgbm v9: 0-6")


def test_attribution_of_a_search(engine):
    engine.set_ranking_experiments(swap_share=0.0)
    resp = engine.search("halo", context={"user_id": "u"}, k=1)
    shown = resp.results[0].entity_id
    assert engine.attribute(resp.id, [shown])["outcome"] == "success"
    pooled_not_shown = next(p.entity_id for p in resp.pool if p.entity_id != shown)
    assert engine.attribute(resp.id, [pooled_not_shown])["outcome"] == "ranking_loss"
    assert engine.attribute(resp.id, ["track:nothing-like-it"])["outcome"] == "retrieval_miss"


def test_the_engine_estimates_position_bias_from_its_own_swaps(engine):
    """Simulated position-based users (eta 1) on the engine's own lists: the swaps it logs are
    enough to replace the prior, and the estimate lands near the truth."""
    from ltrr.simulate.clicks import PositionBasedClicks

    engine.set_ranking_experiments(swap_share=0.5)
    users = PositionBasedClicks(eta=1.0, p_relevant=0.9, p_irrelevant=0.3, max_clicks=10)
    rng = np.random.default_rng(0)
    for _ in range(600):
        resp = engine.search("love", context={"user_id": "u"})
        shown = [r.entity_id for r in resp.results]
        # Every shown item is somewhat attractive, the first few more so: relevance falls with rank.
        got = users.clicks(shown, set(shown[:3]), rng)
        for _, entity in got.clicks:
            engine.feedback(resp.id, entity)
    bias = engine.position_bias()
    assert bias.source == "swaps" and bias.swap_clicks >= 20
    assert abs(bias.eta - 1.0) < 0.4, bias.to_dict()
    assert bias.eta_ci[0] < 1.0 < bias.eta_ci[1]


def test_the_position_bias_is_the_same_live_reopened_and_replayed(tiny_catalog_path, tmp_path):
    """Lists of 2-10 results (k drawn per search), half of them swapped, position-based clicks: the
    estimate the engine derives live is the one it derives from its log when reopened, and when a
    fresh state replays the exported log."""
    from ltrr.log_export import load_exported
    from ltrr.simulate.clicks import PositionBasedClicks

    users = PositionBasedClicks(eta=1.0, p_relevant=0.9, p_irrelevant=0.3, max_clicks=10)
    rng = np.random.default_rng(4)
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        eng.set_ranking_experiments(swap_share=0.5)
        for j in range(300):
            resp = eng.search(("love", "halo", "lights", "rain")[j % 4], context={"user_id": f"u{j % 5}"},
                              k=int(rng.integers(2, 11)))
            shown = [r.entity_id for r in resp.results]
            for _, entity in users.clicks(shown, set(shown[:2]), rng).clicks:
                eng.feedback(resp.id, entity)
        live = eng.position_bias().to_dict()
        lengths = {len(e["results"]) for e in eng.log_events() if e["kind"] == "search"}
        export = eng.export(tmp_path / "out", "jsonl")
    finally:
        eng.close()
    assert live["source"] == "swaps" and len(lengths) >= 5, (live, lengths)
    reopened = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        assert reopened.position_bias().to_dict() == live
    finally:
        reopened.close()
    rebuilt = open_engine(tiny_catalog_path, tmp_path / "rebuilt")
    try:
        rebuilt.replay(load_exported(export))
        assert rebuilt.position_bias().to_dict() == live
    finally:
        rebuilt.close()
