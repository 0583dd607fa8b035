"""The mabwiser policies (LinUCB, LinTS, Thompson, epsilon-greedy): arms and budgets from one
``mabwiser.mab.MAB`` whose arms are the strategy names.

Per search, for context ``x``:

1. **Expectations.** mabwiser's ``predict_expectations`` gives each arm's
   expected reward ``u_a`` (LinUCB: the upper confidence bound). For the
   stochastic policies (LinTS, Thompson, epsilon-greedy) each call is a random
   draw, so the policy takes ``n_samples`` draws and averages.
2. **Inclusion probabilities.** Per draw, ``p_a = floor + (1 - floor) *
   (u_a / max u) ** gamma`` over the available arms, with negative ``u``
   counted as 0 and ``p = 1`` for every arm when no arm expects anything.
   The best arm of a draw gets ``p = 1``. Probabilities are averaged over the
   draws and divided by their maximum, so the best arm on average is always
   pulled. Worked example (floor 0.1, gamma 2): ``u = (0.8, 0.4, 0.0)`` gives
   ``p = (1.0, 0.325, 0.1)``.
3. **Draws.** Each available arm is included independently with probability
   ``p_a``, drawn from the selector's own seeded ``np.random.Generator``. The
   logged ``propensity`` is exactly the ``p_a`` used, so logs support
   off-policy evaluation.
4. **Budgets.** An included arm asks for ``min_budget + (arm_budget -
   min_budget) * u_a / max u`` candidates (rounded): the arm expected to pay
   off most gets the full ``arm_budget``, an arm expected to pay nothing the
   ``min_budget`` floor. The cost of a search (candidates retrieved) thus
   falls as the bandit learns which arms are worth running. Worked example
   (min 5, arm_budget 20): ``u = (0.8, 0.4, 0.0)`` gives budgets
   ``(20, 13, 5)`` (7.5 extra rounds half to even, to 8).

Cold start: mabwiser cannot predict before a first fit, so until the first
update every arm has the neutral prior expectation 0.5 (the mean of a
Beta(1, 1)) and inclusion probability 1: a new bandit behaves like ``all``.

Random draws that feed probabilities (the posterior samples in step 1) are
seeded from ``(seed, number of events, x)``, so propensities and expectations
are a pure function of the learned state and ``x``: the same after a replay,
and the same in the selector's ``report(x)`` as in its ``select(x)``.

The selector (:class:`~ltrr.bandit.selector.ArmSelector`) keeps the counts every
policy shares (events learned, whether anything was), validates the inputs and
holds the lock; a :class:`MabPolicy` holds the ``MAB`` and the settings above.
"""
from __future__ import annotations

import copy
import hashlib
from typing import Sequence

import numpy as np

from ltrr.bandit.mab_state import mab_from_state, mab_to_state
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.selection import Selection

PRIOR_EXPECTATION = 0.5
_TINY = 1e-12


class MabPolicy:
    """One mabwiser policy's learned ``MAB`` and how it turns expectations into arms and budgets.

    Not thread-safe on its own: the selector calls it under its lock.
    """

    def __init__(self, spec: PolicySpec, arms: Sequence[str], seed: int, arm_budget: int, min_budget: int,
                 floor: float, gamma: float, n_samples: int) -> None:
        # Imported late: mabwiser is slow to import and only these policies need it.
        from mabwiser.mab import MAB

        self.spec = spec
        self.arms = tuple(arms)
        self.seed = seed
        self.arm_budget = arm_budget
        self.min_budget = min_budget
        self.floor = floor
        self.gamma = gamma
        self.n_samples = n_samples
        self.mab = MAB(list(self.arms), spec.to_mabwiser(), seed=seed)

    # -- state ------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """The ``MAB``'s learned state as JSON-ready values and arrays (:func:`~ltrr.bandit.mab_state.mab_to_state`)."""
        return mab_to_state(self.mab, self.spec, self.arms)

    def restored(self, state: object, n_features: int | None, is_fitted: bool) -> MabPolicy:
        """A copy of this policy holding what :meth:`state_dict` saved, its generator at the seed.

        ``n_features`` and ``is_fitted`` are the selector's own saved counters; ValueError
        when ``state`` is malformed or disagrees with them. This policy is left unchanged,
        so the caller swaps the copy in only once everything else is checked too.
        """
        twin = copy.copy(self)
        twin.mab = mab_from_state(state, self.spec, self.arms, self.seed, n_features, is_fitted)
        return twin

    # -- learning ---------------------------------------------------------------------

    def learn(self, xs: Sequence[np.ndarray], rows: Sequence[tuple[int, int, float]]) -> None:
        """Feed rewards to mabwiser: ``rows`` holds (index into ``xs``, arm index, reward) per reward."""
        decisions = [self.arms[arm] for _, arm, _ in rows]
        values = np.array([r for _, _, r in rows], dtype=np.float64)
        if self.spec.name == "thompson":
            values = (values >= 0.5).astype(np.float64)   # Beta-Bernoulli needs 0/1 rewards
        if self.mab.is_contextual:
            contexts = np.stack(xs)[[i for i, _, _ in rows]]
            self.mab.partial_fit(decisions, values, contexts)
        else:
            self.mab.partial_fit(decisions, values)

    # -- deciding ---------------------------------------------------------------------

    def select(self, x: np.ndarray, mask: np.ndarray, rng: np.random.Generator, is_fitted: bool,
               n_events: int) -> Selection:
        """Arms and budgets at context `x` over the available arms (`mask`), included by draws from `rng`
        (steps 1 to 4); `is_fitted` and `n_events` are the selector's counters."""
        expectations, propensities = self._estimate(x[None, :], mask, is_fitted, n_events)
        expectations, propensities = expectations[0], propensities[0]
        # Always draw one number per arm so the stream does not depend on availability.
        draws = rng.random(len(self.arms))
        chosen = mask & (draws < propensities)
        budgets = self._split(chosen, np.clip(expectations, 0.0, None))
        return Selection.from_arrays(str(self.spec), self.arms, chosen, budgets, propensities, expectations)

    def report(self, contexts: np.ndarray | None, mask: np.ndarray, is_fitted: bool,
               n_events: int) -> tuple[np.ndarray, np.ndarray]:
        """Per arm, expectation and inclusion probability averaged over `contexts` (the prior when None)."""
        if contexts is None:
            return np.full(len(self.arms), PRIOR_EXPECTATION), np.ones(len(self.arms))
        # Averaging over many contexts already averages over the draws: one each is enough.
        e, p = self._estimate(contexts, mask, is_fitted, n_events, n_samples=1 if len(contexts) > 1 else None)
        return e.mean(axis=0), p.mean(axis=0)

    def _estimate(self, contexts: np.ndarray, mask: np.ndarray, is_fitted: bool, n_events: int,
                 n_samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Expectations and inclusion probabilities, shape (contexts, arms) each (steps 1 and 2)."""
        n, k, n_arms = len(contexts), n_samples or self.n_samples, len(self.arms)
        if not is_fitted:
            return np.full((n, n_arms), PRIOR_EXPECTATION), np.tile(mask.astype(np.float64), (n, 1))
        rows = np.repeat(contexts, k, axis=0) if k > 1 else contexts
        if self.spec.is_stochastic:
            self._reseed(contexts, n_events)
        raw = self.mab.predict_expectations(rows)
        if isinstance(raw, dict):
            raw = [raw]
        u = np.array([[row[a] for a in self.arms] for row in raw], dtype=np.float64).reshape(n, k, n_arms)
        u = np.nan_to_num(u, nan=0.0, posinf=1e6, neginf=-1e6)
        p = self._inclusion(u, mask).mean(axis=1)
        top = p.max(axis=1, keepdims=True)
        p = np.divide(p, top, out=np.zeros_like(p), where=top > 0)
        return u.mean(axis=1), p

    def _inclusion(self, u: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """p = floor + (1 - floor) * (u / max u) ** gamma over the available arms (last axis)."""
        v = np.where(mask, np.clip(u, 0.0, None), 0.0)
        top = v.max(axis=-1, keepdims=True)
        ratio = np.divide(v, top, out=np.ones_like(v), where=top > _TINY)
        p = self.floor + (1.0 - self.floor) * ratio ** self.gamma
        return np.where(mask, p, 0.0)

    def _reseed(self, contexts: np.ndarray, n_events: int) -> None:
        """Seed mabwiser's sampling from (seed, events learned, contexts): see the module docstring."""
        digest = hashlib.blake2b(digest_size=8)
        digest.update(np.array([self.seed, n_events], dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(contexts, dtype=np.float64).tobytes())
        # mabwiser (2.7) has no public way to reseed. MAB._rng is the _NumpyRNG its policy
        # samples from (.rng is the numpy Generator); linear policies hand it to one model per
        # arm, but deep-copy each model (rng included) when fitting it, so point them back.
        shared = self.mab._rng
        shared.rng = np.random.default_rng(int.from_bytes(digest.digest(), "big"))
        for model in getattr(self.mab._imp, "arm_to_model", {}).values():
            model.rng = shared

    def _split(self, chosen: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Per chosen arm: min_budget plus (arm_budget - min_budget) scaled by weight / max weight (step 4)."""
        budgets = np.zeros(len(self.arms), dtype=np.int64)
        idx = np.flatnonzero(chosen)
        if idx.size == 0:
            return budgets
        w = np.clip(weights[idx], 0.0, None)
        top = w.max()
        ratio = w / top if top > _TINY else np.ones(idx.size)
        budgets[idx] = self.min_budget + np.rint((self.arm_budget - self.min_budget) * ratio).astype(np.int64)
        return budgets
