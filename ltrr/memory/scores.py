"""How the memory scores a (query, entity) pair.

The seed's prediction and the learned counts meet in :func:`posterior`: a Beta
prior seeded by the prediction and updated with what users did. Worked example, strength 4, predicted 0.5
(alpha0 = 2, beta0 = 2):

    impressions  clicks   posterior mean
    0            0        0.50               (prediction only)
    1            1        0.60               (3 / 5)
    10           0        0.14               (2 / 14)
    100          10       0.12               (12 / 104: the observed 0.10 dominates)

**Impressions are expected examinations** (clicks over expected clicks, the
COEC idea of Zhang & Jones, "Comparing click logs and editorial labels for
training query rewriting", WWW 2007 workshop; Chapelle & Zhang, "A dynamic
Bayesian network click model for web search ranking", WWW 2009): being shown
at rank ``r`` counts ``examination(r)`` impressions, not 1, with the
position-based curve ``1 / r`` by default (:data:`EXAMINATION_ETA`). An item
shown at rank 9 a hundred times was looked at about 11 times; counting 100
would bury it without it ever being seen.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

PRIOR_STRENGTH = 4.0
# The prior of a pair no metadata predicted: it exists because someone clicked it.
NEW_PAIR_PRIOR = 0.05
# Impressions are weighted by the examination probability rank ** -EXAMINATION_ETA (1/rank).
EXAMINATION_ETA = 1.0


def posterior(predicted: float, impressions: float, clicks: float, strength: float = PRIOR_STRENGTH) -> float:
    """Posterior mean of Beta(strength * predicted, strength * (1 - predicted)) after the counts.

    ``impressions`` may be fractional (expected examinations); it is never taken below ``clicks``.
    """
    p = min(max(float(predicted), 0.0), 1.0)
    clicks = max(float(clicks), 0.0)
    impressions = max(float(impressions), clicks)
    return (strength * p + clicks) / (strength + impressions)


def pair_score(predicted: float | None, impressions: float, clicks: float, reformulations: float = 0.0,
               strength: float = PRIOR_STRENGTH) -> float | None:
    """The memory's score of one pair (rounded to 6 places), or None when there is no pair.

    A pair exists when the seed predicted it (``predicted`` not None), or a click or reformulation
    created it (then its prior is :data:`NEW_PAIR_PRIOR`). ``reformulations`` are pseudo-clicks
    (:meth:`ltrr.memory.learned.QueryMemory.pseudo_clicks`), each with an impression: evidence like a click's, that
    shown and ignored impressions still wear down."""
    if predicted is None:
        if clicks <= 0 and reformulations <= 0:
            return None
        predicted = NEW_PAIR_PRIOR
    return round(posterior(predicted, impressions + reformulations, clicks + reformulations, strength), 6)


def score_pairs(entity_ids: Sequence[str], observed: Mapping[str, tuple[float, int]],
                reformulations: Mapping[str, float], predictions: Mapping[str, float],
                strength: float = PRIOR_STRENGTH) -> np.ndarray:
    """:func:`pair_score` of each entity of one query, 0 where there is no pair, from the query's
    ``observed`` counts (entity_id -> (expected examinations, clicks)), its ``reformulations``
    pseudo-clicks and the seed's ``predictions``, each keyed by entity_id (absent: none)."""
    out = np.zeros(len(entity_ids))
    for i, entity_id in enumerate(entity_ids):
        impressions, clicks = observed.get(entity_id, (0.0, 0))
        score = pair_score(predictions.get(entity_id), impressions, clicks, reformulations.get(entity_id, 0.0),
                           strength)
        if score is not None:
            out[i] = score
    return out


def examination(rank: int, eta: float = EXAMINATION_ETA) -> float:
    """Probability that a result at 1-based ``rank`` is looked at, ``rank ** -eta``."""
    return 1.0 / max(1, int(rank)) ** float(eta)

