"""One semantic build: what it embeds before serving, and its draft pass (a fake encoder:
no model, fast)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies import semantic_job
from ltrr.strategies.semantic import SemanticStrategy
from tests.strategies.semantic_fakes import (FakeEncoder, most_popular, open_in_background, partial_checkpoint,
                                             passages_of, read_manifest)


def test_a_busy_machine_serves_after_serve_seconds_with_fewer_rows(private_catalog_path, gated, monkeypatch):
    """Out of time (SERVE_SECONDS = 0) after two blocks of 2: it serves those 4, the most popular."""
    monkeypatch.setattr(semantic_job, "SERVE_ROWS", 20)
    monkeypatch.setattr(semantic_job, "SERVE_BLOCK", 2)
    monkeypatch.setattr(semantic_job, "SERVE_MIN_ROWS", 4)
    monkeypatch.setattr(semantic_job, "SERVE_SECONDS", 0.0)
    gated.free_calls = 2
    catalog = Catalog.open(private_catalog_path)
    try:
        arm = open_in_background(catalog)
        assert arm.completeness()["embedded"] == 4 and partial_checkpoint(catalog).rows() == 4
        texts, ids = passages_of(catalog), list(catalog.entities.ids)
        assert set(gated.encoded) == {texts[ids.index(e)] for e in most_popular(catalog, 4)}
        gated.gate.set()
        assert arm.wait_complete(timeout=30) and SemanticStrategy.is_built(catalog)
        assert sorted(gated.encoded) == sorted(texts)
    finally:
        catalog.close()


def test_a_draft_pass_covers_everything_first_then_final_vectors_replace_it(private_catalog_path, gated):
    """With a draft precision, the arm serves draft (int8) vectors of the most popular rows, then
    of all rows, then refines them; only final vectors reach the checkpoint and the files."""
    gated.draft_precision = lambda: "int8"
    gated.free_calls, gated.gates_drafts = 0, False      # drafts run freely; the final pass waits
    catalog = Catalog.open(private_catalog_path)
    try:
        n = len(catalog.entities)
        texts, ids = passages_of(catalog), list(catalog.entities.ids)
        calls = []
        arm = open_in_background(catalog, progress=lambda *a: calls.append(a))
        deadline = time.monotonic() + 30
        while arm.completeness()["embedded"] < n and time.monotonic() < deadline:
            time.sleep(0.01)
        state = arm.completeness()
        assert state["embedded"] == n and state["draft"] == "int8" and not state["complete"]
        assert partial_checkpoint(catalog).rows() == 0                      # drafts are never checkpointed
        row = ids.index(next(iter(most_popular(catalog, 1))))
        draft_score = arm.score(Query.make(texts[row]), np.array([row]))[0]
        assert 0.95 < draft_score < 0.9999                           # a draft vector: close, not equal
        assert any("int8 draft" in c[2] for c in calls)

        gated.gate.set()
        assert arm.wait_complete(timeout=30)
        assert arm.completeness() == {"embedded": n, "total": n, "complete": True, "final": n, "draft": None}
        assert arm.score(Query.make(texts[row]), np.array([row]))[0] == pytest.approx(1.0, abs=1e-3)
        assert sorted(gated.encoded) == sorted(texts + texts)        # each passage twice: draft, final
        expected = np.stack([FakeEncoder.vector(t) for t in texts]).astype(np.float16)
        np.testing.assert_array_equal(np.load(catalog.index_dir / "semantic.f16.npy"), expected)
        assert read_manifest(catalog)["passages"] == "fake/fp32"
    finally:
        catalog.close()
