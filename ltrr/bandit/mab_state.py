"""The mabwiser policies' learned state as plain arrays, and back, checked (never pickle).

mabwiser (2.7) has no way to save a bandit other than pickling its objects, so
this module reads and writes the attributes that define the bandit's future
predictions and ``partial_fit`` updates, per implementation (``MAB._imp``):

* ``_Linear`` (LinUCB, LinTS): ``num_features`` and, per arm, the ridge
  regression's ``A`` (``X'X + l2_lambda I``), ``A_inv``, ``Xty`` and ``beta``,
  stacked in arm order (``(arms, d, d)`` and ``(arms, d)``). ``alpha`` and
  ``l2_lambda`` come from the policy spec; the policies are built without
  ``scale``, so there is no ``StandardScaler`` to save.
* ``_ThompsonSampling``: ``arm_to_success_count`` and ``arm_to_fail_count``
  (the Beta posterior). Its ``arm_to_expectation`` only holds the last sample
  drawn, which no later prediction reads.
* ``_EpsilonGreedy``: ``arm_to_sum``, ``arm_to_count`` and
  ``arm_to_expectation`` (the mean the greedy choice reads).

plus, for every policy, ``MAB._is_initial_fit`` (the first ``partial_fit`` is a
``fit``, which reinitialises every model) and each arm's ``is_trained`` status.

The random stream is not saved: :func:`mab_from_state` builds a new ``MAB``
whose generator starts from the seed. Learning never draws from it (``fit`` and
``partial_fit`` only add sufficient statistics), so that is the generator a
replay of the same history leaves behind. Its position would not show anyway:
:class:`~ltrr.bandit.mab_policy.MabPolicy` reseeds it from (seed, events,
contexts) before every stochastic prediction, and LinUCB's only draw (an
epsilon coin, epsilon 0) decides nothing.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ltrr.bandit.policy import PolicySpec

_LINEAR = ("A", "A_inv", "Xty", "beta")


def mab_to_state(mab, spec: PolicySpec, arms: Sequence[str]) -> dict:
    """``mab`` (a ``mabwiser.mab.MAB`` over ``arms`` built for ``spec``) as JSON-ready values and arrays."""
    from mabwiser.base_mab import IS_TRAINED

    imp = mab._imp
    state: dict = {"fitted": bool(mab._is_initial_fit),
                   "trained": [bool(imp.arm_to_status[a][IS_TRAINED]) for a in arms]}
    if spec.name in ("linucb", "lints"):
        if imp.scale:     # a scaler's running statistics would be lost; PolicySpec never asks for one
            raise ValueError(f"policy {spec}: a scaled linear bandit's state cannot be saved")
        state["num_features"] = imp.num_features
        if imp.num_features is not None:
            models = [imp.arm_to_model[a] for a in arms]
            state.update({name: np.stack([np.asarray(getattr(m, name), dtype=np.float64) for m in models])
                          for name in _LINEAR})
    elif spec.name == "thompson":
        state["success"] = np.array([imp.arm_to_success_count[a] for a in arms], dtype=np.float64)
        state["fail"] = np.array([imp.arm_to_fail_count[a] for a in arms], dtype=np.float64)
    elif spec.name == "epsilon":
        state["sum"] = np.array([imp.arm_to_sum[a] for a in arms], dtype=np.float64)
        state["count"] = np.array([imp.arm_to_count[a] for a in arms], dtype=np.int64)
        state["expectation"] = np.array([imp.arm_to_expectation[a] for a in arms], dtype=np.float64)
    else:
        raise ValueError(f"policy {spec} is not learnt by mabwiser")
    return state


def mab_from_state(state: object, spec: PolicySpec, arms: Sequence[str], seed: int, n_features: int | None,
                   is_fitted: bool):
    """A new ``MAB`` for ``spec`` over ``arms`` holding what :func:`mab_to_state` saved.

    ``n_features`` and ``is_fitted`` are what the selector's own saved counters say:
    the context width it learned from (None before any update) and whether it
    learned anything. ValueError when the state is malformed or disagrees with
    them; nothing is half-applied, since the caller swaps the returned bandit in.
    """
    from mabwiser.base_mab import IS_TRAINED
    from mabwiser.mab import MAB

    if not isinstance(state, Mapping):
        raise ValueError("selector state has no mabwiser model")
    try:
        fitted = _flag(state["fitted"])
        trained = [_flag(v) for v in state["trained"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed mabwiser state: {exc}") from None
    if len(trained) != len(arms) or (any(trained) and not fitted):
        raise ValueError("malformed mabwiser state: trained arms disagree with the arms or the fit")
    if fitted != is_fitted:
        raise ValueError("malformed mabwiser state: it and the selector disagree on whether anything was learned")
    mab = MAB(list(arms), spec.to_mabwiser(), seed=seed)
    imp = mab._imp
    if spec.name in ("linucb", "lints"):
        _load_linear(imp, state, arms, fitted, n_features)
    elif spec.name == "thompson":
        success, fail = _vector(state, "success", len(arms)), _vector(state, "fail", len(arms))
        # Beta(success, fail) needs both above 0; the prior is Beta(1, 1), counts only grow.
        if (success < 1).any() or (fail < 1).any():
            raise ValueError("malformed mabwiser state: Beta counts below the prior's 1")
        imp.arm_to_success_count = dict(zip(arms, success.tolist()))
        imp.arm_to_fail_count = dict(zip(arms, fail.tolist()))
    elif spec.name == "epsilon":
        sums, means = _vector(state, "sum", len(arms)), _vector(state, "expectation", len(arms))
        counts = _vector(state, "count", len(arms))
        if (counts < 0).any() or (counts != np.round(counts)).any():
            raise ValueError("malformed mabwiser state: arm counts must be whole numbers, 0 or more")
        imp.arm_to_sum = dict(zip(arms, sums.tolist()))
        imp.arm_to_count = dict(zip(arms, (int(c) for c in counts)))
        imp.arm_to_expectation = dict(zip(arms, means.tolist()))
    else:
        raise ValueError(f"policy {spec} is not learnt by mabwiser")
    for arm, is_trained in zip(arms, trained):
        imp.arm_to_status[arm][IS_TRAINED] = is_trained
    mab._is_initial_fit = fitted
    return mab


def _load_linear(imp, state: Mapping, arms: Sequence[str], fitted: bool, n_features: int | None) -> None:
    """Each arm's ridge regression from the stacked arrays (a new ``_Linear``: the models are fresh)."""
    width = state.get("num_features")
    if width is None:
        if fitted:
            raise ValueError("malformed mabwiser state: a fitted linear bandit without its context width")
        return
    if isinstance(width, bool) or not isinstance(width, int) or width != n_features or not fitted:
        raise ValueError(f"malformed mabwiser state: context width {width!r} where the selector "
                         f"learned from {n_features!r}")
    try:
        arrays = {name: np.asarray(state[name], dtype=np.float64) for name in _LINEAR}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed mabwiser state: {exc}") from None
    n_arms = len(arms)
    shapes = {"A": (n_arms, width, width), "A_inv": (n_arms, width, width),
              "Xty": (n_arms, width), "beta": (n_arms, width)}
    if any(arrays[n].shape != shapes[n] or not np.isfinite(arrays[n]).all() for n in _LINEAR):
        raise ValueError("malformed mabwiser state: ridge regression arrays of the wrong shape or not finite")
    imp.num_features = width
    for i, arm in enumerate(arms):
        model = imp.arm_to_model[arm]
        model.init(num_features=width)           # what fit() does first: the scaler (none) and the layout
        for name in _LINEAR:
            # Copies, so that no two models (nor the caller's state) share one buffer.
            setattr(model, name, arrays[name][i].copy())


def _vector(state: Mapping, name: str, n_arms: int) -> np.ndarray:
    """``state[name]`` as finite float64 values, one per arm; ValueError otherwise."""
    try:
        values = np.asarray(state[name], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed mabwiser state: {exc}") from None
    if values.shape != (n_arms,) or not np.isfinite(values).all():
        raise ValueError(f"malformed mabwiser state: {name} must hold one finite number per arm")
    return values


def _flag(value: object) -> bool:
    """A saved boolean (JSON true/false, or a numpy bool read back from an array)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"expected true or false, got {value!r}")
    return bool(value)
