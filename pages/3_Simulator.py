"""Simulator page: simulated users against several policies; cost against quality; apply to the live state."""
from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from ltrr.simulate import DEFAULT_RETRY_SHARE
from ltrr.simulate.world import DEFAULT as WORLD
from ltrr.simulate.report import window_means
from ltrr_app import baseline, charts, demo, shared
from ltrr_app.baseline import ROUTE, TUNED
from ltrr_app.labels import count
from ltrr_app.shared import guarded
from ltrr_app.simjob import SimulationJob

MAX_STEPS = 20_000
MAX_SEEDS = 10

engine = shared.open_page("Simulator", ":material/groups:", "Simulator: does learning pay?",
                          "Simulated users with hidden intents type queries (exact and misspelt titles, artists, "
                          "genre and era, moods, playlists) and click what satisfies them, with position bias. "
                          f"When a search fails them, {DEFAULT_RETRY_SHARE:.0%} of them search again by the name "
                          "they wanted, and what they find there teaches the engine; "
                          f"{WORLD.reformulate_share:.0%} of those a vague ask failed reword it more specifically. "
                          "Every policy meets the same "
                          "users with the same random numbers, each in a fresh state of its own, so the "
                          "comparison is fair. The run goes on in the background if you leave this page.")
state = st.session_state
state.setdefault("ltrr_sim_job", None)       # the running or last SimulationJob (survives page switches)
facts = demo.catalog_facts(engine, shared.catalog_path())
demo.story_panel(engine, facts, page="simulator")


def simulation_root():
    """Simulations learn in their own folder, never in the live engines' state; each browser
    session in a folder of its own, since two sessions' runs at once would open the same engines'
    folders (a session runs one simulation at a time: its button waits for the last one)."""
    from ltrr.config import default_state_dir

    if "ltrr_sim_folder" not in state:
        state["ltrr_sim_folder"] = f"session-{uuid.uuid4().hex[:12]}"
    return default_state_dir() / "simulator" / state["ltrr_sim_folder"]


def default_policies() -> list[str]:
    """The honest comparison: the default learner against a fixed configuration tuned on another
    stream to spend about what the learner spends (not `all` or one arm: the weakest baselines)."""
    return [shared.default_policy(), TUNED]


def learner_of(policies: list[str]) -> str | None:
    """The learner a verdict is about: the default learner if it ran, else the first learning policy."""
    learners = [p for p in policies if p != TUNED and not charts.is_fixed(p)]
    return shared.default_policy() if shared.default_policy() in learners else (learners[0] if learners else None)


def smoothing(steps: int) -> int:
    return int(max(10, min(100, steps // 15)))


job: SimulationJob | None = state["ltrr_sim_job"]
running = job is not None and job.running

arm_status = engine.status().get("arms", {})
all_arms = list(arm_status)
# A simulation opens its own engines, which wait for a complete index: an arm that serves a
# partial one while it finishes (semantic on a first start) is left out until it is complete.
ready_arms = [a for a, info in arm_status.items() if info.get("ready") and info.get("complete", True)]
policy_options = list(dict.fromkeys([*shared.policy_choices(), TUNED, ROUTE, "all",
                                     *(f"static:{a}" for a in all_arms)]))

with st.form("ltrr_sim_form", border=True):
    c1, c2 = st.columns([3, 2])
    policies = c1.multiselect("Policies", policy_options, default=[p for p in default_policies() if p in policy_options],
                              key="ltrr_sim_policies",
                              help="Learning policies against fixed arm sets. The default compares the learner "
                                   "with a fixed configuration tuned on another stream at about the learner's "
                                   "cost (see Details below); route = a fixed configuration per kind of ask, "
                                   "chosen on the same tuning stream (the strongest fixed baseline); all = every "
                                   "arm, static:ARM = one arm.")
    arms = c2.multiselect("Arms", all_arms, default=ready_arms, key="ltrr_sim_arms",
                          help="The arms every engine of the run may use. The semantic arm is left out until its "
                               "index is built (see the sidebar).")
    c3, c4, c5, c6 = st.columns(4)
    steps = c3.number_input("Simulated searches", min_value=10, max_value=MAX_STEPS, value=300, step=100,
                            key="ltrr_sim_steps")
    users = c4.number_input("Users", min_value=1, max_value=10_000, value=100, step=10, key="ltrr_sim_users")
    seed = c5.number_input("First seed", min_value=0, max_value=2**31 - 1, value=0, key="ltrr_sim_seed")
    n_seeds = c6.number_input("Seeds", min_value=1, max_value=MAX_SEEDS, value=1, key="ltrr_sim_seeds",
                              help="Independent runs (seed, seed+1, ...). With 2 or more the verdict gets a 95% "
                                   "interval; one run is one draw of users, not yet evidence.")
    warm_start = st.checkbox(
        "Warm-start the learners from the tuning stream", key="ltrr_sim_warm",
        help="Before their first search, the coverage learners read the tuning stream's searches (every arm's "
             "rank of what each user wanted: the data the fixed baseline is tuned on), as a team would start "
             "a learner from judged searches it already has. Off: they start cold.")
    with st.expander("Details: the tuned fixed baseline", icon=":material/tune:"):
        tune_steps = st.number_input("Tuning searches", min_value=20, max_value=MAX_STEPS, value=200, step=100,
                                     key="ltrr_sim_tune_steps")
        st.caption("Before the run, a separate stream of simulated searches (its own seed, never one of the "
                   "test seeds) goes through every arm at the deepest budget, which records where each arm "
                   "ranks what each user wanted. From that table the tuner picks the fixed configuration "
                   "(arms and budgets) that the coverage learner's own greedy rule would choose if it knew "
                   "every answer in advance, at the learner's price per candidate, so it spends about what "
                   "the learner spends (`best_at_cost`). The same table gives the static frontier: the best "
                   "fixed configuration at each cap on candidates, chosen on half the tuning searches and "
                   "scored on the other half (`held_out_frontier`). The tuning result is kept for this "
                   "server's lifetime, so a second run starts at once.")
    run = st.form_submit_button("Run simulation", type="primary", icon=":material/play_arrow:", disabled=running)

if run and not running:
    if not policies:
        st.error("Choose at least one policy.")
    else:
        learner = learner_of(list(policies))
        job = SimulationJob(catalog_path=shared.catalog_path(), policies=list(policies), steps=int(steps),
                            seed=int(seed), seeds=[int(seed) + i for i in range(int(n_seeds))],
                            tune={"steps": int(tune_steps), "lam": baseline.learner_cost(learner or "coverage"),
                                  "warm": bool(warm_start)},
                            state_root=simulation_root(), arms=list(arms) or None,
                            n_users=int(users), retry_share=DEFAULT_RETRY_SHARE,
                            reformulate_share=WORLD.reformulate_share).start()
        state["ltrr_sim_job"] = job
        running = True


def curves(records: pd.DataFrame, window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per policy and step, rolling candidates per search and rolling success@10 (from step 1: cold start)."""
    cost, quality = [], []
    for policy, group in records.groupby("policy", sort=False):
        group = group.sort_values("step")
        base = pd.DataFrame({"policy": policy, "step": group["step"].to_numpy()})
        cost.append(base.assign(value=group["n_retrieved"].astype(float).rolling(window, min_periods=1).mean()
                                .to_numpy()))
        quality.append(base.assign(value=group["success"].astype(float).rolling(window, min_periods=1).mean()
                                   .to_numpy()))
    empty = pd.DataFrame(columns=["policy", "step", "value"])
    return (pd.concat(cost, ignore_index=True) if cost else empty,
            pd.concat(quality, ignore_index=True) if quality else empty)


def cost_quality(records: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per policy over its last `window` steps (each seed's): candidates per search, success@10,
    arms per search, and the steps done."""
    means = window_means(records, window, candidates="n_retrieved", success="success", arms="n_arms")
    steps = records.groupby("policy", sort=False)["step"].max().astype(int)
    return means.assign(steps=means["policy"].map(steps))


def draw(records: pd.DataFrame, total_steps: int, live: bool) -> None:
    """The headline chart and the curves, from whatever records exist now."""
    if records.empty:
        st.caption("Waiting for the first simulated searches…")
        return
    window = smoothing(total_steps)
    summary = cost_quality(records, window)
    per_row = 3
    for start in range(0, len(summary), per_row):
        cols = st.columns(per_row)
        for col, (_, row) in zip(cols, summary.iloc[start:start + per_row].iterrows()):
            name = str(row["policy"])
            # The card names the kind ("tuned fixed"); its arms and budgets are in the help (a long
            # label is cut in a card at 1280 px).
            short = name.split(":")[0] if name.startswith("tuned fixed") else name
            col.metric(short, f"{row['success']:.0%}", count(row["candidates"], "candidate", ".1f"),
                       delta_color="off", delta_arrow="off", border=True,
                       help=f"**{name}**: success@10 and candidates per search over the last "
                            f"{count(window, 'search')} ({int(row['steps']):,} done)")
    cost, quality = curves(records, window)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**Cost vs quality** (last {count(window, 'search')} of each policy)")
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
        st.caption(f"Rolling means over {count(window, 'search')}, from the first search: every policy starts cold. "
                   "A learning policy pays for exploring at first; the question is whether its candidates per "
                   "search fall while its success stays near the best fixed arm set's.")


def labelled(current: SimulationJob) -> pd.DataFrame:
    """The job's records with the tuned configuration named in words, not as its spec."""
    records = current.records()
    if not records.empty and current.labels:
        records["policy"] = records["policy"].map(lambda p: current.labels.get(p, p))
    return records


def verdict(current: SimulationJob, records: pd.DataFrame) -> None:
    """Does learning pay? The learner against the tuned fixed configuration and the static frontier."""
    names = list(dict.fromkeys(records["policy"])) if not records.empty else []
    learner = learner_of(names)
    tuned = current.baseline
    tuned_label = tuned.label() if tuned is not None else None
    st.subheader("Does learning pay?")
    if learner is None:
        st.caption("Add a learning policy to the run to answer this.")
        return
    steps = int(current.steps_done() or current.settings.get("steps", 1))
    window = baseline.verdict_window(steps)
    other = tuned_label if tuned_label in names else None
    found = baseline.learner_vs(records, learner, tuned, window, other=other)
    mine = found.get("learner")
    if not mine:
        st.caption("No searches of the learner yet.")
        return
    lines = [f"Over the last {count(window, 'search')} of each run, **{learner}** found what the user wanted "
             f"in **{mine['success']:.0%}** of searches at **{count(mine['candidates'], 'candidate', '.1f')}** "
             "per search."]
    if "vs_fixed" in found:
        lines.append(f"The **{other}** configuration, tuned on another stream to spend about as much: "
                     f"{found['other']['success']:.0%} at {count(found['other']['candidates'], 'candidate', '.1f')}. "
                     f"Learning gains **{found['vs_fixed'].text()}** of success.")
    elif tuned is None:
        lines.append("No tuned fixed configuration ran: add it to the policies to compare against a strong "
                     "fixed baseline, not just `all` or one arm.")
    if "vs_frontier" in found:
        lines.append(f"Against the static frontier (the best fixed configuration at each cost): at the learner's "
                     f"cost the frontier retrieves {found['frontier_at']:.0%} of what users want, the learner "
                     f"{mine['covered']:.0%}: **{found['vs_frontier'].text()}**.")
    if tuned is not None and learner.endswith(", warm-started"):
        lines.append(f"The learner started from the tuning stream's {count(tuned.searches, 'search')} (what the "
                     "fixed configuration is tuned on), not cold.")
    for line in lines:
        st.markdown(line)
    if tuned is not None:
        with st.expander("Details: the frontier, the tuning and the interval", icon=":material/info:"):
            seeds = baseline.per_seed(records, window)
            points = seeds.groupby("policy", sort=False)[["candidates", "covered"]].mean().reset_index()
            chart = charts.frontier_chart(tuned.frontier, points, height=300)
            if chart is not None:
                st.altair_chart(chart, width="stretch")
            st.caption(f"The dashed line: the static frontier from the tuning stream "
                       f"({count(tuned.searches, 'search')}, seed {tuned.settings.get('seed')}), chosen on half of "
                       "it and scored on the other half. Points: each policy on the test runs. \"Retrieved\" "
                       "means an arm that ran returned what the user wanted (before ranking); success means it "
                       "reached the top 10. The tuned configuration "
                       f"`{tuned.spec}` retrieved {tuned.coverage:.0%} at "
                       f"{count(tuned.cost, 'candidate', '.1f')} on the tuning stream (price "
                       f"{tuned.lam:g} per candidate). Intervals are 95% t-intervals over seeds, paired: every "
                       "policy meets the same users on each seed.")


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
    if message.startswith("tuning"):
        st.progress(min(1.0, done / max(1, total)),
                    text=f"First, {message}: {done:,} of {count(total, 'search')}")
    else:
        steps_done = current.steps_done()
        seeds = len(current.seeds)
        which = f"seed {min(current.seed_index + 1, seeds)} of {seeds} · " if seeds > 1 else ""
        st.progress(min(1.0, steps_done / max(1, steps_total)),
                    text=f"{which}{steps_done:,} of {count(steps_total, 'simulated search')} per policy · {message}")
    st.button("Stop", key="ltrr_sim_stop", icon=":material/stop:", on_click=current.stop,
              help="Stop after the current search; the curves so far stay")
    draw(labelled(current), steps_total, live=True)


if running:
    live_view()
elif job is None:
    st.info("Press **Run simulation**. A few hundred searches per policy take a minute or two; the curves update "
            "while it runs, and it keeps running if you visit another page.", icon=":material/play_circle:")
else:
    records = labelled(job)
    total = int(job.settings.get("steps", 1))
    if job.error:
        st.error(f"**The simulation failed.** {job.error}", icon=":material/error:")
    elif job.stopped:
        st.warning(f"Stopped after {job.steps_done():,} of {count(total, 'search')} per policy; the results "
                   "below are for what ran.", icon=":material/stop_circle:")
    else:
        seeds = ", ".join(str(x) for x in job.seeds)
        st.success(f"Finished {count(job.steps_done(), 'simulated search')} per policy "
                   f"({'seed' if len(job.seeds) == 1 else 'seeds'} {seeds}).", icon=":material/check_circle:")
    if not records.empty:
        verdict(job, records)
    draw(records, total, live=False)

    result = job.result
    if result is not None and len(result.records) and not job.error:
        from ltrr.simulate import per_type_table, summary_table, target_checks

        full = result.records.assign(policy=result.records["policy"].map(lambda p: job.labels.get(p, p)))
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
            source = a1.selectbox("Simulated log of", learners, key="ltrr_sim_apply_policy",
                                  format_func=lambda p: job.labels.get(p, p))
            a2.markdown(f"Replays that policy's {count(int(result.steps), 'simulated search')} and clicks into the live "
                        f"**{state['ltrr_policy']}** state, so the Bandit, Memory and Ranker pages fill (and "
                        "LambdaMART trains once enough searches have a click). The live state is kept as a snapshot "
                        "first (Logs page).")
            if st.button("Apply to the live state", key="ltrr_sim_apply", type="primary",
                         icon=":material/move_down:"):
                with guarded("Applying the simulation"):
                    from ltrr.log import read_events

                    events = read_events(dirs[source] / "log" / "events.jsonl")
                    with st.spinner(f"Replaying {count(len(events), 'event')}…"):
                        kept = engine.reset()
                        counts = engine.replay(events)
                    state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None
                    st.success(f"Replayed {count(counts['searches'], 'search')} and {count(counts['feedbacks'], 'click')} into "
                               f"the live **{state['ltrr_policy']}** state (previous state kept as snapshot "
                               f"“{kept.name}”).", icon=":material/check_circle:")
