"""Memory page: the query-to-entity memory learned from impressions and clicks."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr_app import cards, charts, shared
from ltrr_app.shared import guarded

LIMITS = [100, 500, 2000]

shared.page_setup("Memory", ":material/psychology:")
state = st.session_state
engine = shared.current_engine()
shared.sidebar_status(engine)

st.title("Memory: what each query led people to")
st.caption("For every (query, entity) pair the memory counts impressions and clicks. The observed score is a "
           "smoothed click rate; the predicted score is what the memory expected before looking at this pair's "
           "own clicks. The memory arm retrieves from here, so a clicked result comes back for the same query.")

with st.container(border=True):
    q_col, limit_col, only_col = st.columns([4, 1, 1.4], vertical_alignment="bottom")
    query = q_col.text_input("Query", key="ltrr_mem_query", persist_state="session",
                             placeholder="All queries (type one to focus on it)", icon=":material/search:")
    limit = limit_col.selectbox("Show at most", LIMITS, index=1, key="ltrr_mem_limit", persist_state="session")
    learned_only = only_col.toggle("Learned from clicks only", key="ltrr_mem_learned", persist_state="session")

entries = pd.DataFrame()
with guarded("Reading the memory"):
    entries = engine.memory_entries(query.strip() or None, limit=limit)

if entries.empty:
    if query.strip():
        st.info(f"No memory for “{query.strip()}” yet: search it on the Search page and press ▶ Play.",
                icon=":material/hourglass_empty:")
    else:
        st.info("The memory is empty: every search records impressions, every ▶ Play a click.",
                icon=":material/hourglass_empty:")
    st.stop()

learned = entries["learned_from_clicks"].fillna(False).astype(bool) if "learned_from_clicks" in entries else \
    pd.Series(False, index=entries.index)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Entries", f"{len(entries):,}", border=True)
c2.metric("Learned from clicks", f"{int(learned.sum()):,}", border=True)
c3.metric("Impressions", f"{int(entries.get('impressions', pd.Series(dtype=int)).sum()):,}", border=True)
c4.metric("Clicks", f"{int(entries.get('clicks', pd.Series(dtype=int)).sum()):,}", border=True)

shown = entries[learned] if learned_only else entries

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Predicted vs observed")
    chart = charts.predicted_vs_observed(shown)
    if chart is None:
        st.caption("Nothing to plot.")
    else:
        st.altair_chart(chart, width="stretch")
        st.caption("Points above the dashed line were clicked more than predicted; red points were learned "
                   "from clicks.")
with right:
    st.subheader("Entries")

    def highlight(row: pd.Series) -> list[str]:
        # Learned entries stand out: they are what clicks taught the memory.
        return ["background-color: rgba(228, 87, 86, 0.12)" if row.get("learned_from_clicks") else ""] * len(row)

    st.dataframe(
        shown.style.apply(highlight, axis=1), hide_index=True, width="stretch", height=420,
        key="ltrr_mem_table",
        column_config={
            "predicted": st.column_config.ProgressColumn("predicted", min_value=0.0, max_value=1.0, format="%.2f"),
            "observed": st.column_config.ProgressColumn("observed", min_value=0.0, max_value=1.0, format="%.2f"),
            "learned_from_clicks": st.column_config.CheckboxColumn("learned from clicks"),
        })

st.subheader("How one entry changed")
options = list(range(len(shown)))
if not options:
    st.caption("No entry matches the filters.")
    st.stop()


def describe(i: int) -> str:
    row = shown.iloc[i]
    mark = "★ " if row.get("learned_from_clicks") else ""
    return f"{mark}“{row['query']}” → {row.get('title') or row['entity_id']}"


default = int(learned.loc[shown.index].to_numpy().argmax()) if learned.loc[shown.index].any() else 0
pick = st.selectbox("Entry", options, index=default, format_func=describe, key="ltrr_mem_entry")
row = shown.iloc[pick]
with guarded("Reading the entry's history"):
    history = engine.memory_history(row["query"], row["entity_id"])
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Impressions", int(row.get("impressions", 0)))
    m2.metric("Clicks", int(row.get("clicks", 0)))
    m3.metric("Observed", f"{float(row.get('observed') or 0):.2f}")
    m4.metric("Predicted", f"{float(row.get('predicted') or 0):.2f}")
    chart = charts.memory_history_chart(history)
    if chart is None:
        st.caption(f"No searches of “{cards.md_escape(row['query'])}” recorded in this state yet.")
    else:
        st.altair_chart(chart, width="stretch")
