"""The learned ranker: learning from simulated clicks, persistence, fallbacks, explanations.

The simulation: each search has 20 candidates with random provenance, types and
popularity. What users want (hidden relevance) is "the type the query asked
for AND popular", which the heuristic barely weighs (0.5 x type agreement,
0.1 x popularity) next to reciprocal-rank fusion. Users see the heuristic's
top 10 and click with a position bias. A ranker that learns from those clicks
must recover the hidden rule.
"""
from __future__ import annotations

import json
import logging
import threading

import numpy as np
import pytest

from ltrr.catalog.schema import ENTITY_TYPES
from ltrr.rank import examples_file
from ltrr.rank import ranker as ranker_module
from ltrr.rank.examples_file import encode_record, write_header
from ltrr.rank.features import ARMS, COLUMN, FEATURE_NAMES
from ltrr.rank.heuristic import heuristic_contributions, heuristic_scores
from ltrr.rank.metrics import ndcg_at_k
from ltrr.rank.position import pbm_curve, prior_bias
from ltrr.rank.ranker import DECISIONS_FILE, EXAMPLES_FILE, META_FILE, Ranker

SIM_ARMS = ("lexical", "fuzzy", "semantic", "popular")


def make_search(rng: np.random.Generator, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Features of one search's candidates and their hidden graded relevance (0, 1, 2)."""
    X = np.zeros((n, len(FEATURE_NAMES)), np.float32)
    asked = rng.integers(len(ENTITY_TYPES))
    confidence = rng.uniform(0.4, 1.0)
    types = rng.integers(len(ENTITY_TYPES), size=n)
    popularity = rng.uniform(0, 1, n)
    for arm in SIM_ARMS:
        hit = rng.random(n) < 0.5
        ranks = np.zeros(n)
        ranks[hit] = rng.permutation(int(hit.sum())) + 1
        X[hit, COLUMN[f"rr_{arm}"]] = 1 / ranks[hit]
        X[hit, COLUMN[f"hit_{arm}"]] = 1
    X[:, COLUMN["n_arms"]] = X[:, [COLUMN[f"hit_{a}"] for a in ARMS]].sum(axis=1)
    X[np.arange(n), [COLUMN[f"type_{ENTITY_TYPES[t]}"] for t in types]] = 1
    X[:, COLUMN["type_agreement"]] = np.where(types == asked, confidence, (1 - confidence) / 5)
    X[:, COLUMN["popularity"]] = popularity
    X[:, COLUMN["title_token_set"]] = rng.uniform(0, 1, n)
    wanted = types == asked
    relevance = (wanted & (popularity > 0.5)).astype(np.float32) + (wanted & (popularity > 0.8))
    return X, relevance


def simulate_clicks(rng: np.random.Generator, X: np.ndarray, relevance: np.ndarray, shown: int = 10):
    """The heuristic's top ``shown`` rows, clicks on them (position-biased examination) and positions."""
    order = np.argsort(-heuristic_scores(X), kind="stable")[:shown]
    examined = 1 / np.arange(1, len(order) + 1) ** 0.8
    p_click = examined * np.where(relevance[order] > 0, 0.5 + 0.2 * relevance[order], 0.05)
    return X[order], (rng.random(len(order)) < p_click).astype(np.float32), np.arange(1, len(order) + 1)


def feed(ranker: Ranker, n_searches: int, seed: int = 0, prefix: str = "s") -> None:
    rng = np.random.default_rng(seed)
    for i in range(n_searches):
        X, relevance = make_search(rng)
        shown, clicks, positions = simulate_clicks(rng, X, relevance)
        ranker.add_example(f"{prefix}{i}", shown, clicks, positions)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Ranker, dict]:
    ranker = Ranker(tmp_path_factory.mktemp("ranker"), min_sessions=30, retrain_every=50, seed=0)
    feed(ranker, 300)
    return ranker, ranker.train()


def test_learns_what_users_click_and_beats_the_heuristic(trained):
    ranker, report = trained
    assert report["adopted"] and ranker.is_trained and ranker.version == 1
    assert report["n_sessions"] >= 100
    assert report["n_train"] + report["n_holdout"] == report["n_sessions"]
    assert report["champion"] == "heuristic" and report["gain"] > 0 and report["z"] >= 1.0   # held-out clicks
    assert report["value_challenger"] > report["value_champion"]
    # Fresh searches, judged by the hidden relevance over all 20 candidates, not by clicks.
    rng = np.random.default_rng(123)
    fresh = [make_search(rng) for _ in range(200)]
    fresh = [(X, rel) for X, rel in fresh if rel.max() > 0]
    model = np.mean([ndcg_at_k(rel, ranker.score(X)) for X, rel in fresh])
    heuristic = np.mean([ndcg_at_k(rel, heuristic_scores(X)) for X, rel in fresh])
    assert model > heuristic + 0.2, (model, heuristic)
    top = sorted(ranker.feature_importances().items(), key=lambda kv: -kv[1])[:3]
    assert {"type_agreement", "popularity"} <= {name for name, _ in top}


def test_training_is_deterministic(tmp_path, trained):
    ranker, report = trained
    again = Ranker(tmp_path, seed=0)
    feed(again, 300)
    report2 = again.train()
    assert report2["value_challenger"] == report["value_challenger"]
    X, _ = make_search(np.random.default_rng(5))
    np.testing.assert_array_equal(again.score(X), ranker.score(X))


def test_heuristic_until_trained(tmp_path):
    ranker = Ranker(tmp_path)
    X, _ = make_search(np.random.default_rng(1))
    assert not ranker.is_trained and ranker.version == 0
    weights = {"lexical": 1.0, "fuzzy": 0.3}
    np.testing.assert_array_equal(ranker.score(X, weights), heuristic_scores(X, weights))
    np.testing.assert_array_equal(ranker.contributions(X, weights), heuristic_contributions(X, weights))


def test_a_model_worse_than_the_heuristic_is_not_adopted(tmp_path, monkeypatch):
    real_fit = Ranker._fit

    def fit_on_inverted_clicks(self, sessions, bias=None):     # learns to put clicked results last
        return real_fit(self, [(X, 1.0 - y, pos) for X, y, pos in sessions], bias)

    monkeypatch.setattr(Ranker, "_fit", fit_on_inverted_clicks)
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    report = ranker.train()
    assert report["value_challenger"] < report["value_champion"]
    assert not report["adopted"] and report["version"] == 0
    assert "does not beat heuristic" in report["decision"]
    assert not ranker.is_trained and not list(tmp_path.glob("model-*.txt"))
    assert ranker.report == report                       # the app can still show why
    assert not ranker.should_retrain()                   # next try after retrain_every new examples


def test_too_few_sessions_trains_nothing(tmp_path):
    ranker = Ranker(tmp_path, min_sessions=30)
    feed(ranker, 20)
    report = ranker.train()
    assert not report["adopted"] and "training needs 30" in report["reason"]
    assert not ranker.is_trained
    assert not list(tmp_path.glob("model-*.txt"))


def test_should_retrain_schedule(tmp_path):
    ranker = Ranker(tmp_path, min_sessions=10, retrain_every=15)
    rng = np.random.default_rng(0)
    X, _ = make_search(rng, n=5)
    clicked = np.array([1, 0, 0, 0, 0], np.float32)
    for i in range(9):
        ranker.add_example(f"a{i}", X + i, clicked)
    ranker.add_example("unclicked", X, np.zeros(5, np.float32))     # does not count as a session
    assert ranker.n_sessions == 9 and not ranker.should_retrain()
    ranker.add_example("a9", X, clicked)
    assert ranker.should_retrain()
    ranker.train()
    assert not ranker.should_retrain()
    for i in range(14):
        ranker.add_example(f"b{i}", X, clicked)
    assert not ranker.should_retrain()
    ranker.add_example("b14", X, clicked)
    assert ranker.should_retrain()
    # The count since the last training survives a restart.
    assert Ranker(tmp_path, min_sessions=10, retrain_every=15).should_retrain()


def test_save_load_round_trip_scores_identically(tmp_path):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    assert ranker.train()["adopted"]
    reloaded = Ranker(tmp_path)
    assert reloaded.is_trained and reloaded.version == ranker.version == 1
    assert reloaded.n_examples == 150 and reloaded.n_sessions == ranker.n_sessions
    assert reloaded.report == ranker.report
    X, _ = make_search(np.random.default_rng(9))
    np.testing.assert_array_equal(reloaded.score(X), ranker.score(X))
    np.testing.assert_array_equal(reloaded.contributions(X), ranker.contributions(X))
    meta = json.loads((tmp_path / META_FILE).read_text())
    assert meta["feature_names"] == FEATURE_NAMES and meta["model_file"] == "model-0001.txt"
    assert (tmp_path / "model-0001.txt").read_text().startswith("tree")          # LightGBM's text format


def test_versions_count_up_and_old_models_are_pruned(tmp_path):
    ranker = Ranker(tmp_path, min_sessions=10)
    for round_ in range(5):
        feed(ranker, 60, seed=round_, prefix=f"r{round_}-")
        report = ranker.train()
        if report["adopted"]:
            assert report["version"] == ranker.version
    assert ranker.version >= 3
    kept = sorted(p.name for p in tmp_path.glob("model-*.txt"))
    assert len(kept) <= 3 and kept[-1] == f"model-{ranker.version:04d}.txt"


def test_corrupt_model_file_falls_back_to_the_heuristic(tmp_path, caplog):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    ranker.train()
    (tmp_path / "model-0001.txt").write_text("tree\nversion=v4\nthis is not a model\n")
    with caplog.at_level(logging.WARNING, logger="ltrr.rank.ranker"):
        reloaded = Ranker(tmp_path)
    assert not reloaded.is_trained and reloaded.version == 0
    assert "checksum" in caplog.text
    X, _ = make_search(np.random.default_rng(2))
    np.testing.assert_array_equal(reloaded.score(X), heuristic_scores(X))
    # Training again works and does not overwrite the damaged file's number.
    assert reloaded.train()["version"] == 2


def test_model_lightgbm_cannot_read_falls_back(tmp_path, caplog):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    ranker.train()
    garbage = b"\x00\x01 definitely not lightgbm"
    (tmp_path / "model-0001.txt").write_bytes(garbage)
    meta = json.loads((tmp_path / META_FILE).read_text())
    import hashlib

    meta["sha256"] = hashlib.sha256(garbage).hexdigest()       # checksum agrees: LightGBM itself must refuse
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="ltrr.rank.ranker"):
        reloaded = Ranker(tmp_path)
    assert not reloaded.is_trained
    assert "cannot read" in caplog.text


def test_feature_name_mismatch_is_ignored(tmp_path, caplog):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    ranker.train()
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["feature_names"] = FEATURE_NAMES[:-1] + ["a_feature_from_another_version"]
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="ltrr.rank.ranker"):
        reloaded = Ranker(tmp_path)
    assert not reloaded.is_trained and reloaded.report is None
    assert "other features" in caplog.text
    assert reloaded.n_examples == 150            # the examples are still usable


@pytest.mark.parametrize("meta", [
    "{not json", "[]", json.dumps({"model_file": "../../etc/passwd", "version": 1}),
    json.dumps({"model_file": "model-0001.txt", "version": "1"}),
    json.dumps({"model_file": "model-0002.txt", "version": 1}),
])
def test_hostile_or_broken_metadata_is_ignored(tmp_path, meta):
    (tmp_path / META_FILE).write_text(meta)
    ranker = Ranker(tmp_path)
    assert not ranker.is_trained and ranker.version == 0


def test_truncated_examples_file_keeps_the_intact_records(tmp_path, caplog):
    ranker = Ranker(tmp_path)
    feed(ranker, 12)
    path = tmp_path / EXAMPLES_FILE
    data = path.read_bytes()
    path.write_bytes(data[:-7])                       # a crash in the middle of the last append
    with caplog.at_level(logging.WARNING, logger="ltrr.rank.examples_file"):
        reloaded = Ranker(tmp_path)
    assert reloaded.n_examples == 11
    assert "damaged record" in caplog.text
    # Appending after the cut works and everything reads back.
    X, _ = make_search(np.random.default_rng(0), n=4)
    reloaded.add_example("after-crash", X, np.array([0, 1, 0, 0], np.float32))
    again = Ranker(tmp_path)
    assert again.n_examples == 12
    stored_X, stored_y, _ = again.example("after-crash")
    np.testing.assert_array_equal(stored_X, X)
    assert stored_y.tolist() == [0, 1, 0, 0]


def test_flipped_byte_in_a_record_is_detected(tmp_path):
    ranker = Ranker(tmp_path)
    feed(ranker, 5)
    path = tmp_path / EXAMPLES_FILE
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF                                 # inside the last record's payload
    path.write_bytes(bytes(data))
    assert Ranker(tmp_path).n_examples == 4


def test_unreadable_examples_file_is_moved_aside(tmp_path):
    (tmp_path / EXAMPLES_FILE).write_bytes(b"PK\x03\x04 a zip file, not ours")
    ranker = Ranker(tmp_path)
    assert ranker.n_examples == 0
    assert list(tmp_path.glob(f"{EXAMPLES_FILE}.unreadable-*"))
    feed(ranker, 3)
    assert Ranker(tmp_path).n_examples == 3


def test_examples_written_for_other_features_are_mapped_by_name(tmp_path):
    old_names = list(reversed(FEATURE_NAMES[:-1])) + ["a_retired_feature"]
    path = tmp_path / EXAMPLES_FILE
    write_header(path, old_names)
    X, _ = make_search(np.random.default_rng(4), n=6)
    old_X = np.zeros((6, len(old_names)), np.float32)
    for j, name in enumerate(old_names[:-1]):
        old_X[:, j] = X[:, COLUMN[name]]
    old_X[:, -1] = 42.0
    with open(path, "ab") as fh:
        fh.write(encode_record("old-search", old_X, np.array([1, 0, 0, 0, 0, 0], np.float32), np.zeros(6)))
    ranker = Ranker(tmp_path)
    stored, _, _ = ranker.example("old-search")
    expected = X.copy()
    expected[:, -1] = 0.0                                 # the feature the old file did not have
    np.testing.assert_array_equal(stored, expected)
    ranker.add_example("new-search", X, np.ones(6, np.float32))            # file now in today's layout
    assert Ranker(tmp_path).n_examples == 2


def test_a_second_click_on_the_same_search_merges_labels(tmp_path):
    ranker = Ranker(tmp_path)
    X, _ = make_search(np.random.default_rng(0), n=4)
    ranker.add_example("s1", X, np.array([1, 0, 0, 0], np.float32))
    ranker.add_example("s1", X, np.array([0, 0, 1, 0], np.float32))
    for r in (ranker, Ranker(tmp_path)):
        assert r.example("s1")[1].tolist() == [1, 0, 1, 0]
        assert r.n_sessions == 1 and r.n_examples == 2


@pytest.mark.parametrize("search_id, X, labels, message", [
    ("", np.zeros((2, len(FEATURE_NAMES))), np.zeros(2), "search_id"),
    (7, np.zeros((2, len(FEATURE_NAMES))), np.zeros(2), "search_id"),
    ("s", np.zeros((2, 3)), np.zeros(2), "shape"),
    ("s", np.zeros((0, len(FEATURE_NAMES))), np.zeros(0), "shape"),
    ("s", np.zeros((2, len(FEATURE_NAMES))), np.zeros(3), "labels must have shape"),
    ("s", np.zeros((2, len(FEATURE_NAMES))), np.array([1.0, -1.0]), "between 0 and"),
    ("s", np.zeros((2, len(FEATURE_NAMES))), np.array([1.0, np.nan]), "finite"),
])
def test_bad_examples_are_refused_with_a_message(tmp_path, search_id, X, labels, message):
    ranker = Ranker(tmp_path)
    with pytest.raises(ValueError, match=message):
        ranker.add_example(search_id, X, labels)
    assert ranker.n_examples == 0 and not (tmp_path / EXAMPLES_FILE).exists()


def test_lightgbm_receives_aligned_groups(tmp_path, monkeypatch):
    seen = {}
    real = ranker_module.lgb.Dataset

    class Recording(real):
        def __init__(self, X, y, **kwargs):
            seen.setdefault("calls", []).append((np.asarray(X), np.asarray(y), np.asarray(kwargs["group"])))
            super().__init__(X, y, **kwargs)

    monkeypatch.setattr(ranker_module.lgb, "Dataset", Recording)
    ranker = Ranker(tmp_path, min_sessions=10, debias="none")      # one group per clicked session
    feed(ranker, 60)
    report = ranker.train()
    clicked = {sid: s for sid, s in ranker.examples().items() if s[1].max() > 0}
    X, y, group = seen["calls"][0]
    assert group.sum() == len(X) == len(y)
    assert len(group) == report["n_train"]
    # Each group is exactly one clicked session's rows and labels.
    bounds = np.cumsum([0, *group])
    by_rows = {s[0].tobytes(): s[1] for s in clicked.values()}
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        assert X[lo:hi].tobytes() in by_rows
        assert y[lo:hi].tolist() == by_rows[X[lo:hi].tobytes()].tolist()
    if report["adopted"]:
        assert seen["calls"][1][2].sum() == sum(len(s[1]) for s in clicked.values())


def test_contributions_sum_to_the_model_score(trained):
    ranker, _ = trained
    X, _ = make_search(np.random.default_rng(11))
    contrib = ranker.contributions(X)
    assert contrib.shape == (len(X), len(FEATURE_NAMES) + 1)
    np.testing.assert_allclose(contrib.sum(axis=1), ranker.score(X), rtol=1e-6, atol=1e-9)


def test_feature_importances_name_every_feature(trained, tmp_path):
    ranker, _ = trained
    gains = ranker.feature_importances()
    assert list(gains) == FEATURE_NAMES and min(gains.values()) >= 0 and max(gains.values()) > 0
    untrained = Ranker(tmp_path).feature_importances()
    assert untrained["title_exact"] == 1.0 and untrained["age_years"] == 0.0


def test_reset_forgets_everything(tmp_path):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    ranker.train()
    ranker.reset()
    assert not ranker.is_trained and ranker.version == 0 and ranker.n_examples == 0 and ranker.report is None
    assert list(tmp_path.iterdir()) == []
    fresh = Ranker(tmp_path)
    assert not fresh.is_trained and fresh.n_examples == 0


def test_scoring_while_training_in_the_background(tmp_path):
    ranker = Ranker(tmp_path, adopt_z=float("-inf"))      # this test is about threads, not adoption
    feed(ranker, 200)
    X, _ = make_search(np.random.default_rng(8))
    errors: list[BaseException] = []

    def train() -> None:
        try:
            ranker.train()
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=train)
    worker.start()
    n_scored = 0
    while worker.is_alive():
        scores = ranker.score(X)
        assert scores.shape == (len(X),) and np.isfinite(scores).all()
        n_scored += 1
    worker.join()
    assert not errors and n_scored > 0
    assert ranker.is_trained and not np.array_equal(ranker.score(X), heuristic_scores(X))


def test_reset_during_training_discards_the_model(tmp_path, monkeypatch):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    real_fit = Ranker._fit

    def fit_then_reset(self, sessions, bias=None):
        booster = real_fit(self, sessions, bias)
        self.reset()                   # as if the user pressed reset while the background fit ran
        return booster

    monkeypatch.setattr(Ranker, "_fit", fit_then_reset)
    report = ranker.train()
    assert report["reason"] == "reset during training"
    assert not ranker.is_trained and not list(tmp_path.glob("model-*.txt"))


@pytest.mark.parametrize("kwargs", [{"min_sessions": 1}, {"retrain_every": 0}, {"holdout": 1.0}])
def test_bad_settings_are_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        Ranker(tmp_path, **kwargs)


# --- champion / challenger -------------------------------------------------------------

def test_the_holdout_is_the_newest_sessions(tmp_path, monkeypatch):
    fitted = []
    real_fit = Ranker._fit

    def recording_fit(self, sessions, bias=None):
        fitted.append([s[0].tobytes() for s in sessions])
        return real_fit(self, sessions, bias)

    monkeypatch.setattr(Ranker, "_fit", recording_fit)
    ranker = Ranker(tmp_path, min_sessions=10, holdout=0.2)
    feed(ranker, 80)
    report = ranker.train()
    order = [s[0].tobytes() for s in ranker.examples().values() if s[1].max() > 0]
    assert fitted[0] == order[: report["n_train"]]                     # the oldest train the challenger
    assert report["n_holdout"] == len(order) - report["n_train"] > 0


def test_a_challenger_must_beat_the_model_in_use_and_every_decision_is_logged(tmp_path, monkeypatch):
    ranker = Ranker(tmp_path, min_sessions=30)
    feed(ranker, 200)
    first = ranker.train()
    assert first["adopted"] and first["champion"] == "heuristic"
    # No clicked search since v1 was trained: nothing it has not seen to compare on.
    assert "since lightgbm v1 was trained" in ranker.train()["reason"]
    feed(ranker, 100, seed=1, prefix="later")
    real_fit = Ranker._fit

    def fit_on_inverted_clicks(self, sessions, bias=None):     # a challenger that is plainly worse
        return real_fit(self, [(X, 1.0 - y, pos) for X, y, pos in sessions], bias)

    monkeypatch.setattr(Ranker, "_fit", fit_on_inverted_clicks)
    second = ranker.train()
    assert second["champion"] == "lightgbm v1" and not second["adopted"] and ranker.version == 1
    assert second["value_challenger"] < second["value_champion"]
    # Held out: only searches v1 never saw (at most the 100 new ones, of which ~70 were clicked).
    assert 5 <= second["n_holdout"] <= 100
    decisions = ranker.decisions()
    assert [d["adopted"] for d in decisions] == [True, False]
    assert decisions[1]["champion"] == "lightgbm v1" and "does not beat lightgbm v1" in decisions[1]["decision"]
    assert (tmp_path / DECISIONS_FILE).read_text().count("\n") == 2
    assert Ranker(tmp_path).decisions(limit=1) == decisions[-1:]          # survives a restart


def test_positions_round_trip_and_first_format_files_are_upgraded(tmp_path):
    ranker = Ranker(tmp_path)
    X, _ = make_search(np.random.default_rng(0), n=4)
    ranker.add_example("s1", X, np.array([0, 1, 0, 0], np.float32), np.array([2, 1, 3, 0]))
    assert Ranker(tmp_path).example("s1")[2].tolist() == [2, 1, 3, 0]
    # A file of the first format (no positions): read with unknown positions, rewritten.
    old = tmp_path / "old"
    old.mkdir()
    path = old / EXAMPLES_FILE
    write_header(path)
    data = bytearray(path.read_bytes())
    data[:8] = b"LTRREX01"
    import struct
    import zlib
    body = zlib.compress(X.astype("<f4").tobytes() + np.array([1, 0, 0, 0], "<f4").tobytes())
    payload = struct.pack("<HII", 2, 4, X.shape[1]) + b"s0" + body
    path.write_bytes(bytes(data) + struct.pack("<II", len(payload), zlib.crc32(payload)) + payload)
    upgraded = Ranker(old)
    assert upgraded.n_examples == 1 and upgraded.example("s0")[2].tolist() == [0, 0, 0, 0]
    assert path.read_bytes()[:8] == b"LTRREX02"


@pytest.mark.parametrize("positions", [np.array([1, 2]), np.array([1, 2, -1]), np.array([1.5, 2, 3])])
def test_bad_positions_are_refused(tmp_path, positions):
    with pytest.raises(ValueError, match="positions"):
        Ranker(tmp_path).add_example("s", np.zeros((3, len(FEATURE_NAMES))), np.zeros(3), positions)


def test_the_estimated_curve_reaches_training_and_the_report(tmp_path):
    ranker = Ranker(tmp_path)
    feed(ranker, 150)
    bias = prior_bias(eta=0.5)
    ranker.set_position_bias(bias)
    report = ranker.train()
    assert report["eta"] == 0.5 and report["position_bias"] == "prior"
    np.testing.assert_allclose(ranker.position_bias.propensity, pbm_curve(0.5))


def test_a_first_format_file_with_no_records_is_upgraded_before_appending(tmp_path):
    """The upgrade does not depend on there being records: a v1 header followed by v2 records
    would misread every position."""
    path = tmp_path / EXAMPLES_FILE
    write_header(path)
    data = bytearray(path.read_bytes())
    data[:8] = b"LTRREX01"
    path.write_bytes(bytes(data))
    ranker = Ranker(tmp_path)
    assert ranker.n_examples == 0 and path.read_bytes()[:8] == b"LTRREX02"
    X, _ = make_search(np.random.default_rng(1), n=3)
    ranker.add_example("s", X, np.array([0, 1, 0], np.float32), np.array([1, 2, 0]))
    assert Ranker(tmp_path).example("s")[2].tolist() == [1, 2, 0]


def test_loading_reads_records_one_at_a_time_and_keeps_the_latest(tmp_path, monkeypatch):
    """Opening a long examples file never holds it all decoded: each record is parsed when its
    turn comes to be kept (at most ``max_sessions`` are), and the newest ones are kept."""
    writer = Ranker(tmp_path)
    feed(writer, 12)
    ids = list(writer.examples())
    parsed, seen_when_kept = [], []
    parse, remember = examples_file._parse_record, Ranker._remember

    def counting_parse(*args, **kwargs):
        parsed.append(1)
        return parse(*args, **kwargs)

    def watching_remember(self, sid, *rest):
        seen_when_kept.append(len(parsed))
        return remember(self, sid, *rest)

    monkeypatch.setattr(examples_file, "_parse_record", counting_parse)
    monkeypatch.setattr(Ranker, "_remember", watching_remember)
    reader = Ranker(tmp_path, max_sessions=4)
    assert seen_when_kept == list(range(1, 13))        # record i kept right after it was parsed
    assert reader.n_examples == 12 and list(reader.examples()) == ids[-4:]
