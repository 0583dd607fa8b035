"""Every export format carries what replay reads: the same state exported as jsonl, parquet,
csv and UBI replays to the same arm report, learner and memory."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.log_export import EXPORT_FORMATS, export_events, load_exported
from tests.engine.engines import open_engine

QUERIES = ["love story", "taylor swift", "blinding lights", "sza", "sad songs", "nas illmatic", "halo", "kill bill"]
FINDS = ["track:lovestory", "track:halo", "track:kill", "track:rainy"]


def _without_v(events):
    return [{k: v for k, v in ev.items() if k != "v"} for ev in events]


def _state(eng) -> dict:
    """What replay derives: the arm report, the learner's saved arrays, memory and counters."""
    status = eng.status()
    return {
        "arm_report": eng.arm_report(),
        "learner": eng.selector.state_dict(),
        "memory": eng.memory_entries().sort_values(["query", "entity_id"]).reset_index(drop=True),
        "counts": {k: status[k] for k in ("searches", "clicks") if k in status},
    }


def _same(a, b) -> None:
    assert a["arm_report"] == b["arm_report"]
    assert a["counts"] == b["counts"]
    assert a["memory"].equals(b["memory"])
    _same_tree(a["learner"], b["learner"])


def _same_tree(a, b, where="state") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            _same_tree(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same_tree(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), where


@pytest.fixture(scope="module")
def exported(tiny_catalog_path, tmp_path_factory):
    """A coverage engine's state (clicks, skips, later finds, judgments, swaps, exposures, pins,
    feedback arriving after later searches), exported in every format."""
    root = tmp_path_factory.mktemp("exports")
    eng = open_engine(tiny_catalog_path, root / "s", policy="coverage:judged=0.3")
    rng = np.random.default_rng(5)
    try:
        eng.set_ranking_experiments(swap_share=0.5)
        open_ids = []
        for i in range(60):
            resp = eng.search(QUERIES[i % len(QUERIES)] if i % 7 else "love story", context={"user_id": f"u{i % 3}"})
            open_ids.append(resp)
            if resp.judge:
                eng.judge(resp.id, [FINDS[i % len(FINDS)]])
            if len(open_ids) < 2 and rng.random() < 0.5:
                continue                         # feedback arrives after a later search
            for r in open_ids:
                u = rng.random()
                if r.results and u < 0.6:
                    eng.feedback(r.id, r.results[int(rng.integers(min(3, len(r.results))))].entity_id)
                elif u < 0.8:
                    eng.feedback(r.id, action="skip")
                else:
                    eng.feedback(r.id, FINDS[int(rng.integers(len(FINDS)))], action="found_later")
            open_ids = []
        events = eng.log_events()
    finally:
        eng.close()
    kinds = {k for ev in events if ev["kind"] == "search" for k in ("swap", "expose", "pinned") if k in ev}
    actions = {ev["action"] for ev in events if ev["kind"] == "feedback"}
    assert kinds == {"swap", "expose", "pinned"} and actions == {"click", "skip", "found_later", "judged"}
    return {fmt: export_events(events, root / "out", fmt) for fmt in EXPORT_FORMATS}, events


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f != "jsonl"])
def test_every_export_format_loads_back_the_logged_events(exported, fmt):
    paths, events = exported
    assert _without_v(load_exported(paths[fmt])) == _without_v(events)


def test_every_export_format_replays_to_the_same_state(exported, tiny_catalog_path, tmp_path):
    paths, _ = exported
    states = {}
    for fmt, path in paths.items():
        eng = open_engine(tiny_catalog_path, tmp_path / fmt, policy="coverage:judged=0.3")
        try:
            eng.replay(load_exported(path))
            states[fmt] = _state(eng)
        finally:
            eng.close()
    for fmt in paths:
        _same(states[fmt], states["jsonl"])
