"""The hand-written ranking used until enough clicked searches exist to train a model.

It is linear in the features, so it can always explain itself: a candidate's
score is the sum of per-feature contributions ``coefficient x value``.

    score = sum over arms a of  w_a * rr_a          weighted reciprocal-rank fusion
          + 1.00 * title_exact                      the query is exactly the title
          + 0.20 * title_prefix                     the query starts the title
          + 0.20 * title_token_set                  fuzzy title match, 0..1
          + 0.50 * type_agreement                   QU thinks this type was asked for, 0..1
          + 0.30 * artist_match                     +1 the asked-for artist, -1 another artist
          + 0.10 * (genre_match + mood_match + era_match)     each +1 / 0 / -1
          + 0.10 * popularity                       a small prior, 0..1
          + 1.00 * memory_reformulations            others who failed with this exact ask found it
                                                    next, 0..1 (3 users: 0.6; see ltrr.memory.reformulation)
          + 0.30 * user_genre                       the user's lean to this genre, from their clicks

    w_a = max(FLOOR, reward_a / max reward)  when arm weights (the bandit's expected
          reward per arm) are given, FLOOR = 0.1; otherwise w_a = 1 for every arm;
          an arm whose order is a random sample (discover) is capped at 0.25.

Worked example, no arm weights: a candidate ranked 1st by lexical and 1st by
fuzzy gets 1 + 1 = 2 from fusion; one ranked 5th by lexical alone gets 0.2, so
only an exact title match (+1) and strong agreement could close that gap.
Fusion uses 1/rank (RRF with k = 0) rather than the usual 1/(60 + rank):
pools here are a few dozen long, and k = 60 would flatten rank 1 vs rank 5
into 0.016 vs 0.015, letting the priors decide everything.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from ltrr.rank.features import ARMS, COLUMN, FEATURE_NAMES

ARM_WEIGHT_FLOOR = 0.1
# An arm whose order is a random draw (discover: a diverse sample for vague asks) says little
# about relevance by its ranks: its first item must not count as much as lexical's first hit,
# or a search that runs it (``all``, exploration) buries precise answers under the sample.
ARM_WEIGHT_CAP: dict[str, float] = {"discover": 0.25}

# Coefficients of the non-arm features; every other feature has coefficient 0.
PRIORS: dict[str, float] = {
    "title_exact": 1.0,
    "title_prefix": 0.2,
    "title_token_set": 0.2,
    "type_agreement": 0.5,
    "artist_match": 0.3,
    "genre_match": 0.1,
    "mood_match": 0.1,
    "era_match": 0.1,
    "popularity": 0.1,
    # As strong as a first rank in one arm: three users agreeing (0.6) lift a vague ask's answer into
    # the first page, and several meanings (each with its own users) can share it.
    "memory_reformulations": 1.0,
    # A tie-break among near equals: a leaning user (0.5-0.8 after a dozen clicks) moves an item of
    # their genre a few places up a long list of partial matches ("love"); at most 0.3, it never
    # outweighs a first rank in an arm at full weight (1.0), though it can one in a down-weighted arm.
    "user_genre": 0.3,
}


def arm_weight_map(arm_weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The fusion weight of every registered arm (see the module docstring).

    Weights are relative to the best arm, so the bandit's reward scale does not
    matter; unknown arm names are ignored; missing, negative or non-finite
    rewards count as 0 and so get the floor.
    """
    rewards = {arm: _non_negative((arm_weights or {}).get(arm, 0.0)) for arm in ARMS}
    top = max(rewards.values(), default=0.0)
    # No usable reward at all: every arm counts the same.
    weights = {arm: max(ARM_WEIGHT_FLOOR, r / top) if top > 0 else 1.0 for arm, r in rewards.items()}
    return {arm: min(ARM_WEIGHT_CAP.get(arm, 1.0), w) for arm, w in weights.items()}


def heuristic_weights(arm_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """The coefficient of every feature, aligned with FEATURE_NAMES (float64)."""
    coef = np.zeros(len(FEATURE_NAMES), dtype=np.float64)
    for arm, weight in arm_weight_map(arm_weights).items():
        coef[COLUMN[f"rr_{arm}"]] = weight
    for name, weight in PRIORS.items():
        coef[COLUMN[name]] = weight
    return coef


def heuristic_contributions(X: np.ndarray, arm_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Per-feature contributions, shape (n, n_features + 1); the last column (bias) is 0.

    Rows sum to :func:`heuristic_scores`, the same layout as LightGBM's ``pred_contrib``.
    """
    X = check_features(X)
    out = np.zeros((X.shape[0], X.shape[1] + 1), dtype=np.float64)
    out[:, :-1] = X * heuristic_weights(arm_weights)
    return out


def heuristic_scores(X: np.ndarray, arm_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """The heuristic score of every row of X (higher is better), float64, shape (n,)."""
    X = check_features(X)
    return X @ heuristic_weights(arm_weights)


def check_features(X: np.ndarray) -> np.ndarray:
    """X as a float64 (n, len(FEATURE_NAMES)) array, or a ValueError naming what is wrong."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"features must have shape (n, {len(FEATURE_NAMES)}) in FEATURE_NAMES order; got {X.shape}"
        )
    return X


def _non_negative(value: object) -> float:
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0
