"""Engines that share a catalog's read-only structures (ltrr.engine.arms.SharedArms), as the
simulator's policies do: stateless arms and the feature builder's catalog columns open once, what
each engine learns stays its own, and a shared engine answers and learns exactly as one alone."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr import Engine
from ltrr.catalog.store import Catalog
from ltrr.engine.arms import SharedArms
from tests.engine.engines import FAST_ARMS, open_engine

QUERIES = ["halo", "beyonce", "chill songs", "halo", "rock from the 90s", "beyonce"]


@pytest.fixture()
def catalog(tiny_catalog_path):
    cat = Catalog.open(tiny_catalog_path)
    yield cat
    cat.close()


def _session(eng: Engine) -> list[tuple]:
    """Search QUERIES, click each first result (skip when none); what every search showed and scored."""
    out = []
    for query in QUERIES:
        resp = eng.search(query, {"user_id": "u1"})
        out.append((query, [(r.entity_id, round(r.score, 9)) for r in resp.results],
                    [(c.arm, c.selected, c.budget) for c in resp.selection]))
        if resp.results:
            eng.feedback(resp.id, resp.results[0].entity_id)
        else:
            eng.feedback(resp.id, action="skip")
    return out


def test_stateless_arms_and_catalog_columns_open_once_learning_state_stays_per_engine(catalog, tmp_path):
    shared = SharedArms()
    a = open_engine(catalog, tmp_path / "a", policy="coverage", shared_arms=shared)
    b = open_engine(catalog, tmp_path / "b", policy="all", shared_arms=shared)
    try:
        arms_a, arms_b = a._core.arms.arms, b._core.arms.arms                    # noqa: SLF001
        for name in FAST_ARMS:
            if name == "memory":      # learns from its own engine's clicks
                assert arms_a[name] is not arms_b[name]
                assert arms_a[name].memory is a._core.memory and arms_b[name].memory is b._core.memory  # noqa: SLF001
            else:
                assert arms_a[name] is arms_b[name], name
        fa, fb = a._core.features, b._core.features                             # noqa: SLF001
        assert fa is not fb and fa._title is fb._title                          # noqa: SLF001
        assert fa.memory is a._core.memory and fb.memory is b._core.memory        # noqa: SLF001
        assert fa.arms is arms_a and fb.arms is arms_b
    finally:
        a.close()
        b.close()


def test_a_pool_never_serves_another_catalog(tiny_catalog_path, catalog, tmp_path):
    shared = SharedArms()
    a = open_engine(catalog, tmp_path / "a", shared_arms=shared)
    other = Catalog.open(tiny_catalog_path)
    b = open_engine(other, tmp_path / "b", shared_arms=shared)
    try:
        assert a._core.arms.arms["lexical"] is not b._core.arms.arms["lexical"]  # noqa: SLF001
        assert b._core.arms.arms["lexical"].catalog is other                     # noqa: SLF001
    finally:
        a.close()
        b.close()
        other.close()


@pytest.mark.parametrize("policy", ["coverage", "linucb"])
def test_a_shared_engine_answers_and_learns_as_an_engine_alone(catalog, tmp_path, policy):
    """Opened second in a pool (its arms opened by another engine that searched first), an engine
    shows, scores and selects exactly what an engine with its own arms does."""
    alone = open_engine(catalog, tmp_path / "alone", policy=policy)
    try:
        expected = _session(alone)
    finally:
        alone.close()
    shared = SharedArms()
    first = open_engine(catalog, tmp_path / "first", policy="all", shared_arms=shared)
    second = open_engine(catalog, tmp_path / "second", policy=policy, shared_arms=shared)
    try:
        _session(first)
        assert _session(second) == expected
    finally:
        first.close()
        second.close()


def test_pending_limit_bounds_the_searches_kept_with_their_pools(tiny_catalog_path, tmp_path):
    """``Engine.pending_limit``: only the latest searches keep their pool and features in memory;
    feedback on an older one rebuilds them from the log and still teaches the ranker's examples."""

    class Small(Engine):
        pending_limit = 2

    eng = Small.open(tiny_catalog_path, tmp_path / "s", policy="coverage", seed=0, arms=FAST_ARMS,
                     ranker_training="off")
    try:
        responses = [eng.search(q, {"user_id": "u1"}) for q in ("halo", "beyonce", "crazy in love", "halo remix")]
        pending = eng._core.derived.pending                                      # noqa: SLF001
        assert list(pending) == [r.id for r in responses[-2:]]
        oldest = next(r for r in responses if r.results)
        assert oldest.id not in pending
        result = eng.feedback(oldest.id, oldest.results[0].entity_id)
        assert result.bandit_updated and result.ranker_examples == 1
        X, labels, _ = eng._core.ranker.example(oldest.id)                       # noqa: SLF001
        assert X.shape[0] == len(labels) and labels.max() == 1.0 and np.isfinite(X).all()
    finally:
        eng.close()
