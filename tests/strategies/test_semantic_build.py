"""Building the semantic index resumes where a build stopped: a fake encoder (no model,
fast), including a build process killed with SIGKILL."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from ltrr import embedding
from ltrr.catalog.store import Catalog
from ltrr.strategies import semantic_job
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from ltrr.strategies.semantic_files import PARTIAL_DIR
from ltrr.strategies.semantic_passages import catalog_passages
from tests.conftest import ROOT
from tests.strategies.semantic_fakes import FakeEncoder, Stop, partial_checkpoint, read_manifest


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
