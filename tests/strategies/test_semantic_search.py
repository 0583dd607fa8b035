"""Exact and approximate (HNSW) search over the semantic vectors. The HNSW test embeds a
~200-entity slice of the real catalog with MiniLM and is marked slow."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ltrr import indexfiles
from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.strategies import semantic_search
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from tests.conftest import import_shared_slice

slow = pytest.mark.slow


def test_exact_returns_the_budget_best_rows_and_their_cosines():
    matrix = np.diag([0.1, 0.9, 0.5, 0.3]).astype(np.float32)
    vector = np.ones(4, dtype=np.float32)
    rows, sims = semantic_search.exact(matrix, vector, 2)
    assert sorted(zip(rows.tolist(), sims.tolist())) == [(1, pytest.approx(0.9)), (2, pytest.approx(0.5))]
    assert sorted(semantic_search.exact(matrix, vector, 10)[0].tolist()) == [0, 1, 2, 3]
    rows, sims = semantic_search.exact(matrix, vector, 0)
    assert rows.size == sims.size == 0 and rows.dtype == np.int64


# --- a slice of the real catalog: the HNSW path --------------------------------

@pytest.fixture(scope="module")
def subset_catalog(tmp_path_factory):
    catalog = Catalog.open(import_shared_slice(tmp_path_factory.mktemp("subset")))    # ~200 rows
    yield catalog
    catalog.close()


@slow
def test_hnsw_search_agrees_with_exact_search(subset_catalog, monkeypatch):
    exact = SemanticStrategy.open(ArmResources(subset_catalog))
    assert exact._hnsw is None
    n = len(subset_catalog.entities)
    monkeypatch.setattr(semantic_search, "EXACT_MAX_ROWS", n // 2)
    assert not SemanticStrategy.is_built(subset_catalog)          # the graph file is missing
    approx = SemanticStrategy.open(ArmResources(subset_catalog))
    assert approx._hnsw is not None and json.loads(
        indexfiles.manifest_path(subset_catalog.index_dir, "semantic").read_text())["embedded"] == 0

    frame = subset_catalog.entities.frame
    titles = frame.loc[frame["entity_type"] == "track", "title"].sample(30, random_state=0)
    overlap, found = [], []
    for title in titles:
        q = Query.make(title)
        a = [c.entity_id for c in exact.retrieve(q, 10)]
        b = [c.entity_id for c in approx.retrieve(q, 10)]
        overlap.append(len(set(a) & set(b)) / max(len(a), 1))
        # A title is (nearly always) nearest to itself; semantics may put a paraphrase
        # first ("Make You Believe" -> "DREAMS COME TRUE"), so look in the top 5.
        found.append(any(Query.make(subset_catalog.entities.get(e)["title"]).text == q.text for e in b[:5]))
    assert np.mean(overlap) >= 0.9
    assert np.mean(found) >= 0.9
