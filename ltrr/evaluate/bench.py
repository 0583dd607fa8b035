"""Latency and size benchmark of the engine on one catalog (``python -m ltrr bench``).

One run measures, on this machine:

* **per-stage latency** of ``Engine.search`` (the ``timings`` every response
  carries: query understanding, the memory probe, bandit decision, each arm, union, rerank,
  logging; ``total`` is end to end) and of ``Engine.feedback`` (timed around
  the call), as p50 / p95 / p99 over realistic simulated queries
  (:mod:`ltrr.simulate.stream`), after a warm-up, with each stage's share
  of the total search time, so the floor (what is left to cut) is visible;
* **index build time** of each arm, opening it on a fresh copy of the
  catalog (so nothing is cached) -- except arms listed in ``cached_arms``
  (default: the slow semantic arm, minutes on two cores), which are timed
  opening their existing index and marked "cached";
* **peak memory** of the process (``ru_maxrss``);
* **bm25s against rank_bm25**: the same documents (the lexical arm's
  tokenisation), the same queries, per-query time to score every document
  and take the top 10;
* **usearch HNSW against exact numpy search**: the semantic arm's cached
  embeddings when they exist, else synthetic 384-d vectors with
  low-dimensional structure, as many as the catalog has entities; per-query
  time for the top 10 and HNSW recall@10.

Comparisons are capped (``bm25_max_docs``, ``ann_max_vectors``) so a
million-entity catalog still benchmarks in minutes; the report says when
a cap applied.
"""
from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ltrr.progress import ProgressFn, silent

DEFAULT_CACHED_ARMS = ("semantic",)
WARMUP = 20
TOP_K = 10
ANN_DIM = 384


@dataclass
class BenchResult:
    """The tables of one benchmark run and its Markdown rendering."""

    catalog: str
    entities: int
    latency: pd.DataFrame        # stage, n, p50_ms, p95_ms, p99_ms, mean_ms, share_pct
    builds: pd.DataFrame         # arm, seconds, how
    peak_rss_mb: float
    comparisons: pd.DataFrame    # comparison, baseline, candidate, baseline_ms, candidate_ms, ratio, note
    settings: dict = field(default_factory=dict)

    def markdown(self) -> str:
        """The whole result as a Markdown document."""
        s = self.settings
        lines = [
            f"# ltrr benchmark: {Path(self.catalog).name}", "",
            f"{self.entities:,} entities; {s.get('queries')} measured queries after {s.get('warmup')} warm-up; "
            f"policy {s.get('policy')}; ranker training {s.get('ranker_training')}; "
            f"arms {', '.join(s.get('arms', []))}; "
            f"python {sys.version.split()[0]}.", "",
            "## Latency per stage (ms)", "",
            "`total` is end to end inside `Engine.search`; `arm:*` rows count only searches that ran the arm; "
            "`arms` is the wall time of all arms of a search (they run concurrently); "
            "`share_pct` is a stage's share of the summed `total` (the sequential stages and `other` add up "
            "to 100; concurrent arms overlap); `feedback` is timed around `Engine.feedback`.", "",
            _markdown(self.latency, "{:.2f}"), "",
            "## Index build (open on a fresh copy of the catalog)", "",
            _markdown(self.builds, "{:.2f}") if len(self.builds) else "Not measured (`--no-builds`).", "",
            "## Memory", "", f"Peak resident set size: {self.peak_rss_mb:,.0f} MB", "",
            "## Library comparisons (per query, top 10)", "",
            _markdown(self.comparisons, "{:.3f}"), "",
        ]
        return "\n".join(lines)


def _markdown(frame: pd.DataFrame, floats: str) -> str:
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in frame.itertuples(index=False):
        cells = [floats.format(v) if isinstance(v, (float, np.floating)) and np.isfinite(v)
                 else ("" if isinstance(v, (float, np.floating)) else str(v)) for v in row]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """n, p50, p95, p99 and mean of `values` (NaN when empty)."""
    arr = np.asarray(values, dtype=float)
    if not len(arr):
        return {"n": 0, "p50_ms": np.nan, "p95_ms": np.nan, "p99_ms": np.nan, "mean_ms": np.nan}
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {"n": len(arr), "p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99),
            "mean_ms": float(arr.mean())}


def run_bench(catalog_path: str | Path, queries: int = 200, seed: int = 0, arms: Sequence[str] | None = None,
              policy: str = "linucb", cached_arms: Sequence[str] = DEFAULT_CACHED_ARMS,
              measure_builds: bool = True, bm25_max_docs: int = 100_000, bm25_queries: int = 200,
              ann_max_vectors: int = 200_000, ranker_training: str = "background",
              progress: ProgressFn | None = None) -> BenchResult:
    """Run every measurement described in the module docstring on one catalog."""
    from ltrr.catalog.store import Catalog
    from ltrr.strategies.registry import arm_names

    progress = progress or silent
    if isinstance(queries, bool) or not isinstance(queries, int) or queries < 1:
        raise ValueError(f"queries must be a positive integer, got {queries!r}")
    arm_list = list(arms) if arms is not None else arm_names()
    unknown = [a for a in arm_list if a not in arm_names()]
    if unknown or not arm_list:
        raise ValueError(f"unknown arm(s) {', '.join(map(str, unknown)) or '(none given)'}; "
                         f"known arms: {', '.join(arm_names())}")
    catalog_path = Path(catalog_path)
    catalog = Catalog.open(catalog_path)
    try:
        n_entities = len(catalog.entities)
        texts = _bench_queries(catalog, queries + WARMUP, seed)
        builds = _build_times(catalog_path, arm_list, cached_arms, progress) if measure_builds else \
            pd.DataFrame(columns=["arm", "seconds", "how"])
        latency = _latency(catalog, arm_list, policy, texts, seed, ranker_training, progress)
        comparisons = pd.DataFrame([
            _bm25_comparison(catalog, [t.query for t in texts], bm25_max_docs, bm25_queries, seed, progress),
            _ann_comparison(catalog, n_entities, ann_max_vectors, seed, progress),
        ])
    finally:
        catalog.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux
    return BenchResult(str(catalog_path), n_entities, latency, builds, peak, comparisons,
                       {"queries": queries, "warmup": WARMUP, "policy": policy, "arms": arm_list, "seed": seed,
                        "ranker_training": ranker_training})


def _bench_queries(catalog, n: int, seed: int):
    """Realistic queries (the simulator's mix of titles, typos, artists, genres, moods)."""
    from ltrr.simulate.catalog_view import CatalogView
    from ltrr.simulate.stream import generate_stream

    # No repeated queries: a repeat would hit the query-embedding cache and flatter latency.
    return generate_stream(CatalogView.from_catalog(catalog), n, seed, repeat_share=0.0)


def _build_times(catalog_path: Path, arm_list: list[str], cached_arms: Sequence[str],
                 progress: ProgressFn) -> pd.DataFrame:
    """Seconds to open each arm on a fresh copy of the catalog (cached arms: on the original)."""
    from ltrr.catalog.store import Catalog
    from ltrr.memory import QueryMemory
    from ltrr.strategies.base import ArmResources
    from ltrr.strategies.registry import arm_class

    rows = []
    with tempfile.TemporaryDirectory(prefix="ltrr-bench-") as tmp:
        copy = Path(tmp) / catalog_path.name
        shutil.copyfile(catalog_path, copy)
        fresh, original = Catalog.open(copy), Catalog.open(catalog_path)
        try:
            for cat in (fresh, original):
                _ = cat.entities   # loading the entities is not an arm's build time
            opened: dict[str, object] = {}

            def opener(catalog):
                def arm(name: str):
                    if name not in opened:
                        opened[name] = arm_class(name).open(ArmResources(catalog, memory=QueryMemory()))
                    return opened[name]
                return arm

            for i, name in enumerate(arm_list):
                progress(i, len(arm_list), f"building index: {name}")
                cached = name in cached_arms
                catalog = original if cached else fresh
                start = time.perf_counter()
                opened[name] = arm_class(name).open(
                    ArmResources(catalog, memory=QueryMemory(), arm=opener(catalog)))
                rows.append({"arm": name, "seconds": time.perf_counter() - start,
                             "how": "cached index (not rebuilt)" if cached else "fresh build"})
            progress(len(arm_list), len(arm_list), "building indexes")
        finally:
            opened.clear()
            fresh.close()
            original.close()
    return pd.DataFrame(rows, columns=["arm", "seconds", "how"])


def _latency(catalog, arm_list: list[str], policy: str, stream, seed: int, ranker_training: str,
             progress: ProgressFn) -> pd.DataFrame:
    """Per-stage timings of searches and feedback on a throw-away state."""
    from ltrr.engine import Engine
    from ltrr.simulate.clicks import PositionBasedClicks

    clicks = PositionBasedClicks()
    rng = np.random.default_rng([seed, 0xBE7C])
    stages: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="ltrr-bench-state-") as state:
        engine = Engine.open(catalog, state, policy=policy, seed=seed, arms=arm_list, background=False,
                             ranker_training=ranker_training)
        try:
            for i, it in enumerate(stream):
                progress(i, len(stream), "timing searches")
                response = engine.search(it.query, it.context)
                outcome = clicks.clicks([r.entity_id for r in response.results], it.relevant, rng)
                start = time.perf_counter()
                if outcome.clicks:
                    engine.feedback(response.id, outcome.clicks[0][1], "click")
                else:
                    engine.feedback(response.id, action="skip")
                spent = (time.perf_counter() - start) * 1000
                if i < WARMUP:
                    continue
                for stage, ms in response.timings.items():
                    stages.setdefault(stage, []).append(ms)
                stages.setdefault("feedback", []).append(spent)
            progress(len(stream), len(stream), "timing searches")
        finally:
            engine.close()
    return latency_table(stages)


# Stages of a search that follow one another (the arms run inside "arms", concurrently).
SEQUENTIAL = ("understanding", "probe", "bandit", "arms", "union", "rank", "log")


def latency_table(stages: dict[str, list[float]]) -> pd.DataFrame:
    """Percentiles per stage and each stage's share of the total search time.

    ``share_pct`` is the stage's summed time over the summed ``total`` of the
    same searches: the sequential stages (plus ``other``, what no stage
    accounts for) add up to 100; ``arm:*`` rows are each arm's own time, which
    overlap when arms run concurrently, and ``arms`` is their wall time;
    ``feedback`` is not part of a search and has no share.
    """
    stages = {name: list(values) for name, values in stages.items()}
    total = float(np.sum(stages.get("total", [])))
    if "total" in stages:
        # A stage missing from some searches (an arm not selected) counts 0 there, so sums are comparable.
        # Engines that ran arms one after another report no "arms" stage: their arms are sequential.
        sequential = set(SEQUENTIAL) | ({s for s in stages if s.startswith("arm:")} if "arms" not in stages else set())
        accounted = sum(float(np.sum(stages[s])) for s in stages if s in sequential)
        stages["other"] = [max(0.0, total - accounted) / max(1, len(stages["total"]))]
    order = ["understanding", "probe", "bandit"] + sorted(s for s in stages if s.startswith("arm:")) + \
        ["arms", "union", "rank", "log", "other", "feedback", "total"]
    order += [s for s in stages if s not in order]
    rows = []
    for s in order:
        if s not in stages:
            continue
        row = {"stage": s, **percentiles(stages[s])}
        if s == "other":
            row = {"stage": s, "n": len(stages.get("total", [])), "p50_ms": np.nan, "p95_ms": np.nan,
                   "p99_ms": np.nan, "mean_ms": stages[s][0]}
        shared = s != "feedback" and total > 0
        row["share_pct"] = 100.0 * (row["mean_ms"] * row["n"]) / total if shared else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["stage", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "share_pct"])


def _timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _bm25_comparison(catalog, texts: list[str], max_docs: int, n_queries: int, seed: int,
                     progress: ProgressFn) -> dict:
    """bm25s against rank_bm25 on the same tokenised documents and queries."""
    import bm25s
    from rank_bm25 import BM25Okapi

    from ltrr.strategies.lexical import B, K1, entity_tokens
    from ltrr.text import tokenize

    progress(0, 1, "bm25s vs rank_bm25")
    frame = catalog.entities.frame
    rows = np.arange(len(frame))
    capped = len(rows) > max_docs
    if capped:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_docs, replace=False))
    docs = [entity_tokens(frame["title"].iat[r], frame["subtitle"].iat[r], frame["text"].iat[r]) for r in rows]
    docs = [d or ["_"] for d in docs]   # rank_bm25 divides by document length
    queries = [q for q in (tokenize(t) for t in texts) if q][:n_queries]
    fast = bm25s.BM25(method="robertson", k1=K1, b=B, dtype="float64")
    fast.index(docs, show_progress=False)
    slow = BM25Okapi(docs, k1=K1, b=B, epsilon=0.0)

    def with_bm25s(tokens):
        ids = fast.get_tokens_ids(tokens)
        scores = fast.get_scores_from_ids(ids) if ids else np.zeros(len(docs))
        return np.argpartition(-scores, min(TOP_K, len(scores) - 1))[:TOP_K]

    def with_rank_bm25(tokens):
        scores = slow.get_scores(tokens)
        return np.argpartition(-scores, min(TOP_K, len(scores) - 1))[:TOP_K]

    t_fast = np.median(_timed(with_bm25s, queries)) if queries else np.nan
    t_slow = np.median(_timed(with_rank_bm25, queries)) if queries else np.nan
    progress(1, 1, "bm25s vs rank_bm25")
    note = f"{len(docs):,} documents{' (random sample)' if capped else ''}, {len(queries)} queries, median"
    return {"comparison": "BM25 scoring + top 10", "baseline": "rank_bm25", "candidate": "bm25s",
            "baseline_ms": float(t_slow), "candidate_ms": float(t_fast),
            "speedup": float(t_slow / t_fast) if t_fast else np.nan, "note": note}


def _ann_comparison(catalog, n_entities: int, max_vectors: int, seed: int, progress: ProgressFn) -> dict:
    """usearch HNSW against an exact float32 matrix product, with recall@10."""
    from usearch.index import Index

    progress(0, 1, "usearch vs exact search")
    rng = np.random.default_rng([seed, 0xA22])
    cached = catalog.index_dir / "semantic.f16.npy"
    source = "semantic embeddings"
    if cached.is_file():
        vectors = np.load(cached, mmap_mode="r")
        if len(vectors) > max_vectors:
            vectors = vectors[np.sort(rng.choice(len(vectors), max_vectors, replace=False))]
        vectors = np.asarray(vectors, dtype=np.float32)
    else:
        # Real embeddings lie near a low-dimensional manifold; i.i.d. 384-d noise has no near
        # neighbours at all (every point is about equally far), which no index handles. So:
        # 16-d Gaussian points mapped into 384-d, plus a little noise.
        source = "synthetic 384-d vectors (16-d structure)"
        n = max(1, min(n_entities, max_vectors))
        latent = rng.standard_normal((n, 16)) @ rng.standard_normal((16, ANN_DIM))
        vectors = (latent + 0.5 * rng.standard_normal((n, ANN_DIM))).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    n = len(vectors)
    k = min(TOP_K, n)
    # Queries near real points, as a real query lands near the passages it matches.
    picks = rng.choice(n, size=min(200, n), replace=n < 200)
    noise = rng.standard_normal((len(picks), vectors.shape[1])) * (0.3 / np.sqrt(vectors.shape[1]))
    # float32 like the vectors: a float64 query would upcast the whole matrix on every product.
    queries = (vectors[picks] + noise).astype(np.float32)
    start = time.perf_counter()
    index = Index(ndim=vectors.shape[1], metric="cos", dtype="f16")
    index.add(np.arange(n), vectors)
    build = time.perf_counter() - start

    def exact(q):
        scores = vectors @ q
        top = np.argpartition(-scores, k - 1)[:k] if n > k else np.arange(n)
        return top[np.argsort(-scores[top])]

    def approx(q):
        return index.search(q, k).keys

    t_exact = np.median(_timed(exact, queries))
    t_ann = np.median(_timed(approx, queries))
    recall = float(np.mean([len(set(exact(q).tolist()) & set(np.asarray(approx(q)).tolist())) / k for q in queries]))
    progress(1, 1, "usearch vs exact search")
    capped = " (random sample)" if n < n_entities and source == "semantic embeddings" else ""
    return {"comparison": "384-d cosine top 10", "baseline": "numpy exact", "candidate": "usearch HNSW",
            "baseline_ms": float(t_exact), "candidate_ms": float(t_ann),
            "speedup": float(t_exact / t_ann) if t_ann else np.nan,
            "note": f"{n:,} {source}{capped}; HNSW build {build:.1f} s; recall@10 {recall:.3f}; median"}
