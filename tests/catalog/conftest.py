"""A small synthetic catalog shared by the generator's test modules."""
from __future__ import annotations

from pathlib import Path

import pytest

from ltrr.catalog.synthetic import generate

# Small keeps the generator's tests fast; large enough for every kind of row.
SMALL_TRACKS = 2_000


@pytest.fixture(scope="session")
def small_synthetic(tmp_path_factory) -> Path:
    """A synthetic catalog of SMALL_TRACKS tracks from seed 0 (read-only: tests share it)."""
    return generate(tmp_path_factory.mktemp("syn") / "small.duckdb", tracks=SMALL_TRACKS, seed=0)
