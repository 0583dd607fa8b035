"""The encoder: cache and batching logic with a counting fake model (fast), and the
real bundled MiniLM (slow: it loads the model)."""
from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict

import numpy as np
import pytest

from ltrr import embedding
from ltrr.embedding import Encoder, EncoderError, get_encoder, model_path


class FakeBackend:
    """Deterministic 8-dim "embeddings" from a text's bytes; counts the texts it encodes."""

    name = "fake"
    dim = 8

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.batches: list[int] = []
        self.precisions: list[str] = []

    def encode(self, texts, batch_size, threads, precision):
        self.encoded.extend(texts)
        self.batches.append(len(texts))
        self.precisions.append(precision)
        out = np.array([[(sum(t.encode()) * (i + 1)) % 97 + 1.0 for i in range(8)] for t in texts])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def fake_encoder(cache_size: int = 4, precision: str = "fp32") -> tuple[Encoder, FakeBackend]:
    enc = Encoder.__new__(Encoder)
    model = FakeBackend()
    enc._backend, enc.dim, enc.name, enc.backend = model, 8, "fake", "fake"
    enc.passage_precision = precision
    enc._cache_lock = threading.Lock()
    enc._cache, enc._cache_size = OrderedDict(), cache_size
    enc._draft, enc._draft_lock = False, threading.Lock()
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
    expected = np.stack([model.encode([t], 1, None, 'fp32')[0] for t in texts])
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert model.batches[:4] == [3, 3, 3, 1]
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_passages_use_the_passage_precision_and_queries_fp32():
    enc, model = fake_encoder(precision="int8")
    enc.encode_passages(["a", "b"])
    enc.encode_queries(["c"])
    assert model.precisions == ["int8", "fp32"]
    assert enc.passage_id == "fake/int8"


def test_a_passage_call_may_ask_for_another_precision_and_a_bad_one_is_refused():
    enc, model = fake_encoder()
    enc.encode_passages(["a"], precision="int8")
    enc.encode_passages(["b"])
    assert model.precisions == ["int8", "fp32"]
    with pytest.raises(ValueError, match="precision must be one of"):
        enc.encode_passages(["c"], precision="int4")
    assert enc.draft_precision() is None          # only the onnx backend has a draft precision


# --- choosing a backend --------------------------------------------------------

class FakeTorch(FakeBackend):
    name = "torch"

    def __init__(self, path, device="cpu") -> None:
        super().__init__()


def test_falls_back_to_torch_when_onnxruntime_is_missing(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)        # `import onnxruntime` now raises ImportError
    monkeypatch.setattr(embedding, "_TorchBackend", FakeTorch)
    monkeypatch.delenv("LTRR_ENCODER", raising=False)
    with caplog.at_level("INFO", logger="ltrr.embedding"):
        enc = Encoder(passage_precision="int8")
    assert enc.backend == "torch"
    assert enc.passage_precision == "fp32"                      # int8 needs onnx: downgraded, with a warning
    assert "onnxruntime is not installed" in caplog.text and "int8 passages need" in caplog.text
    assert enc.encode_queries(["x"]).shape == (1, 8)
    with pytest.raises(EncoderError, match="pip install onnxruntime"):
        Encoder(backend="onnx")


def test_falls_back_to_torch_when_the_export_fails(monkeypatch, tmp_path, caplog):
    def broken(path, out):
        out.write_bytes(b"half a model")                        # a crash mid-write
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(embedding, "_export", broken)
    monkeypatch.setattr(embedding, "_TorchBackend", FakeTorch)
    enc = Encoder(backend="auto", cache=tmp_path)
    assert enc.backend == "torch" and "exporter exploded" in caplog.text
    # Nothing half-written is left where the next process would trust it.
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    with pytest.raises(EncoderError, match="exporter exploded"):
        Encoder(backend="onnx", cache=tmp_path)


def test_torch_is_used_when_asked_for(monkeypatch):
    monkeypatch.setattr(embedding, "_TorchBackend", FakeTorch)
    monkeypatch.setenv("LTRR_ENCODER", "torch")
    assert Encoder().backend == "torch"


def test_bad_settings_get_clear_messages(monkeypatch):
    monkeypatch.setattr(embedding, "_TorchBackend", FakeTorch)
    with pytest.raises(ValueError, match="ltrr_encoder must be one of auto, onnx, torch, got 'tensorflow'"):
        Encoder(backend="tensorflow")
    monkeypatch.setenv("LTRR_PASSAGE_PRECISION", "int4")
    with pytest.raises(ValueError, match="ltrr_passage_precision must be one of fp32, int8, got 'int4'"):
        Encoder(backend="torch")
    with pytest.raises(ValueError, match="precision must be one of fp32, int8"):
        embedding.onnx_model(precision="fp16")


def test_weights_hash_follows_the_weights(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights one")
    first = embedding.weights_hash(tmp_path)
    assert len(first) == 16 and first == embedding.weights_hash(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"weights two!")
    assert embedding.weights_hash(tmp_path) != first
    with pytest.raises(EncoderError, match="no weight file"):
        embedding.weights_hash(tmp_path / "..")  # the tmp root holds no weights


def test_cache_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LTRR_CACHE_DIR", str(tmp_path / "c"))
    assert embedding.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("LTRR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert embedding.cache_dir() == tmp_path / "x" / "ltrr"


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


# --- ONNX Runtime against torch, on the real weights --------------------------

SENTENCES = [
    "sad breakup song", "songs for a rainy day", "tayler swift", "90s rap classics",
    "Blinding Lights, by The Weeknd, r&b, energetic",
    "Sad Songs for a Breakup, ltrr, pop. Tears and heartbreak and a much longer description "
    "that pads every other sentence in the batch",
    "Beyoncé — Crazy in Love (Remix) feat. JAY-Z", "ñandú café über straße", "", "a",
]


@pytest.fixture(scope="module")
def export_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("encoder-cache")


@pytest.fixture(scope="module")
def torch_vectors():
    return Encoder(backend="torch").encode_passages(SENTENCES, batch_size=4)


@pytest.mark.slow
def test_onnx_fp32_equals_torch_on_real_sentences(export_cache, torch_vectors):
    enc = Encoder(backend="onnx", cache=export_cache)
    assert enc.backend == "onnx" and enc.dim == 384
    # Queries run on one intra-op thread: predictable latency beside the other arms.
    assert enc._backend._session("fp32", 1).get_session_options().intra_op_num_threads == 1
    one_by_one = enc.encode_queries(SENTENCES)
    batched = enc.encode_passages(SENTENCES, batch_size=4)           # padded batches
    for vectors in (one_by_one, batched):
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert (vectors * torch_vectors).sum(axis=1).min() >= 0.999
    # Exported once, keyed by the weights' hash, with no temporary files left.
    files = sorted(p.name for p in export_cache.rglob("*") if p.is_file())
    assert files == ["model-fp32.onnx"]
    folder = next(export_cache.rglob("model-fp32.onnx")).parent
    assert embedding.weights_hash(model_path()) in folder.name
    stamp = (folder / "model-fp32.onnx").stat().st_mtime_ns
    Encoder(backend="onnx", cache=export_cache)
    assert (folder / "model-fp32.onnx").stat().st_mtime_ns == stamp       # reused, not exported again


@pytest.mark.slow
def test_onnx_int8_passages_are_close_to_fp32(export_cache, torch_vectors):
    enc = Encoder(backend="onnx", passage_precision="int8", cache=export_cache)
    passages = enc.encode_passages(SENTENCES, batch_size=4)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    cos = (passages * torch_vectors).sum(axis=1)
    assert cos.mean() >= 0.97 and cos.min() >= 0.9
    assert not np.allclose(passages, torch_vectors, atol=1e-4)          # it really is another model
    # Queries stay fp32 whatever the passage precision.
    assert (enc.encode_queries(SENTENCES) * torch_vectors).sum(axis=1).min() >= 0.999


@pytest.mark.slow
def test_onnx_fp32_passages_have_an_int8_draft_precision(export_cache, torch_vectors):
    enc = Encoder(backend="onnx", cache=export_cache)
    assert enc.draft_precision() == "int8"
    draft = enc.encode_passages(SENTENCES, batch_size=4, precision="int8")
    cos = (draft * torch_vectors).sum(axis=1)
    assert cos.mean() >= 0.97 and not np.allclose(draft, torch_vectors, atol=1e-4)
    assert enc.passage_id.endswith("/fp32")                             # the index stays fp32
    assert Encoder(backend="onnx", passage_precision="int8", cache=export_cache).draft_precision() is None


@pytest.mark.slow
def test_onnx_encoder_survives_concurrent_queries(export_cache):
    enc = Encoder(backend="onnx", cache=export_cache)
    expected = enc.encode_passages([f"song {i}" for i in range(16)])
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = enc.encode_queries([f"song {i}"])[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(16):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-5)


@pytest.mark.slow
def test_int8_falls_back_to_fp32_when_quantisation_fails(export_cache, monkeypatch, caplog):
    real = embedding.onnx_model

    def no_quantiser(path=None, precision="fp32", cache=None):
        if precision == "int8":
            raise ImportError("No module named 'onnx'")
        return real(path, precision, cache)

    monkeypatch.setattr(embedding, "onnx_model", no_quantiser)
    enc = Encoder(backend="onnx", passage_precision="int8", cache=export_cache)
    assert enc.passage_precision == "fp32" and "No module named 'onnx'" in caplog.text
    assert enc.encode_passages(["a song"]).shape == (1, 384)
