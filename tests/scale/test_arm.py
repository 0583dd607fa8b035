"""The sharded semantic arm: the arm contract, and the same answers as the one-index arm
(slow: it loads MiniLM; the tiny catalog only)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ltrr.catalog.store import Catalog
from ltrr.query import Query
from ltrr.scale import arm as sharded
from ltrr.scale.arm import ShardedSemanticStrategy
from ltrr.scale.shards import MANIFEST, ShardError
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from tests.strategies.contract import StrategyContract

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def catalog(tiny_catalog_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("sharded") / "cat.duckdb"
    shutil.copy(tiny_catalog_path, path)
    cat = Catalog.open(path)
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def arms(catalog):
    one = SemanticStrategy.open(ArmResources(catalog))
    return one, ShardedSemanticStrategy.open(ArmResources(catalog), shards=3)


class TestShardedContract(StrategyContract):
    known_query = "love"

    @pytest.fixture()
    def strategy(self, arms):
        return arms[1]


@pytest.mark.parametrize("text", ["songs for a rainy day", "love", "90s rap", "something to cry to", "pop"])
def test_answers_like_the_one_index_arm(arms, text):
    one, many = arms
    q = Query.make(text)
    a, b = one.retrieve(q, 10), many.retrieve(q, 10)
    assert [c.entity_id for c in a] == [c.entity_id for c in b]
    np.testing.assert_allclose([c.score for c in a], [c.score for c in b], atol=2e-3)
    rows = one.catalog.entities.rows([c.entity_id for c in a])
    np.testing.assert_allclose(many.score(q, rows), one.score(q, rows), atol=1e-5)


def test_shards_were_cut_from_the_semantic_index(arms, catalog):
    manifest = json.loads((catalog.index_dir / sharded.SHARDS_DIR / MANIFEST).read_text())
    assert len(manifest["shards"]) == 3 and manifest["n"] == len(catalog.entities)
    assert manifest["fingerprint"] == catalog.fingerprint()


def test_shards_of_another_catalog_are_refused(arms, catalog, tmp_path, monkeypatch):
    folder = tmp_path / "shards"
    shutil.copytree(catalog.index_dir / sharded.SHARDS_DIR, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["fingerprint"] = "another"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    monkeypatch.setenv("LTRR_SEMANTIC_SHARDS", str(folder))
    with pytest.raises(ShardError, match="built from another catalog"):
        ShardedSemanticStrategy.open(ArmResources(catalog))
