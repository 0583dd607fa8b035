"""From logged clicks to LambdaMART training groups, with position bias corrected.

A logged session is the rows of one search's shown results (plus a clicked
row that was not in the list), the click labels, and each row's display
position (1-based; 0 when it was not in the shown list). How a session is
turned into training groups is the ``debias`` mode:

``"none"``
    The naive reading: clicked = 1, every other shown row = 0, one group per
    session. Rows the user never looked at become negatives, so the model
    learns to put first what was already first.
``"ips"`` (default)
    Inverse propensity scoring, as in Propensity SVM-Rank (Joachims,
    Swaminathan & Schnabel, "Unbiased Learning-to-Rank with Biased
    Feedback", WSDM 2017). Each click makes one group: the clicked row
    (label 1) and the session's unclicked rows (label 0), weighted
    ``1 / p(position of the click)``. Summed over groups this is an
    unbiased estimate of the loss on the relevant items, whichever ranking
    showed them: a click collected at rank 8, where few users look, stands
    for the many relevant rank-8 items nobody saw.
``"ips_cascade"``
    As ``"ips"`` but negatives are read as a cascade (skip-above, Joachims,
    "Optimizing Search Engines using Clickthrough Data", KDD 2002): only rows
    shown above the click were examined for sure, so rows below the last
    click are dropped instead of counted as negatives. Measured, it is a
    trap (``benchmarks/ranking_debias.py``: NDCG@10 0.07 against 0.82 for
    ``"ips"``): every pair puts a lower-shown item above higher-shown ones,
    so the model learns to reverse the logging ranking - the presentation
    bias Joachims (2002) warns about. Kept for the comparison; not a default.
``"lightgbm"``
    One group per session (clicked 1, shown 0) with the display positions
    given to LightGBM, whose lambdarank then learns a position-bias factor
    per position jointly with the model (``Dataset(position=...)`` and
    ``lambdarank_position_bias_regularization``, LightGBM >= 4.1; after
    Hu et al., "Unbiased LambdaMART", WWW 2019).

Weights are normalised to mean 1 over groups; every row of a group carries
the group's weight, so LightGBM reads the same weight whether it weights
rows or queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ltrr.rank.features import FEATURE_NAMES

DEBIAS_MODES = ("none", "ips", "ips_cascade", "lightgbm")
MAX_LABEL = 30            # LightGBM lambdarank's default label_gain has 31 levels

Session = tuple[np.ndarray, np.ndarray, np.ndarray]          # X, labels, positions
Propensity = Callable[[int | None], float]


@dataclass(frozen=True)
class TrainingSet:
    """Rows back to back with LightGBM groups, row weights and positions, aligned."""

    X: np.ndarray             # (n, n_features) float32
    y: np.ndarray             # (n,) int32 relevance grades
    group: np.ndarray         # (g,) int32 row counts, sum == n
    weight: np.ndarray | None  # (n,) float64, constant within a group; None when unweighted
    position: np.ndarray | None  # (n,) int32 display positions for "lightgbm", else None


def training_set(sessions: Sequence[Session], propensity: Propensity, debias: str = "ips") -> TrainingSet:
    """The groups `debias` makes of `sessions` (see the module docstring); sessions without a click add nothing."""
    if debias not in DEBIAS_MODES:
        raise ValueError(f"unknown debias mode {debias!r}; choose one of {', '.join(DEBIAS_MODES)}")
    xs, ys, groups, weights, positions = [], [], [], [], []
    for X, labels, pos in sessions:
        labels = np.clip(np.rint(np.asarray(labels, dtype=np.float64)), 0, MAX_LABEL)
        pos = np.asarray(pos, dtype=np.int64)
        clicked = np.flatnonzero(labels > 0)
        if not len(clicked):
            continue
        if debias in ("none", "lightgbm"):
            xs.append(X)
            ys.append(labels)
            groups.append(len(labels))
            weights.append(1.0)
            positions.append(pos)
            continue
        unclicked = labels <= 0
        if debias == "ips_cascade":
            shown_clicks = pos[clicked][pos[clicked] > 0]
            last = int(shown_clicks.max()) if len(shown_clicks) else 0
            # Unclicked rows below the last click (or never shown) were not surely examined.
            unclicked &= (pos > 0) & (pos < last)
        negatives = np.flatnonzero(unclicked)
        for row in clicked:
            rows = np.concatenate([[row], negatives])
            xs.append(X[rows])
            ys.append(np.concatenate([[labels[row]], np.zeros(len(negatives))]))
            groups.append(len(rows))
            weights.append(1.0 / propensity(int(pos[row]) or None))
            positions.append(pos[rows])
    if not groups:
        empty = np.zeros(0, np.int32)
        return TrainingSet(np.zeros((0, len(FEATURE_NAMES)), np.float32), empty, empty, None, None)
    group = np.asarray(groups, dtype=np.int32)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.mean()
    return TrainingSet(
        X=np.vstack(xs).astype(np.float32),
        y=np.concatenate(ys).astype(np.int32),
        group=group,
        weight=None if debias in ("none", "lightgbm") else np.repeat(w, group),
        position=np.concatenate(positions).astype(np.int32) if debias == "lightgbm" else None,
    )


def stack_sessions(sessions: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of every session back to back, integer labels and LightGBM group sizes, aligned.

    Rows of one search stay contiguous and ``group[i]`` is the row count of the
    i-th session, which is exactly how LightGBM's ranking objectives read groups.
    """
    if not sessions:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
    X = np.vstack([x for x, _ in sessions]).astype(np.float32)
    y = np.concatenate([np.clip(np.rint(lab), 0, MAX_LABEL) for _, lab in sessions]).astype(np.int32)
    group = np.array([len(lab) for _, lab in sessions], dtype=np.int32)
    return X, y, group
