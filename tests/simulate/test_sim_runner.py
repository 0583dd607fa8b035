"""The runner: one stream through several policies, reproducible, with honest per-step records."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from ltrr.simulate import RECORD_COLUMNS, run_simulation
from ltrr.simulate.runner import arm_milliseconds, split_policies
from ltrr.state import policy_folder

ARMS = ["lexical", "fuzzy", "popular"]


def test_one_record_per_policy_and_step(tiny_simulation, sim_settings):
    result, calls, _ = tiny_simulation
    policies, steps = sim_settings.policies, sim_settings.steps
    records = result.records
    assert list(records.columns) == RECORD_COLUMNS
    assert result.steps == steps and not result.stopped
    assert records.groupby("policy").size().to_dict() == {p: steps for p in policies}
    assert list(records["policy"].drop_duplicates()) == policies
    # Every policy met the same users with the same queries.
    by_policy = [g[["step", "user_id", "query"]].reset_index(drop=True) for _, g in records.groupby("policy")]
    assert all(frame.equals(by_policy[0]) for frame in by_policy)
    assert len(result.stream) == steps


def test_records_are_consistent(tiny_simulation, sim_settings):
    assert sim_settings.arms == ARMS
    records = tiny_simulation[0].records
    assert ((records["success"] == 1) == (records["reciprocal_rank"] > 0)).all()
    assert (records["reward"] <= records["clicked"]).all()
    # A satisfying click needs a satisfying result shown.
    assert (records["reward"] <= records["success"]).all()
    # A fixed policy runs its arms wherever their exact probes allow: lexical is not offered a
    # query none of whose words it indexes (it would return nothing).
    fixed = records[records["policy"] == "static:lexical"]
    assert set(fixed["arms"]) <= {"lexical", ""} and (fixed["arms"] == "lexical").mean() > 0.5
    assert (fixed["n_arms"] == (fixed["arms"] == "lexical")).all()
    assert (fixed.loc[fixed["arms"] == "", "n_retrieved"] == 0).all()
    every = records[records["policy"] == "all"]["arms"].str.split(",").map(set)
    assert every.map(lambda ran: set(ARMS) - {"lexical"} <= ran).all()
    assert (records[records["policy"] == "all"]["n_arms"] == every.map(len)).all()
    # Fixed policies ask every arm they run for the full arm budget (20); learning
    # policies ask each included arm for between 5 and 20.
    fixed_runs = records[records["policy"].isin(["static:lexical", "all"])]
    assert (fixed_runs["budget"] == 20 * fixed_runs["n_arms"]).all()
    learned = records[~records["policy"].isin(["static:lexical", "all"])]
    assert ((learned["budget"] >= 5 * learned["n_arms"]) & (learned["budget"] <= 20 * learned["n_arms"])).all()
    assert (records["n_pool"] <= 60).all()
    # Candidates (what the arms return) count an entity once per arm; the pool once: never more.
    assert (records["n_pool"] <= records["n_retrieved"]).all()
    assert (records["n_retrieved"] <= records["budget"]).all()
    assert (records["n_pool"] < records["n_retrieved"]).any()       # the arms overlap somewhere
    # Covered means some selected arm returned a wanted entity: exactly when an arm is named as a hit.
    assert ((records["covered"] == 1) == (records["hit_arms"] != "")).all()
    assert (records["success"] <= records["covered"]).all()


def test_regret_is_against_the_best_fixed_arm_set_per_type(tiny_simulation):
    result = tiny_simulation[0]
    records = result.records
    fixed = records[records["policy"].isin(["static:lexical", "all"])]
    best = fixed.groupby(["query_type", "policy"])["success"].mean().groupby(level=0).max()
    assert result.oracle == pytest.approx(best.to_dict())
    expected = records["query_type"].map(best) - records["success"]
    assert np.allclose(records["regret"], expected)
    assert set(result.oracle_policy.values()) <= {"static:lexical", "all"}


def test_on_step_sees_every_search_with_a_provisional_regret(tiny_simulation, sim_settings):
    _, calls, _ = tiny_simulation
    policies, steps = sim_settings.policies, sim_settings.steps
    assert len(calls) == steps * len(policies)
    assert [c[1] for c in calls[:6]] == [1, 1, 1, 2, 2, 2]
    assert all(set(record) == set(RECORD_COLUMNS) for _, _, record in calls)
    assert all(np.isfinite(record["regret"]) for _, _, record in calls)


def test_each_policy_logs_to_its_own_state_folder(tiny_simulation, sim_settings):
    result, _, root = tiny_simulation
    policies, steps = sim_settings.policies, sim_settings.steps
    for policy in policies:
        folder = root / policy_folder(policy)
        assert result.state_dirs[policy] == folder
        events = [json.loads(line) for line in (folder / "log" / "events.jsonl").read_text().splitlines()]
        searches = [e for e in events if e["kind"] == "search"]
        assert len(searches) == steps
        # Every search got exactly one bandit-resolving feedback (a click or a skip).
        feedback = [e for e in events if e["kind"] == "feedback"]
        assert {e["search_id"] for e in feedback} == {e["id"] for e in searches}


def test_same_seed_same_run_and_fresh_state(tiny_catalog_path, tiny_simulation, sim_settings):
    """Re-running into the same state folders starts afresh and reproduces the records."""
    first, _, root = tiny_simulation
    again = run_simulation(tiny_catalog_path, sim_settings.policies, 15, seed=0, state_root=root, arms=ARMS)
    drop = ["arm_ms", "latency_ms", "regret"]   # times vary; regret depends on the whole run's oracle
    head = first.records[first.records["step"] <= 15].drop(columns=drop).reset_index(drop=True)
    assert again.records.drop(columns=drop).reset_index(drop=True).equals(head)
    log = root / "linucb" / "log" / "events.jsonl"
    assert sum('"kind":"search"' in line for line in log.read_text().splitlines()) == 15


def test_arm_ms_is_the_engines_time_of_each_selected_arm_that_ran():
    choice = lambda arm, selected: SimpleNamespace(arm=arm, selected=selected)   # noqa: E731
    response = SimpleNamespace(
        query="love", selection=[choice("lexical", True), choice("memory", True), choice("fuzzy", False),
                                 choice("popular", True)],
        # fuzzy ran only to explain (not selected); popular was selected but did not run (no time).
        timings={"arm:lexical": 7.0, "arm:memory": 2.5, "arm:fuzzy": 9.0, "total": 30.0})
    assert arm_milliseconds(response) == {"lexical": 7.0, "memory": 2.5}


def test_arm_ms_is_the_sum_of_the_arms_that_ran(tiny_catalog_path, tmp_path):
    """Each static policy computes its arm's lists first; ``all`` then reads all three from the cache."""
    policies = ["static:lexical", "static:fuzzy", "static:popular", "all"]
    records = run_simulation(tiny_catalog_path, policies, 8, seed=3, state_root=tmp_path, arms=ARMS).records
    wide = records.pivot(index="step", columns="policy", values="arm_ms")
    # lexical does not run where no word of the query is indexed (its exact probe): 0 ms there.
    ran_lexical = records[records["policy"] == "static:lexical"].set_index("step")["n_arms"] > 0
    assert ran_lexical.any()
    assert ((wide["static:lexical"] > 0) == ran_lexical).all()
    assert (wide.drop(columns="static:lexical") > 0).all().all()
    # The engine measured ``all``'s arms as cache hits (copies only); its charge is what they cost when computed.
    singles = wide["static:lexical"] + wide["static:fuzzy"] + wide["static:popular"]
    assert np.allclose(wide["all"], singles, atol=0.002)


def test_should_stop_ends_early(tiny_catalog_path, tmp_path):
    seen = []
    result = run_simulation(tiny_catalog_path, ["static:lexical"], 50, seed=1, state_root=tmp_path, arms=ARMS,
                            should_stop=lambda: len(seen) >= 5, on_step=lambda p, s, r: seen.append(s))
    assert result.stopped and result.steps == 5 and len(result.records) == 5


@pytest.mark.parametrize("policies, message", [
    ([], "non-empty list"),
    ("linucb", "non-empty list"),
    (["linucb", "linucb"], "more than once"),
    (["bogus"], "unknown policy"),
    (["static:nope"], "unknown arm"),
    (["static:semantic"], "unknown arm"),      # not among the arms opened
])
def test_bad_policies_fail_before_any_engine_opens(tiny_catalog_path, tmp_path, policies, message):
    with pytest.raises(ValueError, match=message):
        run_simulation(tiny_catalog_path, policies, 5, seed=0, state_root=tmp_path, arms=ARMS)
    assert not any(tmp_path.iterdir())


def test_a_warm_start_for_a_policy_that_does_not_run_fails_before_any_engine_opens(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="warm names policies that do not run: route"):
        run_simulation(tiny_catalog_path, ["coverage"], 5, seed=0, state_root=tmp_path, arms=ARMS,
                       warm={"route": []})
    assert not any(tmp_path.iterdir())


def test_unknown_arms(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="unknown arm\\(s\\) nope; known arms: lexical"):
        run_simulation(tiny_catalog_path, ["all"], 5, seed=0, state_root=tmp_path, arms=["lexical", "nope"])


@pytest.mark.parametrize("steps", [0, -3, 2.5, "10"])
def test_bad_steps(tiny_catalog_path, tmp_path, steps):
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        run_simulation(tiny_catalog_path, ["all"], steps, seed=0, state_root=tmp_path, arms=ARMS)


def test_split_policies_keeps_commas_inside_specs():
    assert split_policies("static:lexical,static:semantic,all") == ["static:lexical", "static:semantic", "all"]
    assert split_policies("static:lexical,fuzzy,linucb:alpha=0.5,l2_lambda=2") == \
        ["static:lexical,fuzzy", "linucb:alpha=0.5,l2_lambda=2"]
    assert split_policies(" , ") == []
    assert policy_folder("static:lexical,fuzzy") == "static-lexical-fuzzy"


def test_ranking_settings_reach_every_engine(tiny_catalog_path, tmp_path):
    def exposed(ranking):
        result = run_simulation(tiny_catalog_path, ["coverage"], 60, seed=2, state_root=tmp_path / str(ranking),
                                arms=ARMS, ranker_training="off", ranking=ranking)
        log = result.state_dirs["coverage"] / "log" / "events.jsonl"
        events = [json.loads(line) for line in log.read_text().splitlines()]
        return result, sum("expose" in e for e in events if e["kind"] == "search")
    on, n_on = exposed(None)
    off, n_off = exposed({"expose": False})
    assert n_on > 0 and n_off == 0
    assert off.settings["ranking"] == {"expose": False}


def test_a_failed_user_retries_by_name_and_the_engine_hears_what_they_found(tiny_catalog_path, tmp_path):
    policies = ["coverage", "static:popular"]
    result = run_simulation(tiny_catalog_path, policies, 60, seed=4, state_root=tmp_path, arms=ARMS,
                            retry_share=1.0)
    records = result.records
    failed = (records["reward"] == 0) & records["intent"].str.startswith(("track:", "artist:", "album:",
                                                                           "playlist:"))
    # With retry_share 1 every failed search for a named target is retried, and only those.
    assert (records["retried"] == failed.astype(int)).all() and records["retried"].sum() > 0
    assert (records["found_later"] <= records["retried"]).all() and records["found_later"].sum() > 0
    for policy in policies:
        events = [json.loads(line) for line in
                  (tmp_path / policy_folder(policy) / "log" / "events.jsonl").read_text().splitlines()]
        own = records[records["policy"] == policy]
        # The second search is logged like any search; the find goes back to the first one.
        assert sum(e["kind"] == "search" for e in events) == len(own) + own["retried"].sum()
        assert sum(e.get("action") == "found_later" for e in events) == own["found_later"].sum()
    without = run_simulation(tiny_catalog_path, policies, 60, seed=4, state_root=tmp_path / "off", arms=ARMS)
    assert without.records["retried"].sum() == 0
    # The same users and queries either way: retries change what happens after a search, not the stream.
    assert without.stream.equals(result.stream)
    with pytest.raises(ValueError, match="retry_share"):
        run_simulation(tiny_catalog_path, policies, 5, seed=4, state_root=tmp_path / "bad", retry_share=1.5)


def test_the_simulated_assessor_judges_exactly_the_searches_the_engine_drew(tiny_catalog_path, tmp_path):
    policy = "coverage:judged=0.5"
    result = run_simulation(tiny_catalog_path, [policy], 40, seed=2, state_root=tmp_path, arms=ARMS)
    events = [json.loads(line) for line in
              (tmp_path / policy_folder(policy) / "log" / "events.jsonl").read_text().splitlines()]
    drawn = {e["id"] for e in events if e["kind"] == "search" and e["decision"].get("judge")}
    judged = [e["search_id"] for e in events if e.get("action") == "judged"]
    assert 0 < len(drawn) < len(result.records) and sorted(judged) == sorted(drawn)
    # Every search teaches the learner once: the drawn ones by their judgment, the others by click or skip.
    from ltrr import Engine

    eng = Engine.open(catalog=tiny_catalog_path, state=tmp_path / policy_folder(policy), policy=policy, seed=2,
                      arms=ARMS, ranker_training="off")
    try:
        assert eng.selector.learner.n_events == len(result.records)
    finally:
        eng.close()
