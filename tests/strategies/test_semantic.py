"""The semantic arm. Tests that load MiniLM are marked slow (they embed only the tiny
catalog and a ~1k-entity slice of the real one); the resumable build is tested fast,
with a fake encoder, including a build process killed with SIGKILL."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from ltrr import embedding, indexfiles
from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies import semantic, semantic_job
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from ltrr.strategies.semantic_files import PARTIAL_DIR
from ltrr.strategies.semantic_passages import catalog_passages
from tests.conftest import ROOT
from tests.strategies.contract import StrategyContract
from tests.strategies.semantic_fakes import (FakeEncoder, Stop, most_popular, open_in_background,
                                             partial_checkpoint, passages_of, read_manifest)

slow = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_arm(tiny_catalog_path):
    catalog = Catalog.open(tiny_catalog_path)
    yield SemanticStrategy.open(ArmResources(catalog))
    catalog.close()


@slow
class TestSemanticContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, tiny_arm):
        return tiny_arm


@slow
def test_finds_meaning_without_shared_words(tiny_arm):
    """'Save Your Tears' (mood sad) shares no word with either query."""
    for text in ["songs for a rainy day", "something to cry to"]:
        query = Query.make(text)
        out = tiny_arm.retrieve(query, 5)
        entity = {c.entity_id: tiny_arm.catalog.entities.get(c.entity_id) for c in out}
        no_overlap = [e for e, row in entity.items()
                      if not set(query.tokens) & set(Query.make(f"{row['title']} {row['subtitle']}").tokens)]
        assert "track:savetears" in no_overlap, (text, list(entity))
        assert entity["track:savetears"]["mood"] == "sad"


@slow
def test_rainy_day_ranks_the_rainy_sad_track_first(tiny_arm):
    assert tiny_arm.retrieve(Query.make("songs for a rainy day"), 3)[0].entity_id == "track:rainy"


@slow
def test_scores_are_cosines_and_score_agrees(tiny_arm):
    query = Query.make("energetic dance pop")
    out = tiny_arm.retrieve(query, 10)
    assert all(semantic.MIN_SIMILARITY <= c.score <= 1.0 + 1e-6 for c in out)
    assert all(c.features == {"semantic": c.score} for c in out)
    rows = tiny_arm.catalog.entities.rows([c.entity_id for c in out])
    # `score` reads the float16 copy, `retrieve` the float32 one: equal to ~1e-3.
    np.testing.assert_allclose(tiny_arm.score(query, rows), [c.score for c in out], atol=2e-3)
    assert tiny_arm.score(Query.make(""), rows).tolist() == [0.0] * len(rows)


# --- persistence and threads -------------------------------------------------

@slow
def test_is_built_open_twice_and_rebuild_reuses_embeddings(private_catalog_path):
    catalog = Catalog.open(private_catalog_path)
    try:
        assert not SemanticStrategy.is_built(catalog)
        calls = []
        first = SemanticStrategy.open(ArmResources(catalog, progress=lambda *a: calls.append(a)))
        assert first.built_now and SemanticStrategy.is_built(catalog)
        assert calls[-1][0] == calls[-1][1] == len(catalog.entities)
        manifest = indexfiles.manifest_path(catalog.index_dir, "semantic")
        stamp = manifest.stat().st_mtime_ns

        second = SemanticStrategy.open(ArmResources(catalog))
        assert not second.built_now and manifest.stat().st_mtime_ns == stamp

        indexfiles.mark_fresh(catalog.index_dir, "semantic", "another-catalog:1", 1)
        assert not SemanticStrategy.is_built(catalog)
        third = SemanticStrategy.open(ArmResources(catalog))
        assert third.built_now
        # Same passages, so nothing had to be embedded again.
        assert json.loads(manifest.read_text())["embedded"] == 0
        q = Query.make("songs for a rainy day")
        assert [c.entity_id for c in third.retrieve(q, 5)] == [c.entity_id for c in first.retrieve(q, 5)]
    finally:
        catalog.close()


@slow
def test_concurrent_opens_build_once(private_catalog_path):
    catalog = Catalog.open(private_catalog_path)
    try:
        arms = []
        threads = [threading.Thread(target=lambda: arms.append(SemanticStrategy.open(ArmResources(catalog))))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(arms) == 3 and sum(a.built_now for a in arms) == 1
    finally:
        catalog.close()


@slow
def test_an_empty_catalog_matches_nothing(tmp_path):
    from ltrr.catalog.writer import CatalogWriter

    with CatalogWriter(tmp_path / "empty.duckdb") as writer:
        writer.finish(source="empty")
    catalog = Catalog.open(tmp_path / "empty.duckdb")
    try:
        assert SemanticStrategy.open(ArmResources(catalog)).retrieve(Query.make("love"), 5) == []
        assert SemanticStrategy.is_built(catalog)
        again = SemanticStrategy.open(ArmResources(catalog))
        assert not again.built_now
        assert again.score(Query.make("love"), np.array([], dtype=np.int64)).size == 0
    finally:
        catalog.close()


# --- resumable builds (a fake encoder: no model, fast) -------------------------

def test_an_interrupted_build_resumes_where_it_stopped(private_catalog_path, tmp_path, fake_encoder, monkeypatch):
    monkeypatch.setattr(semantic_job, "CHUNK_ROWS", 10)
    catalog = Catalog.open(private_catalog_path)
    try:
        n = len(catalog.entities)
        assert n > 20

        def stop_in_the_second_chunk(done, total, message=""):
            if done > 10:
                raise Stop

        with pytest.raises(Stop):
            SemanticStrategy.open(ArmResources(catalog, progress=stop_in_the_second_chunk))
        assert len(fake_encoder.encoded) == 20          # the second chunk was embedded, never saved
        assert not SemanticStrategy.is_built(catalog)
        assert partial_checkpoint(catalog).rows() == 10

        fake_encoder.encoded.clear()
        calls = []
        arm = SemanticStrategy.open(ArmResources(catalog, progress=lambda *a: calls.append(a)))
        assert arm.built_now and SemanticStrategy.is_built(catalog)
        assert len(fake_encoder.encoded) == n - 10      # only what the first run had not saved
        assert read_manifest(catalog)["embedded"] == n - 10 and read_manifest(catalog)["resumed"] == 10
        done = [c[0] for c in calls]
        assert done[0] == 10 and done == sorted(done) and calls[-1][:2] == (n, n)
        assert not (catalog.index_dir / PARTIAL_DIR).exists()
        resumed = np.load(catalog.index_dir / "semantic.f16.npy")
    finally:
        catalog.close()

    # The resumed index is the index an uninterrupted build makes.
    clean_path = tmp_path / "clean" / "cat.duckdb"
    clean_path.parent.mkdir()
    shutil.copy(private_catalog_path, clean_path)
    clean = Catalog.open(clean_path)
    try:
        SemanticStrategy.open(ArmResources(clean))
        np.testing.assert_array_equal(np.load(clean.index_dir / "semantic.f16.npy"), resumed)
        assert read_manifest(clean)["resumed"] == 0
    finally:
        clean.close()


def test_chunks_from_another_encoder_are_not_reused(private_catalog_path, fake_encoder, monkeypatch):
    monkeypatch.setattr(semantic_job, "CHUNK_ROWS", 10)
    catalog = Catalog.open(private_catalog_path)
    try:
        def stop_in_the_second_chunk(done, total, message=""):
            if done > 10:
                raise Stop

        with pytest.raises(Stop):
            SemanticStrategy.open(ArmResources(catalog, progress=stop_in_the_second_chunk))
        assert partial_checkpoint(catalog).rows() == 10
        int8 = FakeEncoder(precision="int8")
        monkeypatch.setattr(embedding, "get_encoder", lambda: int8)
        SemanticStrategy.open(ArmResources(catalog))
        assert len(int8.encoded) == len(catalog.entities)
        assert read_manifest(catalog)["resumed"] == 0 and read_manifest(catalog)["passages"] == "fake/int8"
    finally:
        catalog.close()


def test_a_killed_build_process_resumes(private_catalog_path, fake_encoder, monkeypatch):
    """SIGKILL a build process part-way (no cleanup runs), then finish the build here."""
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from ltrr import embedding
        from ltrr.catalog.store import Catalog
        from ltrr.strategies import semantic_job
        from ltrr.strategies.base import ArmResources
        from ltrr.strategies.semantic import SemanticStrategy
        from tests.strategies.semantic_fakes import FakeEncoder
        semantic_job.CHUNK_ROWS = 5
        enc = FakeEncoder(delay=0.1)
        embedding.get_encoder = lambda: enc
        SemanticStrategy.open(ArmResources(Catalog.open({str(private_catalog_path)!r})))
        print("finished")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    catalog = Catalog.open(private_catalog_path)
    try:
        checkpoint = partial_checkpoint(catalog)
        deadline = time.monotonic() + 60
        while checkpoint.rows() < 10 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, (out, err)
        saved = checkpoint.rows()
        n = len(catalog.entities)
        assert 10 <= saved < n and not SemanticStrategy.is_built(catalog)

        monkeypatch.setattr(semantic_job, "CHUNK_ROWS", 5)
        SemanticStrategy.open(ArmResources(catalog))
        assert len(fake_encoder.encoded) == n - saved
        assert read_manifest(catalog)["resumed"] == saved
        vectors = np.load(catalog.index_dir / "semantic.f16.npy")
        expected = np.stack([FakeEncoder.vector(t) for t in catalog_passages(catalog.entities.frame)])
        np.testing.assert_allclose(vectors.astype(np.float32), expected, atol=1e-3)
    finally:
        catalog.close()


# --- serving before the build is complete (a fake encoder: no model, fast) -----

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


def test_foreground_opens_return_only_a_complete_index(private_catalog_path, gated, monkeypatch):
    catalog = Catalog.open(private_catalog_path)
    try:
        gated.gate.set()
        arm = SemanticStrategy.open(ArmResources(catalog))          # the test's own thread
        assert arm.completeness()["complete"] and SemanticStrategy.is_built(catalog)

        indexfiles.invalidate(catalog.index_dir, "semantic")
        for path in catalog.index_dir.glob("semantic.*"):
            path.unlink()
        monkeypatch.setenv(semantic.SERVE_EARLY_ENV, "0")
        arm = open_in_background(catalog)
        assert arm.completeness()["complete"] and SemanticStrategy.is_built(catalog)
    finally:
        catalog.close()


def test_opens_during_a_background_build_share_it(private_catalog_path, gated):
    catalog = Catalog.open(private_catalog_path)
    try:
        first = open_in_background(catalog)
        second = open_in_background(catalog)
        assert len(gated.encoded) == 5 and second.completeness() == first.completeness()

        # A foreground open waits for the background build, then loads its files.
        opened = []
        waiter = threading.Thread(target=lambda: opened.append(SemanticStrategy.open(ArmResources(catalog))))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not opened
        gated.gate.set()
        waiter.join(30)
        assert opened and not opened[0].built_now and opened[0].completeness()["complete"]
        assert len(gated.encoded) == len(catalog.entities)
        assert second.completeness()["complete"]
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
