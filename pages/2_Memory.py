"""Memory page: the query-to-entity memory learned from impressions, clicks and reworded searches."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr_app import cards, charts, shared
from ltrr_app.labels import count
from ltrr_app.shared import guarded

LIMITS = [100, 500, 2000]
ALL_ENTRIES = 10_000_000   # counters are computed over every entry, never over the rows shown

engine = shared.open_page("Memory", ":material/psychology:", "Memory: what each query led people to",
                          "For every (query, result) pair the memory counts impressions and clicks, and the users "
                          "who found the result by rewording a search of the query that failed. The observed "
                          "score is a smoothed click rate; the predicted score is what the catalog suggested before "
                          "any click. The memory arm retrieves from here, so a clicked result comes back for the "
                          "same query.")
state = st.session_state

with st.container(border=True):
    q_col, limit_col, only_col = st.columns([4, 1, 1.4], vertical_alignment="bottom")
    query = q_col.text_input("Query", key="ltrr_mem_query", persist_state="session",
                             placeholder="All queries (type one to focus on it)", icon=":material/search:")
    limit = limit_col.selectbox("Show at most", LIMITS, index=1, key="ltrr_mem_limit", persist_state="session")
    clicked_only = only_col.toggle("Learned only", key="ltrr_mem_clicked", persist_state="session",
                                   help="Only pairs that received a click, or that users found by rewording")

entries = pd.DataFrame()
with guarded("Reading the memory"):
    entries = engine.memory_entries(query.strip() or None, limit=ALL_ENTRIES)

rewordings = pd.DataFrame()
with guarded("Reading the rewordings"):
    rewordings = engine.rewordings(query.strip() or None, limit=ALL_ENTRIES)
if not rewordings.empty:
    label = (f"How “{query.strip()}” is searched again ({len(rewordings):,})" if query.strip()
             else f"Rewordings learned ({len(rewordings):,})")
    with st.expander(label, icon=":material/edit_note:"):
        st.caption("When a search failed someone who then found what they wanted with other words, the memory "
                   "learns how such asks are reworded; ∗ stands for the words they kept (the genre they asked for, say). "
                   "An ask that matches is searched again that way, and the memory lists what that finds.")
        columns = ["pattern", "replacement"] + (["reworded"] if "reworded" in rewordings else []) + ["users"]
        if len(rewordings) > int(limit):
            st.caption(f"Showing {int(limit):,} of {len(rewordings):,}, the best supported first.")
        st.dataframe(rewordings[columns].head(int(limit)).replace({"pattern": {r"\*": "∗"}, "replacement": {r"\*": "∗"}},
                                                 regex=True),
                     hide_index=True, width="stretch", height=min(240, 38 + 35 * min(len(rewordings), int(limit))),
                     column_config={"pattern": st.column_config.TextColumn("asked", width="medium"),
                                    "replacement": st.column_config.TextColumn("reworded as", width="medium"),
                                    "reworded": st.column_config.TextColumn("searched again as", width="medium"),
                                    "users": st.column_config.NumberColumn("users", width="small",
                                                                           help="Different users who showed it")})

close = pd.DataFrame()
if query.strip():
    with guarded("Reading asks close in meaning"):
        close = engine.close_asks(query.strip())
if not close.empty:
    with st.expander(f"Asks close to “{query.strip()}” that users taught ({len(close):,})", icon=":material/hub:"):
        st.caption("The catalog predicts nothing for this ask, so the memory also lists what people found for the "
                   "asks nearest to it in meaning, at lower weight than a pair of its own.")
        st.dataframe(close[["asked", "title", "similarity"]], hide_index=True, width="stretch",
                     height=min(240, 38 + 35 * len(close)),
                     column_config={"asked": st.column_config.TextColumn("taught ask", width="medium"),
                                    "title": st.column_config.TextColumn("result", width="medium"),
                                    "similarity": st.column_config.ProgressColumn(
                                        "closeness", min_value=0.0, max_value=1.0, format="%.2f", width="small",
                                        help="How close the two asks are in meaning (1: the same)")})

if entries.empty:
    if query.strip() and not (rewordings.empty and close.empty):
        source = "what its rewording above finds" if close.empty else (
            "what users found for the asks close to it above" if rewordings.empty
            else "what its rewording finds and what users found for the asks close to it, above")
        st.info(f"No pairs for “{query.strip()}” yet: until someone plays a result for it, the memory lists "
                f"{source}.", icon=":material/hourglass_empty:")
    elif query.strip():
        st.info(f"No memory for “{query.strip()}” yet: search it on the Search page and press ▶ Play.",
                icon=":material/hourglass_empty:")
    else:
        st.info("The memory is empty: every search records impressions, every ▶ Play a click.",
                icon=":material/hourglass_empty:")
    st.stop()

clicks = pd.to_numeric(entries["clicks"], errors="coerce").fillna(0).astype(int)
# Impressions are expected examinations (a showing at rank r counts less than one at rank 1): fractional.
impressions = pd.to_numeric(entries["impressions"], errors="coerce").fillna(0.0)
new_pairs = entries["learned_from_clicks"].fillna(False).astype(bool)
# Different users whose failed search of the query ended on the result after they reworded it.
reworded = (pd.to_numeric(entries["reformulation_users"], errors="coerce").fillna(0).astype(int)
            if "reformulation_users" in entries else pd.Series(0, index=entries.index, dtype=int))
entries = entries.assign(reworded=reworded)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Pairs", f"{len(entries):,}", border=True, help="(query, result) pairs the memory has seen")
c2.metric("Pairs with clicks", f"{int((clicks > 0).sum()):,}", border=True,
          help=f"Of which {int(new_pairs.sum()):,} {'was' if int(new_pairs.sum()) == 1 else 'were'} new: the catalog had not predicted them, a click made them")
c3.metric("Impressions", f"{impressions.sum():,.1f}", border=True,
          help="Expected views: a result shown lower in the list counts as less than one impression")
c4.metric("Clicks", f"{int(clicks.sum()):,}", border=True)

# Most learned first (clicks, then users who reworded): what users taught is what a demo wants to see.
ordered = entries.assign(_clicks=clicks, _imp=impressions, _taught=clicks + reworded).sort_values(
    ["_taught", "_clicks", "_imp", "query"], ascending=[False, False, False, True], kind="stable")
shown = ordered[ordered["_taught"] > 0] if clicked_only else ordered
shown = shown.head(int(limit)).drop(columns=["_clicks", "_imp", "_taught"]).reset_index(drop=True)

# Where a vague ask's answers came from: the pairs users taught by rewording a failed search.
from_rewording = shown[shown["reworded"] > 0].head(3)
for _, pair in from_rewording.iterrows():
    users = int(pair["reworded"])
    asked, answer = cards.md_escape(str(pair["query"])), cards.md_escape(str(pair["title"] or pair["entity_id"]))
    st.success(f"**“{asked}” → {answer}**: learned from {count(users, 'user')} who reworded this search"
               + ("" if int(pair["clicks"]) else " (nobody clicked it for this query itself)") + ".",
               icon=":material/lightbulb:")

st.subheader("Pairs")
if len(shown) < len(entries):
    st.caption(f"Showing {len(shown):,} of {count(len(entries), 'pair')}, most clicked first.")
st.dataframe(
    shown[["query", "title", "impressions", "clicks", "reworded", "observed", "predicted"]], hide_index=True,
    width="stretch",
    height=min(360, 38 + 35 * max(1, len(shown))), key="ltrr_mem_table",
    column_config={
        "query": st.column_config.TextColumn("query", width="medium"),
        "title": st.column_config.TextColumn("result", width="medium"),
        "impressions": st.column_config.NumberColumn("impr.", format="%.1f", width="small",
                                                     help="Expected views (rank-weighted showings)"),
        "clicks": st.column_config.NumberColumn("clicks", width="small"),
        "reworded": st.column_config.NumberColumn("reworded", width="small",
                                                  help="Users whose search of this query failed and who found "
                                                       "this result by rewording it"),
        "predicted": st.column_config.ProgressColumn("predicted", min_value=0.0, max_value=1.0, format="%.2f",
                                                     width="small"),
        "observed": st.column_config.ProgressColumn("observed", min_value=0.0, max_value=1.0, format="%.2f",
                                                    width="small"),
    })

if shown.empty:
    st.caption("No pair matches the filters.")
    st.stop()

left, right = st.columns([2, 3], gap="medium")
with left:
    st.subheader("Predicted vs observed")
    chart = charts.predicted_vs_observed(shown, height=300)
    if chart is None:
        st.caption("Nothing to plot.")
    else:
        st.altair_chart(chart, width="stretch")
        st.caption("Above the dashed line: clicked more than predicted. Red: pairs a click created.")

with right:
    st.subheader("How one pair changed")
    # Identity is the (query, entity) pair itself, never a row number: filters change row numbers.
    keys = [f"{q}\x1f{e}" for q, e in zip(shown["query"], shown["entity_id"])]
    titles = dict(zip(keys, shown["title"].fillna("").astype(str)))
    pick = st.selectbox("Pair", keys, key="ltrr_mem_pair",
                        format_func=lambda key: f"“{key.partition(chr(31))[0]}” → "
                                                f"{titles.get(key) or key.partition(chr(31))[2]}")
    pair_query, _, pair_entity = (pick or keys[0]).partition("\x1f")
    row = shown[(shown["query"] == pair_query) & (shown["entity_id"] == pair_entity)].iloc[0]
    with guarded("Reading the pair's history"):
        history = engine.memory_history(pair_query, pair_entity)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Pair impressions", f"{float(row['impressions']):.1f}")
        m2.metric("Pair clicks", int(row["clicks"]))
        m3.metric("Observed", f"{float(row['observed'] or 0):.2f}")
        m4.metric("Predicted", f"{float(row['predicted'] or 0):.2f}")
        chart = charts.memory_history_chart(history, height=240)
        if chart is None:
            st.caption(f"No searches of “{cards.md_escape(pair_query)}” recorded in this state yet.")
        else:
            st.altair_chart(chart, width="stretch")
