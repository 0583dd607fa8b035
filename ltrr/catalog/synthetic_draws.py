"""The random draws every step of the synthetic catalog makes.

Each step (artists, albums, a chunk of tracks, playlists, podcasts) gets its
own generator from :func:`step_rng`, so a step's draws do not depend on how
many draws the steps before it made: a change to one step leaves the others'
output as it was.
"""
from __future__ import annotations

import numpy as np


def step_rng(seed: int, *step: int) -> np.random.Generator:
    """The generator for one step of the catalog built with `seed` (``step`` names it, e.g. ``3, chunk``)."""
    return np.random.default_rng([seed, *step])


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Probabilities for `n` ranked items, falling as ``1 / rank ** exponent``; they sum to 1."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def pick(rng: np.random.Generator, words: tuple[str, ...], n: int, exponent: float = 0.0) -> np.ndarray:
    """`n` words drawn with replacement; Zipf-weighted by list order when `exponent` > 0."""
    p = zipf_weights(len(words), exponent) if exponent else None
    return np.asarray(words, dtype=object)[rng.choice(len(words), size=n, p=p)]


def choice(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of `options`, uniformly, from a single ``rng.integers`` draw."""
    return options[int(rng.integers(0, len(options)))]
