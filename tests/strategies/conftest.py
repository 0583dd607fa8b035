"""Fixtures of the semantic arm's tests (tests/strategies/test_semantic*.py): a private
copy of the tiny catalog, and fake encoders in place of MiniLM (see semantic_fakes)."""
from __future__ import annotations

import shutil
import threading

import pytest

from ltrr import embedding
from ltrr.strategies import semantic, semantic_job
from tests.strategies.semantic_fakes import FakeEncoder, GatedEncoder


@pytest.fixture()
def private_catalog_path(tiny_catalog_path, tmp_path):
    """A copy of the tiny catalog of the test's own, so its index folder starts empty."""
    path = tmp_path / "cat.duckdb"
    shutil.copy(tiny_catalog_path, path)
    return path


@pytest.fixture()
def fake_encoder(monkeypatch):
    """A fake encoder in place of MiniLM: builds take no model and no time."""
    enc = FakeEncoder()
    monkeypatch.setattr(embedding, "get_encoder", lambda: enc)
    return enc


@pytest.fixture()
def gated(monkeypatch):
    """A gated fake encoder, 5 rows served first (one encoder call), chunks of 5."""
    gate = threading.Event()
    enc = GatedEncoder(gate)
    monkeypatch.setattr(embedding, "get_encoder", lambda: enc)
    monkeypatch.setattr(semantic_job, "SERVE_ROWS", 5)
    monkeypatch.setattr(semantic_job, "SERVE_BLOCK", 5)
    monkeypatch.setattr(semantic_job, "SERVE_MIN_ROWS", 2)
    monkeypatch.setattr(semantic_job, "CHUNK_ROWS", 5)
    monkeypatch.delenv(semantic.SERVE_EARLY_ENV, raising=False)
    yield enc
    gate.set()      # let a build still running finish, so no thread outlives the test
