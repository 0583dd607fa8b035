"""The arms' lifecycle (ltrr.engine.arms): opening, background builds, readiness, build ETAs,
and every ready arm's list for one query."""
from __future__ import annotations

import pytest

from tests.engine.engines import open_engine


def test_unknown_policy_and_arm_are_clear(tiny_catalog_path, tmp_path):
    with pytest.raises(ValueError, match="linucb"):
        open_engine(tiny_catalog_path, tmp_path / "s", policy="greedy-ish")
    with pytest.raises(KeyError, match="unknown arm"):
        open_engine(tiny_catalog_path, tmp_path / "s2", arms=["lexical", "telepathy"])
