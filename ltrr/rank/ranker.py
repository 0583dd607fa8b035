"""The learned ranker: click examples in, LightGBM LambdaMART out, heuristic until then.

State folder layout (everything here may come from a user, so nothing is
unpickled and every file is validated on load):

    examples.bin       append-only log of (search_id, features, labels, positions) records
    model-0001.txt ... LightGBM text models, one per adopted training (last 3 kept)
    ranker.json        version, feature names, model file + sha256, last training report
    decisions.jsonl    one line per champion/challenger decision, with its reason

``examples.bin``'s record format and its crash-safe reading: :mod:`ltrr.rank.examples_file`.

**Learning from clicks without copying the logging ranker.** Training groups
are built by :func:`ltrr.rank.labels.training_set` with the examination curve
the engine estimated from its randomised swaps (:mod:`ltrr.rank.position`):
inverse-propensity weights by default.

**Champion/challenger.** A trained model (the challenger) replaces the ranker
in use (the champion: the previous model, or the heuristic as it actually
ranks) only when it beats it on a *time-ordered* hold-out, the newest
``holdout`` share of clicked searches, by IPS-weighted DCG@10 (:func:`ltrr.rank.metrics.ips_dcg`):
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
import os
import re
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import lightgbm as lgb
import numpy as np

from ltrr.rank.examples_file import check_example, encode_record, read_examples, write_header
from ltrr.rank.features import FEATURE_NAMES
from ltrr.rank.heuristic import check_features, heuristic_contributions, heuristic_scores, heuristic_weights
from ltrr.rank.labels import DEBIAS_MODES, Session, training_set
from ltrr.rank.metrics import NDCG_K, Scorer, ips_dcg
from ltrr.rank.position import PositionBias, prior_bias

log = logging.getLogger(__name__)

EXAMPLES_FILE = "examples.bin"
META_FILE = "ranker.json"
DECISIONS_FILE = "decisions.jsonl"
MODEL_RE = re.compile(r"^model-(\d{4,9})\.txt$")
KEEP_MODELS = 3
MIN_HOLDOUT = 5          # fewest held-out clicked searches a comparison with a model runs on


# A session as the ranker keeps it: compressed features, labels, positions, the features' shape.
_Kept = tuple[bytes, np.ndarray, np.ndarray, tuple[int, int]]


def _unpack(kept: _Kept) -> Session:
    """A kept session as the (features, labels, positions) that training reads."""
    data, y, pos, shape = kept
    return np.frombuffer(zlib.decompress(data), dtype=np.float32).reshape(shape), y, pos


def _is_positive(labels: np.ndarray) -> bool:
    """A search training can use: at least one row was clicked."""
    return bool(labels.max(initial=0) > 0)


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
        sid, X, y, pos = check_example(search_id, X, labels, positions)
        record = encode_record(sid, X, y, pos)
        with self._lock:
            path = self.state_dir / EXAMPLES_FILE
            if not path.exists():
                write_header(path)
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
        for sid, X, y, pos in read_examples(self.state_dir / EXAMPLES_FILE):
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


# -- the state folder's other files --------------------------------------------------
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
