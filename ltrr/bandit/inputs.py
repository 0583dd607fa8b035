"""What callers hand the selector, checked before it changes anything: a context vector,
one search's rewards and the arms available for a search.

Each check returns the input in the form the selector computes with, or raises
``ValueError`` saying what would be valid.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def check_context(x: object, width: int | None) -> np.ndarray:
    """A 1-D finite float64 copy of `x`, `width` long when that is known."""
    try:
        arr = np.array(x, dtype=np.float64) if np.ndim(x) == 1 else None
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.size == 0:
        raise ValueError("a context must be a non-empty 1-D sequence of numbers "
                         "(see ltrr.bandit.context.context_vector)")
    if not np.isfinite(arr).all():
        raise ValueError("a context must hold finite numbers only (no NaN or infinity)")
    if width is not None and arr.size != width:
        raise ValueError(f"context has {arr.size} features but the selector learned from {width}")
    return arr


def check_rewards(rewards: object, arm_index: Mapping[str, int]) -> list[tuple[int, float]]:
    """[(arm index, reward)] in arm order, validated; `arm_index` maps each arm, in arm order, to its index."""
    if not isinstance(rewards, Mapping):
        raise ValueError(f"rewards must map arm names to numbers, got {type(rewards).__name__}")
    out = []
    for arm, value in rewards.items():
        if arm not in arm_index:
            raise ValueError(f"reward for unknown arm {arm!r}; arms: {', '.join(arm_index)}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"reward for arm {arm!r} must be a number in [0, 1], got {value!r}")
        out.append((arm_index[arm], float(value)))
    return sorted(out)


def available_mask(available: Sequence[str] | None, arm_index: Mapping[str, int]) -> np.ndarray:
    """True per available arm, in arm order (every arm when `available` is None);
    `arm_index` maps each arm, in arm order, to its index."""
    if available is None:
        return np.ones(len(arm_index), dtype=bool)
    if isinstance(available, str):
        raise ValueError("available must be a sequence of arm names, not one string")
    unknown = [a for a in available if a not in arm_index]
    if unknown:
        raise ValueError(f"unknown arm(s) in available: {', '.join(map(str, unknown))}; "
                         f"arms: {', '.join(arm_index)}")
    mask = np.zeros(len(arm_index), dtype=bool)
    mask[[arm_index[a] for a in available]] = True
    return mask
