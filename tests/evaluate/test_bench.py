"""The benchmark runs end to end on the tiny catalog and reports every row it promises (no timing asserts)."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.evaluate.bench import latency_table, percentiles, run_bench

ARMS = ["lexical", "fuzzy", "popular", "related"]


@pytest.fixture(scope="module")
def bench(tiny_catalog_path):
    return run_bench(tiny_catalog_path, queries=15, arms=ARMS, bm25_queries=20, ann_max_vectors=500)


def test_latency_table_has_every_stage(bench):
    stages = list(bench.latency["stage"])
    assert stages[:3] == ["understanding", "probe", "bandit"]
    assert stages[-7:] == ["arms", "union", "rank", "log", "other", "feedback", "total"]
    assert {s for s in stages if s.startswith("arm:")} <= {f"arm:{a}" for a in ARMS}
    table = bench.latency.set_index("stage")
    total = table.loc["total"]
    assert total["n"] == 15
    assert total["p50_ms"] <= total["p95_ms"] <= total["p99_ms"]
    # The sequential stages and "other" account for the whole search.
    sequential = ["understanding", "probe", "bandit", "arms", "union", "rank", "log", "other"]
    assert table.loc[sequential, "share_pct"].sum() == pytest.approx(100.0, abs=0.5)
    assert table.loc["total", "share_pct"] == pytest.approx(100.0)
    assert np.isnan(table.loc["feedback", "share_pct"])
    # Every search waits for each of its arms, so summed over searches the arms' wall time
    # is at least any one arm's time.
    arm_rows = [s for s in stages if s.startswith("arm:")]
    assert table.loc["arms", "share_pct"] >= table.loc[arm_rows, "share_pct"].max() - 1e-6


def test_latency_table_shares_on_known_numbers():
    stages = {"understanding": [1.0, 1.0], "bandit": [1.0, 1.0], "arm:a": [4.0, 2.0], "arm:b": [3.0],
              "arms": [4.0, 2.0], "union": [1.0, 1.0], "rank": [1.0, 1.0], "log": [1.0, 1.0],
              "feedback": [5.0, 5.0], "total": [10.0, 8.0]}
    table = latency_table(stages).set_index("stage")
    assert table.loc["arms", "share_pct"] == pytest.approx(100 * 6 / 18)
    assert table.loc["arm:a", "share_pct"] == pytest.approx(100 * 6 / 18)
    assert table.loc["arm:b", "share_pct"] == pytest.approx(100 * 3 / 18)
    assert table.loc["other", "mean_ms"] == pytest.approx(1.0)     # (10 + 8 - 16) / 2 searches
    assert table.loc["other", "share_pct"] == pytest.approx(100 * 2 / 18)
    assert list(table.index) == ["understanding", "bandit", "arm:a", "arm:b", "arms", "union", "rank", "log",
                                 "other", "feedback", "total"]


def test_builds_memory_and_comparisons(bench):
    assert list(bench.builds["arm"]) == ARMS
    assert set(bench.builds["how"]) == {"fresh build"}
    assert (bench.builds["seconds"] > 0).all()
    assert bench.peak_rss_mb > 10
    rows = bench.comparisons.set_index("candidate")
    assert set(rows.index) == {"bm25s", "usearch HNSW"}
    assert rows.loc["bm25s", "baseline"] == "rank_bm25"
    assert "recall@10" in rows.loc["usearch HNSW", "note"]
    assert (rows["speedup"] > 0).all()


def test_markdown_report(bench):
    text = bench.markdown()
    for heading in ("## Latency per stage (ms)", "## Index build", "## Memory", "## Library comparisons"):
        assert heading in text
    for stage in bench.latency["stage"]:
        assert f"| {stage} |" in text


def test_percentiles_of_nothing_and_of_something():
    assert percentiles([])["n"] == 0
    p = percentiles(range(1, 101))
    assert p["p50_ms"] == pytest.approx(50.5) and p["p99_ms"] == pytest.approx(99.01)


def test_cli_bench(tiny_catalog_path, tmp_path, capsys):
    from ltrr.cli import main

    out = tmp_path / "bench.md"
    code = main(["bench", "--catalog", str(tiny_catalog_path), "--queries", "5", "--arms", "lexical,popular",
                 "--no-builds", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| total |" in printed and out.read_text().strip() == printed.strip()
    assert "Not measured (`--no-builds`)." in printed
    assert main(["bench", "--catalog", str(tmp_path / "missing.duckdb")]) == 2
    assert "no catalog at" in capsys.readouterr().err
    assert main(["bench", "--catalog", str(tiny_catalog_path), "--arms", "nope"]) == 2   # bad input exits 2, as every command
    err = capsys.readouterr().err
    assert "unknown arm(s) nope; known arms: lexical" in err and "internal error" not in err
