"""The learning study's report: report.md, summary.json, the frontier figures and the tables."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ltrr.simulate.frontier import PRE_DRIFT
from ltrr.simulate.report import drift_text, format_interval, markdown_table
from ltrr.simulate.study_plots import plot_frontier, plot_ms_frontier
from ltrr.simulate.study_settings import (INFORMED_LEARNERS, LEARNER, MS_LEARNER, RANKER_TEXT, ROUTE_POLICY,
                                         TOLD_PRICED_LABEL, TOLD_PRICED_POLICY, TRAINED_LABEL, WARM_LABEL,
                                         WARM_PRICED_LABEL, WARM_PRICED_POLICY, StudySettings, Tuning, cost_spec)


def _fmt(entry: dict | None) -> str:
    if not entry:
        return "n/a"
    return format_interval(entry["mean"], entry["low"], entry["high"], entry["unit"])   # one seed: no interval


def _drift_header(settings: StudySettings) -> str:
    """The report's words for the drift: its step and share, or plainly none in this run."""
    text = drift_text(settings.drift_step, settings.steps)
    if settings.drift_step is None or settings.drift_step >= settings.steps:
        return text
    return f"{text} (share of its searches asking what just came out: {settings.release_share:g})"


def _pre_drift_section(tuning: Tuning, settings: StudySettings) -> list[str]:
    """The report's table of the configurations tuned before the drift (none: no lines)."""
    if tuning.pre_drift_offline is None or tuning.pre_drift_offline.empty:
        return []
    return ["", f"Tuned before the drift (the {PRE_DRIFT}N configurations): the best fixed configuration at each "
            f"cap on the tuning stream's searches before step {settings.drift_step:,} only; coverage and "
            "candidates on those searches and on the searches after the drift, which they never saw. "
            "They are compared on the post-drift window, and left out of the static frontier.", "",
            markdown_table(tuning.pre_drift_offline)]


def _worst_type_lines(wt: dict | None, who: str = "the default learner") -> list[str]:
    """The per-type reading per seed (see :mod:`ltrr.simulate.worst_type`) of ``who``, as report lines."""
    if not wt:
        return []
    per_seed = "; ".join(f"{r['points']:+.1f} ({r['query_type']}, {r['searches']} searches; {r['reference']})"
                         for r in wt["learner"])
    met = wt["tuned_met_every_seed"]
    return [f"- worst query type per seed, {who} minus the tuned configuration nearest its "
            f"candidates on that seed: {per_seed}; {wt['learner_seeds_met']} of {wt['seeds']} seeds at "
            f"{wt['threshold']:+g} or better. The same reading for each tuned configuration against the tuned "
            f"configuration nearest it: {100 * wt['tuned_below_share']:.0f}% of configuration-seeds below "
            f"{wt['threshold']:+g} (median worst type {wt['tuned_median_worst']:+.1f}); "
            f"{len(met)} of {wt['tuned_configurations']} configurations at {wt['threshold']:+g} or better on every "
            "seed" + (f" ({', '.join(met)})" if met else "")
            + (f"; against the nearest with fewer candidates: {100 * wt['tuned_vs_cheaper_below_share']:.0f}% below"
               if wt.get("tuned_vs_cheaper_below_share") is not None else "")]


def _versus(summary: dict, text: str, name: str) -> list[str]:
    """A report line for a paired reading with its candidates twin (``name``, ``name``_candidates;
    see ``compare``), or none when the study did not make it."""
    if not summary.get(name):
        return []
    return [f"- {text}: {_fmt(summary[name])}, candidates {_fmt(summary[f'{name}_candidates'])}"]


def write_study_report(summary: dict, records: pd.DataFrame, tuning: Tuning, settings: StudySettings,
                       policies: dict[str, str], out: Path) -> Path:
    """report.md, summary.json, the frontier figures (candidates, milliseconds) and the tables, in ``out``."""
    figure = plot_frontier(records, tuning.oracle_frontier, settings.window, settings.steps, out / "frontier.png")
    ms_figure = plot_ms_frontier(records, settings.window, settings.steps, out / "frontier_ms.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    table = pd.DataFrame(summary["table"])
    # The trained-ranker run is the default learner's spec with the product's ranker (not a policy).
    table["policy"] = table["label"].map({**policies, TRAINED_LABEL: f"{LEARNER} (trained ranker)",
                                          WARM_LABEL: f"{LEARNER} (warm start)",
                                          WARM_PRICED_LABEL: f"{WARM_PRICED_POLICY} (warm start)",
                                          TOLD_PRICED_LABEL: f"{TOLD_PRICED_POLICY} (warm start)"})
    lines = [f"# Learning that pays: {len(summary['seeds'])} seeds x {settings.steps} steps, "
             f"last {settings.window}", "",
             f"Catalog `{Path(settings.catalog).name}`; tuning stream seed {settings.tune_seed} "
             f"({settings.tune_steps} steps); {_drift_header(settings)}; a user a search failed searches again by the "
             f"target's name with chance {settings.retry_share:g}, and the engine hears what they found there; "
             f"a user a broad ask (mood or activity, an ambiguous word) failed follows it with a more specific "
             f"search in the same session with chance {settings.reformulate_share:g} (the follow-up is not "
             f"counted as a search of its own: success is the first search's); {RANKER_TEXT[settings.ranker]}; "
             f"simulated {settings.simulated_world().describe()}.", "",
             "| policy | spec | success@10 | retrieved | candidates | arms | arm ms / search |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.label} | `{row.policy}` | {100 * row.success:.1f}% | {100 * row.covered:.1f}% | "
                     f"{row.candidates:.1f} | {row.arms:.2f} | {row.arm_ms:.2f} |")
    lines += ["", "Arm ms / search: the sum of the run times of the arms that ran, each arm timed once per query "
              "when its list was first computed (at the cached depth) and charged alike to every policy that "
              "ran it; ranking is not included, and the arms of a search run concurrently, so it is a cost, "
              "not a latency. The numbers depend on the machine and its load."]
    lines += ["", "## Paired comparisons (mean over seeds, 95% t-interval)", "",
              f"- default learner minus {summary['all_label']}, success@10: {_fmt(summary['learner_minus_all'])}; "
              f"candidates {_fmt(summary['candidates_ratio_vs_all'])}; arm ms {_fmt(summary['arm_ms_ratio_vs_all'])}",
              f"- default learner minus the static frontier at its own candidates: "
              f"{_fmt(summary['learner_minus_static_frontier'])}",
              f"- default learner minus the static frontier at its own arm ms: "
              f"{_fmt(summary['learner_minus_static_frontier_ms'])}",
              f"- the learner that also prices milliseconds (`{MS_LEARNER}`) minus the static frontier at its "
              f"own arm ms: {_fmt(summary.get('ms_learner_minus_static_frontier_ms'))}",
              f"- context-aware minus context-free (same cost weight): {_fmt(summary['context_minus_context_free'])}; "
              f"candidates {_fmt(summary['candidates_ratio_context_vs_free'])}"]
    for name, spec, what in INFORMED_LEARNERS:
        if summary.get(f"{name}_learner_minus_static_frontier"):
            lines.append(f"- the learner {what.format(spec=spec)} minus the static frontier at its own candidates: "
                         f"{_fmt(summary[f'{name}_learner_minus_static_frontier'])}; minus the default learner: "
                         f"{_fmt(summary[f'{name}_learner_minus_learner'])}")
    if summary.get("trained_minus_heuristic"):
        lines.append(f"- the default learner with the trained ranker (as the product ships) minus with the heuristic "
                     f"ranker: success@10 {_fmt(summary['trained_minus_heuristic'])}; MRR@10 "
                     f"{summary['mrr']['heuristic']:.3f} -> {summary['mrr']['trained']:.3f}, "
                     f"difference {_fmt(summary['trained_minus_heuristic_mrr'])}")
    if summary.get("warm_learner_minus_static_frontier"):
        lines.append(f"- the default learner warmed, before its first search, by the tuning stream's searches "
                     f"(what the fixed configurations are tuned on; `Engine.warm_start`) minus the static frontier "
                     f"at its own candidates: {_fmt(summary['warm_learner_minus_static_frontier'])}; minus the "
                     f"default learner: "
                     f"{_fmt(summary['warm_learner_minus_learner'])}, candidates "
                     f"{_fmt(summary['warm_learner_minus_learner_candidates'])}")
    if summary.get("route_minus_static_frontier"):
        lines.append(f"- the routing table (`{ROUTE_POLICY}`: a fixed configuration per kind of ask, chosen on the "
                     f"tuning stream; no learning) minus the static frontier at its own candidates: "
                     f"{_fmt(summary['route_minus_static_frontier'])}; the default learner minus it: "
                     f"{_fmt(summary['learner_minus_route'])}, candidates "
                     f"{_fmt(summary['learner_minus_route_candidates'])}")
    lines += _versus(summary, "the warmed learner minus the routing table", "warm_learner_minus_route")
    if summary.get("warm_priced_minus_static_frontier"):
        lines.append(f"- the learner at the routing table's price (`{WARM_PRICED_POLICY}`), warmed the same way, minus "
                     f"the static frontier at its own candidates: {_fmt(summary['warm_priced_minus_static_frontier'])}")
    lines += _versus(summary, "it minus the warmed default learner", "warm_priced_minus_warm_learner")
    lines += _versus(summary, "it minus the same learner started cold", "warm_priced_minus_cold_priced")
    if summary.get("told_priced_minus_static_frontier"):
        lines.append(f"- it told every answer as well (`{TOLD_PRICED_POLICY}`, warmed: a bound) minus the static "
                     f"frontier at its own candidates: {_fmt(summary['told_priced_minus_static_frontier'])}; "
                     f"minus it untold: {_fmt(summary['told_priced_minus_warm_priced'])}")
    lines += _versus(summary, "it minus the routing table", "warm_priced_minus_route")
    cheapest = summary.get("cheapest_fixed_reaching_learner")
    if cheapest:
        lines.append(f"- cheapest fixed configuration reaching the learner's success: {cheapest['label']} "
                     f"({cheapest['candidates']:.1f} candidates); learner/that: "
                     f"{_fmt(summary.get('candidates_ratio_vs_cheapest_reaching'))}")
    else:
        lines.append("- no fixed configuration reached the learner's success")
    for entry in summary.get("costs", []):
        name, reach = entry["name"], entry["reaching"]
        line = (f"- the learner on another budget, a candidate at {entry['cost']:g} (`{cost_spec(entry['cost'])}`; "
                f"{100 * entry['success']:.1f}% at {entry['candidates']:.1f} candidates) minus the static frontier at "
                f"its own candidates: {_fmt(summary.get(f'{name}_minus_static_frontier'))}; ")
        line += (f"cheapest fixed configuration reaching its success: {reach['label']} ({reach['candidates']:.1f} "
                 f"candidates); learner/that: {_fmt(summary.get(f'{name}_candidates_ratio_vs_cheapest_reaching'))}"
                 if reach else "no fixed configuration reached its success")
        lines.append(line)
    o = summary["oracle"]
    lines.append(f"- per-type oracle (offline): to retrieve the wanted item as often as the learner "
                 f"({100 * o['learner_coverage']:.1f}%) it needs {o['oracle_retrieved_at_that_coverage']:.1f} "
                 f"candidates returned per search; the learner uses {o['learner_retrieved']:.1f} "
                 + (f"(ratio {o['ratio']:.2f})" if np.isfinite(o["ratio"]) else "(no ratio: the oracle needs none)"))
    for label, w in summary.get("oracle_warmed", {}).items():
        lines.append(f"- the same oracle against {label} ({100 * w['learner_coverage']:.1f}%): "
                     f"{w['oracle_retrieved_at_that_coverage']:.1f} candidates; it uses {w['learner_retrieved']:.1f} "
                     + (f"(ratio {w['ratio']:.2f})" if np.isfinite(w["ratio"]) else "(no ratio: the oracle needs none)"))
    pq = summary.get("per_query_oracle")
    if pq:
        lines.append(f"- per-query oracle (offline, tuning stream; the cheapest configuration covering each search, "
                     f"known in hindsight: the absolute limit): retrieves the wanted item in {100 * pq['coverage']:.1f}% "
                     f"of searches for {pq['cost']:.2f} candidates returned per search; the learner returns "
                     f"{pq['learner_retrieved']:.1f} for {100 * o['learner_coverage']:.1f}% "
                     + (f"({pq['ratio']:.1f}x)" if np.isfinite(pq["ratio"]) else ""))
    if summary.get("drift") and settings.drift_step is not None and settings.drift_step < settings.steps:
        d = summary["drift"]["per_seed"]
        lines.append("- drift: steps after the drift until rolling-100 success is within 2 points of the "
                     "300 steps before: " + ", ".join("not by the last step" if x["steps_to_recover"] is None
                                                      else str(x["steps_to_recover"]) for x in d))
    pre = summary.get("pre_drift")
    if pre:
        ran = "" if pre["runs_as"] == pre["reference"] else f", run as {pre['runs_as']}, the same configuration"
        ref = pre["configurations"][pre["reference"]]
        lines.append(f"- default learner minus the configuration tuned before the drift nearest its cost, "
                     f"{pre['reference']} (`{pre['spec']}`{ran}; {ref['candidates']:.1f} candidates against the "
                     f"learner's {pre['learner']['candidates']:.1f}), on the post-drift window (steps "
                     f"{pre['first_step']:,}-{pre['last_step']:,}): {_fmt(summary.get('learner_minus_pre_drift'))}")
    lines += _worst_type_lines(summary.get("worst_type"))
    pre = summary.get("warm_priced_pre_drift")
    if pre:
        lines.append(f"- the learner at the routing table's price, warmed, minus the configuration tuned before the "
                     f"drift nearest its cost, {pre['reference']} ({pre['learner']['candidates']:.1f} candidates), "
                     f"on the post-drift window: {_fmt(summary.get('warm_priced_minus_pre_drift'))}")
    lines += _worst_type_lines(summary.get("warm_priced_worst_type"), "the learner at the routing table's price, warmed,")
    nd = summary.get("new_demand")
    if nd:
        pct = lambda v: "-" if v is None else f"{100 * v:.0f}%"   # noqa: E731
        lines.append(f"- new demand (searches asking what just came out, a kind of query the drift created; "
                     f"about {nd['per_seed_searches']['first']:.0f} per seed in the first {nd['first']} steps "
                     f"after it, {nd['per_seed_searches']['last']:.0f} in the last {settings.window}), "
                     "success@10 first -> last: " +
                     "; ".join(f"{lab} {pct(v['first'])} -> {pct(v['last'])}" for lab, v in nd["labels"].items()))
    bt = summary.get("by_type")
    if bt:
        ref = bt["reference"]
        rows = pd.DataFrame(bt["rows"])
        lines += ["", f"## By query type: the learner beside {ref}, the tuned configuration nearest its candidates",
                  "", f"Last {settings.window} steps, seeds pooled. Points: the type's share of searches times the "
                  f"difference in success@10, so they add up to the whole difference "
                  f"({rows['points'].sum():+.1f}). Where retrieved is well above success@10, the wanted item "
                  "was retrieved and ranked off the first page: lost in the ranking of a large pool, "
                  "not in retrieval.", "",
                  f"| query type | share | learner success@10 | retrieved | candidates | {ref} success@10 "
                  "| retrieved | candidates | points |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        percent = lambda v: "-" if pd.isna(v) else f"{100 * v:.1f}%"       # noqa: E731
        number = lambda v: "-" if pd.isna(v) else f"{v:.1f}"                # noqa: E731
        for r in rows.itertuples(index=False):
            lines.append(f"| {r.query_type} | {100 * r.share:.1f}% | {percent(r.success)} | {percent(r.retrieved)} | "
                         f"{number(r.candidates)} | {percent(r.ref_success)} | {percent(r.ref_retrieved)} | "
                         f"{number(r.ref_candidates)} | {'-' if pd.isna(r.points) else f'{r.points:+.2f}'} |")
    lines += ["", "## Tuned fixed configurations (tuning stream, offline)", "",
              "Cap: candidates per search, or the arms' run time per search as a share of the time every arm "
              "together takes (the tuned<=N%ms configurations; at most "
              f"{settings.ms_candidates:g} candidates each). Coverage and cost (candidates) on the tuning "
              "stream; arm time as that share.", "",
              markdown_table(tuning.fixed_offline), *_pre_drift_section(tuning, settings),
              "", f"![frontier]({figure.name})", "", f"![frontier in milliseconds]({ms_figure.name})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    tuning.fixed_offline.to_csv(out / "tuned_fixed.csv", index=False)
    if tuning.pre_drift_offline is not None and not tuning.pre_drift_offline.empty:
        tuning.pre_drift_offline.to_csv(out / "tuned_before_drift.csv", index=False)
    tuning.oracle_types.to_csv(out / "oracle_per_type.csv", index=False)
    tuning.oracle_frontier.to_csv(out / "oracle_frontier.csv", index=False)
    return path
