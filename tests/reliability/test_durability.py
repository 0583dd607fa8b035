"""Every acknowledged feedback survives SIGKILL, and the reopened state equals a replay of the log."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ltrr import Engine
from ltrr.log import read_events

WORKER = Path(__file__).with_name("kill_worker.py")
ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
KILL_RUNS = 4


def _run_and_kill(catalog: Path, state: Path, seed: int, acks_before_kill: int) -> list[tuple[str, str | None]]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, str(WORKER), str(catalog), str(state), str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    acks: list[tuple[str, str | None]] = []
    deadline = time.monotonic() + 120
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                sid, entity = json.loads(line[4:])
                acks.append((sid, entity))
                if len(acks) >= acks_before_kill:
                    break
            if time.monotonic() > deadline:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acks) >= acks_before_kill, proc.stderr.read()[-3000:]
    return acks


def test_no_acknowledged_feedback_is_lost_after_sigkill(tiny_catalog_path, tmp_path):
    rng = np.random.default_rng(7)
    state = tmp_path / "state"
    all_acks: list[tuple[str, str | None]] = []
    for run in range(KILL_RUNS):
        # Each run resumes the same state folder, so kills land on a growing log.
        all_acks += _run_and_kill(tiny_catalog_path, state, seed=run, acks_before_kill=int(rng.integers(5, 40)))
        logged = {(e["search_id"], e.get("entity_id")) for e in read_events(state / "log" / "events.jsonl")
                  if e["kind"] == "feedback"}
        lost = [a for a in all_acks if a not in logged]
        assert lost == [], f"run {run}: {len(lost)} acknowledged feedbacks missing from the log"

    reopened = Engine.open(tiny_catalog_path, state, arms=ARMS, ranker_training="off")
    try:
        events = reopened.log_events()
        expect_report = reopened.arm_report(context={"query": "halo", "user_id": "u1"})
        expect_memory = reopened.memory_entries(limit=10**6).sort_values(["query", "entity_id"]).reset_index(drop=True)
        assert reopened.status()["feedbacks"] == sum(e["kind"] == "feedback" for e in events)
    finally:
        reopened.close()

    replayed = Engine.open(tiny_catalog_path, tmp_path / "replayed", arms=ARMS, ranker_training="off")
    try:
        replayed.replay(events)
        got_report = replayed.arm_report(context={"query": "halo", "user_id": "u1"})
        got_memory = replayed.memory_entries(limit=10**6).sort_values(["query", "entity_id"]).reset_index(drop=True)
    finally:
        replayed.close()
    for a, b in zip(expect_report, got_report):
        assert (a["arm"], a["pulls"], a["rewards"]) == (b["arm"], b["pulls"], b["rewards"])
        assert a["expected_reward"] == pytest.approx(b["expected_reward"], abs=1e-9)
    assert got_memory.equals(expect_memory)
