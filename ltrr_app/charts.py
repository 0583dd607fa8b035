"""Altair chart builders for the pages: DataFrame in, chart out (no Streamlit here).

Each builder accepts the engine's public frames as they come and returns a
chart, or ``None`` when there is nothing to draw, so pages show a note instead
of an empty axis.
"""
from __future__ import annotations

from typing import Mapping

import altair as alt
import pandas as pd

from ltrr.bandit.policy import PolicySpec

# One colour per arm everywhere in the app, so "semantic" is the same purple on every chart.
ARM_COLORS = {
    "lexical": "#4C78A8", "fuzzy": "#F58518", "structured": "#54A24B", "semantic": "#B279A2",
    "memory": "#E45756", "popular": "#72B7B2", "fresh": "#EECA3B", "related": "#9D755D",
    "discover": "#FF9DA6", "themed": "#BAB0AC",
}


def step_axis(title: str = "search") -> alt.X:
    """The x axis of every over-time chart: whole steps, never 1.000000."""
    return alt.X("step:Q", title=title, axis=alt.Axis(format="d", tickMinStep=1))


BAR_STEP = 24   # pixels per bar, so labels never collide however many bars there are


def arm_color_scale(arms: list[str]) -> alt.Scale:
    """A colour scale that keeps each known arm's colour and gives others a neutral grey."""
    arms = sorted(set(arms))
    return alt.Scale(domain=arms, range=[ARM_COLORS.get(a, "#888888") for a in arms])






def arm_bars(report: pd.DataFrame, value: str, title: str, probability: bool = False) -> alt.Chart | None:
    """Horizontal bars of one per-arm column, arms in their colours (``probability``: a 0..100% axis)."""
    if report is None or report.empty or value not in report.columns:
        return None
    frame = report[["arm", value]].copy()
    frame[value] = pd.to_numeric(frame[value], errors="coerce").fillna(0.0)
    x = (alt.X(f"{value}:Q", title=value.replace("_", " "), scale=alt.Scale(domain=[0, 1]),
               axis=alt.Axis(format="%")) if probability else alt.X(f"{value}:Q", title=value.replace("_", " ")))
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("arm:N", sort="-x", title=None),
            x=x,
            color=alt.Color("arm:N", scale=arm_color_scale(frame["arm"].tolist()), legend=None),
            tooltip=["arm", alt.Tooltip(f"{value}:Q", format=".0%" if probability else ".3f")],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def contributions_chart(contributions: Mapping[str, float], top: int = 12, height: int | None = None,
                        width: int | None = None) -> alt.Chart | None:
    """The ranker's per-feature contributions to one result's score: green pushes up, red down."""
    items = [(k, float(v)) for k, v in (contributions or {}).items() if v is not None and float(v) != 0.0]
    if not items:
        return None
    items.sort(key=lambda kv: abs(kv[1]), reverse=True)
    frame = pd.DataFrame(items[:top], columns=["feature", "contribution"])
    frame["direction"] = frame["contribution"].map(lambda v: "raises score" if v > 0 else "lowers score")
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", sort=alt.EncodingSortField("contribution", op="sum", order="descending"), title=None,
                    axis=alt.Axis(labelLimit=200)),
            x=alt.X("contribution:Q", title="share of the ranker's decision", axis=alt.Axis(format="%")),
            color=alt.Color("direction:N", scale=alt.Scale(domain=["raises score", "lowers score"],
                                                           range=["#2E9E5B", "#D1495B"]), legend=None),
            tooltip=["feature", alt.Tooltip("contribution:Q", format=".0%")],
        )
        .properties(height=height or alt.Step(BAR_STEP), **({"width": width} if width else {}))
    )


def importance_chart(importances: Mapping[str, float], top: int = 25) -> alt.Chart | None:
    """Feature importances of the ranker, largest first."""
    items = [(k, float(v)) for k, v in (importances or {}).items()]
    if not items:
        return None
    items.sort(key=lambda kv: kv[1], reverse=True)
    frame = pd.DataFrame(items[:top], columns=["feature", "importance"])
    return (
        alt.Chart(frame)
        .mark_bar(color="#4C78A8")
        .encode(
            y=alt.Y("feature:N", sort="-x", title=None),
            x=alt.X("importance:Q", title="importance"),
            tooltip=["feature", alt.Tooltip("importance:Q", format=".4f")],
        )
        .properties(height=alt.Step(BAR_STEP - 4))
    )


def predicted_vs_observed(entries: pd.DataFrame, height: int = 360) -> alt.Chart | None:
    """Scatter of memory entries: the model's predicted score against the observed click rate.

    Point size is impressions; entries learned from clicks are highlighted.
    """
    needed = {"predicted", "observed"}
    if entries is None or entries.empty or not needed <= set(entries.columns):
        return None
    frame = entries.copy()
    frame["origin"] = frame.get("learned_from_clicks", False)
    frame["origin"] = frame["origin"].fillna(False).astype(bool).map(
        {True: "learned from clicks", False: "seeded"})
    tooltip = [c for c in ("query", "title", "entity_id", "impressions", "clicks") if c in frame.columns]
    points = (
        alt.Chart(frame)
        .mark_circle(opacity=0.75, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("predicted:Q", title="predicted score", scale=alt.Scale(domain=[0, 1], clamp=True)),
            y=alt.Y("observed:Q", title="observed click rate", scale=alt.Scale(domain=[0, 1], clamp=True)),
            size=alt.Size("impressions:Q", title="impressions", scale=alt.Scale(range=[30, 400]), legend=None)
            if "impressions" in frame.columns else alt.value(60),
            color=alt.Color("origin:N", scale=alt.Scale(domain=["learned from clicks", "seeded"],
                                                        range=["#E45756", "#9AA5B1"]), title=None,
                            legend=alt.Legend(orient="bottom")),
            tooltip=tooltip + [alt.Tooltip("predicted:Q", format=".3f"), alt.Tooltip("observed:Q", format=".3f")],
        )
    )
    diagonal = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#999999").encode(x="x:Q", y="y:Q")
    return (diagonal + points).properties(height=height)


def memory_history_chart(history: pd.DataFrame, height: int = 260) -> alt.Chart | None:
    """How one memory entry changed: impressions and clicks (counts) and the observed rate."""
    if history is None or history.empty or "step" not in history.columns:
        return None
    counts = [c for c in ("impressions", "clicks") if c in history.columns]
    charts = []
    if counts:
        long = history.melt(id_vars=["step"], value_vars=counts, var_name="counter", value_name="count")
        charts.append(
            alt.Chart(long, title="Impressions and clicks")
            .mark_line(point=True, interpolate="step-after")
            .encode(x=step_axis("search of this query"), y=alt.Y("count:Q", title="count"),
                    color=alt.Color("counter:N", title=None), tooltip=["step", "counter", "count"])
            .properties(height=height)
        )
    if "observed" in history.columns:
        charts.append(
            alt.Chart(history, title="Observed click rate")
            .mark_line(point=True, color="#E45756")
            .encode(x=step_axis("search of this query"),
                    y=alt.Y("observed:Q", title="observed", scale=alt.Scale(domain=[0, 1])),
                    tooltip=["step", alt.Tooltip("observed:Q", format=".3f")])
            .properties(height=height)
        )
    if not charts:
        return None
    # One chart, never a concatenation: concatenated charts ignore the container's width and overflow it.
    return charts[0]


def type_scores_chart(type_scores: Mapping[str, float]) -> alt.Chart | None:
    """How likely each entity type is the one asked for."""
    if not type_scores:
        return None
    frame = pd.DataFrame(sorted(type_scores.items(), key=lambda kv: -kv[1]), columns=["type", "probability"])
    return (
        alt.Chart(frame)
        .mark_bar(color="#7B61FF")
        .encode(y=alt.Y("type:N", sort="-x", title=None),
                x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), title="P(type asked for)"),
                tooltip=["type", alt.Tooltip("probability:Q", format=".2f")])
        .properties(height=alt.Step(BAR_STEP - 4))
    )






def before_after_chart(frame: pd.DataFrame, height: int | None = None) -> alt.Chart | None:
    """One click's effect: per arm, the estimated chance to find the wanted item before and after.

    Arms that had found the clicked item are drawn in full colour and marked ★;
    the others are faded. Values are probabilities, so the axis is fixed at 0..1.
    """
    if frame is None or frame.empty:
        return None
    data = frame.copy()
    data["label"] = data.apply(lambda r: f"★ {r['arm']}" if r["found"] else str(r["arm"]), axis=1)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=alt.EncodingSortField("value", op="max", order="descending")),
            yOffset=alt.YOffset("when:N", sort=["before", "after"]),
            x=alt.X("value:Q", title="chance to find the wanted item", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            color=alt.Color("when:N", scale=alt.Scale(domain=["before", "after"], range=["#B8C4D6", "#2E6FD8"]),
                            title=None, legend=alt.Legend(orient="bottom")),
            opacity=alt.condition(alt.datum.found, alt.value(1.0), alt.value(0.45)),
            tooltip=["arm", "when", alt.Tooltip("value:Q", format=".0%"), "found", "ran"],
        )
        .properties(height=height or alt.Step(11))
    )


def rolling_chart(frame: pd.DataFrame, metric: str, title: str, height: int = 250,
                  percent: bool = False) -> alt.Chart | None:
    """One rolling line (see ``bandit_view.rolling``) against the search number.

    Heights are the whole chart's (Streamlit fits title, axes and legend inside them), so
    they leave the plot itself at least ~150 px.
    """
    if frame is None or frame.empty:
        return None
    data = frame[frame["metric"] == metric]
    if data.empty:
        return None
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined,
              axis=alt.Axis(format="%") if percent else alt.Axis())
    return (
        alt.Chart(data, title=title)
        .mark_line(color="#2E6FD8", point=len(data) <= 30)
        .encode(x=step_axis(), y=y,
                tooltip=["step", alt.Tooltip("value:Q", format=".0%" if percent else ".1f")])
        .properties(height=height)
    )


def is_fixed(policy: object) -> bool:
    """A fixed arm set (``all``, ``static:...``, as :class:`PolicySpec` reads it, or a tuned fixed
    configuration's label), not a learner; a label that is no policy is not fixed."""
    text = str(policy)
    if text.startswith("tuned fixed"):
        return True
    try:
        return not PolicySpec.parse(text).is_learning
    except ValueError:
        return False


def frontier_chart(frontier: pd.DataFrame, points: pd.DataFrame, height: int = 300) -> alt.Chart | None:
    """The static frontier (``candidates``, ``coverage``: a step line) with policies as points
    (``policy``, ``candidates``, ``covered``): above the line beats every fixed configuration."""
    if frontier is None or frontier.empty or points is None or points.empty:
        return None
    data = points.dropna(subset=["candidates", "covered"]).copy()
    data["kind"] = data["policy"].map(lambda p: "fixed arms" if is_fixed(p) else "learning")
    x = alt.X("candidates:Q", title="candidates per search (cost)", scale=alt.Scale(zero=True))
    y = alt.Y("coverage:Q", title="share retrieved", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    line = (alt.Chart(frontier.assign(what="static frontier")).mark_line(interpolate="linear", color="#8A8A8A",
                                                                        strokeDash=[4, 3], point=True)
            .encode(x=x, y=y, tooltip=[alt.Tooltip("candidates:Q", format=".1f"),
                                       alt.Tooltip("coverage:Q", format=".0%")]))
    dots = alt.Chart(data).mark_point(size=140, filled=True).encode(
        x="candidates:Q", y=alt.Y("covered:Q"),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["learning", "fixed arms"], range=["#2E6FD8", "#555555"]),
                        title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["policy", alt.Tooltip("candidates:Q", format=".1f"), alt.Tooltip("covered:Q", format=".0%")])
    names = alt.Chart(data).mark_text(align="left", dx=9, dy=-6, fontSize=12).encode(
        x="candidates:Q", y="covered:Q", text="policy:N")
    return (line + dots + names).properties(height=height)


def cost_quality_chart(summary: pd.DataFrame, height: int = 300) -> alt.Chart | None:
    """Every policy as a point: candidates per search (cost, x) against success (quality, y).

    Fixed arm sets (``all``, ``static:...``) are grey squares: the static
    frontier; learning policies are coloured circles. Up and to the left is better.
    """
    needed = {"policy", "candidates", "success"}
    if summary is None or summary.empty or not needed <= set(summary.columns):
        return None
    data = summary.dropna(subset=["candidates", "success"]).copy()
    if data.empty:
        return None
    data["kind"] = data["policy"].map(lambda p: "fixed arms" if is_fixed(p) else "learning")
    base = alt.Chart(data).encode(
        x=alt.X("candidates:Q", title="candidates per search (cost)", scale=alt.Scale(zero=True)),
        y=alt.Y("success:Q", title="success@10 (quality)", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
    )
    points = base.mark_point(size=140, filled=True).encode(
        color=alt.Color("kind:N", scale=alt.Scale(domain=["learning", "fixed arms"], range=["#2E6FD8", "#8A8A8A"]),
                        title=None, legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=["learning", "fixed arms"], range=["circle", "square"]),
                        legend=None),
        tooltip=["policy", alt.Tooltip("candidates:Q", format=".1f"), alt.Tooltip("success:Q", format=".0%")],
    )
    labels = base.mark_text(align="left", dx=9, dy=-6, fontSize=12).encode(text="policy:N")
    return (points + labels).properties(height=height)


def policy_metric_lines(frame: pd.DataFrame, title: str, y_title: str, percent: bool = False,
                        height: int = 260) -> alt.Chart | None:
    """One rolling line per policy (columns policy, step, value)."""
    if frame is None or frame.empty:
        return None
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined,
              axis=alt.Axis(format="%") if percent else alt.Axis())
    return (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(x=step_axis("simulated search"), y=y,
                color=alt.Color("policy:N", title=None, scale=alt.Scale(scheme="tableau10"),
                                legend=alt.Legend(orient="bottom")),
                tooltip=["policy", "step", alt.Tooltip("value:Q", format=".0%" if percent else ".1f")])
        .properties(height=height)
    )
