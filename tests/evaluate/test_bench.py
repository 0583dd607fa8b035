"""The benchmark runs end to end on the tiny catalog and reports every row it promises (no timing asserts)."""
from __future__ import annotations

import pytest

from ltrr.evaluate.bench import percentiles, run_bench

ARMS = ["lexical", "fuzzy", "popular", "related"]


@pytest.fixture(scope="module")
def bench(tiny_catalog_path):
    return run_bench(tiny_catalog_path, queries=15, arms=ARMS, bm25_queries=20, ann_max_vectors=500)


def test_latency_table_has_every_stage(bench):
    stages = list(bench.latency["stage"])
    assert stages[:2] == ["understanding", "bandit"]
    assert stages[-5:] == ["union", "rank", "log", "feedback", "total"]
    assert {s for s in stages if s.startswith("arm:")} <= {f"arm:{a}" for a in ARMS}
    total = bench.latency.set_index("stage").loc["total"]
    assert total["n"] == 15
    assert total["p50_ms"] <= total["p95_ms"] <= total["p99_ms"]


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
    assert main(["bench", "--catalog", str(tiny_catalog_path), "--arms", "nope"]) == 1
    err = capsys.readouterr().err
    assert "unknown arm(s) nope; known arms: lexical" in err and "internal error" not in err
