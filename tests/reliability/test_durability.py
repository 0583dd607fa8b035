"""Every acknowledged feedback survives SIGKILL, and the reopened state equals a replay of the log."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ltrr import Engine
from ltrr.log import read_events

WORKER = Path(__file__).with_name("kill_worker.py")
ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]
KILLS = 24
TIMEOUT_S = 120


class Zygote:
    """The kill_worker zygote: forks engine processes on request; lines arrive on a queue."""

    def __init__(self, catalog: Path, state: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        self.proc = subprocess.Popen([sys.executable, str(WORKER), str(catalog), str(state)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next_line() == "ZYGOTE"

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("EOF")

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"kill worker silent for {TIMEOUT_S} s") from None
        if line == "EOF" or line.startswith("FAILED"):
            raise AssertionError(f"kill worker: {line}\n{self.proc.stderr.read()[-3000:]}")
        return line

    def life(self, seed: int, acks_before_kill: int) -> list[tuple[str, str | None]]:
        """Fork one engine process, SIGKILL it after that many acks; every ack it printed."""
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        line = self.next_line()
        assert line.startswith("READY "), line
        pid = int(line.split()[1])
        acks: list[tuple[str, str | None]] = []
        killed = False
        while True:
            line = self.next_line()
            if line.startswith("ACK "):
                acks.append(tuple(json.loads(line[4:])))
                if len(acks) >= acks_before_kill and not killed:
                    os.kill(pid, signal.SIGKILL)        # lands wherever the child is: mid-search, mid-write...
                    killed = True
            elif line.startswith("DEAD "):
                assert line == f"DEAD {pid} {int(signal.SIGKILL)}", line
                return acks                             # acks printed after the kill count too

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_no_acknowledged_feedback_is_lost_after_sigkill(tiny_catalog_path, tmp_path):
    rng = np.random.default_rng(7)
    state = tmp_path / "state"
    all_acks: list[tuple[str, str | None]] = []
    zygote = Zygote(tiny_catalog_path, state)
    try:
        for life in range(KILLS):
            # Each life resumes the same state folder, so kills land on a growing log.
            all_acks += zygote.life(seed=life, acks_before_kill=int(rng.integers(1, 30)))
            logged = {(e["search_id"], e.get("entity_id")) for e in read_events(state / "log" / "events.jsonl")
                      if e["kind"] == "feedback"}
            lost = [a for a in all_acks if a not in logged]
            assert lost == [], f"life {life}: {len(lost)} acknowledged feedbacks missing from the log"
    finally:
        zygote.close()
    assert len(all_acks) >= KILLS

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
        assert a["expected_reward"] == pytest.approx(b["expected_reward"], abs=1e-9, nan_ok=True)
    assert got_memory.equals(expect_memory)
