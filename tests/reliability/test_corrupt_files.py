"""Missing, truncated or zeroed index files are rebuilt, never trusted; the engine keeps serving."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ltrr import Engine

ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]


def _damage(index_dir: Path, how: str) -> int:
    damaged = 0
    for path in sorted(index_dir.rglob("*")):
        if not path.is_file() or path.name.endswith(".manifest.json"):
            continue
        data = path.read_bytes()
        if how == "truncate":
            path.write_bytes(data[: len(data) // 2])
        elif how == "zero":
            path.write_bytes(bytes(len(data)))  # same size: only parsing can tell
        else:
            path.unlink()
        damaged += 1
    return damaged


@pytest.mark.parametrize("how", ["truncate", "zero", "delete"])
def test_damaged_indexes_are_rebuilt(tiny_catalog_path, tmp_path, how):
    catalog = tmp_path / "tiny.duckdb"
    shutil.copy(tiny_catalog_path, catalog)
    Engine.open(catalog, tmp_path / "s1", arms=ARMS).close()
    assert _damage(catalog.with_suffix(".indexes"), how) > 5
    engine = Engine.open(catalog, tmp_path / "s2", arms=ARMS)
    try:
        assert all(engine.status()["arms"][a]["ready"] for a in ARMS)
        for query, title in [("halo", "Halo"), ("blindng lihgts", "Blinding Lights"), ("kill bill", "Kill Bill")]:
            assert engine.search(query).results[0].title == title
    finally:
        engine.close()


def test_corrupt_log_lines_do_not_stop_the_engine(tiny_catalog_path, tmp_path):
    engine = Engine.open(tiny_catalog_path, tmp_path / "s", arms=ARMS)
    resp = engine.search("halo")
    engine.feedback(resp.id, resp.results[0].entity_id)
    engine.close()
    log = tmp_path / "s" / "log" / "events.jsonl"
    with open(log, "ab") as fh:
        fh.write(b"\x00\xff garbage line\n{\"kind\": \"feedback\"}\n{truncated")
    engine = Engine.open(tiny_catalog_path, tmp_path / "s", arms=ARMS)
    try:
        assert engine.status()["searches"] == 1 and engine.status()["clicks"] == 1
        resp = engine.search("kill bill")
        engine.feedback(resp.id, resp.results[0].entity_id)
        assert engine.status()["clicks"] == 2
    finally:
        engine.close()
