"""The encoder: cache and batching logic with a counting fake model (fast), and the
real bundled MiniLM (slow: it loads the model)."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np
import pytest

from ltrr import embedding
from ltrr.embedding import Encoder, get_encoder, model_path


class FakeModel:
    """Deterministic 8-dim "embeddings" from a text's bytes; counts the texts it encodes."""

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.batches: list[int] = []

    def encode(self, texts, batch_size, convert_to_numpy, normalize_embeddings, show_progress_bar):
        self.encoded.extend(texts)
        self.batches.append(len(texts))
        out = np.array([[(sum(t.encode()) * (i + 1)) % 97 + 1.0 for i in range(8)] for t in texts])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def fake_encoder(cache_size: int = 4) -> tuple[Encoder, FakeModel]:
    enc = Encoder.__new__(Encoder)
    model = FakeModel()
    enc._model, enc.dim, enc.name = model, 8, "fake"
    enc._lock, enc._cache_lock = threading.Lock(), threading.Lock()
    enc._cache, enc._cache_size = OrderedDict(), cache_size
    return enc, model


def test_offline_is_forced_on_import():
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_bundled_model_is_present():
    assert (model_path() / "config.json").is_file()


def test_queries_are_cached_and_repeated_texts_encoded_once():
    enc, model = fake_encoder()
    first = enc.encode_queries(["sad", "happy", "sad"])
    assert first.shape == (3, 8) and first.dtype == np.float32
    np.testing.assert_array_equal(first[0], first[2])
    assert model.encoded == ["sad", "happy"]
    again = enc.encode_queries(["happy"])
    assert model.encoded == ["sad", "happy"]            # served from the cache
    np.testing.assert_array_equal(again[0], first[1])
    again[0, 0] = 42.0                                   # callers get copies, never the cached row
    assert enc.encode_queries(["happy"])[0, 0] != 42.0


def test_query_cache_evicts_least_recently_used():
    enc, model = fake_encoder(cache_size=2)
    enc.encode_queries(["a"])
    enc.encode_queries(["b"])
    enc.encode_queries(["a"])                           # a is now the most recent
    enc.encode_queries(["c"])                           # evicts b
    model.encoded.clear()
    enc.encode_queries(["a", "c"])
    assert model.encoded == []
    enc.encode_queries(["b"])
    assert model.encoded == ["b"]


def test_empty_query_list():
    enc, _ = fake_encoder()
    assert enc.encode_queries([]).shape == (0, 8)


def test_passages_keep_order_report_progress_and_go_in_chunks(monkeypatch):
    monkeypatch.setattr(embedding, "PASSAGE_CHUNK", 3)
    enc, model = fake_encoder()
    texts = [f"text number {'x' * (i % 4)} {i}" for i in range(10)]
    calls = []
    out = enc.encode_passages(texts, progress=lambda d, t, m="": calls.append((d, t)))
    expected = np.stack([model.encode([t], 1, True, True, False)[0] for t in texts])
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert model.batches[:4] == [3, 3, 3, 1]
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- the real model ----------------------------------------------------------

@pytest.mark.slow
def test_real_encoder_is_a_thread_safe_singleton():
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(get_encoder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(e is seen[0] for e in seen)


@pytest.mark.slow
def test_real_embeddings_are_unit_length_and_mean_something():
    enc = get_encoder()
    q = enc.encode_queries(["sad breakup song", "melancholy heartbreak ballad", "tax return deadline"])
    assert q.shape == (3, 384) and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert q[0] @ q[1] > q[0] @ q[2] + 0.2
    p = enc.encode_passages(["tax return deadline", "sad breakup song"], batch_size=2)
    np.testing.assert_allclose(p, q[[2, 0]], atol=1e-5)


@pytest.mark.slow
def test_real_encoder_survives_concurrent_queries():
    enc = get_encoder()
    expected = enc.encode_passages([f"song {i}" for i in range(8)])
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = enc.encode_queries([f"song {i}"])[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-5)
