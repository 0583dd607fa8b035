"""Altair chart builders for the pages: DataFrame in, chart out (no Streamlit here).

Each builder accepts the engine's public frames as they come and returns a
chart, or ``None`` when there is nothing to draw, so pages show a note instead
of an empty axis.
"""
from __future__ import annotations

from typing import Mapping

import altair as alt
import pandas as pd

# One colour per arm everywhere in the app, so "semantic" is the same purple on every chart.
ARM_COLORS = {
    "lexical": "#4C78A8", "fuzzy": "#F58518", "structured": "#54A24B", "semantic": "#B279A2",
    "memory": "#E45756", "popular": "#72B7B2", "fresh": "#EECA3B", "related": "#9D755D",
}


def step_axis(title: str = "search") -> alt.X:
    """The x axis of every over-time chart: whole steps, never 1.000000."""
    return alt.X("step:Q", title=title, axis=alt.Axis(format="d", tickMinStep=1))


BAR_STEP = 24   # pixels per bar, so labels never collide however many bars there are


def arm_color_scale(arms: list[str]) -> alt.Scale:
    """A colour scale that keeps each known arm's colour and gives others a neutral grey."""
    arms = sorted(set(arms))
    return alt.Scale(domain=arms, range=[ARM_COLORS.get(a, "#888888") for a in arms])


def arm_lines(history: pd.DataFrame, value: str, title: str, height: int = 340) -> alt.Chart | None:
    """One line per arm of ``value`` (a column of ``engine.arm_history()``) against the step."""
    if history is None or history.empty or value not in history.columns:
        return None
    frame = history[["step", "arm", value]].dropna()
    if frame.empty:
        return None
    return (
        alt.Chart(frame, title=title)
        .mark_line(point=len(frame["step"].unique()) <= 30, interpolate="step-after")
        .encode(
            x=step_axis(),
            y=alt.Y(f"{value}:Q", title=value.replace("_", " ")),
            color=alt.Color("arm:N", scale=arm_color_scale(frame["arm"].tolist()), title=None,
                            legend=alt.Legend(orient="bottom", columns=8)),
            tooltip=["step", "arm", alt.Tooltip(f"{value}:Q", format=".3f")],
        )
        .properties(height=height)
    )


def cumulative_lines(frame: pd.DataFrame, value: str = "cumulative_reward", title: str = "Cumulative reward",
                     series: str = "series", height: int = 340) -> alt.Chart | None:
    """Running totals, one line per series (the 'all arms' line drawn thicker)."""
    if frame is None or frame.empty or value not in frame.columns:
        return None
    names = frame[series].astype(str).unique().tolist()
    colors = [ARM_COLORS.get(n, "#333333") for n in sorted(names)]
    return (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(
            x=step_axis(),
            y=alt.Y(f"{value}:Q", title=value.replace("_", " ")),
            color=alt.Color(f"{series}:N", scale=alt.Scale(domain=sorted(names), range=colors), title=None,
                            legend=alt.Legend(orient="bottom", columns=9)),
            strokeWidth=alt.condition(alt.datum[series] == "all arms", alt.value(3.5), alt.value(1.5)),
            tooltip=["step", series, alt.Tooltip(f"{value}:Q", format=".2f")],
        )
        .properties(height=height)
    )


def arm_bars(report: pd.DataFrame, value: str, title: str) -> alt.Chart | None:
    """Horizontal bars of one arm_report column, arms in their colours."""
    if report is None or report.empty or value not in report.columns:
        return None
    frame = report[["arm", value]].copy()
    frame[value] = pd.to_numeric(frame[value], errors="coerce").fillna(0.0)
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("arm:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=value.replace("_", " ")),
            color=alt.Color("arm:N", scale=arm_color_scale(frame["arm"].tolist()), legend=None),
            tooltip=["arm", alt.Tooltip(f"{value}:Q", format=".3f")],
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
            y=alt.Y("feature:N", sort=alt.EncodingSortField("contribution", op="sum", order="descending"), title=None),
            x=alt.X("contribution:Q", title="contribution to score"),
            color=alt.Color("direction:N", scale=alt.Scale(domain=["raises score", "lowers score"],
                                                           range=["#2E9E5B", "#D1495B"]), legend=None),
            tooltip=["feature", alt.Tooltip("contribution:Q", format=".4f")],
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
            size=alt.Size("impressions:Q", title="impressions", scale=alt.Scale(range=[30, 400]))
            if "impressions" in frame.columns else alt.value(60),
            color=alt.Color("origin:N", scale=alt.Scale(domain=["learned from clicks", "seeded"],
                                                        range=["#E45756", "#9AA5B1"]), title=None),
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
    return alt.hconcat(*charts) if len(charts) > 1 else charts[0]


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


def policy_curve(curves: pd.DataFrame, curve: str, title: str, height: int = 320) -> alt.Chart | None:
    """One simulation curve (see ``reports.simulation_curves``), one line per policy."""
    if curves is None or curves.empty:
        return None
    frame = curves[curves["curve"] == curve]
    if frame.empty:
        return None
    return (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(x=step_axis("simulated search"), y=alt.Y("value:Q", title=curve),
                color=alt.Color("policy:N", title=None, scale=alt.Scale(scheme="tableau10"),
                                legend=alt.Legend(orient="bottom")),
                tooltip=["policy", "step", alt.Tooltip("value:Q", format=".3f")])
        .properties(height=height)
    )


def arm_share_heatmap(shares: pd.DataFrame, policy: str) -> alt.Chart | None:
    """For one policy, the share of each query type's searches that ran each arm."""
    if shares is None or shares.empty:
        return None
    frame = shares[shares["policy"] == policy]
    if frame.empty:
        return None
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(x=alt.X("arm:N", title=None), y=alt.Y("query_type:N", title=None),
                color=alt.Color("share:Q", scale=alt.Scale(domain=[0, 1], scheme="purples"), title="share"),
                tooltip=["query_type", "arm", alt.Tooltip("share:Q", format=".0%")])
        .properties(height=alt.Step(22))
    )
