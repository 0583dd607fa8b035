"""The learning study's comparisons: paired differences over seeds against the tuned fixed
configurations, the static frontier and the oracles, by query type, after the drift and on new demand."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.simulate.frontier import PRE_DRIFT, fixed_labels, frontier_at, per_seed, t_interval, upper_frontier
from ltrr.simulate.study_settings import (INFORMED_LEARNERS, MS_LEARNER, ROUTE_LABEL, TRAINED_LABEL, WARM_LABEL,
                                         TOLD_PRICED_LABEL, WARM_PRICE, WARM_PRICED_LABEL, StudySettings, Tuning,
                                         cost_label)
from ltrr.simulate.worst_type import is_tuned_by_candidates, nearest as nearest_label, summary as worst_type_summary


def oracle_reading(seeds: pd.DataFrame, label: str, tuning: Tuning) -> dict:
    """What the per-type oracle (offline, tuning stream) returns per search to retrieve the wanted
    item as often as ``label`` did, beside what ``label`` returned (``seeds``: per seed and label,
    ``covered`` and ``retrieved`` over the window); ratio NaN where the oracle needs nothing."""
    cov = float(seeds[seeds.label == label]["covered"].mean())
    ret = float(seeds[seeds.label == label]["retrieved"].mean())
    of = tuning.oracle_frontier.sort_values("cost")
    cost = float(np.interp(cov, np.maximum.accumulate(of["coverage"].to_numpy()), of["cost"].to_numpy()))
    return {"learner_coverage": cov, "learner_retrieved": ret, "oracle_retrieved_at_that_coverage": cost,
            "ratio": ret / cost if cost > 0 else float("nan"),
            "full_coverage": float((tuning.oracle_types.share * tuning.oracle_types.coverage).sum()),
            "full_coverage_cost": float((tuning.oracle_types.share * tuning.oracle_types.cost).sum())}


def nearest_tuned(means: pd.DataFrame, label: str) -> str | None:
    """The fixed configuration tuned by candidates (``tuned<=N``) whose mean candidates per search
    are nearest ``label``'s (``means``: indexed by label, with a ``candidates`` column); None if none ran."""
    return nearest_label(means["candidates"], label, [lab for lab in means.index if is_tuned_by_candidates(lab)])


def by_type(records: pd.DataFrame, window: int, label: str, reference: str) -> pd.DataFrame:
    """Per query type over the last ``window`` steps (seeds pooled): ``label`` beside ``reference``.

    Columns: query_type, share (of ``label``'s searches), success, retrieved and candidates of
    each (``ref_`` prefixed for the reference), and ``points``: the type's share times the
    difference in success, in points, so that they add up to the overall difference. Worst first.
    """
    last = records[records["step"] > records["step"].max() - window]

    def stats(lab: str) -> pd.DataFrame:
        return (last[last["label"] == lab].groupby("query_type")
                .agg(searches=("step", "size"), success=("success", "mean"), retrieved=("covered", "mean"),
                     candidates=("n_candidates", "mean")))
    mine, ref = stats(label), stats(reference).add_prefix("ref_")
    table = mine.join(ref, how="left")
    table.insert(0, "share", table.pop("searches") / max(1, int(mine["searches"].sum())))
    table = table.drop(columns="ref_searches")
    table["points"] = 100 * table["share"] * (table["success"] - table["ref_success"])
    return table.reset_index().sort_values(["points", "query_type"]).reset_index(drop=True)


def compare(records: pd.DataFrame, tuning: Tuning, settings: StudySettings) -> dict:
    """Every comparison the README states, per seed and as a mean with a 95% interval."""
    seeds = per_seed(records, settings.window)
    labels = list(dict.fromkeys(records["label"]))
    fixed = fixed_labels(labels)
    learner = "coverage (default)"
    wide = seeds.pivot(index="seed", columns="label")
    s, c, ms = wide["success"], wide["candidates"], wide["arm_ms"]
    out: dict = {"seeds": list(map(int, s.index)), "window": settings.window, "steps": settings.steps}
    means = seeds.groupby("label")[["success", "covered", "candidates", "retrieved", "arms", "arm_ms"]].mean()
    out["table"] = means.reindex(labels).reset_index().to_dict(orient="records")

    def paired(name: str, diffs: pd.Series, unit: str = "points") -> None:
        mean, lo, hi = t_interval(diffs.to_numpy() * (100 if unit == "points" else 1))
        out[name] = {"mean": mean, "low": lo, "high": hi, "per_seed": [round(float(v), 4) for v in diffs],
                     "unit": unit}

    def versus(name: str, label: str, other: str) -> None:
        """``label`` minus ``other``: success in points (``name``) and candidates (``name``_candidates)."""
        paired(name, s[label] - s[other])
        paired(f"{name}_candidates", c[label] - c[other], unit="difference")

    everything = f"all@{max(settings.all_budgets)}"     # every arm at the deepest fixed budget
    out["all_label"] = everything
    paired("learner_minus_all", s[learner] - s[everything])
    paired("candidates_ratio_vs_all", c[learner] / c[everything], unit="ratio")
    paired("arm_ms_ratio_vs_all", ms[learner] / ms[everything], unit="ratio")
    # The static frontier of each seed (fixed configurations run on that seed), at the learner's cost,
    # in candidates and in arm milliseconds (each seed's own timings).
    def frontier_gaps(label: str, cost: pd.DataFrame) -> pd.Series:
        gaps = []
        for seed in s.index:
            pts = pd.DataFrame({"cost": cost.loc[seed, fixed], "success": s.loc[seed, fixed]})
            front = upper_frontier(pts, x="cost")
            gaps.append(s.loc[seed, label] - frontier_at(front, cost.loc[seed, label], x="cost"))
        return pd.Series(gaps, index=s.index)
    paired("learner_minus_static_frontier", frontier_gaps(learner, c))
    paired("learner_minus_static_frontier_ms", frontier_gaps(learner, ms))
    ms_label = MS_LEARNER.replace(":", " ", 1)
    if ms_label in s.columns:
        paired("ms_learner_minus_static_frontier_ms", frontier_gaps(ms_label, ms))
    for name, spec, _ in INFORMED_LEARNERS:
        label = spec.replace(":", " ", 1)
        if label in s.columns:
            paired(f"{name}_learner_minus_static_frontier", frontier_gaps(label, c))
            paired(f"{name}_learner_minus_learner", s[label] - s[learner])
    # Cheapest fixed configuration reaching the learner's success (means over seeds).
    m_s, m_c = s.mean(), c.mean()
    reaching = [lab for lab in fixed if m_s[lab] >= m_s[learner]]
    if reaching:
        best = min(reaching, key=lambda lab: m_c[lab])
        out["cheapest_fixed_reaching_learner"] = {"label": best, "candidates": float(m_c[best]),
                                                  "success": float(m_s[best]),
                                                  "ratio": float(m_c[learner] / m_c[best])}
        paired("candidates_ratio_vs_cheapest_reaching", c[learner] / c[best], unit="ratio")
    else:
        out["cheapest_fixed_reaching_learner"] = None
    # The learner at each other cost weight: its own place against the frontier, and the cheapest
    # fixed configuration reaching its success (a tight budget is where choosing arms should pay).
    out["costs"] = []
    for cost in settings.costs:
        label = cost_label(cost)
        if label not in s.columns:
            continue
        name = f"cost_{cost:g}"
        paired(f"{name}_minus_static_frontier", frontier_gaps(label, c))
        entry = {"cost": float(cost), "label": label, "name": name, "success": float(m_s[label]),
                 "candidates": float(m_c[label]), "reaching": None}
        reaching = [lab for lab in fixed if m_s[lab] >= m_s[label]]
        if reaching:
            best = min(reaching, key=lambda lab: m_c[lab])
            entry["reaching"] = {"label": best, "candidates": float(m_c[best]), "success": float(m_s[best])}
            paired(f"{name}_candidates_ratio_vs_cheapest_reaching", c[label] / c[best], unit="ratio")
        out["costs"].append(entry)
    if WARM_LABEL in s.columns:
        # The learner warmed by what the fixed configurations were tuned on, against both.
        paired("warm_learner_minus_static_frontier", frontier_gaps(WARM_LABEL, c))
        versus("warm_learner_minus_learner", WARM_LABEL, learner)
    if WARM_PRICED_LABEL in s.columns:
        # The learner at the routing table's price, warmed likewise: against the frontier and the warmed default.
        paired("warm_priced_minus_static_frontier", frontier_gaps(WARM_PRICED_LABEL, c))
        if WARM_LABEL in s.columns:
            versus("warm_priced_minus_warm_learner", WARM_PRICED_LABEL, WARM_LABEL)
        if TOLD_PRICED_LABEL in s.columns:
            # The same learner told every answer: the bound on what more information buys it.
            paired("told_priced_minus_static_frontier", frontier_gaps(TOLD_PRICED_LABEL, c))
            paired("told_priced_minus_warm_priced", s[TOLD_PRICED_LABEL] - s[WARM_PRICED_LABEL])
        cold = cost_label(WARM_PRICE)
        if cold in s.columns:
            # What the warm start adds at the same price (the same learner, started cold).
            versus("warm_priced_minus_cold_priced", WARM_PRICED_LABEL, cold)
    if ROUTE_LABEL in s.columns:
        # The routing table chosen on the tuning stream: the strongest baseline a team could ship.
        paired("route_minus_static_frontier", frontier_gaps(ROUTE_LABEL, c))
        versus("learner_minus_route", learner, ROUTE_LABEL)
        for name, label in (("warm_learner", WARM_LABEL), ("warm_priced", WARM_PRICED_LABEL)):
            if label in s.columns:
                versus(f"{name}_minus_route", label, ROUTE_LABEL)
    if TRAINED_LABEL in s.columns:
        # The product as shipped: the trained ranker against the heuristic, same learner and stream.
        paired("trained_minus_heuristic", s[TRAINED_LABEL] - s[learner])
        last = records[records["step"] > records["step"].max() - settings.window]
        mrr = last.groupby(["seed", "label"])["reciprocal_rank"].mean().unstack()
        paired("trained_minus_heuristic_mrr", mrr[TRAINED_LABEL] - mrr[learner], unit="difference")
        out["mrr"] = {"heuristic": float(mrr[learner].mean()), "trained": float(mrr[TRAINED_LABEL].mean())}
    paired("context_minus_context_free", s[learner] - s["coverage, context-free"])
    paired("candidates_ratio_context_vs_free", c[learner] / c["coverage, context-free"], unit="ratio")
    # The per-type oracle (offline, tuning stream): its cost to reach the learner's coverage.
    out["oracle"] = oracle_reading(seeds, learner, tuning)
    ret_l = out["oracle"]["learner_retrieved"]
    warmed = {label: oracle_reading(seeds, label, tuning)
              for label in (WARM_LABEL, WARM_PRICED_LABEL) if label in s.columns}
    if warmed:
        out["oracle_warmed"] = warmed
    if tuning.per_query:
        pq = dict(tuning.per_query)
        pq["learner_retrieved"] = ret_l
        pq["ratio"] = ret_l / pq["cost"] if pq["cost"] > 0 else float("nan")
        out["per_query_oracle"] = pq
    reference = nearest_tuned(means, learner) if "query_type" in records.columns else None
    out["by_type"] = None if reference is None else {
        "reference": reference,
        "rows": by_type(records, settings.window, learner, reference).to_dict(orient="records")}
    out["worst_type"] = (worst_type_summary(records, settings.window, learner)
                         if "query_type" in records.columns else None)
    out["drift"] = drift_recovery(records, settings, learner)
    out["new_demand"] = new_demand(records, settings, [learner, "coverage, context-free", everything,
                                                       *[lab for lab in fixed if lab.startswith("tuned")],
                                                       *[lab for lab in labels if lab.startswith(PRE_DRIFT)]])
    pre = pre_drift_comparison(records, tuning, settings, learner)
    out["pre_drift"] = pre
    if pre is not None:
        paired("learner_minus_pre_drift", pd.Series(pre.pop("differences")))
    if WARM_PRICED_LABEL in s.columns and "query_type" in records.columns:
        # The same two readings for the learner the README's answer rests on.
        out["warm_priced_worst_type"] = worst_type_summary(records, settings.window, WARM_PRICED_LABEL)
        pre = pre_drift_comparison(records, tuning, settings, WARM_PRICED_LABEL)
        out["warm_priced_pre_drift"] = pre
        if pre is not None:
            paired("warm_priced_minus_pre_drift", pd.Series(pre.pop("differences")))
    return out


def pre_drift_comparison(records: pd.DataFrame, tuning: Tuning, settings: StudySettings,
                         learner: str) -> dict | None:
    """``learner`` beside the configuration tuned before the drift whose candidates per search are
    nearest its own, on the post-drift window: the last ``window`` steps, from the drift step on.

    A pre-drift configuration that another label already ran (the same spec) is read under that
    label. Returns None without a drift, pre-drift configurations or steps after the drift; else
    the reference, the window, each pre-drift configuration's success and candidates there (means
    over seeds), and ``differences``: the learner's success minus the reference's, per seed.
    """
    if settings.drift_step is None or not tuning.pre_drift or learner not in set(records["label"]):
        return None
    last = int(records["step"].max())
    start = max(last - settings.window, int(settings.drift_step) - 1)     # steps after `start`
    post = records[records["step"] > start]
    if post.empty:
        return None
    ran_labels = set(records["label"])
    by_spec = dict(zip(records["policy"], records["label"])) if "policy" in records.columns else {}
    runs_as = {label: label if label in ran_labels else by_spec.get(spec)
               for label, spec in tuning.pre_drift.items()}
    runs_as = {label: ran for label, ran in runs_as.items() if ran is not None}
    if not runs_as:
        return None
    per = (post.groupby(["seed", "label"]).agg(success=("success", "mean"), candidates=("n_candidates", "mean"))
           .reset_index().pivot(index="seed", columns="label"))
    success, candidates = per["success"], per["candidates"]
    mean_c = candidates.mean()
    nearest = min(runs_as, key=lambda lab: (abs(float(mean_c[runs_as[lab]]) - float(mean_c[learner])), lab))
    ref = runs_as[nearest]
    return {"reference": nearest, "runs_as": ref, "spec": tuning.pre_drift[nearest],
            "first_step": start + 1, "last_step": last,
            "learner": {"success": float(success[learner].mean()), "candidates": float(mean_c[learner])},
            "configurations": {label: {"runs_as": ran, "spec": tuning.pre_drift[label],
                                       "success": float(success[ran].mean()), "candidates": float(mean_c[ran])}
                               for label, ran in runs_as.items()},
            "differences": success[learner] - success[ref]}


def drift_recovery(records: pd.DataFrame, settings: StudySettings, label: str, before: int = 300,
                   window: int = 100, tolerance: float = 0.02) -> dict | None:
    """Steps after the drift until the rolling success is back within ``tolerance`` of the pre-drift level."""
    if settings.drift_step is None:
        return None
    out = []
    for seed, frame in records[records["label"] == label].groupby("seed"):
        frame = frame.sort_values("step")
        pre = frame[(frame.step < settings.drift_step) & (frame.step >= settings.drift_step - before)]["success"].mean()
        post = frame[frame.step >= settings.drift_step]
        rolling = post["success"].rolling(window).mean()
        ok = post["step"][rolling >= pre - tolerance]
        steps = int(ok.iloc[0] - settings.drift_step) if len(ok) else None
        out.append({"seed": int(seed), "pre": float(pre), "steps_to_recover": steps,
                    "post_first_300": float(post[post.step < settings.drift_step + 300]["success"].mean())})
    return {"per_seed": out, "window": window, "tolerance": tolerance}


def new_demand(records: pd.DataFrame, settings: StudySettings, labels: Sequence[str],
               query_type: str = "new_releases", first: int = 300) -> dict | None:
    """Success on the kind of query the drift created (asking what just came out), per label:
    over the ``first`` searches after the drift and over the study's last ``window`` steps
    (means over seeds), and how many such searches each part held per seed."""
    if settings.drift_step is None:
        return None
    asks = records[(records["query_type"] == query_type) & (records["step"] >= settings.drift_step)]
    if asks.empty:
        return None
    early = asks[asks["step"] < settings.drift_step + first]
    late = asks[asks["step"] > records["step"].max() - settings.window]
    out = {"query_type": query_type, "first": first, "labels": {}}
    for lab in labels:
        e, lt = early[early["label"] == lab], late[late["label"] == lab]
        out["labels"][lab] = {
            "first": float(e.groupby("seed")["success"].mean().mean()) if len(e) else None,
            "last": float(lt.groupby("seed")["success"].mean().mean()) if len(lt) else None}
    # The same stream for every label: count one label's searches.
    n_seeds, one = max(records["seed"].nunique(), 1), labels[0]
    out["per_seed_searches"] = {"first": int((early["label"] == one).sum()) / n_seeds,
                                "last": int((late["label"] == one).sum()) / n_seeds}
    return out
