"""How the memory scores a pair: the Beta posterior that joins the seed's prediction and the counts."""
from __future__ import annotations

import pytest

from ltrr.memory import posterior


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
