"""Off-policy evaluation of arm sets from an interaction log.

**What is logged.** For every search the bandit decided, for each arm
``a``, whether to include it (``selected``) and with which probability
(``propensity`` ``p_a``), given the context ``x``; included arms were drawn
independently (see :mod:`ltrr.bandit.selector`), and each included arm's
list (``by_arm``, cut at its ``budget``) is logged with the first click or
skip that followed.

**Target policy.** A deterministic arm set ``S`` (``static:lexical,fuzzy``,
or ``all`` = every arm in the log): run exactly the arms of ``S``; or a
stochastic one, ``random:lexical=0.5,fuzzy=0.2``: each named arm runs
independently with its probability (others never), so ``S`` is random with
``pi(S) = prod_{a in S} q_a prod_{a not in S} (1 - q_a)``. Its value is
``sum_S pi(S) V(S)``, estimated by averaging the per-set estimators below
over ``pi`` search by search (every set with ``pi(S) > 0`` is enumerated):
``w_i hit_i`` becomes ``sum_S pi(S) 1[S ⊆ A_i] hit_i(S) / P(S ⊆ A_i)``, still
unbiased, and the weight ``w_i`` becomes ``sum_S pi(S) 1[S ⊆ A_i] / P(S ⊆ A_i)``.

**Value.** ``V(S) = P(the search ends in a click on an entity that an arm of
S retrieved)``, with one click per search (the first, as the engine's
bandit reward) and searches without feedback counted as failures.
Per search, ``hit_i(S) = 1`` when the clicked entity is in the union of
``S``'s logged lists. This is the search-level form of the engine's own
per-arm reward (an arm earns 1 when it retrieved the clicked entity).

**Identification.** ``hit_i(S)`` is observed only when every arm of ``S``
was included (``S ⊆ A_i``). Inclusions are independent given ``x`` with
logged probabilities ``p_ia``, so ``P(S ⊆ A_i) = prod_{a in S} p_ia``. The
selector's probability floor keeps every ``p_ia >= 0.1`` for arms that were
ready, so this is positive whenever the arms of ``S`` were available
(``support`` reports the share of searches where it is). An arm whose exact
probe said it had nothing for the query (logged ``empty``) was not offered, and
is known to add nothing: it counts as included with probability 1 and an empty
list (left unsupported, such searches, where it has nothing, would drop out and
bias the estimate high). Note that exact
action matching (``A_i == S``) would not be identified: the selector always
includes its best arm, so sets without it have probability 0.

Assumption (no interference): the entity the user clicked is the one they
wanted whichever other arms ran, so ``hit_i(S)`` is what ``S`` alone would
have earned. Lists are cut at the logged budgets, which are at most what
``S`` alone would get, so estimates lean low when ``S`` would get more.

Measured (``python benchmarks/ope_coverage.py --seeds 200 --searches 1000``):
a logger shaped like the engine's, whose rare arms run 5-25 % of the time and
least where they would help; truth = the mean of 200 on-policy runs per
target. The 95 % IPS, SNIPS and DR intervals covered the truth in 91-98 % of
200 seeds for each of ``static:structured`` (rarely run), ``static:popular``
(rarely run), ``static:fuzzy,structured`` (a small subset, ESS ~68 of 1,000,
flagged) and the stochastic ``random:lexical=0.5,structured=0.5,popular=0.3``.
With 30 % broad searches (several satisfying entities; the user clicks the
first one shown) the no-interference assumption fails and coverage drops
(``static:popular`` 55-66 %): the bias is in the estimand, not the weights.
``tests/evaluate/test_ope.py`` keeps a fast version that fails when the
logged propensities are replaced by their mean.

**Trust.** Every estimate carries the effective sample size
``(sum w)^2 / sum w^2``, the largest weight and its share of the total, and
a support warning when the ESS is under :data:`LOW_ESS_SHARE` of the
searches or one search carries more than :data:`MAX_WEIGHT_SHARE` of the
weight: the normal interval then understates the uncertainty.

**Estimators** (``w_i = 1[S ⊆ A_i] / prod_{a in S} p_ia``):

* ``replay``: the mean of ``hit`` over searches with ``S ⊆ A_i`` (unweighted; biased
  when the chance of running ``S`` depends on the context, reported as a baseline);
* ``ips``: ``mean(w_i hit_i)``, unbiased;
* ``snips``: ``sum(w_i hit_i) / sum(w_i)``, self-normalised, consistent, lower variance;
* ``dr``: doubly robust, ``mean(f(x_i) + w_i (hit_i - f(x_i)))`` with ``f`` a ridge
  regression of ``hit`` on the logged context vector, fitted on the
  matched searches and cross-fitted over two folds (each fold's ``f`` is
  fitted on the other fold), unbiased whenever the propensities are right.

The bandit adapts as it logs, but each ``p_ia`` is the probability given
everything before search ``i``, so the IPS terms are martingale differences:
the estimates stay unbiased and the normal-approximation intervals (sample
standard error; delta method for SNIPS) are asymptotically valid.
``ci="bootstrap"`` gives percentile intervals from resampled searches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ltrr.bandit.policy import POLICY_NAMES, PolicySpec
from ltrr.events import value

ESTIMATORS = ("replay", "ips", "snips", "dr")
CI_METHODS = ("normal", "bootstrap")
RIDGE_LAMBDA = 1.0
MIN_INTERVAL_SEARCHES = 30  # fewer searches with the target's arms: no normal or bootstrap interval is given
LOW_ESS_SHARE = 0.1        # warn when the effective sample size is under this share of the searches
MAX_WEIGHT_SHARE = 0.1     # warn when one search carries more than this share of the total weight


class OPEError(ValueError):
    """The log or the target policy cannot be evaluated (message says why)."""


@dataclass(frozen=True)
class LoggedSearches:
    """A log as arrays: one row per search, one column per arm."""

    arms: tuple[str, ...]
    ids: tuple[str, ...]
    x: np.ndarray               # (n, d) logged context vectors
    included: np.ndarray        # (n, m) bool
    propensity: np.ndarray      # (n, m) inclusion probabilities
    retrieved: tuple[dict[str, frozenset[str]], ...]   # per search: arm -> ids within budget
    clicked: tuple[str | None, ...]                     # per search: first clicked entity
    resolved: np.ndarray        # (n,) bool: a click or a skip was logged
    policies: tuple[str, ...]   # logging policy names seen

    def __len__(self) -> int:
        return len(self.ids)

    def hits(self, target: Sequence[str]) -> np.ndarray:
        """hit_i(S): the first click is on an entity some arm of S retrieved (0 where unobserved)."""
        out = np.zeros(len(self), dtype=float)
        for i, (lists, entity) in enumerate(zip(self.retrieved, self.clicked)):
            if entity is not None and any(entity in lists.get(a, ()) for a in target):
                out[i] = 1.0
        return out

    def columns(self, target: Sequence[str]) -> np.ndarray:
        return np.array([self.arms.index(a) for a in target], dtype=np.int64)


@dataclass(frozen=True)
class Estimate:
    """One estimator's value for one target, with its confidence interval."""

    estimator: str
    value: float
    ci_low: float
    ci_high: float
    se: float
    n: int          # searches used
    matched: int    # searches where the whole target set ran (some set of the target, when stochastic)
    ess: float = float("nan")          # effective sample size of the weights
    max_weight: float = float("nan")   # the largest weight
    warning: str = ""                  # the support warning, empty when the weights look healthy
    no_interval: str = ""              # why there is no interval (ci_low/ci_high are NaN then), else ""

    def interval_text(self, digits: int = 3) -> str:
        """``[low, high]``, or the reason there is none (never "nan")."""
        if self.no_interval:
            return self.no_interval
        return f"[{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"

    def value_text(self, digits: int = 3) -> str:
        """The point estimate, or "-" when no search could give one."""
        return f"{self.value:.{digits}f}" if np.isfinite(self.value) else "-"


@dataclass
class OPEResult:
    """All estimates for one target arm set, plus how well the log supports it."""

    target: str
    arms: tuple[str, ...]
    estimates: list[Estimate]
    n: int
    matched: int
    support: float              # share of searches with P(S ⊆ A) > 0
    ess: float                  # effective sample size (sum w)^2 / sum w^2
    max_weight: float
    logging_value: float        # click rate of the logging policy itself
    unresolved: int
    confidence: float
    ci: str
    warnings: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per estimator."""
        return pd.DataFrame([{"target": self.target, **e.__dict__} for e in self.estimates])

    def get(self, estimator: str) -> Estimate:
        for e in self.estimates:
            if e.estimator == estimator:
                return e
        raise KeyError(f"no estimator {estimator!r}; estimators: {', '.join(e.estimator for e in self.estimates)}")


# --------------------------------------------------------------------------- reading logs


def load_log(path: str | Path) -> list[dict]:
    """Events from an exported log (``.jsonl``, ``.parquet``, ``.csv`` or the UBI ``.ndjson`` that
    ``export --format ubi`` writes) or a state folder."""
    from ltrr.log_export import load_exported

    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("log/*.jsonl")) + sorted(path.glob("*.jsonl"))
        if not candidates:
            raise OPEError(f"{path} holds no interaction log (no log/*.jsonl or *.jsonl)")
        path = candidates[0]
    if not path.is_file():
        raise OPEError(f"no log file at {path}")
    # The UBI export is ``interactions.ubi.ndjson``: its suffix is .ndjson, and load_exported reads it.
    if path.suffix not in (".jsonl", ".parquet", ".csv", ".ndjson"):
        raise OPEError(f"{path.name}: expected an exported log (.jsonl, .parquet, .csv or UBI .ndjson)")
    try:
        return load_exported(path)
    except (ValueError, KeyError, OSError) as exc:
        raise OPEError(f"{path.name} is not a readable ltrr log: {exc}") from None


def logged_searches(events: Iterable[dict]) -> LoggedSearches:
    """Arrays for OPE from log events (search events need ``x``, ``selection`` and ``by_arm``)."""
    searches: dict[str, dict] = {}
    first_click: dict[str, str] = {}
    resolved: set[str] = set()
    for ev in events:
        kind = ev.get("kind")
        if kind == "search" and value(ev, "selection"):
            searches[str(value(ev, "id"))] = ev
        elif kind == "feedback":
            sid = str(value(ev, "search_id"))
            resolved.add(sid)
            if value(ev, "action") == "click" and value(ev, "entity_id") and sid not in first_click:
                first_click[sid] = str(value(ev, "entity_id"))
    if not searches:
        raise OPEError("the log holds no search with a logged arm selection")
    arms: list[str] = []
    for ev in searches.values():
        for sel in ev["selection"]:
            if sel["arm"] not in arms:
                arms.append(sel["arm"])
    n, m = len(searches), len(arms)
    width = max(len(value(ev, "x") or []) for ev in searches.values())
    x = np.zeros((n, width))
    included = np.zeros((n, m), dtype=bool)
    propensity = np.zeros((n, m))
    retrieved, clicked, policies = [], [], []
    for i, (sid, ev) in enumerate(searches.items()):
        vec = np.asarray(value(ev, "x") or [], dtype=float)
        x[i, :len(vec)] = np.nan_to_num(vec)
        lists = value(ev, "by_arm") or {}
        mine: dict[str, frozenset[str]] = {}
        for sel in ev["selection"]:
            j = arms.index(sel["arm"])
            if sel.get("empty"):
                # Not offered because its exact probe found nothing: any set with it would have
                # got nothing more from it, as surely as if it had run (with an empty list).
                included[i, j], propensity[i, j] = True, 1.0
                continue
            included[i, j] = bool(sel.get("selected"))
            propensity[i, j] = float(sel.get("propensity") or 0.0)
            if included[i, j]:
                budget = int(sel.get("budget") or 0)
                mine[sel["arm"]] = frozenset(str(e) for e, _ in (lists.get(sel["arm"]) or [])[:budget])
        retrieved.append(mine)
        clicked.append(first_click.get(sid))
        policy = value(ev, "policy")
        if policy and policy not in policies:
            policies.append(str(policy))
    bad = included & (propensity <= 0)
    if bad.any():
        raise OPEError(f"{int(bad.sum())} logged inclusions have propensity 0: the log's propensities are wrong")
    return LoggedSearches(tuple(arms), tuple(searches), x, included, np.clip(propensity, 0.0, 1.0),
                          tuple(retrieved), tuple(clicked), np.array([s in resolved for s in searches]),
                          tuple(policies))


@dataclass(frozen=True)
class TargetPolicy:
    """A target as per-arm inclusion probabilities (1/0 for a fixed set), arms independent."""

    name: str
    inclusion: dict[str, float]

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms the target may run."""
        return tuple(a for a, q in self.inclusion.items() if q > 0)

    @property
    def is_deterministic(self) -> bool:
        return all(q in (0.0, 1.0) for q in self.inclusion.values())

    def sets(self) -> list[tuple[tuple[str, ...], float]]:
        """Every arm set the target runs with probability > 0, and that probability."""
        sure = [a for a, q in self.inclusion.items() if q >= 1.0]
        maybe = [(a, q) for a, q in self.inclusion.items() if 0.0 < q < 1.0]
        out = []
        for mask in range(1 << len(maybe)):
            prob, chosen = 1.0, list(sure)
            for j, (arm, q) in enumerate(maybe):
                if mask >> j & 1:
                    prob *= q
                    chosen.append(arm)
                else:
                    prob *= 1.0 - q
            out.append((tuple(chosen), prob))
        return out


MAX_RANDOM_ARMS = 10     # a stochastic target enumerates 2^arms sets


def parse_policy(text: str, arms: Sequence[str]) -> TargetPolicy:
    """A fixed set (see :func:`parse_target`) or ``random:ARM=P[,ARM=P...]`` (independent inclusions)."""
    if isinstance(text, str) and text.strip().lower().startswith("random:"):
        body = text.strip().split(":", 1)[1]
        inclusion: dict[str, float] = {}
        for piece in (p.strip() for p in body.split(",") if p.strip()):
            arm, sep, value = piece.partition("=")
            arm = arm.strip()
            try:
                q = float(value) if sep else float("nan")
            except ValueError:
                q = float("nan")
            if not 0.0 <= q <= 1.0:
                raise OPEError(f"{piece!r} in {text!r}: a random target names ARM=PROBABILITY with 0 <= P <= 1")
            if arm not in arms:
                raise OPEError(f"unknown arm {arm!r} in {text!r}; the log's arms: {', '.join(arms)}")
            inclusion[arm] = q
        if not inclusion:
            raise OPEError("a random target needs at least one ARM=PROBABILITY")
        if sum(0 < q < 1 for q in inclusion.values()) > MAX_RANDOM_ARMS:
            raise OPEError(f"a random target may leave at most {MAX_RANDOM_ARMS} arms to chance")
        return TargetPolicy(text.strip(), inclusion)
    chosen = parse_target(text, arms)
    return TargetPolicy(text.strip(), {a: 1.0 for a in chosen})


def parse_target(text: str, arms: Sequence[str]) -> tuple[str, ...]:
    """``"all"``, ``"static:a,b"`` or ``"a,b"`` -> the arm set, validated against the log's arms.

    The policy is read by :class:`~ltrr.bandit.policy.PolicySpec` (bare arm names are a
    ``static`` set); only fixed arm sets at the logged budgets can be replayed from a log.
    """
    if not isinstance(text, str) or not text.strip():
        raise OPEError("a target policy must be 'all' or 'static:ARM[,ARM...]'")
    text = text.strip()
    bare = ":" not in text and text.lower() not in POLICY_NAMES     # "lexical,fuzzy": a static set
    try:
        spec = PolicySpec.parse(f"static:{text}" if bare else text, known_arms=arms)
    except ValueError as exc:   # the spec's words, with the log's arms as the valid ones
        raise OPEError(f"cannot evaluate {text!r} on this log: {exc}") from None
    if spec.is_learning or spec.name == "route":
        raise OPEError(f"cannot evaluate {text!r}: targets are fixed arm sets, 'all', 'static:ARM[,ARM...]' "
                       "or 'random:ARM=P,...' (learning policies change as they learn, and a routing table "
                       "changes its arms by the kind of ask, so a log cannot replay them)")
    if spec.budgets or spec.fixed_budget is not None:
        raise OPEError(f"cannot evaluate {text!r}: a target is an arm set at the logged budgets; "
                       "leave out =N and budget=N")
    return tuple(arms) if spec.name == "all" else spec.arms


# --------------------------------------------------------------------------- estimation


def evaluate(data: LoggedSearches, target: str, confidence: float = 0.95, ci: str = "normal",
             n_bootstrap: int = 1000, seed: int = 0) -> OPEResult:
    """Estimate the value of `target` (a fixed arm set or a random one) from the log (module docstring)."""
    if not 0.5 <= confidence < 1.0:
        raise OPEError(f"confidence must be in [0.5, 1), got {confidence!r}")
    if ci not in CI_METHODS:
        raise OPEError(f"unknown interval method {ci!r}; choose one of {', '.join(CI_METHODS)}")
    policy = parse_policy(target, data.arms)
    arms = policy.arms
    n = len(data)
    parts = _weighted_parts(data, policy)
    supported = (data.propensity[:, data.columns(arms)] > 0).all(axis=1) if arms else np.ones(n, dtype=bool)
    f = _cross_fitted_model(data.x, parts.y, parts.rden > 0, seed)
    terms = {"ips": parts.whit, "dr": f + parts.whit - parts.wsum * f}
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    k = int(parts.matched.sum())
    weights = parts.wsum
    ess = float(weights.sum() ** 2 / (weights ** 2).sum()) if (weights ** 2).sum() > 0 else 0.0
    max_weight = float(weights.max()) if n else 0.0
    weight_warning = _support_warning(n, ess, weights)
    estimates = []
    for name in ESTIMATORS:
        value, se = _point(name, parts, terms)
        if ci == "bootstrap":
            low, high = _bootstrap(name, parts, terms, confidence, n_bootstrap, seed)
        else:
            low, high = value - z * se, value + z * se
        why = _no_interval(k, value, low, high)
        if why:
            low = high = float("nan")
        if name == "replay":
            est = Estimate(name, value, float(low), float(high), se, k, k, ess=float(k), max_weight=1.0,
                           warning="no propensity correction: biased whenever the logger's choice of arms "
                                   "depends on the context (a baseline)", no_interval=why)
        else:
            est = Estimate(name, value, float(low), float(high), se, n, k, ess=ess, max_weight=max_weight,
                           warning=weight_warning, no_interval=why)
        estimates.append(est)
    warnings = []
    if not supported.all():
        warnings.append(f"{int((~supported).sum())} of {n} searches could not have run {', '.join(arms)} "
                        "(an arm was not ready or not offered): estimates cover the other searches only in "
                        "expectation and are biased low")
    if k < MIN_INTERVAL_SEARCHES:
        what = "the whole set" if policy.is_deterministic else "a set of the target"
        warnings.append(f"only {k} {_searches(k)} ran {what}: too few for an interval "
                        f"(at least {MIN_INTERVAL_SEARCHES} needed)")
    if weight_warning:
        warnings.append(weight_warning)
    clicked = np.array([c is not None for c in data.clicked], dtype=float)
    return OPEResult(
        target=target.strip(), arms=arms, estimates=estimates, n=n, matched=k,
        support=float(supported.mean()), ess=ess, max_weight=max_weight,
        logging_value=float(clicked.mean()) if n else 0.0, unresolved=int((~data.resolved).sum()),
        confidence=confidence, ci=ci, warnings=warnings,
    )


def _searches(k: int) -> str:
    return "search" if k == 1 else "searches"


def _no_interval(matched: int, value: float, low: float, high: float) -> str:
    """Why an estimate gets no interval ("" when it gets one): too few searches ran the target's
    arms for the normal approximation (or the bootstrap) to mean anything, or no estimate at all."""
    if matched == 0 or not np.isfinite(value):
        return "no search ran the set: no estimate"
    if matched < MIN_INTERVAL_SEARCHES:
        return f"{matched} {_searches(matched)}: too few for an interval"
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no interval could be computed"
    return ""


@dataclass(frozen=True)
class _Parts:
    """Per search, the target's weighted sums (module docstring), summed over its arm sets."""

    whit: np.ndarray       # sum_S pi(S) 1[S ⊆ A_i] hit_i(S) / P(S ⊆ A_i)
    wsum: np.ndarray       # sum_S pi(S) 1[S ⊆ A_i] / P(S ⊆ A_i)       (the weight w_i)
    rnum: np.ndarray       # sum_S pi(S) 1[S ⊆ A_i] hit_i(S)             (unweighted: replay)
    rden: np.ndarray       # sum_S pi(S) 1[S ⊆ A_i]
    matched: np.ndarray    # a non-empty set of the target ran in search i
    y: np.ndarray          # rnum / rden where rden > 0: what the outcome model learns


def _weighted_parts(data: LoggedSearches, policy: TargetPolicy) -> _Parts:
    n = len(data)
    whit, wsum, rnum, rden = (np.zeros(n) for _ in range(4))
    matched_any = np.zeros(n, dtype=bool)
    for arms, pi in policy.sets():
        if pi <= 0:
            continue
        cols = data.columns(arms)
        matched = data.included[:, cols].all(axis=1)
        prob = data.propensity[:, cols].prod(axis=1)
        w = np.divide(matched.astype(float), prob, out=np.zeros(n), where=prob > 0)
        hit = data.hits(arms)
        whit += pi * w * hit
        wsum += pi * w
        rnum += pi * matched * hit
        rden += pi * matched
        if arms:
            matched_any |= matched
    y = np.divide(rnum, rden, out=np.zeros(n), where=rden > 0)
    return _Parts(whit, wsum, rnum, rden, matched_any, y)


def _support_warning(n: int, ess: float, weights: np.ndarray) -> str:
    """Why the weights make the interval untrustworthy, or "" when they look healthy."""
    total = float(weights.sum())
    if n == 0 or total <= 0:
        return "no search ran the target's arms: nothing supports an estimate"
    problems = []
    if ess < LOW_ESS_SHARE * n:
        problems.append(f"effective sample size {ess:.1f} of {n} searches")
    share = float(weights.max()) / total
    if share > MAX_WEIGHT_SHARE:
        problems.append(f"one search carries {share:.0%} of the weight")
    if not problems:
        return ""
    return "weak support: " + "; ".join(problems) + " - the interval understates the uncertainty"


def _point(name: str, parts: _Parts, terms: dict[str, np.ndarray]) -> tuple[float, float]:
    """Point estimate and standard error of one estimator."""
    if name in ("replay", "snips"):
        num, den = (parts.rnum, parts.rden) if name == "replay" else (parts.whit, parts.wsum)
        total = float(den.sum())
        if total <= 0:
            return float("nan"), float("nan")
        v = float(num.sum() / total)
        # Delta method for a ratio of means (for a fixed set's replay: sqrt(v (1 - v) / matched)).
        return v, float(np.sqrt(((num - v * den) ** 2).sum()) / total)
    t = terms[name]
    n = len(t)
    return float(t.mean()), float(t.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def _bootstrap(name: str, parts: _Parts, terms: dict[str, np.ndarray], confidence: float, n_bootstrap: int,
               seed: int) -> tuple[float, float]:
    """Percentile interval from `n_bootstrap` resamples of searches (DR reuses the fitted model)."""
    rng = np.random.default_rng(seed)
    n = len(parts.whit)
    idx = rng.integers(0, n, size=(n_bootstrap, n))
    if name in ("replay", "snips"):
        num, den = (parts.rnum, parts.rden) if name == "replay" else (parts.whit, parts.wsum)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    else:
        values = terms[name][idx].mean(axis=1)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def _cross_fitted_model(x: np.ndarray, hit: np.ndarray, matched: np.ndarray, seed: int) -> np.ndarray:
    """Predicted hit per search from a ridge regression fitted on the other fold's matched searches.

    Any model keeps DR unbiased (it is a control variate); cross-fitting keeps a search's own
    outcome out of its prediction."""
    n = len(hit)
    out = np.zeros(n)
    folds = np.random.default_rng([seed, 0xD2]).integers(0, 2, size=n)
    fallback = float(hit[matched].mean()) if matched.any() else 0.0
    for fold in (0, 1):
        train = matched & (folds != fold)
        test = folds == fold
        if train.sum() < 2:
            out[test] = fallback
            continue
        out[test] = _ridge_predict(x[train], hit[train], x[test])
    return np.clip(out, 0.0, 1.0)


def _ridge_predict(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Ridge regression with an unpenalised intercept (features centred on the training mean)."""
    mu, y_mu = x_train.mean(axis=0), y.mean()
    xc = x_train - mu
    a = xc.T @ xc + RIDGE_LAMBDA * np.eye(x_train.shape[1])
    beta = np.linalg.solve(a, xc.T @ (y - y_mu))
    return y_mu + (x_test - mu) @ beta


def evaluate_log(path: str | Path, targets: Sequence[str] | None = None, confidence: float = 0.95,
                 ci: str = "normal", seed: int = 0) -> list[OPEResult]:
    """Estimate each target (default: every single arm and ``all``) from a log file."""
    data = logged_searches(load_log(path))
    targets = list(targets) if targets else [f"static:{a}" for a in data.arms] + ["all"]
    return [evaluate(data, t, confidence=confidence, ci=ci, seed=seed) for t in targets]


def results_table(results: Sequence[OPEResult]) -> pd.DataFrame:
    """One row per target: every estimator's value and interval, matched searches, ESS and support."""
    rows = []
    for r in results:
        row: dict[str, object] = {"target": r.target, "n": r.n, "matched": r.matched, "ess": r.ess,
                                  "max_weight": r.max_weight, "support": r.support,
                                  "warning": "; ".join(r.warnings)}
        for e in r.estimates:
            row[e.estimator] = e.value
            row[f"{e.estimator}_ci"] = e.interval_text()
        rows.append(row)
    return pd.DataFrame(rows)
