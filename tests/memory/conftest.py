"""Fixtures of the memory's tests: the tiny catalog's seed."""
from __future__ import annotations

import pytest

from ltrr.memory import MemorySeed


@pytest.fixture()
def seed(tiny_catalog) -> MemorySeed:
    return MemorySeed.open(tiny_catalog)
