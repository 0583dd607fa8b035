"""Position bias: randomised adjacent swaps, and the examination curve estimated from them.

Clicks are position-biased: under the position-based model (PBM) a result at
rank ``i`` is clicked with probability ``p_i * r(d)``, ``p_i`` the chance the
user examines rank ``i`` and ``r(d)`` the chance they click ``d`` once seen.
Learning from clicks without correcting for ``p_i`` teaches a ranker to copy
whatever ranking collected the clicks (Joachims, Swaminathan & Schnabel,
"Unbiased Learning-to-Rank with Biased Feedback", WSDM 2017).

**The intervention.** A small share of searches (``share``, default 10 %)
gets one random adjacent swap *within the list shown*: for a list of ``n``
results (the top ``k`` shown, so ``m = min(k, n)`` of them) a position ``i``
is drawn uniformly from ``1 .. m-1`` and the results at ``i`` and ``i+1``
trade places; a list of fewer than two results cannot be swapped. Every swap
moves two results, however short the list: the coverage learner shows 3-6
results, and a swap drawn over ``1 .. k-1`` (the first design, see *Logs of
the first design* below) fell beyond such a list and moved nothing in 50-80 %
of the swapped searches. The search event logs what was drawn and its exact
probability given the list's length:

* swapped at ``i``: ``{"pos": i, "p": share / (m-1), "share": share}``;
* not swapped, though it could have been: ``{"pos": 0, "p": 1 - share, "share": share}``;
* nothing when no swap was possible (``share`` 0, fewer than two results) or
  the search ran another experiment (interleaving, exposure).

**The ratio** (intervention harvesting with swap interventions, Joachims et
al. 2017 section 5; Agarwal, Zaitsev, Wang, Li, Najork & Joachims,
"Estimating Position Bias without Intrusive Interventions", WSDM 2019). Take
the searches long enough to have rank ``i+1`` (the population of pair
``i``). Let ``A`` be the item the ranker put at ``i`` and ``B`` the one at
``i+1``. In the control ``A`` is clicked at ``i`` and ``B`` at ``i+1``; when
swapped, ``B`` is clicked at ``i`` and ``A`` at ``i+1``. Averaged over the
*same* population of searches::

    CTR_control(i)   = p_i     E[r_A]     CTR_swapped(i)   = p_i     E[r_B]
    CTR_control(i+1) = p_{i+1} E[r_B]     CTR_swapped(i+1) = p_{i+1} E[r_A]

so ``(CTR_swapped(i+1) + CTR_control(i+1)) / (CTR_control(i) + CTR_swapped(i))
= p_{i+1} / p_i`` whatever the relevances. Worked example with ``p = 1/rank``:
``r_A = 0.6``, ``r_B = 0.2`` at ranks 1 and 2 give control click rates 0.6
and 0.1, swapped 0.2 and 0.3, and ``(0.3 + 0.1) / (0.6 + 0.2) = 0.5 = p_2 / p_1``.

**Weighting by the logged propensities.** The four rates must average over
the same searches, and with swaps drawn within the list they do not: a
search of ``m`` results is swapped at ``i`` with probability ``share/(m-1)``,
so short lists are over-represented among the swapped searches, and list
length goes with the query (an exact title finds three results, a mood
finds ten). Each rate is therefore a self-normalised inverse-propensity
(Hajek) mean over the pair's population (searches with at least ``i+1``
results): a search swapped at ``i`` weighs ``1 / P(swap at i | its list)``,
a control search ``1 / P(no swap | its list)``, both the logged ``p``::

    CTR_swapped(j) = sum_swapped click_j / p  /  sum_swapped 1 / p      (j = i, i+1)
    CTR_control(j) = sum_control click_j / p  /  sum_control 1 / p

Each sum over the swapped searches has expectation ``sum over the
population of P(swap at i) * click_j / P(swap at i)``: every search of the
population counts once, as if all had been swapped; the same for the
control. The ratio is consistent (a ratio of consistent means), whatever
the mix of lengths. Searches swapped elsewhere are in neither group of pair
``i``. Worked example, ``p = 1/rank``, ``share = 0.2``, two kinds of query
as frequent as each other: *short* (2 results; ``r_A = 0.9``, ``r_B = 0.1``),
swapped at 1 with probability ``0.2/1 = 0.2``, and *long* (5 results;
``r_A = r_B = 0.3``), swapped at 1 with probability ``0.2/4 = 0.05``. Of 2,000
searches of each: control 1,600 + 1,600 (``p = 0.8``), swapped at 1
400 short + 100 long. Rates (short, long) at rank 1 and 2: control
(0.9, 0.3) and (0.05, 0.15), swapped (0.1, 0.3) and (0.45, 0.15).

* Weighted: the control's weights are equal, ``CTR_control = (0.6, 0.1)``;
  swapped short searches weigh ``1/0.2 = 5``, long ones ``1/0.05 = 20``, so
  400 x 5 = 100 x 20 and the kinds count equally: ``CTR_swapped = (0.2, 0.3)``,
  ratio ``(0.3 + 0.1) / (0.6 + 0.2) = 0.5 = p_2 / p_1``.
* Unweighted: the swapped searches are 80 % short: ``CTR_swapped =
  (0.8 x 0.1 + 0.2 x 0.3, 0.8 x 0.45 + 0.2 x 0.15) = (0.14, 0.39)``, ratio
  ``0.49 / 0.74 = 0.66``: an exponent of 0.60 instead of 1.
* The first design (below) had no such bias (every position below ``k`` had
  the same ``p``), but here only 1 in 9 of the short searches' swaps (k = 10)
  landed on pair 1, the only pair they have: nine times fewer usable swaps.

**Logs of the first design** (a swap drawn over ``1 .. k-1`` whatever the list,
``{"pos": i, "p": share/(k-1)}`` only when it moved something, nothing logged
otherwise) are read as logged: a swapped search weighs ``1 / p``, its logged
``p``. Their control searches logged nothing; a list of ``n`` results had
``n - 1`` positions that could move it, so it stayed unswapped with
probability ``1 - (n-1) p``, with ``p`` the first design's logged swap
probability (the median over the log's swaps without a ``share``). A search
with nothing logged in a log with no such swap weighs 1, which is exact for
the current design (no swap possible). Only a log that mixes first-design
swaps with later searches run with ``share`` 0 weighs those slightly wrong.

**Keeping the evidence.** Every rate is a ratio of sums over searches (of
weights, squared weights and weighted clicks), so :class:`SwapTally` keeps
them as searches are shown and clicks arrive, over a whole log in constant
memory, and :func:`estimate_position_bias` is that tally over a list. With the
coverage learner's 3-6 results and one click per search, about 15 clicks land
next to a swap per 1,000 searches at a 10 % share: an estimate over only the
latest 1,000 searches would never leave the prior.

**The exponent.** The ratios are summarised by the PBM exponent ``eta``
(``p_i = i ** -eta``): ``log(p_{i+1}/p_i) = -eta log((i+1)/i)``, fitted by
weighted least squares (weights: inverse delta-method variances of the log
ratios, each rate's variance from its weights' effective sample size). The
curve used for training is ``i ** -eta_hat``; until enough swapped searches
were clicked next to their swap the prior ``eta = 1`` is used and
:attr:`PositionBias.source` says ``"prior"``.
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
    """One logged draw: the results at ``pos`` and ``pos + 1`` (1-based) traded places, or, with
    ``pos`` 0, the search could have been swapped and was not.

    ``p``: the probability of exactly this outcome given the list's length. ``share``: the swap
    share it was drawn with; None for a swap of the first design (drawn over ``1 .. k-1``
    whatever the list; see the module docstring), which logged no share.
    """

    pos: int
    p: float
    share: float | None = None

    @property
    def moved(self) -> bool:
        """Whether two results traded places (``pos`` 0 is a logged non-swap)."""
        return self.pos >= 1

    def to_dict(self) -> dict:
        """The search event's ``swap`` field."""
        out = {"pos": int(self.pos), "p": round(float(self.p), 6)}
        if self.share is not None:
            out["share"] = round(float(self.share), 6)
        return out

    @classmethod
    def from_dict(cls, raw: object) -> "Swap | None":
        """The logged ``swap`` field read back; None when absent or unusable (no position, or a
        probability outside (0, 1]: it could not weigh anything)."""
        if not isinstance(raw, Mapping) or "pos" not in raw or "p" not in raw:
            return None
        try:
            pos, p = int(raw["pos"]), float(raw["p"])
            share = None if raw.get("share") is None else float(raw["share"])
        except (TypeError, ValueError):
            return None
        if pos < 0 or not 0.0 < p <= 1.0:
            return None
        return cls(pos, p, share)


def draw_swap(rng: np.random.Generator, share: float = DEFAULT_SHARE, k: int = DEFAULT_K,
              n: int | None = None) -> Swap | None:
    """With probability ``share`` a swap of ``pos`` and ``pos+1``, ``pos`` uniform in
    ``1 .. m-1``, ``m = min(k, n)`` the number of results shown; None otherwise.

    ``n``: how many results the list holds (None: at least ``k``). A list of fewer than two
    results is never swapped. ``p`` is ``share / (m-1)``, the chance of exactly this swap given
    the list's length. Two uniforms are drawn per call whatever happens, so the draws of later
    searches do not depend on earlier lists.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"swap share must be between 0 and 1, got {share!r}")
    if k < 2:
        raise ValueError(f"k must be at least 2 to swap adjacent results, got {k!r}")
    if n is not None and n < 0:
        raise ValueError(f"a list cannot hold {n!r} results")
    u, v = rng.random(2)
    m = k if n is None else min(k, n)
    if m < 2 or u >= share:
        return None
    return Swap(pos=1 + int(v * (m - 1)), p=share / (m - 1), share=share)


def no_swap(share: float = DEFAULT_SHARE, k: int = DEFAULT_K, n: int | None = None) -> Swap | None:
    """The logged record of a search that could have been swapped and was not: ``pos`` 0 with
    probability ``1 - share``; None when no swap was possible (``share`` 0 or under two results)."""
    m = k if n is None else min(k, n)
    if m < 2 or share <= 0.0:
        return None
    return Swap(pos=0, p=1.0 - share, share=share)


def apply_swap(items: Sequence[T], swap: Swap | None) -> list[T]:
    """``items`` with positions ``pos`` and ``pos+1`` exchanged (unchanged when too short, no swap
    or a logged non-swap)."""
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
    n_swapped: np.ndarray            # swapped searches per i, long enough to have rank i+1
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
    """What the estimator needs about one search: list length, its logged swap draw (None: nothing
    logged, a control of the first design or a list that could not be swapped) and the clicked ranks."""

    n_shown: int
    swap: Swap | None
    clicked_ranks: frozenset[int]


def searches_from_log(searches: Iterable[Mapping], clicked: Iterable[tuple[str, str]]) -> list[ShownSearch]:
    """``ShownSearch`` rows from logged search events and ``(search id, clicked entity)`` pairs.

    Interleaved searches are left out: their lists come from two rankers and
    are not the control the swaps are compared with; so are searches that
    showed an explored candidate higher (``expose``): they never get a swap, and
    their moved item would make the control's positions unlike the swapped ones;
    and searches whose logged swap is unreadable (no probability to weigh them by).
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
        swap = Swap.from_dict(raw)
        if raw is not None and swap is None:
            continue
        ids = by_search.get(str(value(ev, "id")), set())
        ranks = frozenset(wanted_ranks(results, ids, max_rank=None))
        out.append(ShownSearch(len(results), swap, ranks))
    return out


def search_weights(searches: Sequence[ShownSearch]) -> tuple[np.ndarray, float | None]:
    """Each search's inverse-propensity weight (module docstring): ``1 / p`` of its logged draw,
    swapped or not; a search with nothing logged ``1 / (1 - (n-1) p1)``, ``p1`` the first design's
    swap probability (median ``p`` of the swaps logged without a share; 0 when there are none).

    Returns the weights and ``p1`` (None when the log holds no first-design swap)."""
    first = [s.swap.p for s in searches if s.swap is not None and s.swap.moved and s.swap.share is None]
    p1 = float(np.median(first)) if first else None
    weights = np.array([1.0 / s.swap.p if s.swap is not None else _unlogged_weight(s.n_shown, p1)
                        for s in searches], dtype=float)
    return weights, p1


def _unlogged_weight(n_shown: int, p1: float | None) -> float:
    """The weight of a search that logged no swap draw: a control of the first design when the log
    holds first-design swaps (unswapped with chance ``1 - (n-1) p1``), else a list that could not
    be swapped (weight 1)."""
    if p1 is None or n_shown < 2:
        return 1.0
    # Floored: a malformed first-design p (over 1/(n-1)) must not divide by zero.
    return 1.0 / max(1.0 - (n_shown - 1) * p1, MIN_PROPENSITY)


class SwapTally:
    """The sums the estimate is made of, added one search and one click at a time.

    The estimate (:meth:`estimate`) needs, per adjacent pair ``i`` and group (swapped at ``i``, or
    control; searches of at least ``i+1`` results): the searches, the sum of their weights and of
    the squared weights, and the weighted clicks at ``i`` and ``i+1``. All are sums, so a tally
    can be kept over a whole log (searches added when logged, clicks when they arrive) in
    constant memory, checkpointed (:meth:`state_dict`) and replayed in log order to the same
    numbers. Searches that logged no draw are kept per list length, their weights applied at
    estimate time: they depend on the first design's ``p`` (a median over the log's swaps).
    """

    def __init__(self, k: int = DEFAULT_K) -> None:
        if k < 2:
            raise ValueError(f"k must be at least 2 to estimate adjacent ratios, got {k!r}")
        self.k = int(k)
        # rows: pair i = 1..k-1 (row i-1); columns: searches, sum w, sum w^2, sum w click_i, sum w click_{i+1}
        self.treated = np.zeros((k - 1, 5))
        self.control = np.zeros((k - 1, 5))
        self.swap_clicks = np.zeros(k - 1, dtype=np.int64)
        self.n_control = 0
        self.unlogged: dict[int, np.ndarray] = {}       # list length -> [searches, clicks at rank 1..k]
        self.first_design_p: dict[float, int] = {}      # logged p of first-design swaps -> how many

    def add_search(self, n_shown: int, swap: Swap | None) -> None:
        """A shown search (no clicks yet): its list length and its logged swap draw."""
        if swap is not None and swap.moved:
            if swap.share is None:
                self.first_design_p[swap.p] = self.first_design_p.get(swap.p, 0) + 1
            i = swap.pos
            if i <= self.k - 1 and n_shown >= i + 1:
                self.treated[i - 1, :3] += (1.0, 1.0 / swap.p, 1.0 / swap.p ** 2)
            return
        self.n_control += 1
        if swap is None:
            row = self.unlogged.setdefault(int(n_shown), np.zeros(self.k + 1))
            row[0] += 1
            return
        w = 1.0 / swap.p
        pairs = min(n_shown, self.k) - 1
        if pairs > 0:
            self.control[:pairs, :3] += (1.0, w, w * w)

    def add_click(self, n_shown: int, swap: Swap | None, rank: int) -> None:
        """A click at 1-based ``rank`` of a search already added (once per search and rank)."""
        if not 1 <= rank <= self.k or rank > n_shown:
            return
        if swap is not None and swap.moved:
            i = swap.pos
            if i > self.k - 1 or n_shown < i + 1 or rank not in (i, i + 1):
                return
            self.treated[i - 1, 3 if rank == i else 4] += 1.0 / swap.p
            self.swap_clicks[i - 1] += 1
            return
        if swap is None:
            self.unlogged[int(n_shown)][rank] += 1
            return
        w = 1.0 / swap.p
        if rank <= min(n_shown, self.k) - 1:
            self.control[rank - 1, 3] += w               # pair rank (the list has rank + 1): at its i
        if rank >= 2:
            self.control[rank - 2, 4] += w               # pair rank - 1: at its i + 1

    def add(self, search: ShownSearch) -> None:
        """A search with its clicks."""
        self.add_search(search.n_shown, search.swap)
        for rank in sorted(search.clicked_ranks):
            self.add_click(search.n_shown, search.swap, rank)

    def first_design_p1(self) -> float | None:
        """The first design's swap probability: the median logged ``p`` of its swaps (None: none)."""
        if not self.first_design_p:
            return None
        values = sorted(self.first_design_p)
        return float(np.median(np.repeat(values, [self.first_design_p[v] for v in values])))

    def control_sums(self) -> np.ndarray:
        """The control's sums per pair, the searches that logged no draw included with their weights."""
        out = self.control.copy()
        p1 = self.first_design_p1()
        for n, row in self.unlogged.items():
            pairs = min(n, self.k) - 1
            if pairs <= 0:
                continue
            w = _unlogged_weight(n, p1)
            out[:pairs, :3] += (row[0], w * row[0], w * w * row[0])
            out[:pairs, 3] += w * row[1:pairs + 1]
            out[:pairs, 4] += w * row[2:pairs + 2]
        return out

    def estimate(self, prior_eta: float = PRIOR_ETA, min_swap_clicks: int = MIN_SWAP_CLICKS,
                 confidence: float = 0.95) -> PositionBias:
        """The examination curve from the tallied evidence (:func:`estimate_position_bias`)."""
        k = self.k
        ratios = np.full(k - 1, np.nan)
        ses = np.full(k - 1, np.nan)
        control = self.control_sums()
        n_swapped = self.treated[:, 0].astype(np.int64)
        swap_clicks = 0
        for i in range(1, k):
            t, c = self.treated[i - 1], control[i - 1]
            if t[0] == 0 or c[0] == 0:
                continue
            swap_clicks += int(self.swap_clicks[i - 1])
            t_i, vt_i = _weighted_rate(t[1], t[2], t[3])
            t_next, vt_next = _weighted_rate(t[1], t[2], t[4])
            c_i, vc_i = _weighted_rate(c[1], c[2], c[3])
            c_next, vc_next = _weighted_rate(c[1], c[2], c[4])
            num = t_next + c_next
            den = c_i + t_i
            if num <= 0 or den <= 0:
                continue
            ratios[i - 1] = num / den
            # Delta method for log(num / den); a floor keeps one lucky position from taking all the weight.
            ses[i - 1] = float(np.sqrt(max((vt_next + vc_next) / num ** 2 + (vc_i + vt_i) / den ** 2, 1e-4)))
        notes: list[str] = []
        p1 = self.first_design_p1()
        if p1 is not None:
            notes.append(f"swaps of the first design (drawn over 1..k-1, p = {p1:.4g}) read as logged")
        usable = np.isfinite(ratios)
        if swap_clicks < min_swap_clicks or not usable.any():
            notes.insert(0, f"{swap_clicks} clicks in swapped searches (need {min_swap_clicks}): "
                            f"using the prior eta = {prior_eta}")
            return PositionBias(pbm_curve(prior_eta, k), float(prior_eta), (float("nan"), float("nan")), "prior",
                                ratios, ses, n_swapped, self.n_control, swap_clicks, notes)
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
                            ratios, ses, n_swapped, self.n_control, swap_clicks, notes)

    def state_dict(self) -> dict:
        """JSON-ready (a checkpoint); :meth:`from_state` reads it back."""
        return {"k": self.k, "treated": self.treated.tolist(), "control": self.control.tolist(),
                "swap_clicks": self.swap_clicks.tolist(), "n_control": self.n_control,
                "unlogged": {str(n): row.tolist() for n, row in self.unlogged.items()},
                "first_design_p": [[p, c] for p, c in self.first_design_p.items()]}

    @classmethod
    def from_state(cls, state: Mapping) -> "SwapTally":
        """A tally from :meth:`state_dict`; ValueError when it is malformed."""
        try:
            tally = cls(int(state["k"]))
            k = tally.k
            tally.treated = np.asarray(state["treated"], dtype=float).reshape(k - 1, 5)
            tally.control = np.asarray(state["control"], dtype=float).reshape(k - 1, 5)
            tally.swap_clicks = np.asarray(state["swap_clicks"], dtype=np.int64).reshape(k - 1)
            tally.n_control = int(state["n_control"])
            tally.unlogged = {int(n): np.asarray(row, dtype=float).reshape(k + 1)
                              for n, row in state["unlogged"].items()}
            tally.first_design_p = {float(p): int(c) for p, c in state["first_design_p"]}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a swap tally: {exc}") from None
        return tally


def estimate_position_bias(searches: Sequence[ShownSearch], k: int = DEFAULT_K, prior_eta: float = PRIOR_ETA,
                           min_swap_clicks: int = MIN_SWAP_CLICKS, confidence: float = 0.95) -> PositionBias:
    """The examination curve from swap interventions, weighted by their logged propensities
    (see the module docstring); the same as tallying the searches in order (:class:`SwapTally`).

    Positions whose ratio cannot be formed (no swapped search or no click at
    ``i`` / ``i+1``) are left out of the fit; with fewer than
    ``min_swap_clicks`` clicks in swapped searches, or no usable ratio, the
    prior ``i ** -prior_eta`` is returned with a note saying why.
    """
    tally = SwapTally(k)
    for search in searches:
        tally.add(search)
    return tally.estimate(prior_eta, min_swap_clicks, confidence)


def prior_bias(k: int = DEFAULT_K, eta: float = PRIOR_ETA) -> PositionBias:
    """The prior curve ``i ** -eta`` with no evidence (used before any search)."""
    nan = np.full(k - 1, np.nan)
    return PositionBias(pbm_curve(eta, k), float(eta), (float("nan"), float("nan")), "prior", nan, nan,
                        np.zeros(k - 1, dtype=np.int64), 0, 0, ["no searches yet: the prior curve"])


def _weighted_rate(total: float, total_sq: float, clicked: float) -> tuple[float, float]:
    """The self-normalised weighted click rate from the sums of weights ``total``, squared weights
    ``total_sq`` and weights of the clicked, and its variance ``p (1 - p) / n_eff``, with Kish's
    effective sample size ``total^2 / total_sq`` and a half-count floor so 0 clicks is not
    certainty (equal weights: the plain rate and ``p (1 - p) / n``)."""
    rate = clicked / total
    n_eff = total ** 2 / total_sq
    p = (rate * n_eff + 0.5) / (n_eff + 1.0)
    return float(rate), float(p * (1 - p) / n_eff)
