"""A semantic index serving while a background thread completes it (a fake encoder: no
model, fast)."""
from __future__ import annotations

import threading
import time

import numpy as np

from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from ltrr.strategies.semantic_files import PARTIAL_DIR
from tests.strategies.semantic_fakes import (FakeEncoder, Stop, most_popular, open_in_background,
                                             partial_checkpoint, passages_of, read_manifest)


def test_a_background_open_serves_the_most_popular_first_and_completes_behind_it(private_catalog_path, gated):
    catalog = Catalog.open(private_catalog_path)
    try:
        n = len(catalog.entities)
        assert n > 10
        texts, ids = passages_of(catalog), list(catalog.entities.ids)
        calls = []
        arm = open_in_background(catalog, progress=lambda *a: calls.append(a))
        served_at = len(calls)
        assert arm.completeness() == {"embedded": 5, "total": n, "complete": False, "final": 5, "draft": None}
        assert not SemanticStrategy.is_built(catalog)
        popular = most_popular(catalog, 5)
        assert set(gated.encoded) == {texts[ids.index(e)] for e in popular}

        # It searches what it has embedded, and only that: a passage finds its own entity
        # when that entity is among the served ones, never an entity not embedded yet.
        served = next(iter(popular))
        assert arm.retrieve(Query.make(texts[ids.index(served)]), 3)[0].entity_id == served
        waiting = next(e for e in ids if e not in popular)
        assert all(c.entity_id in popular for c in arm.retrieve(Query.make(texts[ids.index(waiting)]), n))
        assert arm.score(Query.make("love"), np.array([ids.index(waiting)]))[0] == 0.0

        gated.gate.set()
        assert arm.wait_complete(timeout=30)
        assert arm.completeness() == {"embedded": n, "total": n, "complete": True, "final": n, "draft": None}
        assert SemanticStrategy.is_built(catalog)
        assert sorted(gated.encoded) == sorted(texts)                   # each passage once
        assert arm.retrieve(Query.make(texts[ids.index(waiting)]), 3)[0].entity_id == waiting
        # The files are those of a build that never served early.
        expected = np.stack([FakeEncoder.vector(t) for t in texts]).astype(np.float16)
        np.testing.assert_array_equal(np.load(catalog.index_dir / "semantic.f16.npy"), expected)
        assert not (catalog.index_dir / PARTIAL_DIR).exists()
        # Progress kept coming after the arm served, in order, up to (n, n).
        done = [c[0] for c in calls]
        assert len(calls) > served_at and done == sorted(done) and calls[-1][:2] == (n, n)
        assert all(c[1] == n for c in calls)
        again = SemanticStrategy.open(ArmResources(catalog))
        assert not again.built_now and again.completeness()["complete"]
    finally:
        catalog.close()


def test_a_background_build_stopped_by_its_engine_resumes_later(private_catalog_path, gated):
    """The engine's progress callback raises once it closes; the served chunk stays checkpointed."""
    catalog = Catalog.open(private_catalog_path)
    try:
        closing = threading.Event()

        def engine_progress(done, total, message=""):
            if closing.is_set():
                raise Stop("engine closed")

        arm = open_in_background(catalog, progress=engine_progress)
        closing.set()
        gated.gate.set()
        assert not arm.wait_complete(timeout=30)
        state = arm.completeness()
        assert not state["complete"] and state["embedded"] == 5
        assert arm.retrieve(Query.make("love"), 3) is not None        # still serves what it has
        assert partial_checkpoint(catalog).rows() == 5 and not SemanticStrategy.is_built(catalog)

        gated.encoded.clear()
        resumed = SemanticStrategy.open(ArmResources(catalog))
        assert resumed.completeness()["complete"]
        assert len(gated.encoded) == len(catalog.entities) - 5
        assert read_manifest(catalog)["resumed"] == 5
    finally:
        catalog.close()


def test_stop_ends_a_background_build(private_catalog_path, gated):
    catalog = Catalog.open(private_catalog_path)
    try:
        arm = open_in_background(catalog)
        stopper = threading.Thread(target=arm.stop)
        stopper.start()
        time.sleep(0.1)
        gated.gate.set()
        stopper.join(30)
        assert not stopper.is_alive()
        assert not arm.wait_complete(timeout=5) and not SemanticStrategy.is_built(catalog)
        assert partial_checkpoint(catalog).rows() == 5
    finally:
        catalog.close()


def test_an_engines_background_opener_gets_a_serving_arm_that_reports_and_stops_with_it(
        private_catalog_path, gated):
    """Through the engine's own arm set: the arm is ready while it completes, its status keeps
    the build's progress, and closing the arm set stops the build (checkpoint kept)."""
    from ltrr.engine.arms import ArmSet
    from ltrr.progress import silent

    catalog = Catalog.open(private_catalog_path)
    try:
        n = len(catalog.entities)
        arms = ArmSet(catalog, ["semantic"])
        arms.start_background(arms.open(silent, background=True))
        assert arms.wait(30) and arms.is_ready("semantic")
        arm = arms.arms["semantic"]
        assert arm.completeness()["embedded"] == 5 and not arm.completeness()["complete"]
        arms.close()                                 # the engine closes before the build ends
        gated.gate.set()
        assert not arm.wait_complete(timeout=30)
        assert partial_checkpoint(catalog).rows() == 5 and not SemanticStrategy.is_built(catalog)
        assert arms.is_ready("semantic") and arm.completeness()["embedded"] < n
    finally:
        catalog.close()


def test_a_background_build_goes_on_while_one_of_its_openers_is_open(private_catalog_path, gated):
    """Two engines share one build; the first closing (its progress raises) does not stop it."""
    catalog = Catalog.open(private_catalog_path)
    try:
        n = len(catalog.entities)
        first_closed = threading.Event()
        second_calls = []

        def first(done, total, message=""):
            if first_closed.is_set():
                raise Stop("engine closed")

        a = open_in_background(catalog, progress=first)
        b = open_in_background(catalog, progress=lambda *c: second_calls.append(c))
        first_closed.set()
        gated.gate.set()
        assert a.wait_complete(timeout=30) and b.completeness()["complete"]
        assert SemanticStrategy.is_built(catalog) and second_calls[-1][:2] == (n, n)
    finally:
        catalog.close()
