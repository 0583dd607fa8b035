"""What every benchmark shares: arm sets, temporary state, a seeded simulated stream, the
simulated users' search loop, paired intervals and the interleaving-versus-A/B experiment.

Run a benchmark from the repository root, ``python benchmarks/<name>.py --help``. A script
imports this module as ``harness``: Python puts the script's own folder first on ``sys.path``,
so no script touches ``sys.path``. ltrr is not an installed package, so this module puts the
repository root on ``sys.path`` once, here, before anything imports ``ltrr``.

The search loop is :mod:`ltrr.simulate.runner`'s (``answer``: clicks or a skip fed back, and
judgments; ``click_rng``: the step's random numbers), and the interval is the study's
(:func:`ltrr.simulate.frontier.t_interval`): benchmarks do not write either out again.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ltrr.reward import wanted_ranks  # noqa: E402
from ltrr.simulate.frontier import t_interval  # noqa: E402  (the benchmarks' interval, re-exported)

__all__ = ["FAST_ARMS", "K", "Logged", "interleaving_versus_ab", "load_logged", "open_engine", "save_logged",
           "simulated_searches", "simulated_stream", "split_by_query", "success_probability", "t_interval",
           "temporary_state"]

# Every arm that needs no encoder model: what the retrieval and ranking benchmarks run, so they
# start in seconds on any machine.
FAST_ARMS: tuple[str, ...] = ("lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related")
# The depth users look at: success@10, the top 10 shown.
K = 10


@contextmanager
def temporary_state(prefix: str = "ltrr-bench-") -> Iterator[Path]:
    """A fresh folder for engine state, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def open_engine(catalog: Any, state: Path, policy: str = "all", seed: int = 0,
                arms: Sequence[str] | None = FAST_ARMS, **options: Any):
    """An engine for a benchmark: reproducible (no background work) and with the ranker's
    training off unless `options` say otherwise. ``arms=None`` opens every arm."""
    from ltrr import Engine   # the engine pulls in every arm: only the scripts that search pay for it

    options.setdefault("background", False)
    options.setdefault("ranker_training", "off")
    if arms is not None:
        options["arms"] = list(arms)
    return Engine.open(catalog, state, policy=policy, seed=seed, **options)


def simulated_stream(catalog: Any, n: int, seed: int, **settings: Any) -> list:
    """`n` simulated searches on an open catalog (:func:`ltrr.simulate.stream.generate_stream`)."""
    from ltrr.simulate.catalog_view import CatalogView
    from ltrr.simulate.stream import generate_stream

    return generate_stream(CatalogView.from_catalog(catalog), n, seed, **settings)


def simulated_searches(engine: Any, stream: Sequence, clicks: Any, seed: int, k: int = K) -> Iterator[tuple]:
    """Each interaction of `stream` searched on `engine` and answered by the simulated user
    (:func:`ltrr.simulate.runner.answer`, with the runner's per-step random numbers):
    yields ``(interaction, response, outcome)``."""
    from ltrr.simulate.runner import answer, click_rng

    for it in stream:
        response = engine.search(it.query, it.context, k=k)
        yield it, response, answer(engine, response, it, clicks, click_rng(seed, it.step))


# --------------------------------------------------------------------------- logged searches (ranking)


@dataclass
class Logged:
    """One search as the engine answered it: pool features, hidden relevance, the heuristic's order."""

    X: np.ndarray
    relevant: np.ndarray          # bool per pooled row
    ids: list[str]
    order: np.ndarray             # pool indices, heuristic order
    query_type: str
    query: str = ""


def save_logged(logged: list[Logged], path: Path) -> None:
    """The collected searches as plain arrays (no pickle), so seeds can be rerun without the engine."""
    sizes = np.array([len(e.ids) for e in logged])
    np.savez_compressed(path, sizes=sizes, X=np.vstack([e.X for e in logged]),
                        relevant=np.concatenate([e.relevant for e in logged]),
                        order=np.concatenate([e.order for e in logged]),
                        ids=np.array([i for e in logged for i in e.ids]),
                        query_type=np.array([e.query_type for e in logged]),
                        query=np.array([e.query for e in logged]))


def load_logged(path: Path) -> list[Logged]:
    """What :func:`save_logged` wrote."""
    with np.load(path, allow_pickle=False) as npz:
        data = {name: npz[name] for name in npz.files}      # each npz[name] decompresses anew: read once
    bounds = np.concatenate([[0], np.cumsum(data["sizes"])])
    ids = data["ids"].tolist()
    queries = data["query"].tolist() if "query" in data else [""] * len(data["sizes"])
    return [Logged(data["X"][lo:hi], data["relevant"][lo:hi], ids[lo:hi], data["order"][lo:hi], str(qt), q)
            for lo, hi, qt, q in zip(bounds[:-1], bounds[1:], data["query_type"], queries)]


def split_by_query(logged: list[Logged], rng: np.random.Generator, share: float = 0.3) -> np.ndarray:
    """Test mask: a random ``share`` of the distinct queries, so no test query was trained on
    (the stream repeats popular query instances)."""
    queries = sorted({e.query for e in logged})
    chosen = set(rng.permutation(len(queries))[: int(share * len(queries))].tolist())
    test_queries = {q for i, q in enumerate(queries) if i in chosen}
    return np.array([e.query in test_queries for e in logged])


# --------------------------------------------------------------------------- interleaving versus A/B


def success_probability(ids: Sequence[str], relevant: set[str] | frozenset[str], clicks: Any) -> float:
    """P(at least one satisfying click) on `ids` under the position-based model `clicks`
    (:class:`ltrr.simulate.clicks.PositionBasedClicks`), exactly."""
    miss = 1.0
    for r in wanted_ranks(ids, relevant, max_rank=None):
        miss *= 1.0 - clicks.p_relevant / r ** clicks.eta
    return 1.0 - miss


def interleaving_versus_ab(lists: dict[str, list[list[str]]], relevant: Sequence, pairs: Sequence[tuple[str, str]],
                           clicks: Any, runs: int, searches: int, tag: int) -> None:
    """For each pair of rankers (`lists`: name -> one top-K list per search), how often `runs`
    team-draft interleaving runs of `searches` searches name the truly better one, and how many
    searches interleaving and an A/B test need at 95% confidence and 80% power. Truth is the
    exact success probability (:func:`success_probability`). `tag` seeds the runs."""
    from scipy.stats import norm

    from ltrr.interleave import outcome, team_draft

    names = sorted({n for pair in pairs for n in pair})
    truth = {n: float(np.mean([success_probability(ids, rel, clicks) for ids, rel in zip(lists[n], relevant)]))
             for n in names}
    print(f"{len(relevant)} searches; on-policy success rate (exact, PBM eta {clicks.eta:g}): "
          + ", ".join(f"{n} {truth[n]:.4f}" for n in names))
    z = norm.ppf(0.975) + norm.ppf(0.8)
    for a, b in pairs:
        winner = a if truth[a] > truth[b] else b
        agree, outcomes = 0, []
        for run in range(runs):
            rng = np.random.default_rng([run, tag])
            total = 0
            for i in rng.integers(0, len(relevant), size=searches):
                items, teams = team_draft(lists[a][i], lists[b][i], K, rng)
                got = clicks.clicks(items, relevant[i], rng)
                result = outcome(dict(zip(items, teams)), [e for _, e in got.clicks])
                total += result
                outcomes.append(result)
            leader = a if total > 0 else b if total < 0 else None
            agree += leader == winner
        o = np.array(outcomes, dtype=float)
        mu = o.mean()
        n_interleave = z ** 2 * o.var(ddof=1) / mu ** 2 if mu else float("inf")
        p1, p2 = truth[a], truth[b]
        n_ab = 2 * z ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2 if p1 != p2 else float("inf")
        print(f"{a} vs {b}: truth {p1:.4f} vs {p2:.4f} (winner {winner}); interleaving agrees in "
              f"{agree}/{runs} runs of {searches} searches; per-search outcome mean {mu:+.4f} "
              f"(wins-losses share), searches needed at 95%/80%: interleaving {n_interleave:,.0f}, "
              f"A/B {n_ab:,.0f} (ratio {n_ab / n_interleave:.1f}x)")


def click_or_skip(engine, response, rng: np.random.Generator, click_share: float = 0.8) -> None:
    """A simple user: with chance ``click_share`` clicks one result, the top far more often
    (weights 1 / rank: position bias), else skips the search."""
    if response.results and rng.random() < click_share:
        weights = 1.0 / np.arange(1, len(response.results) + 1)
        pick = int(rng.choice(len(response.results), p=weights / weights.sum()))
        engine.feedback(response.id, response.results[pick].entity_id)
    else:
        engine.feedback(response.id, action="skip")


def rss_mb() -> float:
    """Resident set size of this process now, in MB (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
