"""Position bias: randomised adjacent swaps, and the examination curve estimated from them.

Clicks are position-biased: under the position-based model (PBM) a result at
rank ``i`` is clicked with probability ``p_i * r(d)``, ``p_i`` the chance the
user examines rank ``i`` and ``r(d)`` the chance they click ``d`` once seen.
Learning from clicks without correcting for ``p_i`` teaches a ranker to copy
whatever ranking collected the clicks (Joachims, Swaminathan & Schnabel,
"Unbiased Learning-to-Rank with Biased Feedback", WSDM 2017).

**The intervention.** A small share of searches (``share``, default 10 %)
gets one random adjacent swap in the top ``k``: a position ``i`` is drawn
uniformly from ``1 .. k-1`` and the results at ``i`` and ``i+1`` trade places
(when the list is shorter than ``i+1`` nothing moves). The search event logs
``{"pos": i, "p": share / (k-1)}``, the probability of exactly that swap.

**The estimator** (intervention harvesting with swap interventions, Joachims
et al. 2017 section 5; Agarwal, Zaitsev, Wang, Li, Najork & Joachims,
"Estimating Position Bias without Intrusive Interventions", WSDM 2019). The
swap is decided by a coin, independently of the query and results, so the
searches swapped at ``i`` and the unswapped ones (the control) hold the same
items on average. Let ``A`` be the item the ranker put at ``i`` and ``B`` the
one at ``i+1``. In the control ``A`` is clicked at ``i`` and ``B`` at
``i+1``; when swapped, ``B`` is clicked at ``i`` and ``A`` at ``i+1``::

    CTR_control(i)   = p_i     r_A        CTR_swapped(i)   = p_i     r_B
    CTR_control(i+1) = p_{i+1} r_B        CTR_swapped(i+1) = p_{i+1} r_A

so ``(CTR_swapped(i+1) + CTR_control(i+1)) / (CTR_control(i) + CTR_swapped(i))
= p_{i+1} / p_i`` whatever the relevances. Worked example with ``p = 1/rank``:
``r_A = 0.6``, ``r_B = 0.2`` at ranks 1 and 2 give control click rates 0.6
and 0.1, swapped 0.2 and 0.3, and ``(0.3 + 0.1) / (0.6 + 0.2) = 0.5 = p_2 / p_1``.

The ratios are summarised by the PBM exponent ``eta`` (``p_i = i ** -eta``):
``log(p_{i+1}/p_i) = -eta log((i+1)/i)``, fitted by weighted least squares
(weights: inverse delta-method variances of the log ratios). The curve used
for training is ``i ** -eta_hat``; until enough swaps were clicked the prior
``eta = 1`` is used and :attr:`PositionBias.source` says ``"prior"``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Iterable, Mapping, Sequence, TypeVar

import numpy as np

from ltrr.events import value
from ltrr.reward import wanted_ranks

T = TypeVar("T")

DEFAULT_SHARE = 0.10
DEFAULT_K = 10
PRIOR_ETA = 1.0
# Fewest swapped searches with a click near the swap before the estimate replaces the prior.
MIN_SWAP_CLICKS = 20
# Examination probabilities are clipped here before they divide anything (a weight of at most 20).
MIN_PROPENSITY = 0.05


@dataclass(frozen=True)
class Swap:
    """One logged intervention: the results at ``pos`` and ``pos + 1`` (1-based) traded places."""

    pos: int
    p: float          # probability that this search got exactly this swap

    def to_dict(self) -> dict:
        return {"pos": int(self.pos), "p": round(float(self.p), 6)}


def draw_swap(rng: np.random.Generator, share: float = DEFAULT_SHARE, k: int = DEFAULT_K) -> Swap | None:
    """With probability ``share`` a swap of ``pos`` and ``pos+1``, ``pos`` uniform in ``1 .. k-1``.

    The draw ignores the list (two uniforms per search, always), so which
    searches are swapped cannot depend on what they show.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"swap share must be between 0 and 1, got {share!r}")
    if k < 2:
        raise ValueError(f"k must be at least 2 to swap adjacent results, got {k!r}")
    u, v = rng.random(2)
    if u >= share:
        return None
    return Swap(pos=1 + int(v * (k - 1)), p=share / (k - 1))


def apply_swap(items: Sequence[T], swap: Swap | None) -> list[T]:
    """``items`` with positions ``pos`` and ``pos+1`` exchanged (unchanged when too short or no swap)."""
    out = list(items)
    if swap is not None and 1 <= swap.pos < len(out):
        i = swap.pos - 1
        out[i], out[i + 1] = out[i + 1], out[i]
    return out


@dataclass(frozen=True)
class PositionBias:
    """The estimated examination curve and the evidence behind it."""

    propensity: np.ndarray           # examination probability of ranks 1..k (rank 1 = 1.0)
    eta: float                       # PBM exponent of the curve in use
    eta_ci: tuple[float, float]      # 95 % interval (nan, nan) for the prior
    source: str                      # "swaps" (estimated) or "prior"
    ratios: np.ndarray               # p_{i+1} / p_i per i = 1..k-1 (nan: no data)
    ratio_se: np.ndarray             # standard error of log ratio (nan: no data)
    n_swapped: np.ndarray            # swapped searches per i
    n_control: int                   # unswapped searches
    swap_clicks: int                 # clicks at i or i+1 in searches swapped at i
    notes: list[str] = field(default_factory=list)

    def at(self, rank: int | None) -> float:
        """Examination probability of a 1-based rank, clipped to ``MIN_PROPENSITY``; unknown ranks
        (``None``, 0 or beyond the curve) get the last rank's value."""
        curve = self.propensity
        if rank is None or rank < 1 or rank > len(curve):
            value = float(curve[-1])
        else:
            value = float(curve[rank - 1])
        return max(MIN_PROPENSITY, value)

    def to_dict(self) -> dict:
        """JSON-ready: the curve per rank, the exponent and the evidence."""
        def clean(values: np.ndarray) -> list[float | None]:
            return [None if not np.isfinite(v) else round(float(v), 6) for v in values]

        return {"propensity": clean(self.propensity), "eta": round(self.eta, 6),
                "eta_ci": [None if not np.isfinite(v) else round(v, 6) for v in self.eta_ci],
                "source": self.source, "ratios": clean(self.ratios), "ratio_se": clean(self.ratio_se),
                "n_swapped": [int(n) for n in self.n_swapped], "n_control": self.n_control,
                "swap_clicks": self.swap_clicks, "notes": list(self.notes)}


def pbm_curve(eta: float, k: int = DEFAULT_K) -> np.ndarray:
    """``i ** -eta`` for ranks 1..k."""
    return 1.0 / np.arange(1, k + 1, dtype=float) ** float(eta)


@dataclass(frozen=True)
class ShownSearch:
    """What the estimator needs about one search: list length, its swap, and the clicked ranks."""

    n_shown: int
    swap: Swap | None
    clicked_ranks: frozenset[int]


def searches_from_log(searches: Iterable[Mapping], clicked: Iterable[tuple[str, str]]) -> list[ShownSearch]:
    """``ShownSearch`` rows from logged search events and ``(search id, clicked entity)`` pairs.

    Interleaved searches are left out: their lists come from two rankers and
    are not the control the swaps are compared with; so are searches that
    showed an explored candidate higher (``expose``): they never get a swap, and
    their moved item would make the control's positions unlike the swapped ones.
    """
    by_search: dict[str, set[str]] = {}
    for sid, entity in clicked:
        by_search.setdefault(sid, set()).add(entity)
    out = []
    for ev in searches:
        if value(ev, "interleave") or value(ev, "expose"):
            continue
        results = list(value(ev, "results") or [])
        raw = value(ev, "swap")
        swap = Swap(int(raw["pos"]), float(raw["p"])) if isinstance(raw, Mapping) and "pos" in raw else None
        ids = by_search.get(str(value(ev, "id")), set())
        ranks = frozenset(wanted_ranks(results, ids, max_rank=None))
        out.append(ShownSearch(len(results), swap, ranks))
    return out


def estimate_position_bias(searches: Sequence[ShownSearch], k: int = DEFAULT_K, prior_eta: float = PRIOR_ETA,
                           min_swap_clicks: int = MIN_SWAP_CLICKS, confidence: float = 0.95) -> PositionBias:
    """The examination curve from swap interventions (see the module docstring).

    Positions whose ratio cannot be formed (no swapped search or no click at
    ``i`` / ``i+1``) are left out of the fit; with fewer than
    ``min_swap_clicks`` clicks in swapped searches, or no usable ratio, the
    prior ``i ** -prior_eta`` is returned with a note saying why.
    """
    ratios = np.full(k - 1, np.nan)
    ses = np.full(k - 1, np.nan)
    n_swapped = np.zeros(k - 1, dtype=np.int64)
    control = [s for s in searches if s.swap is None]
    swap_clicks = 0
    for i in range(1, k):
        treated = [s for s in searches if s.swap is not None and s.swap.pos == i and s.n_shown >= i + 1]
        ctrl = [s for s in control if s.n_shown >= i + 1]
        n_swapped[i - 1] = len(treated)
        if not treated or not ctrl:
            continue
        c_at = np.array([[i in s.clicked_ranks, (i + 1) in s.clicked_ranks] for s in ctrl], dtype=float)
        t_at = np.array([[i in s.clicked_ranks, (i + 1) in s.clicked_ranks] for s in treated], dtype=float)
        swap_clicks += int(t_at.sum())
        num = t_at[:, 1].mean() + c_at[:, 1].mean()
        den = c_at[:, 0].mean() + t_at[:, 0].mean()
        if num <= 0 or den <= 0:
            continue
        var_num = _var_mean(t_at[:, 1]) + _var_mean(c_at[:, 1])
        var_den = _var_mean(c_at[:, 0]) + _var_mean(t_at[:, 0])
        ratios[i - 1] = num / den
        # Delta method for log(num / den); a floor keeps one lucky position from taking all the weight.
        ses[i - 1] = float(np.sqrt(max(var_num / num ** 2 + var_den / den ** 2, 1e-4)))
    notes: list[str] = []
    usable = np.isfinite(ratios)
    if swap_clicks < min_swap_clicks or not usable.any():
        notes.append(f"{swap_clicks} clicks in swapped searches (need {min_swap_clicks}): "
                     f"using the prior eta = {prior_eta}")
        return PositionBias(pbm_curve(prior_eta, k), float(prior_eta), (float("nan"), float("nan")), "prior",
                            ratios, ses, n_swapped, len(control), swap_clicks, notes)
    x = np.log(np.arange(2, k + 1) / np.arange(1, k))[usable]
    y = np.log(ratios[usable])
    w = 1.0 / ses[usable] ** 2
    denom = float((w * x * x).sum())
    eta = float(-(w * x * y).sum() / denom)
    se = 1.0 / np.sqrt(denom)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    if eta < 0:
        notes.append(f"estimated eta {eta:.3f} < 0 (lower ranks looked more examined): clipped to 0")
    eta_used = max(0.0, eta)
    if usable.sum() < k - 1:
        notes.append(f"{int(usable.sum())} of {k - 1} adjacent pairs had clicks on both sides")
    return PositionBias(pbm_curve(eta_used, k), eta_used, (eta - z * se, eta + z * se), "swaps",
                        ratios, ses, n_swapped, len(control), swap_clicks, notes)


def prior_bias(k: int = DEFAULT_K, eta: float = PRIOR_ETA) -> PositionBias:
    """The prior curve ``i ** -eta`` with no evidence (used before any search)."""
    nan = np.full(k - 1, np.nan)
    return PositionBias(pbm_curve(eta, k), float(eta), (float("nan"), float("nan")), "prior", nan, nan,
                        np.zeros(k - 1, dtype=np.int64), 0, 0, ["no searches yet: the prior curve"])


def _var_mean(values: np.ndarray) -> float:
    """Variance of the mean of 0/1 values (with a half-count floor so 0 clicks is not certainty)."""
    n = len(values)
    p = (values.sum() + 0.5) / (n + 1.0)
    return float(p * (1 - p) / n)
