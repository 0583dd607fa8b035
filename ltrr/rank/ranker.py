"""The learned ranker: click examples in, LightGBM LambdaMART out, heuristic until then.

State folder layout (everything here may come from a user, so nothing is
unpickled and every file is validated on load):

    examples.bin       append-only log of (search_id, features, labels, positions) records
    model-0001.txt ... LightGBM text models, one per adopted training (last 3 kept)
    ranker.json        version, feature names, model file + sha256, last training report
    decisions.jsonl    one line per champion/challenger decision, with its reason

``examples.bin`` is a header followed by records; each record is
``<payload length, crc32>`` then a payload of ``<id length, rows, columns>``,
the search id and the zlib-compressed float32 features, labels and display
positions (0: not in the shown list). Files of the first format (no
positions) are read with positions unknown and rewritten. A crash mid-append
leaves a short or mis-checksummed last record; loading keeps every intact
record before it and cuts the file back to them.

**Learning from clicks without copying the logging ranker.** Training groups
are built by :func:`ltrr.rank.labels.training_set` with the examination curve
the engine estimated from its randomised swaps (:mod:`ltrr.rank.position`):
inverse-propensity weights by default.

**Champion/challenger.** A trained model (the challenger) replaces the ranker
in use (the champion: the previous model, or the heuristic as it actually
ranks) only when it beats it on a *time-ordered* hold-out, the newest
``holdout`` share of clicked searches, by IPS-weighted DCG@10 (:func:`ips_dcg`):
each held-out click counts ``1 / log2(1 + rank the ranker gives it)`` divided
by the examination probability of the position it was clicked at, so a ranker
is not rewarded for copying the ranking that collected the clicks. It must win
on average with a paired z of at least ``adopt_z``. Every decision is appended
to ``decisions.jsonl`` with its numbers and reason.

Thread safety: ``score`` / ``contributions`` read the current booster through
one attribute; ``train`` fits a new booster without any lock and swaps it in
under ``_lock`` (the engine trains in a background thread while searches go on).
"""
from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import re
import struct
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

import lightgbm as lgb
import numpy as np

from ltrr.rank.features import FEATURE_NAMES
from ltrr.rank.heuristic import check_features, heuristic_contributions, heuristic_scores, heuristic_weights
from ltrr.rank.labels import DEBIAS_MODES, MAX_LABEL, Session, training_set
from ltrr.rank.position import PositionBias, prior_bias

log = logging.getLogger(__name__)

EXAMPLES_FILE = "examples.bin"
META_FILE = "ranker.json"
DECISIONS_FILE = "decisions.jsonl"
MODEL_RE = re.compile(r"^model-(\d{4,9})\.txt$")
KEEP_MODELS = 3
MAX_ROWS_PER_SEARCH = 10_000
NDCG_K = 10
MIN_HOLDOUT = 5          # fewest held-out clicked searches a comparison with a model runs on

_MAGIC = b"LTRREX02"                  # records carry display positions
_MAGIC_V1 = b"LTRREX01"               # the first format: no positions
_HEAD = struct.Struct("<II")          # payload length, crc32(payload)
_REC = struct.Struct("<HII")          # search id bytes, rows, columns
_MAX_PAYLOAD = 64 << 20

Scorer = Callable[[np.ndarray], np.ndarray]


def ndcg_at_k(labels: np.ndarray, scores: np.ndarray, k: int = NDCG_K) -> float:
    """NDCG@k of one search, gain 2^label - 1; NaN when no row is relevant.

    Ties in ``scores`` are broken pessimistically (less relevant first), so a
    constant scorer earns no credit from the order rows happened to arrive in.
    """
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    ideal = np.sort(labels)[::-1][:k]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = float(((2.0 ** ideal - 1.0) * discount[: len(ideal)]).sum())
    if idcg <= 0:
        return float("nan")
    order = np.lexsort((labels, -scores))[:k]
    dcg = float(((2.0 ** labels[order] - 1.0) * discount[: len(order)]).sum())
    return dcg / idcg


def mean_ndcg(sessions: list[tuple[np.ndarray, np.ndarray]], scorer, k: int = NDCG_K) -> float:
    """Mean NDCG@k of ``scorer(X)`` over (X, labels) sessions that have a relevant row."""
    values = [ndcg_at_k(y, scorer(X), k) for X, y in sessions]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def ips_dcg(sessions: list[Session], scorer: Scorer, bias: PositionBias, k: int = NDCG_K) -> np.ndarray:
    """Per session, the IPS-weighted DCG@k of ``scorer``'s order of its rows (see the module docstring).

    ``sum over clicked rows of [rank <= k] / log2(1 + rank) / p(logged position)``, ties broken
    pessimistically (clicked rows last). Its mean is unbiased for the DCG of the relevant rows
    under the position-based model, whichever ranking logged the clicks.
    """
    out = np.zeros(len(sessions))
    for i, (X, y, pos) in enumerate(sessions):
        scores = np.asarray(scorer(X), dtype=np.float64)
        order = np.lexsort((y, -scores))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        for row in np.flatnonzero(y > 0):
            if rank[row] <= k:
                out[i] += 1.0 / np.log2(1.0 + rank[row]) / bias.at(int(pos[row]) or None)
    return out


# A session as the ranker keeps it: compressed features, labels, positions, the features' shape.
_Kept = tuple[bytes, np.ndarray, np.ndarray, tuple[int, int]]


def _unpack(kept: _Kept) -> Session:
    """A kept session as the (features, labels, positions) that training reads."""
    data, y, pos, shape = kept
    return np.frombuffer(zlib.decompress(data), dtype=np.float32).reshape(shape), y, pos


def stack_sessions(sessions: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of every session back to back, integer labels and LightGBM group sizes, aligned.

    Rows of one search stay contiguous and ``group[i]`` is the row count of the
    i-th session, which is exactly how LightGBM's ranking objectives read groups.
    """
    if not sessions:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
    X = np.vstack([x for x, _ in sessions]).astype(np.float32)
    y = np.concatenate([np.clip(np.rint(lab), 0, MAX_LABEL) for _, lab in sessions]).astype(np.int32)
    group = np.array([len(lab) for _, lab in sessions], dtype=np.int32)
    return X, y, group


class Ranker:
    """Scores pooled candidates; learns from clicked searches once there are enough.

    ``min_sessions``: searches with at least one click needed before the first
    training. ``retrain_every``: new examples between trainings. ``seed`` pins
    LightGBM. ``holdout``: the newest share of clicked sessions held out for
    the champion/challenger comparison (module docstring); ``adopt_z``: the
    paired z the challenger's IPS-DCG gain must reach (and the gain must be
    positive). ``debias``: how clicks become training groups
    (:mod:`ltrr.rank.labels`). An adopted model is refitted on every session
    before it is saved. ``max_sessions``: most recent searches kept in memory.
    """

    def __init__(self, state_dir: str | Path, min_sessions: int = 30, retrain_every: int = 50, seed: int = 0,
                 holdout: float = 0.2, adopt_z: float = 1.0, max_sessions: int = 20_000,
                 debias: str = "ips") -> None:
        if min_sessions < 2:
            raise ValueError("min_sessions must be at least 2 (one to train on, one to hold out)")
        if retrain_every < 1:
            raise ValueError("retrain_every must be at least 1")
        if not 0.0 < holdout < 1.0:
            raise ValueError("holdout must be a fraction strictly between 0 and 1")
        if debias not in DEBIAS_MODES:
            raise ValueError(f"unknown debias mode {debias!r}; choose one of {', '.join(DEBIAS_MODES)}")
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.min_sessions = int(min_sessions)
        self.retrain_every = int(retrain_every)
        self.seed = int(seed)
        self.holdout = float(holdout)
        self.adopt_z = float(adopt_z)
        self.max_sessions = int(max_sessions)
        self.debias = debias
        self.position_bias: PositionBias = prior_bias()
        self._lock = threading.RLock()
        self._train_lock = threading.Lock()
        self._generation = 0                  # bumped by reset(); a training started before it is discarded
        # Per search: its feature matrix zlib-compressed (the bulk of a session, and kept for up
        # to max_sessions searches; decompressed only to train), its labels and positions.
        self._sessions: dict[str, _Kept] = {}
        self._n_records = 0
        self._n_positive = 0                  # sessions with a positive label, kept by _remember
        self._examples_at_train = 0
        self._booster: lgb.Booster | None = None
        self._trained_through: str | None = None   # newest session the model in use was trained on
        self._version = 0
        self._report: dict | None = None
        self._load()

    # -- public state -----------------------------------------------------------------
    @property
    def is_trained(self) -> bool:
        """True when a LightGBM model (not the heuristic) scores candidates."""
        return self._booster is not None

    @property
    def version(self) -> int:
        """The model version in use (model-0003.txt -> 3); 0 while the heuristic ranks."""
        return self._version

    @property
    def label(self) -> str:
        """What ranks now: ``"lightgbm vN"`` or ``"heuristic"``."""
        return f"lightgbm v{self._version}" if self._booster is not None else "heuristic"

    @property
    def report(self) -> dict | None:
        """The last training's report (also when its model was not adopted), or None."""
        return dict(self._report) if self._report else None

    @property
    def n_examples(self) -> int:
        """Example records added so far (a search clicked twice counts twice)."""
        return self._n_records

    @property
    def n_sessions(self) -> int:
        """Distinct searches held with at least one positive label (what training can use)."""
        return self._n_positive

    def set_position_bias(self, bias: PositionBias) -> None:
        """The examination curve used by the next training and comparison (the engine's estimate)."""
        self.position_bias = bias

    def decisions(self, limit: int | None = None) -> list[dict]:
        """Champion/challenger decisions, oldest first (the last ``limit`` when given)."""
        path = self.state_dir / DECISIONS_FILE
        try:
            lines = path.read_text().splitlines()
        except (FileNotFoundError, UnicodeDecodeError):
            return []
        out = []
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:          # a torn last line after a crash
                continue
            if isinstance(item, dict):
                out.append(item)
        return out[-int(limit):] if limit else out

    # -- examples -----------------------------------------------------------------------
    def add_example(self, search_id: str, X: np.ndarray, labels: np.ndarray,
                    positions: np.ndarray | None = None) -> None:
        """Record one shown search: its candidates' features, labels (1 clicked, 0 not; graded
        allowed) and display positions (1-based, 0 when the row was not in the shown list;
        omitted: all unknown).

        LambdaMART reads labels as integer relevance grades, so they are rounded
        (0..30) when training. Appended (and fsynced) to ``examples.bin``. A second call with the same
        ``search_id`` and the same rows merges labels by maximum (a second click
        on the same results page); with different rows it replaces the first.
        """
        sid, X, y, pos = _check_example(search_id, X, labels, positions)
        record = _encode_record(sid, X, y, pos)
        with self._lock:
            path = self.state_dir / EXAMPLES_FILE
            if not path.exists():
                _write_header(path)
            with open(path, "ab") as fh:
                fh.write(record)
                fh.flush()
                os.fsync(fh.fileno())
            self._remember(sid, X, y, pos)
            self._n_records += 1

    def should_retrain(self) -> bool:
        """True once ``min_sessions`` clicked searches exist and, after a first training,
        every ``retrain_every`` new examples."""
        with self._lock:
            if self.n_sessions < self.min_sessions:
                return False
            if self._report is None:
                return True
            return self._n_records - self._examples_at_train >= self.retrain_every

    # -- scoring ------------------------------------------------------------------------
    def score(self, X: np.ndarray, arm_weights: Mapping[str, float] | None = None) -> np.ndarray:
        """Higher is better, shape (n,): the model's scores if trained, else the heuristic's.

        ``arm_weights`` only affects the heuristic (the engine passes none: fixed weights).
        """
        X = check_features(X)
        booster = self._booster
        if booster is None or len(X) == 0:
            return heuristic_scores(X, arm_weights)
        return np.asarray(booster.predict(X, num_threads=1), dtype=np.float64)

    def heuristic_score(self, X: np.ndarray) -> np.ndarray:
        """The heuristic's scores whatever is trained (the interleaving contender)."""
        return heuristic_scores(check_features(X))

    def contributions(self, X: np.ndarray, arm_weights: Mapping[str, float] | None = None) -> np.ndarray:
        """Why each row scored what it did: shape (n, n_features + 1), last column the bias.

        Rows sum to ``score(X)``: SHAP values (``pred_contrib``) for the model,
        coefficient x value for the heuristic.
        """
        X = check_features(X)
        booster = self._booster
        if booster is None or len(X) == 0:
            return heuristic_contributions(X, arm_weights)
        return np.asarray(booster.predict(X, pred_contrib=True, num_threads=1), dtype=np.float64)

    def feature_importances(self) -> dict[str, float]:
        """Total gain per feature for the model; the heuristic's |coefficients| while untrained."""
        booster = self._booster
        if booster is None:
            return dict(zip(FEATURE_NAMES, np.abs(heuristic_weights()).tolist()))
        gains = booster.feature_importance(importance_type="gain")
        return {name: float(g) for name, g in zip(FEATURE_NAMES, gains)}

    # -- training -----------------------------------------------------------------------
    def train(self) -> dict:
        """Fit a challenger on the older clicked searches, compare it with the champion on the
        newest ones, adopt it only when it wins (module docstring); log the decision.

        Returns the report: n_sessions, n_train, n_holdout, n_rows, debias, metric,
        champion, value_champion, value_challenger, gain, z, adopted, reason,
        version, trained_at, seconds; ``reason`` alone (with adopted False)
        when nothing was trained. Safe to call from a background thread.
        """
        with self._train_lock:
            with self._lock:
                generation = self._generation
                n_records = self._n_records
                sids = [sid for sid, s in self._sessions.items() if _is_positive(s[1])]
                kept = [self._sessions[sid] for sid in sids]
                champion_booster = self._booster
                champion = self.label
                through = self._trained_through
                bias = self.position_bias
            sessions = [_unpack(k) for k in kept]
            if len(sessions) < self.min_sessions:
                return self._not_trained(len(sessions), f"{len(sessions)} clicked searches; "
                                                        f"training needs {self.min_sessions}")
            started = time.perf_counter()
            # Time order: sessions are held in arrival order, the newest are held out; never
            # sessions the champion model was trained on (that would flatter it).
            n_hold = min(len(sessions) - 1, max(1, int(round(len(sessions) * self.holdout))))
            if champion_booster is not None and through in sids:
                n_new = len(sids) - 1 - sids.index(through)
                if n_new < MIN_HOLDOUT:
                    return self._not_trained(len(sessions), f"{n_new} clicked searches since {champion} was "
                                                            f"trained; the comparison needs {MIN_HOLDOUT}")
                n_hold = min(n_hold, n_new) if n_hold >= MIN_HOLDOUT else min(MIN_HOLDOUT, n_new)
            fit_on, held = sessions[:-n_hold], sessions[-n_hold:]
            candidate = self._fit(fit_on, bias)
            champion_scorer: Scorer = (heuristic_scores if champion_booster is None
                                       else (lambda X: champion_booster.predict(X, num_threads=1)))
            v_champion = ips_dcg(held, champion_scorer, bias)
            v_challenger = ips_dcg(held, lambda X: candidate.predict(X, num_threads=1), bias)
            diff = v_challenger - v_champion
            gain = float(diff.mean())
            se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
            z = gain / se if se > 0 else (float("inf") if gain > 0 else 0.0)
            adopted = bool(gain > 0 and z >= self.adopt_z)
            if adopted:
                reason = (f"challenger beats {champion} on the newest {len(held)} clicked searches: "
                          f"IPS-DCG@{NDCG_K} {v_challenger.mean():.4f} vs {v_champion.mean():.4f} (z = {z:.2f})")
            elif gain <= 0:
                reason = (f"challenger does not beat {champion}: IPS-DCG@{NDCG_K} {v_challenger.mean():.4f} "
                          f"vs {v_champion.mean():.4f} on the newest {len(held)} clicked searches")
            else:
                reason = (f"challenger ahead of {champion} by {gain:.4f} IPS-DCG@{NDCG_K} but not clearly "
                          f"(z = {z:.2f} < {self.adopt_z})")
            final = self._fit(sessions, bias) if adopted else None
            report = {
                "n_sessions": len(sessions), "n_train": len(fit_on), "n_holdout": len(held),
                "n_rows": int(sum(len(s[1]) for s in sessions)), "debias": self.debias,
                "position_bias": bias.source, "eta": round(bias.eta, 4),
                "metric": f"ips_dcg@{NDCG_K}", "champion": champion,
                "value_champion": round(float(v_champion.mean()), 6),
                "value_challenger": round(float(v_challenger.mean()), 6),
                "gain": round(gain, 6), "z": round(z, 3) if np.isfinite(z) else None,
                "adopted": adopted, "reason": reason, "trained_at": _now(),
                "seconds": round(time.perf_counter() - started, 3),
            }
            with self._lock:
                if generation != self._generation:        # reset() ran meanwhile: this model is void
                    return self._not_trained(0, "reset during training")
                if final is not None:
                    self._version = self._next_version()
                    model_file = f"model-{self._version:04d}.txt"
                    _atomic_write(self.state_dir / model_file, final.model_to_string().encode())
                    self._booster = final
                    self._trained_through = sids[-1]
                    self._prune_models()
                report["version"] = self._version
                report["decision"] = report.pop("reason")
                self._report = report
                self._examples_at_train = n_records
                self._save_meta()
                self._log_decision(report)
            return dict(report)

    def _fit(self, sessions: list[Session], bias: PositionBias | None = None) -> lgb.Booster:
        data = training_set(sessions, (bias or self.position_bias).at, self.debias)
        params = {
            "objective": "lambdarank", "num_leaves": 15, "min_data_in_leaf": 5, "learning_rate": 0.1,
            "seed": self.seed, "num_threads": 1, "deterministic": True, "force_col_wise": True, "verbose": -1,
        }
        if data.position is not None:
            params["lambdarank_position_bias_regularization"] = 0.5
        dataset = lgb.Dataset(data.X, data.y, group=data.group, weight=data.weight, position=data.position,
                              feature_name=list(FEATURE_NAMES), free_raw_data=True)
        return lgb.train(params, dataset, num_boost_round=100)

    def _log_decision(self, report: dict) -> None:
        line = json.dumps({k: report.get(k) for k in (
            "trained_at", "champion", "version", "adopted", "decision", "metric", "value_champion",
            "value_challenger", "gain", "z", "n_train", "n_holdout", "debias", "position_bias", "eta")})
        with open(self.state_dir / DECISIONS_FILE, "a") as fh:
            fh.write(line + "\n")

    def _not_trained(self, n_sessions: int, reason: str) -> dict:
        return {"n_sessions": n_sessions, "adopted": False, "version": self._version, "trained_at": None,
                "reason": reason}

    # -- reset --------------------------------------------------------------------------
    def void_training(self) -> None:
        """Make a training under way end without adopting or writing anything: its folder is
        about to be moved or emptied (a training's writes all happen under the lock, after it
        checks the generation this bumps)."""
        with self._lock:
            self._generation += 1

    def reset(self) -> None:
        """Forget every example, model and decision (files included); the heuristic ranks again."""
        with self._lock:
            self.void_training()
            for path in self.state_dir.iterdir():
                if (path.name in (EXAMPLES_FILE, META_FILE, DECISIONS_FILE) or MODEL_RE.match(path.name)
                        or path.name.endswith(".tmp")):
                    path.unlink(missing_ok=True)
            self._sessions.clear()
            self._n_positive = 0
            self._n_records = 0
            self._examples_at_train = 0
            self._booster = None
            self._trained_through = None
            self._version = 0
            self._report = None

    # -- persistence --------------------------------------------------------------------
    def _remember(self, sid: str, X: np.ndarray, y: np.ndarray, pos: np.ndarray) -> None:
        old = self._sessions.pop(sid, None)
        if old is not None:
            self._n_positive -= _is_positive(old[1])
            if old[3] == X.shape:
                y = np.maximum(old[1], y)
        X = np.ascontiguousarray(X, dtype=np.float32)
        self._sessions[sid] = (zlib.compress(X.tobytes(), 1), y, pos, X.shape)
        self._n_positive += _is_positive(y)
        while len(self._sessions) > self.max_sessions:      # oldest first: dicts keep insertion order
            _, dropped = self._pop_oldest()
            self._n_positive -= _is_positive(dropped[1])

    def example(self, search_id: str) -> Session | None:
        """The training example kept for one search: (features, labels, positions), or None."""
        with self._lock:
            kept = self._sessions.get(search_id)
        return None if kept is None else _unpack(kept)

    def examples(self) -> dict[str, Session]:
        """Every kept training example by search id, oldest first (for reports and tests)."""
        with self._lock:
            kept = list(self._sessions.items())
        return {sid: _unpack(k) for sid, k in kept}

    def _pop_oldest(self) -> tuple[str, "_Kept"]:
        sid = next(iter(self._sessions))
        return sid, self._sessions.pop(sid)

    def _load(self) -> None:
        for sid, X, y, pos in _read_examples(self.state_dir / EXAMPLES_FILE):
            self._remember(sid, X, y, pos)
            self._n_records += 1
        meta = _read_meta(self.state_dir / META_FILE)
        self._examples_at_train = min(meta.get("examples_at_train", 0), self._n_records)
        self._report = meta.get("report")
        model_file = meta.get("model_file")
        if model_file:
            booster = self._load_model(model_file, meta)
            if booster is not None:
                self._booster, self._version = booster, meta["version"]
                self._trained_through = meta.get("trained_through")
            else:
                self._report = None

    def _load_model(self, model_file: str, meta: dict) -> lgb.Booster | None:
        """The saved booster, or None (with a warning) when it is stale, missing or corrupt."""
        path = self.state_dir / model_file
        if meta.get("feature_names") != FEATURE_NAMES:
            log.warning("ignoring ranker model %s: it was trained on other features; using the heuristic", path)
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("ignoring ranker model %s: %s; using the heuristic", path, exc)
            return None
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            log.warning("ignoring ranker model %s: its checksum does not match ranker.json; using the heuristic", path)
            return None
        try:
            # A file LightGBM cannot parse also makes its C++ core print one "[Fatal]" line to stderr.
            booster = lgb.Booster(model_str=data.decode())
        except (lgb.basic.LightGBMError, UnicodeDecodeError, ValueError) as exc:
            log.warning("ignoring ranker model %s: LightGBM cannot read it (%s); using the heuristic", path, exc)
            return None
        if booster.feature_name() != FEATURE_NAMES:
            log.warning("ignoring ranker model %s: its feature names differ; using the heuristic", path)
            return None
        return booster

    def _save_meta(self) -> None:
        meta: dict = {"format": 1, "version": self._version, "feature_names": list(FEATURE_NAMES),
                      "examples_at_train": self._examples_at_train, "report": self._report,
                      "trained_through": self._trained_through,
                      "model_file": None, "sha256": None,
                      "params": {"min_sessions": self.min_sessions, "retrain_every": self.retrain_every,
                                 "seed": self.seed}}
        if self._version:
            model_file = f"model-{self._version:04d}.txt"
            meta["model_file"] = model_file
            meta["sha256"] = hashlib.sha256((self.state_dir / model_file).read_bytes()).hexdigest()
        _atomic_write(self.state_dir / META_FILE, json.dumps(meta, indent=1).encode())

    def _next_version(self) -> int:
        numbers = [int(m.group(1)) for p in self.state_dir.iterdir() if (m := MODEL_RE.match(p.name))]
        return max([self._version, *numbers]) + 1

    def _prune_models(self) -> None:
        for path in self.state_dir.iterdir():
            m = MODEL_RE.match(path.name)
            if m and int(m.group(1)) <= self._version - KEEP_MODELS:
                path.unlink(missing_ok=True)


# -- the example log -------------------------------------------------------------------
def _is_positive(labels: np.ndarray) -> bool:
    """A search training can use: at least one row was clicked."""
    return bool(labels.max(initial=0) > 0)


def _check_example(search_id: str, X: np.ndarray, labels: np.ndarray,
                   positions: np.ndarray | None = None) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(search_id, str) or not search_id or len(search_id.encode()) > 0xFFFF:
        raise ValueError("search_id must be a non-empty string of at most 65535 bytes")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(labels, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES) or not 1 <= X.shape[0] <= MAX_ROWS_PER_SEARCH:
        raise ValueError(f"features must have shape (n, {len(FEATURE_NAMES)}) with 1 <= n <= "
                         f"{MAX_ROWS_PER_SEARCH}; got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},) to match the features; got {y.shape}")
    if not np.all(np.isfinite(y)) or (y < 0).any() or (y > MAX_LABEL).any():
        raise ValueError(f"labels must be finite numbers between 0 and {MAX_LABEL}")
    pos = np.zeros(X.shape[0], np.float32) if positions is None else np.asarray(positions, dtype=np.float32)
    if pos.shape != (X.shape[0],) or not np.all(np.isfinite(pos)) or (pos < 0).any() or (pos != np.rint(pos)).any():
        raise ValueError(f"positions must be {X.shape[0]} whole numbers >= 0 (1-based display rank, 0 = not shown)")
    return search_id, np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0), y, pos


def _encode_record(sid: str, X: np.ndarray, y: np.ndarray, pos: np.ndarray) -> bytes:
    sid_bytes = sid.encode()
    body = zlib.compress(b"".join(np.ascontiguousarray(a, "<f4").tobytes() for a in (X, y, pos)), 1)
    payload = _REC.pack(len(sid_bytes), X.shape[0], X.shape[1]) + sid_bytes + body
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def _write_header(path: Path, names: list[str] = FEATURE_NAMES) -> None:
    names_json = json.dumps(list(names)).encode()
    with open(path, "wb") as fh:
        fh.write(_MAGIC + _HEAD.pack(len(names_json), zlib.crc32(names_json)) + names_json)
        fh.flush()
        os.fsync(fh.fileno())


Record = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def _read_examples(path: Path) -> Iterator[Record]:
    """Every intact record, one at a time: the file is mapped, not read whole, and each record is
    decompressed only when its turn comes, so that opening holds one record besides what the
    ranker keeps (at most ``max_sessions``), however long the file has grown. A damaged tail is
    cut off, a file written for other features or in the first format is rewritten (columns mapped
    by name, new features 0; positions unknown), an unreadable one is moved aside."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    damaged: list[int] = []          # where a damaged record starts (cut once the file is unmapped)
    names: list[str] | None = None
    records: list[Record] | None = None   # a file in another layout: read whole, then rewritten
    with fh:
        size = os.fstat(fh.fileno()).st_size
        # An empty file cannot be mapped; the header check refuses it anyway.
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            names, offset, version = _parse_header(data)
            if names is not None:
                intact = _records(path, data, offset, names, version, damaged)
                if names == FEATURE_NAMES and version == 2:
                    yield from intact
                else:
                    records = list(intact)      # rewritten below: the file's records in another layout
        finally:
            if isinstance(data, mmap.mmap):
                data.close()
    if names is None:
        _move_aside(path)
    elif damaged:
        _truncate(path, damaged[0])
    if names is not None and records is not None:
        _rewrite(path, names, records)
        yield from records


def _records(path: Path, data, offset: int, names: list[str], version: int, damaged: list[int]) -> Iterator[Record]:
    """The records of ``data`` from ``offset``, in file order; a damaged one ends them (its offset
    is appended to ``damaged``)."""
    n = 0
    while offset < len(data):
        parsed = _parse_record(data, offset, len(names), with_positions=version == 2)
        if parsed is None:
            log.warning("%s: damaged record at byte %d; keeping the %d intact records before it", path, offset, n)
            damaged.append(offset)
            return
        sid, X, y, pos, offset = parsed
        n += 1
        yield sid, X, y, pos


def _move_aside(path: Path) -> None:
    """An examples file with no valid header: kept aside under another name, not loaded."""
    aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
    log.warning("%s has no valid header; moving it to %s and starting with no examples", path, aside.name)
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("could not move %s aside: %s", path, exc)


def _rewrite(path: Path, names: list[str], records: list[Record]) -> None:
    """Rewrite a file of other features or of the first format for the current features, in place
    (``records`` are mapped by feature name here)."""
    records[:] = [(sid, _remap(X, names), y, pos) for sid, X, y, pos in records]
    log.warning("%s was written for other features or in an older format; its %d records were "
                "mapped by feature name", path, len(records))
    try:
        tmp = path.with_name(path.name + ".tmp")
        _write_header(tmp)
        with open(tmp, "ab") as fh:
            fh.write(b"".join(_encode_record(*record) for record in records))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not rewrite %s for the current features: %s", path, exc)


def _truncate(path: Path, offset: int) -> None:
    """Cut a damaged tail so that the next append follows the last intact record."""
    try:
        with open(path, "r+b") as fh:
            fh.truncate(offset)
    except OSError as exc:
        log.warning("could not cut the damaged tail of %s: %s", path, exc)


def _parse_header(data: bytes) -> tuple[list[str] | None, int, int]:
    """(feature names, offset of the first record, format version 1 or 2); names None when invalid."""
    start = len(_MAGIC) + _HEAD.size
    magic = data[: len(_MAGIC)]
    if len(data) < start or magic not in (_MAGIC, _MAGIC_V1):
        return None, 0, 0
    version = 2 if magic == _MAGIC else 1
    size, crc = _HEAD.unpack_from(data, len(_MAGIC))
    raw = data[start: start + size]
    if len(raw) != size or zlib.crc32(raw) != crc:
        return None, 0, 0
    try:
        names = json.loads(raw)
    except ValueError:
        return None, 0, 0
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return None, 0, 0
    return names, start + size, version


def _parse_record(data: bytes, offset: int, n_cols: int, with_positions: bool = True):
    """(search_id, X, labels, positions, next offset), or None when the record is short or damaged."""
    if offset + _HEAD.size > len(data):
        return None
    size, crc = _HEAD.unpack_from(data, offset)
    start = offset + _HEAD.size
    payload = data[start: start + size]
    if size > _MAX_PAYLOAD or len(payload) != size or zlib.crc32(payload) != crc or size < _REC.size:
        return None
    sid_len, n_rows, cols = _REC.unpack_from(payload)
    if cols != n_cols or not 1 <= n_rows <= MAX_ROWS_PER_SEARCH:
        return None
    expected = 4 * n_rows * (cols + 1 + int(with_positions))
    try:
        sid = payload[_REC.size: _REC.size + sid_len].decode()
        # max_length bounds the output: a crafted record cannot decompress into gigabytes.
        inflater = zlib.decompressobj()
        body = inflater.decompress(payload[_REC.size + sid_len:], expected)
    except (UnicodeDecodeError, zlib.error):
        return None
    if len(body) != expected or inflater.unconsumed_tail or not sid:
        return None
    values = np.frombuffer(body, dtype="<f4")
    X = values[: n_rows * cols].reshape(n_rows, cols).astype(np.float32)
    y = values[n_rows * cols: n_rows * (cols + 1)].astype(np.float32)
    pos = values[n_rows * (cols + 1):].astype(np.float32) if with_positions else np.zeros(n_rows, np.float32)
    if not all(np.all(np.isfinite(a)) for a in (X, y, pos)) or (y < 0).any() or (pos < 0).any():
        return None
    return sid, X, y, pos, start + size


def _remap(X: np.ndarray, names: list[str]) -> np.ndarray:
    """Columns of X (named ``names``) placed in FEATURE_NAMES order; unknown ones dropped, new ones 0."""
    out = np.zeros((X.shape[0], len(FEATURE_NAMES)), dtype=np.float32)
    index = {n: i for i, n in enumerate(names)}
    for j, name in enumerate(FEATURE_NAMES):
        if name in index:
            out[:, j] = X[:, index[name]]
    return out


def _read_meta(path: Path) -> dict:
    """ranker.json validated field by field; anything unusable is dropped with a warning."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s; using the heuristic", path, exc)
        return {}
    if not isinstance(raw, dict):
        log.warning("ignoring %s: not a JSON object; using the heuristic", path)
        return {}
    meta: dict = {}
    if isinstance(raw.get("examples_at_train"), int) and raw["examples_at_train"] >= 0:
        meta["examples_at_train"] = raw["examples_at_train"]
    if isinstance(raw.get("report"), dict):
        meta["report"] = raw["report"]
    model_file, version = raw.get("model_file"), raw.get("version")
    if model_file is not None:
        match = MODEL_RE.match(model_file) if isinstance(model_file, str) else None
        if not match or not isinstance(version, int) or int(match.group(1)) != version:
            log.warning("ignoring %s: model_file %r is not a model of this folder", path, model_file)
        else:
            through = raw.get("trained_through")
            meta["trained_through"] = through if isinstance(through, str) else None
            meta.update(model_file=model_file, version=version, sha256=raw.get("sha256"),
                        feature_names=raw.get("feature_names"))
    return meta


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
