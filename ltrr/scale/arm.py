"""The semantic arm served from a sharded index (scatter-gather over shards).

Same contract and scores as :class:`ltrr.strategies.semantic.SemanticStrategy`
(cosine to the query, at least ``MIN_SIMILARITY``), but the vectors live in
shards (:mod:`ltrr.scale.shards`), searched in this process on the fan-out
thread pool (``RayShardedIndex`` is the same search with shards on Ray actors).
The shards come from ``$LTRR_SEMANTIC_SHARDS``,
else ``semantic_shards/`` in the catalog's index folder; when that folder is
missing, the arm cuts it from the catalog's ordinary semantic index
(``shards`` pieces). An index built from another catalog is refused.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from ltrr.query import Query
from ltrr.scale.shards import MANIFEST, ShardError, ShardedIndex, write_shards
from ltrr.strategies.base import ArmResources, Candidate, Strategy
from ltrr.strategies.semantic import query_vector, similar_candidates

SHARDS_DIR = "semantic_shards"
DEFAULT_SHARDS = 4

_open_lock = threading.Lock()


def shards_folder(catalog) -> Path:
    """Where this catalog's shards are read from."""
    explicit = os.environ.get("LTRR_SEMANTIC_SHARDS")
    return Path(explicit) if explicit else catalog.index_dir / SHARDS_DIR


class ShardedSemanticStrategy(Strategy):
    """Nearest entities in MiniLM space, searched shard by shard and merged."""

    name = "semantic_sharded"
    description = "Dense MiniLM embeddings, sharded: every shard searched, results merged"
    slow_to_open = True

    def __init__(self, catalog, encoder, index) -> None:
        self.catalog = catalog
        self._encoder = encoder
        self._index = index                 # a ShardedIndex
        self._ids = catalog.entities.ids

    @classmethod
    def open(cls, resources: ArmResources, shards: int = DEFAULT_SHARDS) -> "ShardedSemanticStrategy":
        """Load the shards (cut from the semantic index first if there are none)."""
        from ltrr.embedding import get_encoder
        from ltrr.strategies.semantic import SemanticStrategy

        catalog = resources.catalog
        folder = shards_folder(catalog)
        with _open_lock:
            if not (folder / MANIFEST).is_file():
                semantic = SemanticStrategy.open(resources)
                write_shards(np.asarray(semantic._vectors16), folder, shards, fingerprint=catalog.fingerprint(),
                             source="semantic index")
        index = ShardedIndex.open(folder)
        if index.manifest.get("fingerprint") != catalog.fingerprint():
            raise ShardError(f"the shards in {folder} were built from another catalog "
                             f"(delete the folder to cut them again from this one)")
        if index.n != len(catalog.entities):
            raise ShardError(f"the shards in {folder} hold {index.n} rows, the catalog {len(catalog.entities)}")
        return cls(catalog, get_encoder(), index)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        """The `budget` entities closest in meaning over all shards (cosine >= MIN_SIMILARITY)."""
        if budget <= 0 or len(self._ids) == 0:
            return []
        vector = query_vector(self._encoder, query)
        if vector is None:
            return []
        rows, sims = self._index.search(vector, min(budget, len(self._ids)))
        return similar_candidates(self._ids, rows, sims, budget)

    def score(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to any rows (0 for an empty query)."""
        rows = np.asarray(rows, dtype=np.int64)
        vector = query_vector(self._encoder, query)
        if vector is None or rows.size == 0:
            return np.zeros(rows.size, dtype=np.float64)
        return (self._index.vectors(rows) @ vector).astype(np.float64)
