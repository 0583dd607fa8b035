"""Checkpoint + tail replay equals a full replay; bad checkpoints fall back; old searches come back."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from ltrr import Engine
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.policy import PolicySpec
from ltrr.bandit.selector import ArmSelector
from ltrr.checkpoint import CHECKPOINT_FILE, INDEX_FILE, LogMark, SearchIndex, load_checkpoint, save_checkpoint
from ltrr.errors import FeedbackError

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
QUERIES = ["halo", "kill bill", "love story", "nas", "blinding lights", "taylor swift", "good days",
           "sza", "halo", "beyonce crazy", "the weeknd", "rainy day", "save your tears", "blank space"]


def open_engine(catalog, state, policy="coverage", **kw):
    kw.setdefault("arms", FAST_ARMS)
    kw.setdefault("ranker_training", "off")
    return Engine.open(catalog=catalog, state=state, policy=policy, seed=0, **kw)


def feed(engine, queries, start=0) -> list[str]:
    """A search per query by a few users, then a click (sometimes twice, sometimes a lower result) or a skip."""
    ids = []
    for i, q in enumerate(queries, start=start):
        resp = engine.search(q, context={"user_id": f"u{i % 3}", "hour": i % 24})
        ids.append(resp.id)
        if i % 4 == 3 or not resp.results:
            engine.feedback(resp.id, action="skip")
            continue
        engine.feedback(resp.id, resp.results[min(i % 3, len(resp.results) - 1)].entity_id)
        if i % 5 == 0:
            engine.feedback(resp.id, resp.results[0].entity_id)   # a second click, maybe a duplicate
    return ids


def derived(engine) -> str:
    """Everything open derives from the log, as one comparable string (NaN-safe)."""
    selector = engine.selector.state_dict()
    data = {
        "selector": selector,
        "memory": engine.memory.state_dict(),
        "entries": engine.memory_entries(limit=100_000).to_dict("records"),
        "history": engine.history.state_dict(),
        "status": engine.status(),
        "report": engine.arm_report(),
        "context_report": engine.arm_report(context={"query": "halo", "user_id": "u1"}),
        "arm_history": engine.arm_history().to_dict("records"),
        "searches": list(engine._searches),                                     # noqa: SLF001
        "resolved": sorted(engine._resolved),                                   # noqa: SLF001
        "clicked": sorted(engine._clicked),                                     # noqa: SLF001
    }
    return json.dumps(data, sort_keys=True, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))


def later_searches(engine) -> str:
    """What the engine decides and shows for the same new searches (the exploration stream included)."""
    out = []
    for i, q in enumerate(["halo", "kill bill", "nas illmatic", "taylor", "love"]):
        resp = engine.search(q, context={"user_id": f"u{i % 3}", "hour": 12})
        out.append({"selection": [(c.arm, c.selected, c.budget, c.propensity, c.expectation, c.budget_propensity)
                                  for c in resp.selection],
                    "decision": resp.decision, "results": [r.entity_id for r in resp.results]})
    return json.dumps(out, sort_keys=True)


def without_checkpoint(state: Path, dest: Path) -> Path:
    shutil.copytree(state, dest)
    shutil.rmtree(dest / "checkpoint", ignore_errors=True)
    (dest / ".lock").unlink(missing_ok=True)
    return dest


def used_checkpoint(caplog) -> bool:
    ignored = any("ignoring checkpoint" in r.getMessage() for r in caplog.records)
    loaded = any(r.getMessage().startswith("derived state: checkpoint up to byte ") and
                 not r.getMessage().startswith("derived state: checkpoint up to byte 0,") for r in caplog.records)
    return loaded and not ignored


@pytest.mark.parametrize("cache", [None, 3])
def test_checkpoint_plus_tail_equals_full_replay(tiny_catalog_path, tmp_path, monkeypatch, caplog, cache):
    if cache is not None:
        monkeypatch.setattr(Engine, "search_cache", cache)     # most feedback then finds its search on disk
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    first = feed(eng, QUERIES)
    eng.close()
    saved = tmp_path / "checkpoint-1"
    shutil.copy(state / "checkpoint" / CHECKPOINT_FILE, saved)
    eng = open_engine(tiny_catalog_path, state)
    feed(eng, QUERIES[::-1], start=len(QUERIES))
    eng.feedback(first[0], action="skip")          # late feedback for a search the checkpoint covers
    eng.close()
    shutil.copy(saved, state / "checkpoint" / CHECKPOINT_FILE)        # the checkpoint now has a tail to replay
    full = without_checkpoint(state, tmp_path / "full")

    caplog.set_level(logging.INFO, logger="ltrr")
    a = open_engine(tiny_catalog_path, state)
    try:
        assert used_checkpoint(caplog)
        b = open_engine(tiny_catalog_path, full)
        try:
            assert a.status()["searches"] == 2 * len(QUERIES)
            assert derived(a) == derived(b)
            assert later_searches(a) == later_searches(b)
        finally:
            b.close()
    finally:
        a.close()


def test_a_checkpoint_is_written_every_n_feedbacks(tiny_catalog_path, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(Engine, "checkpoint_every", 4)
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    try:
        feed(eng, QUERIES[:5])           # 5 searches, 6 feedbacks: a checkpoint at the 4th
        path = state / "checkpoint" / CHECKPOINT_FILE
        assert path.is_file()
        with np.load(path) as npz:
            mark = json.loads(npz["meta"].tobytes())["mark"]
        assert 0 < mark["offset"] < (state / "log" / "events.jsonl").stat().st_size
        # A process killed now (no close): its folder, as it is, opens from the checkpoint.
        crashed = tmp_path / "crashed"
        shutil.copytree(state, crashed)
        (crashed / ".lock").unlink()
        expected = derived(eng)
    finally:
        eng.close()
    caplog.set_level(logging.INFO, logger="ltrr")
    again = open_engine(tiny_catalog_path, crashed)
    try:
        assert used_checkpoint(caplog)
        assert derived(again) == expected
    finally:
        again.close()


def _spoil_bytes(state: Path) -> None:
    path = state / "checkpoint" / CHECKPOINT_FILE
    path.write_bytes(b"not a checkpoint" * 100)


def _spoil_half(state: Path) -> None:
    path = state / "checkpoint" / CHECKPOINT_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _cut_log(state: Path) -> None:
    log = state / "log" / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-3]))


def _replace_log(state: Path) -> None:
    """Another log of at least the same length: the covered prefix is not the one the checkpoint saw."""
    log = state / "log" / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[2:] + lines[:2]))


def _drop_index(state: Path) -> None:
    (state / "checkpoint" / INDEX_FILE).unlink()


def _zero_index(state: Path) -> None:
    path = state / "checkpoint" / INDEX_FILE
    path.write_bytes(bytes(path.stat().st_size + 5))


@pytest.mark.parametrize("spoil", [_spoil_bytes, _spoil_half, _cut_log, _replace_log, _drop_index, _zero_index])
def test_a_bad_checkpoint_is_ignored_and_the_log_replayed(tiny_catalog_path, tmp_path, caplog, spoil):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    feed(eng, QUERIES)
    eng.close()
    spoil(state)
    full = without_checkpoint(state, tmp_path / "full")
    caplog.set_level(logging.INFO, logger="ltrr")
    a = open_engine(tiny_catalog_path, state)
    try:
        assert any("ignoring checkpoint" in r.getMessage() for r in caplog.records)
        b = open_engine(tiny_catalog_path, full)
        try:
            assert derived(a) == derived(b)
            assert later_searches(a) == later_searches(b)
        finally:
            b.close()
    finally:
        a.close()


def test_a_checkpoint_of_another_policy_is_ignored(tiny_catalog_path, tmp_path, caplog):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    feed(eng, QUERIES)
    eng.close()
    full = without_checkpoint(state, tmp_path / "full")
    caplog.set_level(logging.INFO, logger="ltrr")
    a = open_engine(tiny_catalog_path, state, policy="coverage:context=0")
    try:
        assert any("ignoring checkpoint" in r.getMessage() and "made for" in r.getMessage()
                   for r in caplog.records)
        b = open_engine(tiny_catalog_path, full, policy="coverage:context=0")
        try:
            assert derived(a) == derived(b)
        finally:
            b.close()
    finally:
        a.close()


def test_mabwiser_policies_reopen_from_their_checkpoint(tiny_catalog_path, tmp_path):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state, policy="linucb")
    feed(eng, QUERIES[:6])
    before = eng.arm_report()
    eng.close()
    assert (state / "checkpoint" / CHECKPOINT_FILE).exists()
    eng = open_engine(tiny_catalog_path, state, policy="linucb")
    try:
        after = eng.arm_report()
        assert [r["pulls"] for r in after] == [r["pulls"] for r in before]
        assert [r["expected_reward"] for r in after] == pytest.approx([r["expected_reward"] for r in before])
    finally:
        eng.close()


def test_old_searches_leave_memory_and_their_feedback_still_counts(tiny_catalog_path, tmp_path, monkeypatch):
    monkeypatch.setattr(Engine, "search_cache", 3)
    eng = open_engine(tiny_catalog_path, tmp_path / "s")
    try:
        ids = [eng.search(q, context={"user_id": "u1"}) for q in ["halo", "kill bill", "nas", "love", "sza"]]
        assert len(eng._searches) == 3 and ids[0].id not in eng._searches      # noqa: SLF001
        first = eng.feedback(ids[0].id, ids[0].results[0].entity_id)
        assert first.bandit_updated and not first.duplicate and first.position == 1
        for q in ["taylor", "weeknd", "beyonce"]:                               # evict it again
            eng.search(q)
        assert ids[0].id not in eng._searches                                   # noqa: SLF001
        again = eng.feedback(ids[0].id, ids[0].results[0].entity_id)
        assert again.duplicate and not again.bandit_updated
        skipped = eng.feedback(ids[1].id, action="skip")
        assert skipped.bandit_updated
        with pytest.raises(FeedbackError, match="unknown response"):
            eng.feedback("f" * 32, "track:halo")
        with pytest.raises(FeedbackError, match="not shown"):
            eng.feedback(ids[2].id, "track:does-not-exist")
        assert eng.status()["searches"] == 8 and eng.status()["feedbacks"] == 3
        assert eng.memory.entry("halo", ids[0].results[0].entity_id).clicks == 1
    finally:
        eng.close()


def test_reset_removes_the_checkpoint_and_old_ids(tiny_catalog_path, tmp_path):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    try:
        ids = feed(eng, QUERIES[:4])
        eng.reset()
        with pytest.raises(FeedbackError, match="unknown response"):
            eng.feedback(ids[0], action="skip")
        assert eng.status()["searches"] == 0
    finally:
        eng.close()
    eng = open_engine(tiny_catalog_path, state)
    try:
        assert eng.status()["searches"] == 0 and eng.status()["feedbacks"] == 0
    finally:
        eng.close()


def test_restore_derives_the_snapshot_state_from_the_checkpoint_and_its_tail(tiny_catalog_path, tmp_path, caplog):
    state = tmp_path / "s"
    eng = open_engine(tiny_catalog_path, state)
    feed(eng, QUERIES[:6])
    eng.close()                                    # a checkpoint covering the first 6 searches
    eng = open_engine(tiny_catalog_path, state)
    try:
        feed(eng, QUERIES[6:9], start=6)
        eng.snapshot("mid")
        feed(eng, QUERIES[9:], start=9)
        caplog.clear()
        caplog.set_level(logging.INFO, logger="ltrr")
        eng.restore("mid")                         # the checkpoint covers a prefix of the restored log
        assert used_checkpoint(caplog)
        restored = derived(eng)
        expected = tmp_path / "expected"
        (expected / "log").mkdir(parents=True)
        shutil.copy(state / "snapshots" / "mid" / "state.json", expected / "state.json")
        shutil.copy(state / "snapshots" / "mid" / "log" / "events.jsonl", expected / "log" / "events.jsonl")
        full = open_engine(tiny_catalog_path, expected)
        try:
            assert derived(full) == restored and full.status()["searches"] == 9
        finally:
            full.close()
    finally:
        eng.close()


# ----------------------------------------------------------------------------- the pieces


def test_coverage_learner_state_round_trips_through_a_checkpoint_file(tmp_path):
    arms = ["a", "b", "c"]
    rng = np.random.default_rng(1)
    learner = CoverageLearner(arms, seed=3, buffer=5)
    xs = [rng.random(len(_context_features())) for _ in range(40)]
    for x in xs:
        ranks = {a: int(rng.integers(1, 60)) for a in arms}
        learner.observe(x, {"a": 10}, arms, ranks if rng.random() < 0.7 else None, {a: 50 for a in arms},
                        explored="wide" if rng.random() < 0.3 else "")
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"x":1}\n')
    save_checkpoint(tmp_path / "cp", {"k": 1}, LogMark.at(log, 8), {"coverage": learner.state_dict()})
    loaded = load_checkpoint(tmp_path / "cp", {"k": 1}, log)
    assert loaded is not None and loaded.mark.offset == 8
    copy = CoverageLearner(arms, seed=3, buffer=5)
    copy.load_state_dict(loaded.state["coverage"])
    fresh = CoverageLearner(arms, seed=3, buffer=5)         # the same stream, from the seed
    for x in xs:
        fresh._rng = np.random.default_rng(3)               # noqa: SLF001
        learner._rng = np.random.default_rng(3)             # noqa: SLF001
        copy._rng = np.random.default_rng(3)                # noqa: SLF001
        got, want = copy.select(x, np.ones(3, bool)), learner.select(x, np.ones(3, bool))
        assert all(np.array_equal(got[k], want[k], equal_nan=True) for k in ("budgets", "p_run", "expectation"))
        assert got["p_wide"] == want["p_wide"]
    assert copy.n_cells() == learner.n_cells() and copy.n_clicks == learner.n_clicks
    with pytest.raises(ValueError, match="other settings"):
        CoverageLearner(arms, seed=3, buffer=6).load_state_dict(loaded.state["coverage"])
    assert load_checkpoint(tmp_path / "cp", {"k": 2}, log) is None        # made for another key


def test_selector_refuses_the_state_of_another_policy():
    coverage = ArmSelector(PolicySpec.parse("coverage"), ["a", "b"])
    other = ArmSelector(PolicySpec.parse("coverage:context=0"), ["a", "b"])
    with pytest.raises(ValueError, match="not for policy"):
        other.load_state_dict(coverage.state_dict())
    linucb = ArmSelector(PolicySpec.parse("linucb"), ["a", "b"])
    with pytest.raises(ValueError, match="not for policy"):
        linucb.load_state_dict(coverage.state_dict())


def test_log_mark_notices_a_cut_or_changed_log(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"id":"a"}\n{"id":"b"}\n')
    mark = LogMark.at(log, log.stat().st_size)
    assert mark.mismatch(log) is None
    log.write_bytes(log.read_bytes() + b'{"id":"c"}\n')           # appended after: still a prefix
    assert mark.mismatch(log) is None
    log.write_bytes(b'{"id":"a"}\n')
    assert "shorter" in mark.mismatch(log)
    log.write_bytes(b'{"id":"a"}\n{"id":"X"}\n{"id":"c"}\n')
    assert "differs" in mark.mismatch(log)


def test_search_index_finds_every_event_of_a_search(tmp_path):
    index = SearchIndex(tmp_path / "idx")
    for i in range(5000):
        index.add(f"s{i % 1000}", i)
    assert index.offsets("s7") == [7, 1007, 2007, 3007, 4007]
    assert index.offsets("nope") == []
    digest = index.digest(10)
    index.truncate(10)
    assert len(index) == 10 and index.offsets("s7") == [7] and index.digest(10) == digest
    index.close()
    assert len(SearchIndex(tmp_path / "idx")) == 10


def _context_features():
    from ltrr.bandit.context import CONTEXT_FEATURES

    return CONTEXT_FEATURES
