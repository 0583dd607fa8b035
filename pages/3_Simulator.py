"""Simulator page: simulated users against one or more policies, with live learning curves."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr import Engine
from ltrr_app import charts, reports, shared
from ltrr_app.shared import guarded

DEFAULT_POLICIES = ["linucb", "static:lexical", "all"]
REDRAWS = 40          # curve redraws per run: live enough, cheap enough
MAX_STEPS = 20_000

shared.page_setup("Simulator", ":material/groups:")
state = st.session_state
state.setdefault("ltrr_sim_records", [])     # records of the last (or running) simulation
state.setdefault("ltrr_sim_result", None)    # the finished SimulationResult
state.setdefault("ltrr_sim_running", False)
engine = shared.current_engine()
shared.sidebar_status(engine)

st.title("Simulator: simulated users, policies side by side")
st.caption("Simulated users with hidden intents type queries (exact and misspelt titles, artists, genre and era, "
           "moods, playlists, podcasts) and click what satisfies them, with position bias. Every policy meets the "
           "same users with the same random numbers, each in its own fresh state, so the curves compare policies "
           "fairly. Regret is measured against the best fixed arm set per query type.")


def simulation_root():
    """Simulations learn in their own folder, never in the live engines' state."""
    from ltrr.config import default_state_dir

    return default_state_dir() / "simulator"


def start() -> None:
    state["ltrr_sim_running"] = True
    state["ltrr_sim_records"] = []
    state["ltrr_sim_result"] = None


def stop() -> None:
    # Pressing Stop reruns the page, which interrupts the running simulation at its next redraw;
    # the records gathered so far stay in session state.
    state["ltrr_sim_running"] = False


arm_status = engine.status().get("arms", {})
all_arms = list(arm_status)
ready_arms = [a for a, info in arm_status.items() if info.get("ready")]
policy_options = list(dict.fromkeys([*Engine.POLICIES, *(f"static:{a}" for a in all_arms)]))

with st.form("ltrr_sim_form", border=True):
    c1, c2 = st.columns([3, 2])
    policies = c1.multiselect("Policies", policy_options, default=[p for p in DEFAULT_POLICIES if p in policy_options],
                              key="ltrr_sim_policies",
                              help="Learners (linucb, lints, thompson, epsilon) against fixed arm sets (all, static:…)")
    arms = c2.multiselect("Arms", all_arms, default=ready_arms, key="ltrr_sim_arms",
                          help="The arms every engine of the run may use. The semantic arm is left out until its "
                               "index is built (see the sidebar).")
    c3, c4, c5 = st.columns(3)
    steps = c3.number_input("Simulated searches", min_value=10, max_value=MAX_STEPS, value=300, step=100,
                            key="ltrr_sim_steps")
    users = c4.number_input("Users", min_value=1, max_value=10_000, value=100, step=10, key="ltrr_sim_users")
    seed = c5.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, key="ltrr_sim_seed")
    run = st.form_submit_button("Run simulation", type="primary", icon=":material/play_arrow:", on_click=start)

st.button("Stop", key="ltrr_sim_stop", icon=":material/stop:", on_click=stop,
          help="Stop the running simulation; the curves so far stay on the page")

progress_slot = st.empty()
metrics_slot = st.empty()
curves_slot = st.empty()


def draw(records: list[dict], title_suffix: str = "") -> None:
    """Redraw the running metrics and curves from the records so far."""
    frame = pd.DataFrame(records)
    if frame.empty:
        return
    curves = reports.simulation_curves(frame)
    with metrics_slot.container():
        latest = frame.groupby("policy", sort=False).agg(steps=("step", "max"), success=("success", "mean"),
                                                          reward=("reward", "mean"), regret=("regret", "sum"))
        cols = st.columns(len(latest))
        for col, (policy, row) in zip(cols, latest.iterrows()):
            col.metric(policy, f"{row['success']:.0%}", border=True,
                       help=f"success@10 over {int(row['steps'])} searches; cumulative regret {row['regret']:.1f}")
    with curves_slot.container():
        left, mid, right = st.columns(3)
        for col, curve, title in ((left, "success@10", "Success@10 (rolling)"),
                                  (mid, "cumulative reward", "Cumulative reward (clicks)"),
                                  (right, "cumulative regret", "Cumulative regret" + title_suffix)):
            chart = charts.policy_curve(curves, curve, title)
            if chart is not None:
                col.altair_chart(chart, width="stretch")


if run and state["ltrr_sim_running"]:
    if not policies:
        st.error("Choose at least one policy.")
        state["ltrr_sim_running"] = False
    else:
        from ltrr.simulate import run_simulation

        bar = progress_slot.progress(0.0, text="opening one engine per policy…")
        progress = shared.StreamlitProgress(bar)
        every = max(1, int(steps) // REDRAWS) * len(policies)
        records: list[dict] = state["ltrr_sim_records"]

        def on_step(policy: str, step: int, record: dict) -> None:
            records.append(record)
            if len(records) % every == 0:
                draw(records, " (provisional)")

        with guarded("The simulation"):
            try:
                state["ltrr_sim_result"] = run_simulation(
                    shared.catalog_path(), list(policies), steps=int(steps), seed=int(seed),
                    state_root=simulation_root(), progress=progress, on_step=on_step,
                    arms=list(arms) or None, n_users=int(users))
            finally:
                progress.detach()
                state["ltrr_sim_running"] = False
        progress_slot.empty()

result = state["ltrr_sim_result"]
if result is not None:
    from ltrr.simulate import arm_share_table, per_type_table, summary_table, target_checks

    records = result.records
    st.success(f"{'Stopped after' if result.stopped else 'Finished'} {result.steps:,} simulated searches per policy "
               f"(seed {result.seed}).", icon=":material/check_circle:")
    draw(records.to_dict("records"))
    summary = summary_table(records, window=max(1, min(500, result.steps // 3)))
    st.subheader("Summary")
    st.dataframe(summary, hide_index=True, width="stretch", key="ltrr_sim_summary",
                 column_config={c: st.column_config.NumberColumn(format="%.3f")
                                for c in summary.columns if summary[c].dtype.kind == "f"})
    checks = target_checks(summary)
    if checks:
        st.subheader("Learning targets")
        for check in checks:
            icon = ":material/check_circle:" if check["passed"] else ":material/cancel:"
            color = "green" if check["passed"] else "red"
            st.markdown(f":{color}[{icon}] **{check['target']}** — {check['value']}")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Per query type")
        per_type = per_type_table(records)
        st.dataframe(per_type, hide_index=True, width="stretch", key="ltrr_sim_per_type",
                     column_config={"success": st.column_config.ProgressColumn(
                         "success@10", min_value=0.0, max_value=1.0, format="%.2f")})
    with right:
        st.subheader("Which arms ran")
        shares = arm_share_table(records)
        chosen = st.selectbox("Policy", result.policies, key="ltrr_sim_share_policy")
        chart = charts.arm_share_heatmap(shares, chosen)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
elif state["ltrr_sim_records"]:
    st.warning(f"Stopped: {len(state['ltrr_sim_records']):,} policy-searches ran before the stop. "
               "Curves below are provisional.", icon=":material/stop_circle:")
    draw(state["ltrr_sim_records"], " (provisional)")
else:
    st.info("Choose policies and press **Run simulation**. A few hundred searches per policy take about a "
            "minute; the curves update while it runs.", icon=":material/play_circle:")
