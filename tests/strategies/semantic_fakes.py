"""Fake encoders and helpers for the semantic arm's build tests: no model, fast.

:class:`FakeEncoder` stands in for MiniLM with 8-dim vectors seeded by the
passage; :class:`GatedEncoder` holds a build back until the test opens its
gate, so a test sees an arm that serves before its index is complete. The
fixtures that install them are in ``tests/strategies/conftest.py``; a build
process a test starts imports :class:`FakeEncoder` from here.
"""
from __future__ import annotations

import json
import threading
import time

import numpy as np

from ltrr import indexfiles
from ltrr.strategies.base import ArmResources
from ltrr.strategies.semantic import SemanticStrategy
from ltrr.strategies.semantic_files import PARTIAL_DIR, Checkpoint
from ltrr.strategies.semantic_passages import catalog_passages, passage_key


class FakeEncoder:
    """8-dim unit vectors seeded by the passage; records what it embeds; optionally slow."""

    name = "fake"
    dim = 8

    def __init__(self, delay: float = 0.0, precision: str = "fp32") -> None:
        self.delay = delay
        self.passage_id = f"fake/{precision}"
        self.encoded: list[str] = []

    @staticmethod
    def vector(text: str, precision: str | None = None) -> np.ndarray:
        """The passage's unit vector; at precision "int8", nudged by a few percent (a draft)."""
        v = np.random.default_rng(passage_key(text)).standard_normal(8)
        if precision == "int8":
            v = v + 0.05 * np.random.default_rng(passage_key(text) + 1).standard_normal(8)
        return v / np.linalg.norm(v)

    def encode_passages(self, texts, batch_size=64, progress=lambda *a: None, precision=None):
        progress(0, len(texts), "semantic: embedding")
        out = []
        for text in texts:
            time.sleep(self.delay)
            self.encoded.append(text)
            out.append(self.vector(text, precision))
        progress(len(texts), len(texts), "semantic: embedding")
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts):
        return np.asarray([self.vector(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)


class Stop(Exception):
    """What a test's progress callback raises to interrupt a build (an engine closing, a crash)."""


def read_manifest(catalog) -> dict:
    """The semantic index's manifest in `catalog`'s index folder."""
    return json.loads(indexfiles.manifest_path(catalog.index_dir, "semantic").read_text())


def partial_checkpoint(catalog, encoder="fake/fp32") -> Checkpoint:
    """The checkpoint a build of `catalog` by a fake encoder (8 dims) keeps while unfinished."""
    return Checkpoint(catalog.index_dir / PARTIAL_DIR, encoder, 8)


class GatedEncoder(FakeEncoder):
    """Embeds its first `free_calls` calls at once, then waits for `gate` before every later call."""

    def __init__(self, gate: threading.Event, free_calls: int = 1) -> None:
        super().__init__()
        self.gate = gate
        self.calls = 0
        self.free_calls = free_calls
        self.gates_drafts = True           # False: only final-precision calls wait

    def encode_passages(self, texts, batch_size=64, progress=lambda *a: None, precision=None):
        self.calls += 1
        if self.calls > self.free_calls and (precision is None or self.gates_drafts):
            assert self.gate.wait(30), "the test never opened the gate"
        return super().encode_passages(texts, batch_size, progress, precision)


def open_in_background(catalog, progress=lambda *a: None) -> SemanticStrategy:
    """Open as the engine's background opener does (in a thread named ltrr-open-<arm>)."""
    opened, failed = [], []

    def run() -> None:
        try:
            opened.append(SemanticStrategy.open(ArmResources(catalog, progress=progress)))
        except Exception as exc:   # re-raised below, in the test's thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="ltrr-open-semantic")
    thread.start()
    thread.join(30)
    if failed:
        raise failed[0]
    return opened[0]


def passages_of(catalog) -> list[str]:
    """Every entity's passage, in row order."""
    return catalog_passages(catalog.entities.frame)


def most_popular(catalog, n: int) -> set[str]:
    """The ids of the `n` most popular entities (the first a build embeds)."""
    frame = catalog.entities.frame
    return set(frame.sort_values("popularity", ascending=False, kind="stable")["entity_id"].head(n))
