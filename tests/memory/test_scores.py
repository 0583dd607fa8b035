"""How the memory scores a pair: the Beta posterior that joins the seed's prediction and the counts,
for one pair and for a query's entities at once."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.memory import NEW_PAIR_PRIOR, QueryMemory, posterior
from ltrr.memory.scores import score_pairs


@pytest.mark.parametrize("impressions, clicks, expected", [
    (0, 0, 0.5), (1, 1, 0.6), (10, 0, 2 / 14), (100, 10, 12 / 104),
])
def test_posterior_worked_example(impressions, clicks, expected):
    assert posterior(0.5, impressions, clicks, strength=4) == pytest.approx(expected)


def test_observed_replaces_predicted_as_evidence_accumulates():
    # Predicted 0.6, but users click 1 in 10: the score walks from 0.6 to 0.1.
    scores = [posterior(0.6, n, n // 10) for n in (0, 10, 100, 1000, 10_000)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(0.6)
    assert scores[-1] == pytest.approx(0.1, abs=0.001)


def test_clicks_never_exceed_impressions_in_the_posterior():
    assert posterior(0.05, 0, 3) == posterior(0.05, 3, 3)


def test_pair_scores_match_the_memory_arm(seed, tiny_catalog):
    from ltrr.query import Query
    from ltrr.strategies.memory import MemoryStrategy

    memory = QueryMemory(seed=seed)
    memory.record_impressions("love", ["track:lovestory", "track:halo", "track:kill"])
    memory.record_click("love", "track:halo")
    arm = MemoryStrategy(tiny_catalog, seed, memory)
    ids = ["track:lovestory", "track:halo", "track:kill", "artist:taylor"]
    rows = np.array([tiny_catalog.entities.row_of[e] for e in ids])
    np.testing.assert_allclose(memory.pair_scores("love", ids), arm.score(Query.make("love"), rows))


def test_each_entity_scores_its_pair_and_zero_without_one():
    scores = score_pairs(["track:seeded", "track:clicked", "track:taught", "track:shown"],
                         {"track:clicked": (2.0, 1), "track:shown": (3.0, 0)}, {"track:taught": 2.0},
                         {"track:seeded": 0.5}, strength=4.0)
    expected = [posterior(0.5, 0, 0), posterior(NEW_PAIR_PRIOR, 2, 1), posterior(NEW_PAIR_PRIOR, 2, 2), 0.0]
    np.testing.assert_allclose(scores, expected, atol=1e-6)
