"""Bandit page: which arms the policy picks, how that changed, and switching policy."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr_app import charts, reports, shared
from ltrr_app.shared import guarded

# Probe queries, one per kind of request, to show what the bandit would pick for each now.
QUERY_TYPES = {
    "track": "blinding lights", "artist": "taylor swift", "playlist": "90s rap playlist",
    "mood": "sad songs", "misspelt": "tayler swfit", "podcast": "history podcast",
}

shared.page_setup("Bandit", ":material/casino:")
state = st.session_state
engine = shared.current_engine()
shared.sidebar_status(engine)

st.title("Bandit: which strategies run for a query")
st.caption("For every search the policy decides which arms (retrieval strategies) to run and how many "
           "candidates each may return. A ▶ Play click rewards the selected arms that had found the "
           "clicked result.")

# --- policy switch -----------------------------------------------------------


def switch_policy() -> None:
    """Point this session at another policy (its own state folder: a fresh start or a resume)."""
    chosen = state.get("ltrr_policy_pick")
    if chosen and chosen != state["ltrr_policy"]:
        state["ltrr_policy"] = chosen
        state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
        shared.flash("success", f"Switched to **{chosen}**; it learns in `{shared.state_dir(chosen)}`.")


with st.container(border=True):
    from ltrr import Engine

    policies = list(dict.fromkeys([*Engine.POLICIES, state["ltrr_policy"]]))
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    left.selectbox("Policy", policies, index=policies.index(state["ltrr_policy"]), key="ltrr_policy_pick",
                   on_change=switch_policy,
                   help="linucb / lints: contextual; thompson / epsilon: context-free; all: run every arm; "
                        "static:ARM: always the same arms")
    right.markdown(f"Learning state of this policy: `{shared.state_dir()}`  \n"
                   "Each policy has its own folder, so switching starts from scratch and switching back "
                   "resumes where it left off.")
shared.show_flashes()

# --- now -------------------------------------------------------------------

history = pd.DataFrame()
with guarded("Reading the arm statistics"):
    report = pd.DataFrame(engine.arm_report())
    history = engine.arm_history()
    steps = int(history["step"].max()) if not history.empty else 0
    total_reward = float(pd.to_numeric(history["reward"], errors="coerce").fillna(0).sum()) if steps else 0.0
    pulls = int(report["pulls"].sum()) if "pulls" in report else 0
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rewarded searches", f"{steps:,}", border=True, help="Searches whose first click or skip updated the bandit")
    c2.metric("Arm pulls", f"{pulls:,}", border=True)
    c3.metric("Total reward", f"{total_reward:,.0f}", border=True)
    c4.metric("Reward per pull", f"{total_reward / pulls:.2f}" if pulls else "–", border=True)

    st.subheader("Arms now")
    if report.empty:
        st.caption("No arms.")
    else:
        st.dataframe(
            report, hide_index=True, width="stretch", key="ltrr_bandit_report",
            column_config={
                "selection_probability": st.column_config.ProgressColumn(
                    "selection probability", min_value=0.0, max_value=1.0, format="%.2f"),
                "expected_reward": st.column_config.NumberColumn("expected reward", format="%.3f"),
                "mean_reward": st.column_config.NumberColumn("mean reward", format="%.3f"),
                "rewards": st.column_config.NumberColumn("rewards", format="%.0f"),
                "ready": st.column_config.CheckboxColumn("ready"),
            })
        left, right = st.columns(2)
        with left:
            chart = charts.arm_bars(report, "pulls", "Pulls per arm")
            if chart is not None:
                st.altair_chart(chart, width="stretch")
        with right:
            chart = charts.arm_bars(report, "rewards", "Rewards per arm")
            if chart is not None:
                st.altair_chart(chart, width="stretch")

# --- over time ----------------------------------------------------------------

st.subheader("Over time")
if history.empty:
    st.info("Nothing learned yet: search on the Search page and press ▶ Play, or run simulated users "
            "on the Simulator page.", icon=":material/hourglass_empty:")
else:
    tab_p, tab_e, tab_c, tab_r = st.tabs(["Selection probability", "Expected reward", "Cumulative reward", "Regret"])
    with tab_p:
        st.altair_chart(charts.arm_lines(history, "selection_probability", "Probability of selecting each arm"),
                        width="stretch")
    with tab_e:
        st.altair_chart(charts.arm_lines(history, "expected_reward", "Expected reward per arm"), width="stretch")
    with tab_c:
        st.altair_chart(charts.cumulative_lines(reports.cumulative_reward(history)), width="stretch")
    with tab_r:
        st.info("Regret needs the reward the best choice would have earned, which real clicks never reveal. "
                "Simulated users know it: the Simulator page plots regret per policy.", icon=":material/info:")

# --- per query type ---------------------------------------------------------------

st.subheader("Per query type")
st.markdown("**What the bandit would pick now**: the selection probability of each arm for a typical query "
            "of each type (current user and time of day).")
with guarded("Probing the bandit"):
    probe = []
    context = {"user_id": state["ltrr_user"], "hour": int(state["ltrr_hour"])}
    for kind, text in QUERY_TYPES.items():
        for row in engine.arm_report({**context, "query": text}):
            probe.append({"query type": f"{kind} · “{text}”", "arm": row["arm"],
                          "p": float(row.get("selection_probability") or 0.0)})
    if probe:
        table = pd.DataFrame(probe).pivot(index="query type", columns="arm", values="p")
        table = table[[c for c in report.get("arm", pd.Series(dtype=str)).tolist() if c in table.columns]
                      or list(table.columns)]
        st.dataframe(table, width="stretch", key="ltrr_bandit_probe", column_config={
            arm: st.column_config.ProgressColumn(arm, min_value=0.0, max_value=1.0, format="%.2f")
            for arm in table.columns})

st.markdown("**What happened so far**: pulls and hit rate per understood intent, from the log.")
with guarded("Reading the log"):
    by_intent = reports.pulls_by_intent(engine.log_frame())
    if by_intent.empty:
        st.caption("No searches logged yet.")
    else:
        wide = by_intent.pivot(index="intent", columns="arm", values="hit_rate").fillna(0.0)
        pulls = by_intent.pivot(index="intent", columns="arm", values="pulls").fillna(0).astype(int)
        left, right = st.columns(2, gap="large")
        left.caption("Pulls")
        left.dataframe(pulls, width="stretch", key="ltrr_bandit_pulls")
        right.caption("Hit rate: share of pulls whose results held a clicked entity")
        right.dataframe(wide, width="stretch", key="ltrr_bandit_hits", column_config={
            arm: st.column_config.ProgressColumn(arm, min_value=0.0, max_value=1.0, format="%.2f")
            for arm in wide.columns})
