"""Tables, figures and a Markdown report from a :class:`SimulationResult`.

Tables are plain DataFrames (the app shows them too); :func:`write_report`
writes them as CSV, draws PNG figures with matplotlib (Agg backend, no
display needed) and a ``report.md`` that links everything:

* ``steps.csv``: every record (one row per policy per step),
* ``summary.csv``: per policy, over the whole run and the last ``window`` steps,
* ``per_type.csv``: per policy and query type,
* ``arm_share.csv``: per policy, query type and arm, the share of searches that ran the arm,
* ``curves.png``, ``per_type.png``, ``arm_share.png``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ltrr.simulate.runner import SimulationResult

DEFAULT_WINDOW = 500
CURVE_SMOOTHING = 100


def _slope(cumulative: np.ndarray) -> float:
    """Average increase per step of a cumulative series (0 for fewer than two points)."""
    if len(cumulative) < 2:
        return 0.0
    return float((cumulative[-1] - cumulative[0]) / (len(cumulative) - 1))


def effective_window(steps: int, window: int = DEFAULT_WINDOW) -> int:
    """The window a run of `steps` can use: at most half the run, so that its first and last windows
    are separate stretches of the run (a 300-step run compares steps 1-150 with 151-300, not the
    same 300 steps twice, which would always give a slope ratio of 1)."""
    return max(1, min(int(window), int(steps) // 2))


def window_note(steps: int, window: int) -> str:
    """One line saying the window was scaled to fit the run ("" when it was not)."""
    used = effective_window(steps, window)
    if used == window:
        return ""
    return (f"the run ({steps:,} steps) is shorter than two windows of {window:,} steps: "
            f"using windows of {used:,} steps (the first and the last {used:,})")


def format_interval(mean: float, low: float, high: float, unit: str = "points") -> str:
    """``+1.20 points (95% CI +0.40 to +2.00)``, ``0.85x (95% CI ...)`` (unit "ratio") or ``+0.052
    (95% CI +0.031 to +0.070)`` (unit "difference", e.g. of MRR); where there is no interval (one
    seed) it says so instead of printing "nan"."""
    if mean is None or not np.isfinite(mean):
        return "n/a (no value)"
    head = {"points": f"{mean:+.2f} points", "difference": f"{mean:+.3f}"}.get(unit, f"{mean:.2f}x")
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return f"{head} (one seed: no interval)"
    if unit == "points":
        return f"{head} (95% CI {low:+.2f} to {high:+.2f})"
    if unit == "difference":
        return f"{head} (95% CI {low:+.3f} to {high:+.3f})"
    return f"{head} (95% CI {low:.2f} to {high:.2f})"


def drift_text(drift_step: int | None, steps: int) -> str:
    """How a report names the drift: at its step, or plainly absent (none asked for, or after the run's end)."""
    if drift_step is None:
        return "no drift"
    if drift_step >= steps:
        return f"no drift in this run (its step, {drift_step:,}, comes after the run's last, {steps:,})"
    return f"drift at step {drift_step:,}"


def last_window(records: pd.DataFrame, window: int, by: Sequence[str] = ("policy",)) -> pd.DataFrame:
    """Each run's last ``window`` steps: per group of ``by`` (and per ``seed`` when the records
    carry one), the rows whose step lies within ``window`` of that group's last step."""
    keys = list(dict.fromkeys([*by, *(["seed"] if "seed" in records.columns else [])]))
    if records.empty:
        return records
    last_step = records.groupby(keys, sort=False)["step"].transform("max")
    return records[records["step"] > last_step - int(window)]


def window_means(records: pd.DataFrame, window: int, by: Sequence[str] = ("policy",),
                 **columns: str) -> pd.DataFrame:
    """Per group of ``by``, over each run's last ``window`` steps (:func:`last_window`): the mean of
    each record column named, as ``name=column``; by default ``success`` (success@10). The one
    place a windowed success@10 is computed (the report, the Simulator page, the app's verdict)."""
    columns = columns or {"success": "success"}
    last = last_window(records, window, by)
    if last.empty:
        return pd.DataFrame(columns=[*by, *columns])
    return (last.groupby(list(by), sort=False).agg(**{name: (col, "mean") for name, col in columns.items()})
            .reset_index())


def summary_table(records: pd.DataFrame, window: int = DEFAULT_WINDOW) -> pd.DataFrame:
    """Per policy: success@10, MRR@10, click reward, regret and cost, overall and over the last `window` steps.

    Cost is counted twice over: ``candidates`` (what the arms returned, :func:`ltrr.reward.cost`)
    and ``pool`` (the distinct entities the ranker scored).

    ``regret_slope_first`` / ``regret_slope_last`` are the mean regret per
    step over the first and last `window` steps (the slope of cumulative
    regret there); ``slope_ratio`` is last / first.
    """
    rows = []
    lasts = last_window(records, window)
    for policy, group in records.groupby("policy", sort=False):
        group = group.sort_values("step")
        w = min(window, len(group))
        last, first = lasts[lasts["policy"] == policy], group.head(w)
        cum_regret = group["regret"].cumsum().to_numpy()
        slope_first = float(first["regret"].mean()) if w else 0.0
        slope_last = float(last["regret"].mean()) if w else 0.0
        rows.append({
            "policy": policy, "steps": len(group), "window": w,
            "success": group["success"].mean(), "success_last": last["success"].mean(),
            "mrr": group["reciprocal_rank"].mean(), "mrr_last": last["reciprocal_rank"].mean(),
            "reward": group["reward"].mean(), "reward_last": last["reward"].mean(),
            "cum_reward": int(group["reward"].sum()), "cum_regret": float(cum_regret[-1]) if len(cum_regret) else 0.0,
            "regret_slope_first": slope_first, "regret_slope_last": slope_last,
            "slope_ratio": slope_last / slope_first if slope_first > 1e-12 else np.nan,
            "candidates": group["n_retrieved"].mean(), "candidates_last": last["n_retrieved"].mean(),
            "pool": group["n_pool"].mean(), "pool_last": last["n_pool"].mean(),
            "arms_per_search": group["n_arms"].mean(), "arms_last": last["n_arms"].mean(),
            "latency_p50_ms": float(group["latency_ms"].median()),
        })
    return pd.DataFrame(rows)


def per_type_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per policy and query type: searches, success@10, MRR@10, reward, candidates, pool, arms per search.

    Every query type the records hold has its row (mood and activity asks, ambiguous words
    included). Records with the runner's reformulation columns add ``reformulated`` and
    ``reformulation_success``: the shares of the type's searches the user followed up, and
    followed up with a satisfying click (both of all its searches, so never undefined);
    success stays the first search's.
    """
    grouped = records.groupby(["policy", "query_type"], sort=False)
    columns = dict(searches=("step", "size"), success=("success", "mean"), mrr=("reciprocal_rank", "mean"),
                   reward=("reward", "mean"), candidates=("n_retrieved", "mean"), pool=("n_pool", "mean"),
                   arms_per_search=("n_arms", "mean"))
    for name in ("reformulated", "reformulation_success"):
        if name in records.columns:
            columns[name] = (name, "mean")
    return grouped.agg(**columns).reset_index()


def arm_share_table(records: pd.DataFrame) -> pd.DataFrame:
    """Per policy, query type and arm: the share of that type's searches in which the arm ran."""
    rows = []
    for (policy, qtype), group in records.groupby(["policy", "query_type"], sort=False):
        counts: dict[str, int] = {}
        for arms in group["arms"]:
            for arm in filter(None, str(arms).split(",")):
                counts[arm] = counts.get(arm, 0) + 1
        for arm, n in sorted(counts.items()):
            rows.append({"policy": policy, "query_type": qtype, "arm": arm, "share": n / len(group)})
    return pd.DataFrame(rows, columns=["policy", "query_type", "arm", "share"])


def target_checks(summary: pd.DataFrame, learner: str | None = None) -> list[dict]:
    """The project's learning targets, checked on a summary table (only those the run can check).

    Each check is ``{"target", "value", "passed"}``; ``passed`` is None where the run cannot
    measure the target (``value`` says why), e.g. a regret slope from overlapping windows.

    1. learner success@10 over the last window >= best static single arm + 10 points;
    2. learner within 3 points of ``all``;
    3. learner candidates <= half of ``all``'s;
    4. regret slope over the last window < a third of the first window's.
    """
    by = summary.set_index("policy")
    learners = [p for p in by.index if not p.startswith(("static:", "all"))]
    learner = learner or (learners[0] if learners else None)
    if learner is None or learner not in by.index:
        return []
    me = by.loc[learner]
    checks = []
    singles = [p for p in by.index if p.startswith("static:") and "," not in p]
    if singles:
        best = max(singles, key=lambda p: by.loc[p, "success_last"])
        gap = me["success_last"] - by.loc[best, "success_last"]
        checks.append({"target": f"{learner} success@10 (last window) >= best single arm ({best}) + 10 pts",
                       "value": f"{100 * me['success_last']:.1f}% vs {100 * by.loc[best, 'success_last']:.1f}% "
                                f"({100 * gap:+.1f} pts)", "passed": bool(gap >= 0.10)})
    if "all" in by.index:
        gap = me["success_last"] - by.loc["all", "success_last"]
        checks.append({"target": f"{learner} success@10 within 3 pts of all",
                       "value": f"{100 * me['success_last']:.1f}% vs {100 * by.loc['all', 'success_last']:.1f}% "
                                f"({100 * gap:+.1f} pts)", "passed": bool(gap >= -0.03)})
        all_candidates = by.loc["all", "candidates_last"]
        ratio = me["candidates_last"] / all_candidates if all_candidates else np.nan
        checks.append({"target": f"{learner} candidates per query <= half of all's",
                       "value": f"{me['candidates_last']:.1f} vs {all_candidates:.1f} "
                                f"({f'ratio {ratio:.2f}' if np.isfinite(ratio) else 'all had none'}); arms per "
                                f"search {me['arms_last']:.2f} vs {by.loc['all', 'arms_last']:.2f}",
                       "passed": bool(ratio <= 0.5) if np.isfinite(ratio) else None})
    ratio = me["slope_ratio"]
    target = f"{learner} regret slope (last window) < 1/3 of first window's"
    steps, window = me.get("steps"), me.get("window")
    if steps is not None and window is not None and 2 * window > steps:
        # Overlapping windows share their steps: the ratio says nothing about learning.
        checks.append({"target": target, "passed": None,
                       "value": f"not measurable: {int(steps):,} steps hold no two separate windows of "
                                f"{int(window):,}"})
    elif not np.isfinite(ratio):
        checks.append({"target": target, "passed": None,
                       "value": "not measurable: the first window had no regret to shrink"})
    else:
        checks.append({"target": target,
                       "value": f"{me['regret_slope_last']:.4f} vs {me['regret_slope_first']:.4f} per step "
                                f"(ratio {ratio:.2f})", "passed": bool(ratio < 1 / 3)})
    return checks


def check_mark(check: dict) -> str:
    """``ok`` (met), ``--`` (not met) or ``n/a`` (the run cannot measure it) for a target check."""
    return "n/a" if check["passed"] is None else ("ok" if check["passed"] else "--")


# --------------------------------------------------------------------------- figures


def _smooth(values: pd.Series, window: int) -> pd.Series:
    return values.rolling(window, min_periods=1).mean()


def plot_curves(records: pd.DataFrame, path: Path, smoothing: int = CURVE_SMOOTHING) -> Path:
    """Learning curves per policy: success@10, MRR, cumulative reward and regret, candidates, arms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("success", f"success@10 (moving mean, {smoothing} steps)", "smooth"),
        ("reciprocal_rank", f"MRR@10 (moving mean, {smoothing} steps)", "smooth"),
        ("reward", "cumulative reward (satisfied clicks)", "cumsum"),
        ("regret", "cumulative regret vs best fixed arm set per type", "cumsum"),
        ("n_retrieved", f"candidates per query (moving mean, {smoothing})", "smooth"),
        ("n_arms", f"arms per search (moving mean, {smoothing})", "smooth"),
    ]
    fig, axes = plt.subplots(3, 2, figsize=(12, 11), constrained_layout=True)
    for ax, (column, title, how) in zip(axes.flat, panels):
        for policy, group in records.groupby("policy", sort=False):
            group = group.sort_values("step")
            y = group[column].cumsum() if how == "cumsum" else _smooth(group[column], smoothing)
            ax.plot(group["step"], y, label=policy, linewidth=1.4)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_per_type(per_type: pd.DataFrame, path: Path) -> Path:
    """Grouped bars: success@10 per query type and policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = per_type.pivot(index="query_type", columns="policy", values="success")
    table = table[[p for p in per_type["policy"].drop_duplicates()]]
    fig, ax = plt.subplots(figsize=(12, 4.5), constrained_layout=True)
    width = 0.8 / max(1, table.shape[1])
    x = np.arange(len(table))
    for i, policy in enumerate(table.columns):
        ax.bar(x + i * width - 0.4 + width / 2, table[policy].to_numpy(), width, label=policy)
    ax.set_xticks(x, table.index, rotation=25, ha="right", fontsize=9)
    ax.set_ylabel("success@10")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, ncols=min(4, table.shape[1]))
    ax.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_arm_share(shares: pd.DataFrame, policies: list[str], path: Path) -> Path | None:
    """One heat map per policy: query type x arm, the share of searches running the arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if shares.empty:
        return None
    arms = sorted(shares["arm"].unique())
    types = sorted(shares["query_type"].unique())
    fig, axes = plt.subplots(1, len(policies), figsize=(3.2 + 2.6 * len(policies), 0.45 * len(types) + 2.2),
                             constrained_layout=True, squeeze=False)
    image = None
    for ax, policy in zip(axes[0], policies):
        mine = shares[shares["policy"] == policy].pivot(index="query_type", columns="arm", values="share")
        mine = mine.reindex(index=types, columns=arms).fillna(0.0)
        image = ax.imshow(mine.to_numpy(), vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_title(policy, fontsize=9)
        ax.set_xticks(range(len(arms)), arms, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(types)), types if ax is axes[0][0] else [""] * len(types), fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="share of searches")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- the report


def markdown_table(frame: pd.DataFrame, floats: str = "{:.3f}") -> str:
    """A DataFrame as a GitHub Markdown table (no extra dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in frame.itertuples(index=False):
        cells = [floats.format(v) if isinstance(v, (float, np.floating)) and np.isfinite(v)
                 else ("" if isinstance(v, (float, np.floating)) else str(v)) for v in row]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def write_report(result: "SimulationResult", out_dir: str | Path, window: int = DEFAULT_WINDOW) -> Path:
    """Write CSVs, PNG figures and ``report.md`` to `out_dir`; return the report's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = result.records
    note = window_note(result.steps, window)
    window = effective_window(result.steps, window)
    summary = summary_table(records, window)
    per_type = per_type_table(records)
    shares = arm_share_table(records)
    records.to_csv(out / "steps.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    per_type.to_csv(out / "per_type.csv", index=False)
    shares.to_csv(out / "arm_share.csv", index=False)
    figures = []
    if len(records):
        figures.append(plot_curves(records, out / "curves.png"))
        figures.append(plot_per_type(per_type, out / "per_type.png"))
        learned = [p for p in result.policies if not p.startswith("static:")]
        shown = plot_arm_share(shares, learned or result.policies, out / "arm_share.png")
        if shown is not None:
            figures.append(shown)
    checks = target_checks(summary)
    w = window
    lines = [
        "# Simulation report", "",
        f"{result.steps:,} simulated interactions{' (stopped early)' if result.stopped else ''}, "
        f"seed {result.seed}, policies: {', '.join(result.policies)}.", "",
        "Settings: " + ", ".join(f"{k} = {v}" for k, v in result.settings.items()), "",
        *([f"Window: {note}.", ""] if note else []),
        "## Definitions", "",
        "* **success@10**: a result in the top 10 satisfies the hidden intent (ground truth).",
        "* **MRR@10**: mean of 1 / rank of the first satisfying result (0 when none in the top 10).",
        "* **reward**: the simulated user clicked a satisfying result (what the engine learns from).",
        "* **regret**: per step, `oracle[query type] - success`, where the oracle is the best success@10 "
        "on that query type among the run's fixed arm sets (`static:...`, `all`) over the whole run.",
        "* **candidates**: what the selected arms returned, each its budget or its shorter list, summed (an "
        "entity two arms return counts twice: the cost the learner and the tuner count); fixed arm sets ask "
        "every arm for the full per-arm budget, learning policies shrink the budgets of arms they expect "
        "little from. **pool**: the distinct entities left after the union, which the ranker scores.",
        "* **latency_p50_ms**: not comparable across policies (shared caches favour the later policies "
        "of each step); use `python -m ltrr bench`.", "",
    ]
    if checks:
        lines += [f"## Targets (last {w} steps)", "",
                  markdown_table(pd.DataFrame([{**c, "passed": {"ok": "yes", "--": "NO", "n/a": "n/a"}[check_mark(c)]}
                                               for c in checks])), ""]
    lines += [f"## Summary (last window = {w} steps)", "", markdown_table(summary), "",
              "## Oracle: best fixed arm set per query type", "",
              markdown_table(pd.DataFrame([{"query_type": t, "oracle_success": v, "policy": result.oracle_policy[t]}
                                      for t, v in sorted(result.oracle.items())])), "",
              "## Per query type", "", markdown_table(per_type), ""]
    if not shares.empty:
        wide = shares.pivot_table(index=["policy", "query_type"], columns="arm", values="share",
                                  fill_value=0.0).reset_index()
        lines += ["## Arm share per query type", "", markdown_table(wide, "{:.2f}"), ""]
    lines += ["## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figures] + [""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
