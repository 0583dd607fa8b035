"""The engine fixture of tests/engine/."""
from __future__ import annotations

import pytest

from tests.engine.engines import open_engine


@pytest.fixture()
def engine(tiny_catalog_path, tmp_path):
    eng = open_engine(tiny_catalog_path, tmp_path / "state")
    yield eng
    eng.close()
