"""Issue 26's per-type reading per seed, and the same reading between tuned configurations."""
from __future__ import annotations

import pandas as pd

from ltrr.simulate.worst_type import between_tuned, summary, worst_type, worst_types

LEARNER = "coverage (default)"


def rows(seed: int, label: str, candidates: float, success: dict[str, list[int]], first_step: int = 1) -> list[dict]:
    """One label's searches of one seed: per query type, its successes in order."""
    out, step = [], first_step
    for qt, hits in success.items():
        for h in hits:
            out.append({"seed": seed, "label": label, "step": step, "query_type": qt, "success": h,
                        "n_candidates": candidates})
            step += 1
    return out


def test_the_worst_type_is_the_largest_shortfall_with_its_searches():
    last = pd.DataFrame(rows(0, "a", 5, {"x": [1, 1, 0, 0], "y": [1, 0]})
                        + rows(0, "b", 5, {"x": [1, 1, 1, 1], "y": [1, 1], "z": [1]}))
    found = worst_type(last, "a", "b")
    # x: 50% against 100% (-50 points, 4 searches); y: 50% against 100% too: the tie goes to more searches.
    assert found == {"query_type": "x", "points": -50.0, "searches": 4}
    assert worst_type(last, "b", "a")["points"] == 50.0      # b is above a on every type both ran
    assert worst_type(last, "a", "missing") is None


def test_each_seed_is_read_against_the_tuned_configuration_nearest_the_learner_on_that_seed():
    recs = []
    for seed, (c5, c10) in enumerate([(4.0, 9.0), (7.0, 20.0)]):
        recs += rows(seed, LEARNER, 8.0, {"x": [1, 0, 1, 1], "y": [1, 1]}, first_step=101)
        recs += rows(seed, "tuned<=5", c5, {"x": [1, 1, 1, 1], "y": [0, 0]}, first_step=101)
        recs += rows(seed, "tuned<=10", c10, {"x": [0, 0, 0, 0], "y": [1, 0]}, first_step=101)
        # Tuned by milliseconds: never the reference, however near its candidates.
        recs += rows(seed, "tuned<=50%ms", 8.0, {"x": [1, 1, 1, 1], "y": [1, 1]}, first_step=101)
        # Before the window: ignored.
        recs += rows(seed, LEARNER, 8.0, {"y": [0] * 50}, first_step=1)
    got = worst_types(pd.DataFrame(recs), window=6, label=LEARNER)
    assert got["reference"].tolist() == ["tuned<=10", "tuned<=5"]
    # Seed 0 beside tuned<=10 (9 candidates): x +75, y +50 -> the worst is y at +50 points.
    assert got.iloc[0][["query_type", "points", "searches"]].tolist() == ["y", 50.0, 2]
    # Seed 1 beside tuned<=5 (7 candidates): x -25 points.
    assert got.iloc[1][["query_type", "points", "searches"]].tolist() == ["x", -25.0, 4]


def test_tuned_configurations_are_read_against_each_other_and_summarised():
    recs = []
    for seed in (0, 1):
        recs += rows(seed, LEARNER, 5.0, {"x": [1, 1, 1, 0]})
        recs += rows(seed, "tuned<=4", 4.0, {"x": [1, 1, 1, 1]})
        recs += rows(seed, "tuned<=6", 6.0, {"x": [1, 1, 0, 0] if seed == 0 else [1, 1, 1, 1]})
        recs += rows(seed, "tuned<=20", 20.0, {"x": [1, 1, 1, 1]})
    records = pd.DataFrame(recs)
    pairs = between_tuned(records, window=4)
    worst = {(r.label, r.seed): (r.reference, r.points) for r in pairs.itertuples()}
    assert worst[("tuned<=6", 0)] == ("tuned<=4", -50.0)
    assert worst[("tuned<=6", 1)] == ("tuned<=4", 0.0)
    assert worst[("tuned<=4", 0)] == ("tuned<=6", 50.0)
    assert worst[("tuned<=20", 0)] == ("tuned<=6", 50.0)
    s = summary(records, window=4, label=LEARNER)
    assert [r["points"] for r in s["learner"]] == [-25.0, -25.0] and s["learner_seeds_met"] == 0
    assert s["tuned_below_share"] == 1 / 6
    assert s["tuned_met_every_seed"] == ["tuned<=20", "tuned<=4"] and s["tuned_configurations"] == 3
    # Against the nearest cheaper one: tuned<=4 has none; tuned<=6 reads -50 on seed 0 against tuned<=4,
    # tuned<=20 +50 and 0 against tuned<=6.
    dearer = {(r["label"], r["seed"]): (r["reference"], r["points"]) for r in s["tuned_vs_cheaper"]}
    assert dearer == {("tuned<=6", 0): ("tuned<=4", -50.0), ("tuned<=6", 1): ("tuned<=4", 0.0),
                      ("tuned<=20", 0): ("tuned<=6", 50.0), ("tuned<=20", 1): ("tuned<=6", 0.0)}
    assert s["tuned_vs_cheaper_below_share"] == 1 / 4


def test_no_tuned_configuration_no_reading():
    records = pd.DataFrame(rows(0, LEARNER, 5.0, {"x": [1, 0]}) + rows(0, "all@20", 90.0, {"x": [1, 1]}))
    assert worst_types(records, 10, LEARNER).empty
    assert summary(records, 10, LEARNER) is None
