"""Bandit page: which arms run for which query, what that costs and how often it finds the click."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ltrr_app import bandit_view, charts, demo, reports, shared
from ltrr_app.labels import count
from ltrr_app.shared import guarded

WINDOW = 20   # searches per rolling mean: short enough to move during a demo

engine = shared.open_page("Bandit", ":material/casino:", "Bandit: which strategies run for a query",
                          "For every search the policy decides which arms (retrieval strategies) to run and how "
                          "many candidates each may return. A ▶ Play tells it which arms had found what the user "
                          "wanted. Switch policy in the sidebar.")
state = st.session_state
facts = demo.catalog_facts(engine, shared.catalog_path())
demo.story_panel(engine, facts, page="bandit")

# --- cost and quality over time: one source, the interaction log ------------------

log = pd.DataFrame()
with guarded("Reading the log"):
    log = engine.log_frame()
per_search = bandit_view.per_search(log)
if per_search.empty:
    st.info("Nothing searched yet with this policy: search on the Search page and press ▶ Play, or run "
            "simulated users on the Simulator page and apply the result to the live state.",
            icon=":material/hourglass_empty:")
else:
    recent = per_search.tail(WINDOW)
    hits = pd.to_numeric(recent["hit"], errors="coerce").dropna()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Searches", f"{len(per_search):,}", border=True,
              help="Searches in this policy's log (the same count as the sidebar)")
    c2.metric("Arms per search", f"{recent['arms'].mean():.1f}", border=True, help=f"Last {count(len(recent), 'search')}")
    c3.metric("Candidates per search", f"{recent['candidates'].mean():.1f}", border=True,
              help=f"Candidates the arms that ran returned (each cut at its budget; one two arms return counts "
                   f"twice), last {count(len(recent), 'search')}: the cost of retrieval, counted as the learner "
                   f"and the Simulator count it. The ranker scored {recent['pool'].mean():.1f} distinct ones.")
    c4.metric("Hit rate", f"{hits.mean():.0%}" if len(hits) else "–", border=True,
              help=f"Of the last {count(len(recent), 'search')} with feedback, the share whose clicked item an arm "
                   "that ran had found")
    rolled = bandit_view.rolling(per_search, window=WINDOW)
    cols = st.columns(3)
    for col, (metric, label) in zip(cols, bandit_view.ROLLING_LABELS.items()):
        chart = charts.rolling_chart(rolled, label, label.capitalize(), percent=metric == "hit")
        with col:
            if chart is not None:
                st.altair_chart(chart, width="stretch")
            else:
                st.caption(f"{label.capitalize()}: no searches with feedback yet.")
    st.caption(f"Rolling means over {count(WINDOW, 'search')}. Learning shows as fewer arms and candidates while the hit "
               "rate holds.")

# --- what it would do now, per kind of query -----------------------------------------

st.subheader("What the bandit expects now, per kind of query")
probes = demo.probe_queries(facts)
with guarded("Probing the bandit"):
    context = {"user_id": state["ltrr_user"], "hour": int(state["ltrr_hour"])}
    rows = []
    for kind, text in probes.items():
        for row in engine.arm_report({**context, "query": text}):
            chance = bandit_view.clip01(row.get("expected_reward"))
            run = bandit_view.clip01(row.get("selection_probability"))
            rows.append({"query": f"{kind}: “{text}”", "arm": row["arm"], "chance": chance, "p_run": run})
    probe = pd.DataFrame(rows)
    if probe.empty:
        st.caption("No arms.")
    else:
        heat = (alt.Chart(probe.dropna(subset=["chance"]))
                .mark_rect()
                .encode(x=alt.X("arm:N", title=None, axis=alt.Axis(labelAngle=0)),
                        y=alt.Y("query:N", title=None, axis=alt.Axis(labelLimit=260)),
                        color=alt.Color("chance:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"),
                                        title="chance", legend=alt.Legend(format="%")),
                        tooltip=["query", "arm", alt.Tooltip("chance:Q", format=".0%"),
                                 alt.Tooltip("p_run:Q", title="p(run)", format=".0%")])
                .properties(height=alt.Step(30)))
        text = heat.mark_text(fontSize=11).encode(
            text=alt.Text("chance:Q", format=".0%"),
            color=alt.condition(alt.datum.chance > 0.6, alt.value("white"), alt.value("#1f2937")))
        st.altair_chart(heat + text, width="stretch")
        st.caption(f"Estimated chance that each arm finds what the user wants, for a typical query of each kind "
                   f"(user {state['ltrr_user']}, {int(state['ltrr_hour'])}:00). Different rows light up different "
                   "arms: that is the context at work.")
        with st.expander("Details: probabilities as the policy reports them", icon=":material/tune:"):
            with guarded("Reading the arm report"):
                report = pd.DataFrame(engine.arm_report())
                if not report.empty:
                    report["estimate"] = report["expected_reward"].map(bandit_view.clip01)
                    shown = report[["arm", "pulls", "rewards", "estimate", "expected_reward",
                                    "selection_probability"]].rename(columns={
                                        "rewards": "credit", "expected_reward": "raw estimate",
                                        "selection_probability": "p(run)"})
                    st.dataframe(shown, hide_index=True, width="stretch", key="ltrr_bandit_report",
                                 column_config={c: st.column_config.NumberColumn(format="%.2f")
                                                for c in ("credit", "estimate", "raw estimate", "p(run)")})
                    st.caption("“raw estimate” is what the policy ranks arms by; optimistic policies add an "
                               "exploration bonus, so it can exceed 1. “estimate” is the same number clipped to a "
                               "probability. Averaged over recent contexts.")

# --- what happened, per understood intent ------------------------------------------------

st.subheader("What happened so far, per understood intent")
by_intent = reports.pulls_by_intent(log)
if by_intent.empty:
    st.caption("No searches logged yet.")
else:
    heat = (alt.Chart(by_intent)
            .mark_rect()
            .encode(x=alt.X("arm:N", title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y("intent:N", title=None),
                    color=alt.Color("hit_rate:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"), title="hit rate",
                                    legend=alt.Legend(format="%")),
                    tooltip=["intent", "arm", "pulls", "hits", alt.Tooltip("hit_rate:Q", format=".0%")])
            .properties(height=alt.Step(30)))
    text = heat.mark_text(fontSize=11).encode(text=alt.Text("pulls:Q"), color=alt.value("#1f2937"))
    st.altair_chart(heat + text, width="stretch", key="ltrr_bandit_hits")
    st.caption("Colour: share of the searches that ran the arm whose list held the clicked item within its "
               "budget. Number: how many searches ran the arm.")
