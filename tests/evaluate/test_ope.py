"""Off-policy evaluation: exact values on a hand-made log, unbiasedness and interval coverage on
synthetic logs with a known answer, and agreement with on-policy runs of the real engine."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.evaluate.ope import (ESTIMATORS, OPEError, evaluate, evaluate_log, load_log, logged_searches,
                               parse_target, results_table)
from ltrr.log import read_events
from ltrr.log_export import export_events


def _search(sid: str, selection: list[tuple[str, bool, float]], lists: dict[str, list[str]],
            x: list[float] | None = None) -> dict:
    return {
        "kind": "search", "id": sid, "policy": "linucb", "x": x or [1.0, 0.0],
        "selection": [{"arm": a, "selected": s, "budget": 10 if s else 0, "propensity": p, "expectation": 0.5}
                      for a, s, p in selection],
        "by_arm": {a: [[e, 1.0] for e in ids] for a, ids in lists.items()},
        "results": [],
    }


def _click(sid: str, entity: str | None) -> dict:
    if entity is None:
        return {"kind": "feedback", "search_id": sid, "entity_id": None, "action": "skip"}
    return {"kind": "feedback", "search_id": sid, "entity_id": entity, "action": "click"}


def _hand_log() -> list[dict]:
    """Four searches over arms a, b; values worked out by hand in the tests below."""
    return [
        _search("s1", [("a", True, 1.0), ("b", True, 0.5)], {"a": ["x"], "b": ["y"]}), _click("s1", "y"),
        _search("s2", [("a", True, 1.0), ("b", False, 0.5)], {"a": ["z"]}), _click("s2", "z"),
        _search("s3", [("a", True, 1.0), ("b", True, 0.25)], {"a": ["w"], "b": ["w"]}), _click("s3", "w"),
        _click("s3", "v"),   # a second click: the first one counts
        _search("s4", [("a", True, 1.0), ("b", True, 0.5)], {"a": ["q"], "b": ["r"]}), _click("s4", None),
    ]


def test_hand_computed_values():
    data = logged_searches(_hand_log())
    assert data.arms == ("a", "b") and len(data) == 4
    b = evaluate(data, "static:b")
    # hit(b) = (1, unobserved, 1, 0); w(b) = (2, 0, 4, 2).
    assert b.get("ips").value == pytest.approx((2 * 1 + 4 * 1) / 4)
    assert b.get("snips").value == pytest.approx(6 / 8)
    assert b.get("replay").value == pytest.approx(2 / 3)
    assert b.matched == 3 and b.ess == pytest.approx(8 ** 2 / (4 + 16 + 4))
    a = evaluate(data, "static:a")
    # a always runs with p = 1: every estimator is the plain hit rate, hit(a) = (0, 1, 1, 0).
    for name in ESTIMATORS:
        assert a.get(name).value == pytest.approx(0.5)
    both = evaluate(data, "all")
    # hit(a or b) = (1, -, 1, 0); w = (2, 0, 4, 2) as for b since p_a = 1.
    assert both.get("ips").value == pytest.approx(1.5)
    assert both.logging_value == 0.75 and both.unresolved == 0


def test_an_arm_not_offered_because_its_probe_found_nothing_counts_as_run_with_nothing():
    """s2's b was held back by its exact probe (logged ``empty``): b alone gets nothing there, as
    surely as if it had run, so s2 is a sure miss for b, not a search without support."""
    events = _hand_log()
    events[2] = _search("s2", [("a", True, 1.0), ("b", False, 0.0)], {"a": ["z"]})
    events[2]["selection"][1]["empty"] = True
    b = evaluate(logged_searches(events), "static:b")
    # hit(b) = (1, 0, 1, 0); w(b) = (2, 1, 4, 2).
    assert b.get("ips").value == pytest.approx((2 + 4) / 4)
    assert b.get("snips").value == pytest.approx(6 / 9)
    assert b.matched == 4 and b.support == 1.0
    both = evaluate(logged_searches(events), "all")
    # a ran at 1 everywhere and b adds nothing in s2: hit(a or b) = (1, 1, 1, 0).
    assert both.get("ips").value == pytest.approx((2 * 1 + 1 * 1 + 4 * 1) / 4)


def _synthetic_log(n: int, rng: np.random.Generator) -> tuple[list[dict], dict[str, float]]:
    """A logging policy with context-dependent independent inclusions and known per-arm recall.

    Arm r retrieves the wanted entity with probability q_r(x); the user clicks it (with
    probability 0.9) when an included arm retrieved it. True V(S) = 0.9 * E[1 - prod_{r in S}(1 - q_r(x))].
    """
    x = rng.random((n, 2))
    q = np.stack([np.full(n, 0.7), 0.2 + 0.6 * x[:, 0], 0.1 + 0.2 * x[:, 1]], axis=1)
    # Exploration depends on x, and the arm most likely to help runs less often: replay is biased.
    p = np.stack([np.full(n, 1.0), 0.9 - 0.7 * x[:, 0], np.full(n, 0.3)], axis=1)
    arms = ("a", "b", "c")
    events = []
    for i in range(n):
        included = rng.random(3) < p[i]
        retrieves = rng.random(3) < q[i]
        lists = {arm: (["want"] if retrieves[j] else []) + [f"other{j}"] for j, arm in enumerate(arms) if included[j]}
        sid = f"s{i}"
        events.append(_search(sid, [(arm, bool(included[j]), float(p[i, j])) for j, arm in enumerate(arms)],
                              lists, x=x[i].tolist()))
        found = any(included[j] and retrieves[j] for j in range(3))
        events.append(_click(sid, "want" if found and rng.random() < 0.9 else None))
    truth = {
        "static:b": float(np.mean(0.9 * q[:, 1])),
        "static:c": float(np.mean(0.9 * q[:, 2])),
        "static:b,c": float(np.mean(0.9 * (1 - (1 - q[:, 1]) * (1 - q[:, 2])))),
    }
    return events, truth


def test_ips_snips_dr_are_unbiased_and_intervals_cover():
    rng = np.random.default_rng(0)
    reps, n = 120, 250
    covered = {e: 0 for e in ("ips", "snips", "dr")}
    errors = {e: [] for e in ("ips", "snips", "dr", "replay")}
    for _ in range(reps):
        events, truth = _synthetic_log(n, rng)
        result = evaluate(logged_searches(events), "static:b")
        for name in errors:
            errors[name].append(result.get(name).value - truth["static:b"])
        for name in covered:
            e = result.get(name)
            covered[name] += e.ci_low <= truth["static:b"] <= e.ci_high
    for name in ("ips", "snips", "dr"):
        # Mean error within 3 standard errors of 0 (unbiased); coverage near the nominal 95 %.
        err = np.array(errors[name])
        assert abs(err.mean()) < 3 * err.std() / np.sqrt(reps), name
        assert 0.88 <= covered[name] / reps <= 0.995, (name, covered[name])
    # The unweighted replay is visibly biased: b runs more when it helps less.
    replay = np.array(errors["replay"])
    assert replay.mean() < -5 * replay.std() / np.sqrt(reps)


def test_sets_and_bootstrap_on_a_known_log():
    events, truth = _synthetic_log(3000, np.random.default_rng(1))
    data = logged_searches(events)
    for target in ("static:c", "static:b,c"):
        for ci in ("normal", "bootstrap"):
            result = evaluate(data, target, ci=ci, n_bootstrap=400)
            for name in ("ips", "snips", "dr"):
                e = result.get(name)
                assert e.ci_low <= truth[target] <= e.ci_high, (target, ci, name, e)
                assert e.ci_high - e.ci_low < 0.2   # informative, not merely [0, 1]


def test_target_parsing_and_errors():
    arms = ("lexical", "fuzzy")
    assert parse_target("all", arms) == arms
    assert parse_target("static:fuzzy, lexical", arms) == ("fuzzy", "lexical")
    assert parse_target("fuzzy", arms) == ("fuzzy",)
    with pytest.raises(OPEError, match="unknown arm"):
        parse_target("static:semantic", arms)
    for policy in ("linucb:alpha=0.5", "route"):
        with pytest.raises(OPEError, match="fixed arm sets"):
            parse_target(policy, arms)
    # Read by PolicySpec: its spellings and its refusals, with the log's arms as the valid ones.
    assert parse_target("ALL", arms) == arms and parse_target("static:lexical", arms) == ("lexical",)
    with pytest.raises(OPEError, match="logged budgets"):
        parse_target("static:lexical=3", arms)
    with pytest.raises(OPEError, match="logged budgets"):
        parse_target("all:budget=5", arms)
    with pytest.raises(OPEError, match="more than once"):
        parse_target("fuzzy,fuzzy", arms)
    with pytest.raises(OPEError, match="unknown policy 'foo'"):
        parse_target("foo:bar", arms)
    with pytest.raises(OPEError, match="no search"):
        logged_searches([])
    bad = _hand_log()
    bad[0]["selection"][1]["propensity"] = 0.0
    with pytest.raises(OPEError, match="propensity 0"):
        logged_searches(bad)
    with pytest.raises(OPEError, match="confidence"):
        evaluate(logged_searches(_hand_log()), "all", confidence=1.5)


def test_unavailable_arm_is_reported(tmp_path):
    events = _hand_log()
    s3 = next(e for e in events if e.get("id") == "s3")
    s3["selection"][1].update(selected=False, propensity=0.0)    # b was not ready for s3
    result = evaluate(logged_searches(events), "static:b")
    assert result.support == 0.75
    assert any("could not have run" in w for w in result.warnings)


def test_missing_or_foreign_files(tmp_path):
    with pytest.raises(OPEError, match="no log file"):
        load_log(tmp_path / "nope.jsonl")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(OPEError, match="expected an exported log"):
        load_log(tmp_path / "notes.txt")
    with pytest.raises(OPEError, match="holds no interaction log"):
        load_log(tmp_path)


# --------------------------------------------------------------------------- against the real engine


TARGET_TYPES = ["exact_title", "misspelled_title", "misspelled_artist", "partial_title", "artist_title",
                "artist_only", "playlist"]
ARMS = ["lexical", "fuzzy", "popular"]
STEPS = 250


@pytest.fixture(scope="module")
def engine_logs(tmp_path_factory):
    """linucb logs a stream; static:fuzzy and static:lexical run on-policy on the same stream."""
    from ltrr.catalog.synthetic import generate
    from ltrr.simulate import run_simulation

    root = tmp_path_factory.mktemp("ope")
    catalog = generate(root / "catalog.duckdb", tracks=400, seed=1)
    result = run_simulation(catalog, ["linucb", "static:fuzzy", "static:lexical"], STEPS, seed=0,
                            state_root=root / "states", arms=ARMS, query_types=TARGET_TYPES)
    on_policy = result.records.groupby("policy")["clicked"].mean().to_dict()
    return root / "states" / "linucb" / "log" / "events.jsonl", on_policy


def test_estimates_agree_with_on_policy_runs(engine_logs):
    """The engine logs with exploration; each arm's on-policy click rate lies in the 95 % intervals.

    The stream has one right answer per query (targets), where the no-interference assumption
    holds: see ltrr/evaluate/ope.py.
    """
    log, on_policy = engine_logs
    results = {r.target: r for r in evaluate_log(log, ["static:fuzzy", "static:lexical", "static:popular"])}
    for target in ("static:fuzzy", "static:lexical"):
        for name in ("ips", "snips", "dr"):
            e = results[target].get(name)
            assert e.ci_low <= on_policy[target] <= e.ci_high, (target, name, e, on_policy[target])
    # The intervals discriminate: popular alone is far worse than lexical alone.
    assert results["static:popular"].get("snips").ci_high < on_policy["static:lexical"]
    # The logging policy really explored: popular ran in some searches but not all.
    assert 0 < results["static:popular"].matched < STEPS


def test_exported_formats_give_the_same_estimates(engine_logs, tmp_path):
    log, _ = engine_logs
    events = read_events(log)
    parquet = export_events(events, tmp_path, "parquet")
    jsonl = evaluate_log(log, ["static:fuzzy"])[0]
    again = evaluate_log(parquet, ["static:fuzzy"])[0]
    assert [e.value for e in again.estimates] == pytest.approx([e.value for e in jsonl.estimates])
    state_folder = log.parent.parent
    from_folder = evaluate_log(state_folder, ["static:fuzzy"])[0]
    assert [e.value for e in from_folder.estimates] == [e.value for e in jsonl.estimates]
    table = results_table([jsonl])
    assert list(table["target"]) == ["static:fuzzy"] and "dr_ci" in table.columns


def test_cli_ope(engine_logs, tmp_path, capsys):
    from ltrr.cli import main

    log, _ = engine_logs
    out = tmp_path / "ope.md"
    assert main(["ope", "--log", str(log), "--policy", "static:fuzzy", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ESTIMATORS:
        assert f"| static:fuzzy | {name} |" in printed
    assert out.read_text().strip() == printed.strip()
    assert main(["ope", "--log", str(log), "--policy", "static:semantic"]) == 2
    assert "unknown arm(s) in 'static:semantic': semantic; valid arms: lexical" in capsys.readouterr().err


# --------------------------------------------------------------------------- rarely run and stochastic targets


def _rare_arm_log(n: int, rng: np.random.Generator, propensity_error: str = "none") -> list[dict]:
    """Arm r runs rarely (5-25 %), least where it helps most; arm a always runs.

    ``propensity_error``: "none" logs the true probabilities, "constant" logs their mean
    instead (what a log without real propensities amounts to).
    """
    x = rng.random(n)
    recall_r = 0.1 + 0.7 * x
    p_r = 0.05 + 0.2 * (1 - x)
    events = []
    for i in range(n):
        run_r = rng.random() < p_r[i]
        found_a, found_r = rng.random() < 0.5, run_r and rng.random() < recall_r[i]
        logged = p_r[i] if propensity_error == "none" else 0.15
        lists = {"a": (["want"] if found_a else []) + ["x1"]}
        if run_r:
            lists["r"] = (["want"] if found_r else []) + ["x2"]
        sid = f"s{i}"
        events.append(_search(sid, [("a", True, 1.0), ("r", bool(run_r), float(logged))], lists, x=[x[i], 1.0]))
        events.append(_click(sid, "want" if (found_a or found_r) and rng.random() < 0.9 else None))
    return events


RARE_TRUTH = 0.9 * (0.1 + 0.7 * 0.5)        # static:r on-policy: 0.9 E[recall_r(x)], x uniform


def test_coverage_for_a_rarely_run_arm_needs_the_real_propensities():
    """40 seeds of a log where r runs 5-25 % of the time: with the logged propensities the 95 %
    intervals cover the truth; with a constant in their place (or unweighted replay) they do not."""
    seeds = 40
    hits = {"ips": 0, "snips": 0, "dr": 0, "replay": 0, "ips_constant": 0}
    for seed in range(seeds):
        right = evaluate(logged_searches(_rare_arm_log(2500, np.random.default_rng(seed))), "static:r")
        wrong = evaluate(logged_searches(_rare_arm_log(2500, np.random.default_rng(seed), "constant")), "static:r")
        for name in ("ips", "snips", "dr", "replay"):
            e = right.get(name)
            hits[name] += e.ci_low <= RARE_TRUTH <= e.ci_high
        e = wrong.get("ips")
        hits["ips_constant"] += e.ci_low <= RARE_TRUTH <= e.ci_high
    for name in ("ips", "snips", "dr"):
        assert hits[name] >= 0.8 * seeds, hits      # nominal 95 %: below 80 % of 40 has p < 0.001
    assert hits["ips_constant"] <= 0.5 * seeds, hits
    assert hits["replay"] <= 0.5 * seeds, hits


def test_every_estimate_shows_its_support():
    result = evaluate(logged_searches(_rare_arm_log(300, np.random.default_rng(0))), "static:r")
    for name in ("ips", "snips", "dr"):
        e = result.get(name)
        assert e.ess == pytest.approx(result.ess) and 0 < e.ess < 300 and e.max_weight == result.max_weight
    assert "no propensity correction" in result.get("replay").warning
    # A weight one search dominates: the warning says so.
    events = _hand_log()
    events[4]["selection"][1]["propensity"] = 0.001          # s3 ran b with probability 0.001
    b = evaluate(logged_searches(events), "static:b")
    assert "weak support" in b.get("ips").warning and "of the weight" in b.get("ips").warning
    assert any("weak support" in w for w in b.warnings)


def test_a_stochastic_target_on_the_hand_log():
    data = logged_searches(_hand_log())
    # random:b=1 is static:b; random:b=0.5 mixes static:b with the empty set (value 0) half and half.
    fixed, half = evaluate(data, "static:b"), evaluate(data, "random:b=0.5")
    assert evaluate(data, "random:b=1").get("ips").value == pytest.approx(fixed.get("ips").value)
    assert half.get("ips").value == pytest.approx(0.5 * fixed.get("ips").value)
    # SNIPS normalises by the weight, which counts the empty set's sure matches too.
    assert half.get("snips").value == pytest.approx((0.5 * 6) / (0.5 * 8 + 0.5 * 4))
    mixed = evaluate(data, "random:a=0.5,b=0.5")
    # Per search, sum over {}, {a}, {b}, {a,b} of pi(S) 1[S ran] hit(S) / P(S ran), then the mean.
    per_search = [0.25 * (0 + 0 + 2 * 1 + 2 * 1), 0.25 * (1 + 0), 0.25 * (1 + 4 + 4), 0.0]
    assert mixed.get("ips").value == pytest.approx(np.mean(per_search))
    with pytest.raises(OPEError, match="PROBABILITY"):
        evaluate(data, "random:a=2")
    with pytest.raises(OPEError, match="unknown arm"):
        evaluate(data, "random:zzz=0.5")


def test_coverage_for_a_stochastic_target():
    """random:a=0.5,r=0.5 on the rare-arm log: its value is the mean of the four sets' values."""
    truth = 0.25 * (0.9 * 0.5) + 0.25 * RARE_TRUTH + 0.25 * 0.9 * (1 - 0.5 * (1 - 0.1 - 0.35))
    seeds, covered = 30, 0
    for seed in range(seeds):
        result = evaluate(logged_searches(_rare_arm_log(600, np.random.default_rng(100 + seed))), "random:a=0.5,r=0.5")
        e = result.get("snips")
        covered += e.ci_low <= truth <= e.ci_high
    assert covered >= 0.8 * seeds, covered


# --------------------------------------------------------------------------- what `export` writes, small logs


def test_the_ubi_export_gives_the_same_estimates(engine_logs, tmp_path, capsys):
    """`export --format ubi` writes interactions.ubi.ndjson; ope reads it like the other exports."""
    from ltrr.cli import main

    log, _ = engine_logs
    ubi = export_events(read_events(log), tmp_path, "ubi")
    assert ubi.name == "interactions.ubi.ndjson"
    jsonl = evaluate_log(log, ["static:fuzzy"])[0]
    again = evaluate_log(ubi, ["static:fuzzy"])[0]
    assert [e.value for e in again.estimates] == pytest.approx([e.value for e in jsonl.estimates])
    assert main(["ope", "--log", str(ubi), "--policy", "static:fuzzy"]) == 0
    assert "| static:fuzzy | ips |" in capsys.readouterr().out


def test_a_small_log_says_why_there_is_no_interval():
    """Four searches: every estimate keeps its value, and instead of [nan, nan] (or an interval the
    normal approximation cannot give) the reason: too few searches."""
    result = evaluate(logged_searches(_hand_log()), "static:b")      # b ran in 3 of the 4 searches
    for e in result.estimates:
        assert np.isfinite(e.value)
        assert np.isnan(e.ci_low) and np.isnan(e.ci_high)
        assert e.no_interval == "3 searches: too few for an interval" == e.interval_text()
    assert any("too few for an interval" in w for w in result.warnings)
    assert "too few" in results_table([result])["ips_ci"].iloc[0]


def test_ope_on_a_small_export_prints_no_nan(engine_logs, tmp_path, capsys):
    """The engine's first 12 searches, exported as parquet: the table says why there is no interval."""
    import re

    from ltrr.cli import main

    log, _ = engine_logs
    events = read_events(log)
    first = [e["id"] for e in events if e["kind"] == "search"][:12]
    small = [e for e in events if e.get("id") in first or e.get("search_id") in first]
    path = export_events(small, tmp_path, "parquet")
    assert main(["ope", "--log", str(path), "--policy", "all"]) == 0
    printed = capsys.readouterr().out
    assert "(12 searches," in printed
    assert re.search(r"\| all \| ips \| \d\.\d{3} \| \d+ searches?: too few for an interval \|", printed), printed
    assert "nan" not in printed.lower()


def test_enough_searches_get_an_interval():
    events, _ = _synthetic_log(200, np.random.default_rng(3))
    e = evaluate(logged_searches(events), "static:a").get("ips")
    assert e.no_interval == "" and e.ci_low <= e.value <= e.ci_high
    assert e.interval_text() == f"[{e.ci_low:.3f}, {e.ci_high:.3f}]"
