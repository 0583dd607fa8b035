"""Simulator page: simulated users against several policies; cost against quality; apply to the live state."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ltrr.simulate import DEFAULT_RETRY_SHARE
from ltrr_app import charts, demo, shared
from ltrr_app.shared import guarded
from ltrr_app.simjob import SimulationJob

MAX_STEPS = 20_000

shared.page_setup("Simulator", ":material/groups:")
state = st.session_state
state.setdefault("ltrr_sim_job", None)       # the running or last SimulationJob (survives page switches)
engine = shared.current_engine()
facts = demo.catalog_facts(engine, shared.catalog_path())
shared.sidebar_status(engine)

st.title("Simulator: does learning pay?")
st.caption("Simulated users with hidden intents type queries (exact and misspelt titles, artists, genre and era, "
           "moods, playlists) and click what satisfies them, with position bias. When a search fails them, "
           f"{DEFAULT_RETRY_SHARE:.0%} of them search again by the name they wanted, and what they find there "
           "teaches the engine. Every policy meets the same users "
           "with the same random numbers, each in a fresh state of its own, so the comparison is fair. The run "
           "goes on in the background if you leave this page.")
demo.story_panel(engine, facts, page="simulator")


def simulation_root():
    """Simulations learn in their own folder, never in the live engines' state."""
    from ltrr.config import default_state_dir

    return default_state_dir() / "simulator"


def default_policies() -> list[str]:
    """The story's comparison: the default learner, every arm, and one cheap fixed arm."""
    return list(dict.fromkeys([shared.default_policy(), "all", "static:lexical"]))


def smoothing(steps: int) -> int:
    return int(max(10, min(100, steps // 15)))


job: SimulationJob | None = state["ltrr_sim_job"]
running = job is not None and job.running

arm_status = engine.status().get("arms", {})
all_arms = list(arm_status)
ready_arms = [a for a, info in arm_status.items() if info.get("ready")]
policy_options = list(dict.fromkeys([*shared.policy_choices(), "all", *(f"static:{a}" for a in all_arms)]))

with st.form("ltrr_sim_form", border=True):
    c1, c2 = st.columns([3, 2])
    policies = c1.multiselect("Policies", policy_options, default=[p for p in default_policies() if p in policy_options],
                              key="ltrr_sim_policies",
                              help="Learning policies against fixed arm sets (all = every arm, static:ARM = one arm)")
    arms = c2.multiselect("Arms", all_arms, default=ready_arms, key="ltrr_sim_arms",
                          help="The arms every engine of the run may use. The semantic arm is left out until its "
                               "index is built (see the sidebar).")
    c3, c4, c5 = st.columns(3)
    steps = c3.number_input("Simulated searches", min_value=10, max_value=MAX_STEPS, value=300, step=100,
                            key="ltrr_sim_steps")
    users = c4.number_input("Users", min_value=1, max_value=10_000, value=100, step=10, key="ltrr_sim_users")
    seed = c5.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, key="ltrr_sim_seed")
    run = st.form_submit_button("Run simulation", type="primary", icon=":material/play_arrow:", disabled=running)

if run and not running:
    if not policies:
        st.error("Choose at least one policy.")
    else:
        job = SimulationJob(catalog_path=shared.catalog_path(), policies=list(policies), steps=int(steps),
                            seed=int(seed), state_root=simulation_root(), arms=list(arms) or None,
                            n_users=int(users), retry_share=DEFAULT_RETRY_SHARE).start()
        state["ltrr_sim_job"] = job
        running = True


def curves(records: pd.DataFrame, window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per policy and step, rolling candidates per search and rolling success@10 (from step 1: cold start)."""
    cost, quality = [], []
    for policy, group in records.groupby("policy", sort=False):
        group = group.sort_values("step")
        base = pd.DataFrame({"policy": policy, "step": group["step"].to_numpy()})
        cost.append(base.assign(value=group["n_candidates"].astype(float).rolling(window, min_periods=1).mean()
                                .to_numpy()))
        quality.append(base.assign(value=group["success"].astype(float).rolling(window, min_periods=1).mean()
                                   .to_numpy()))
    empty = pd.DataFrame(columns=["policy", "step", "value"])
    return (pd.concat(cost, ignore_index=True) if cost else empty,
            pd.concat(quality, ignore_index=True) if quality else empty)


def cost_quality(records: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per policy over its last `window` steps: candidates per search, success@10, arms per search."""
    rows = []
    for policy, group in records.groupby("policy", sort=False):
        last = group.sort_values("step").tail(window)
        rows.append({"policy": policy, "steps": int(group["step"].max()),
                     "candidates": float(last["n_candidates"].mean()), "success": float(last["success"].mean()),
                     "arms": float(last["n_arms"].mean()) if "n_arms" in last else np.nan})
    return pd.DataFrame(rows)


def draw(records: pd.DataFrame, total_steps: int, live: bool) -> None:
    """The headline chart and the curves, from whatever records exist now."""
    if records.empty:
        st.caption("Waiting for the first simulated searches…")
        return
    window = smoothing(total_steps)
    summary = cost_quality(records, window)
    per_row = 4
    for start in range(0, len(summary), per_row):
        cols = st.columns(per_row)
        for col, (_, row) in zip(cols, summary.iloc[start:start + per_row].iterrows()):
            col.metric(str(row["policy"]), f"{row['success']:.0%}", f"{row['candidates']:.0f} candidates",
                       delta_color="off", delta_arrow="off", border=True,
                       help=f"success@10 and candidates per search over the last {window} searches "
                            f"({int(row['steps'])} done)")
    cost, quality = curves(records, window)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**Cost vs quality** (last {window} searches of each policy)")
        chart = charts.cost_quality_chart(summary, height=330)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        st.caption("Up and to the left is better: as often successful, fewer candidates to fetch and rank.")
    with right:
        chart = charts.policy_metric_lines(cost, "Candidates per search" + (" (live)" if live else ""),
                                           "candidates", height=330)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
    left, right = st.columns(2, gap="medium")
    with left:
        chart = charts.policy_metric_lines(quality, "Success@10" + (" (live)" if live else ""), "success",
                                           percent=True, height=300)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
    with right:
        st.caption(f"Rolling means over {window} searches, from the first search: every policy starts cold. "
                   "A learning policy pays for exploring at first; the question is whether its candidates per "
                   "search fall while its success stays near the best fixed arm set's.")


@st.fragment(run_every=1.5)
def live_view() -> None:
    """Redraws while the background run goes on; reruns the page once when it ends."""
    current: SimulationJob | None = st.session_state.get("ltrr_sim_job")
    if current is None:
        return
    if not current.running:
        st.rerun(scope="app")
    done, total, message = current.progress
    steps_total = int(current.settings.get("steps", 1))
    steps_done = current.steps_done()
    st.progress(min(1.0, steps_done / max(1, steps_total)),
                text=f"{steps_done:,} of {steps_total:,} simulated searches per policy · {message}")
    st.button("Stop", key="ltrr_sim_stop", icon=":material/stop:", on_click=current.stop,
              help="Stop after the current search; the curves so far stay")
    draw(current.records(), steps_total, live=True)


if running:
    live_view()
elif job is None:
    st.info("Press **Run simulation**. A few hundred searches per policy take a minute or two; the curves update "
            "while it runs, and it keeps running if you visit another page.", icon=":material/play_circle:")
else:
    records = job.records()
    total = int(job.settings.get("steps", 1))
    if job.error:
        st.error(f"**The simulation failed.** {job.error}", icon=":material/error:")
    elif job.stopped:
        st.warning(f"Stopped after {job.steps_done():,} of {total:,} searches per policy; the results below are "
                   "for what ran.", icon=":material/stop_circle:")
    else:
        st.success(f"Finished {job.steps_done():,} simulated searches per policy (seed {job.settings.get('seed')}).",
                   icon=":material/check_circle:")
    draw(records, total, live=False)

    result = job.result
    if result is not None and len(result.records):
        from ltrr.simulate import per_type_table, summary_table, target_checks

        full = result.records
        window = smoothing(int(result.steps or 1))
        with st.expander("Learning targets", icon=":material/flag:"):
            checks = target_checks(summary_table(full, window=window))
            if not checks:
                st.caption("Add a learning policy and `all` to the run to check the targets.")
            for check in checks:
                value = str(check["value"])
                if "nan" in value.lower() or "none" in value.lower():
                    st.markdown(f":gray[:material/remove_circle:] **{check['target']}**: not measurable on this "
                                "run (the first searches already had no regret to shrink).")
                else:
                    ok = check["passed"]
                    st.markdown(f":{'green' if ok else 'red'}[{':material/check_circle:' if ok else ':material/cancel:'}]"
                                f" **{check['target']}**: {value}")
        with st.expander("Per query type", icon=":material/table:"):
            per_type = per_type_table(full)[["policy", "query_type", "searches", "success", "candidates"]]
            st.dataframe(per_type, hide_index=True, width="stretch", key="ltrr_sim_per_type", column_config={
                "success": st.column_config.ProgressColumn("success@10", min_value=0.0, max_value=1.0, format="%.2f"),
                "candidates": st.column_config.NumberColumn("candidates", format="%.1f")})

        st.subheader("Apply to the live state")
        dirs = job.state_dirs()
        learners = [p for p in result.policies if p in dirs]
        if not learners:
            st.caption("Nothing to apply: no policy's log was kept.")
        else:
            a1, a2 = st.columns([2, 3], vertical_alignment="bottom")
            source = a1.selectbox("Simulated log of", learners, key="ltrr_sim_apply_policy")
            a2.markdown(f"Replays that policy's {int(result.steps):,} simulated searches and clicks into the live "
                        f"**{state['ltrr_policy']}** state, so the Bandit, Memory and Ranker pages fill (and "
                        "LambdaMART trains once enough searches have a click). The live state is kept as a snapshot "
                        "first (Logs page).")
            if st.button("Apply to the live state", key="ltrr_sim_apply", type="primary",
                         icon=":material/move_down:"):
                with guarded("Applying the simulation"):
                    from ltrr.log import read_events

                    events = read_events(dirs[source] / "log" / "events.jsonl")
                    with st.spinner(f"Replaying {len(events):,} events…"):
                        kept = engine.reset()
                        counts = engine.replay(events)
                    state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
                    st.success(f"Replayed {counts['searches']:,} searches and {counts['feedbacks']:,} clicks into "
                               f"the live **{state['ltrr_policy']}** state (previous state kept as snapshot "
                               f"“{kept.name}”).", icon=":material/check_circle:")
