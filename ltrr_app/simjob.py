"""A simulation that runs in its own thread, so it survives leaving the Simulator page.

A Streamlit script run stops when the user switches pages; a simulation run
inside it would die with it. :class:`SimulationJob` runs
``ltrr.simulate.run_simulation`` (its public signature only) in a daemon
thread, collects the per-step records as they come and exposes a snapshot for
the page to redraw from. Plain Python, no Streamlit: tested alone.

Two settings are the job's own, not the runner's: ``seeds`` (run each in turn,
records tagged with their seed, each seed learning in ``state_root/seed-N``) and
``tune`` (``{"steps", "lam"}``: first tune a fixed baseline on another stream, see
:mod:`ltrr_app.baseline`, and run it in place of :data:`~ltrr_app.baseline.TUNED`; with ``"warm":
True``, every coverage learner of the run also reads that stream's judged searches before its first
search, as the study's warm-started learner does, and is labelled so). The routing table (``route``)
always reads them: it is chosen from them, as in the study.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

Runner = Callable[..., Any]


class _Stopped(Exception):
    """Raised from a progress callback to end a step that has no stop hook of its own (tuning)."""


class SimulationJob:
    """One background simulation: start it, poll it, stop it."""

    def __init__(self, runner: Runner | None = None, tuner: Runner | None = None, **settings: Any) -> None:
        """``settings`` are ``run_simulation``'s arguments (catalog_path, policies, steps, seed, state_root, ...)
        plus the job's own ``seeds`` and ``tune`` (module doc); ``tuner`` defaults to
        :func:`ltrr_app.baseline.tune`."""
        if runner is None:
            from ltrr.simulate import run_simulation as runner   # the engine pulls in every arm
        if tuner is None:
            from ltrr_app.baseline import tune as tuner
        self._runner = runner
        self._tuner = tuner
        self.settings = settings
        seeds = settings.get("seeds") or [settings.get("seed", 0)]
        self.seeds: list[int] = [int(x) for x in seeds]
        self.baseline: Any = None                 # the TunedBaseline, once tuned
        self.results: list[Any] = []              # one result per finished seed
        self.labels: dict[str, str] = {}          # policy spec -> what people read
        self._seed_index = 0
        self._lock = threading.Lock()
        self._records: list[dict] = []
        self._stop = threading.Event()
        self._progress: tuple[int, int, str] = (0, 0, "starting")
        self.result: Any = None
        self.error: str | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------
    def start(self) -> "SimulationJob":
        """Start the run in a daemon thread (once)."""
        if self._thread is not None:
            raise RuntimeError("this simulation was already started")
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="ltrr-simulation", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current step; the records so far are kept."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # --- reading -------------------------------------------------------------
    def records(self) -> pd.DataFrame:
        """The records so far (a copy; safe while the run goes on)."""
        with self._lock:
            rows = list(self._records)
        return pd.DataFrame(rows)

    @property
    def progress(self) -> tuple[int, int, str]:
        return self._progress

    def steps_done(self) -> int:
        """Steps every policy has completed in the seed running now (or the last one)."""
        frame = self.records()
        if frame.empty:
            return 0
        if "seed" in frame:
            frame = frame[frame["seed"] == frame["seed"].iloc[-1]]
        return int(frame.groupby("policy")["step"].max().min())

    @property
    def seed_index(self) -> int:
        """How many seeds have finished."""
        return self._seed_index

    def state_dirs(self) -> dict[str, Path]:
        """Per policy, the state folder it learned in (empty until the run has finished)."""
        dirs = getattr(self.result, "state_dirs", None) or {}
        return {str(k): Path(v) for k, v in dirs.items()}

    # --- the thread ----------------------------------------------------------
    def _on_step(self, policy: str, step: int, record: dict) -> None:
        row = dict(record)
        row["seed"] = self.seeds[min(self._seed_index, len(self.seeds) - 1)]
        with self._lock:
            self._records.append(row)

    def _on_progress(self, done: int, total: int, message: str = "") -> None:
        self._progress = (int(done), int(total), str(message))

    def _tuning_progress(self, done: int, total: int, message: str = "") -> None:
        if self._stop.is_set():
            raise _Stopped()
        self._progress = (int(done), int(total), "tuning the fixed baseline on another stream")

    def _run(self) -> None:
        from ltrr_app.baseline import ROUTE, ROUTE_LABEL, TUNED, TUNE_SEED_OFFSET, warmable

        settings = {k: v for k, v in self.settings.items() if k not in ("seeds", "tune")}
        tune = self.settings.get("tune")
        policies = list(settings.get("policies") or [])
        warm = bool(tune and tune.get("warm")) and any(warmable(p) for p in policies)
        routed = bool(tune) and ROUTE in policies
        try:
            if tune and (TUNED in policies or warm or routed):
                self._progress = (0, int(tune["steps"]), "tuning the fixed baseline on another stream")
                root = Path(settings["state_root"])
                self.baseline = self._tuner(
                    settings["catalog_path"], root / "tuning", steps=int(tune["steps"]),
                    seed=self.seeds[0] + TUNE_SEED_OFFSET, lam=float(tune["lam"]), arms=settings.get("arms"),
                    n_users=int(settings.get("n_users", 100)), retry_share=float(settings.get("retry_share", 0.0)),
                    reformulate_share=float(settings.get("reformulate_share", 0.0)),
                    progress=self._tuning_progress)
                if TUNED in policies:
                    spec = self.baseline.spec
                    policies = list(dict.fromkeys(spec if p == TUNED else p for p in policies))
                    self.labels[spec] = self.baseline.label()
            elif TUNED in policies:
                policies = [p for p in policies if p != TUNED]
            settings["policies"] = policies
            if warm or routed:
                learners = [p for p in policies if warmable(p)] if warm else []
                settings["warm"] = {p: self.baseline.judged for p in [*learners, *([ROUTE] if routed else [])]}
                self.labels.update({p: f"{p}, warm-started" for p in learners})
                if routed:
                    self.labels[ROUTE] = ROUTE_LABEL
            for i, seed in enumerate(self.seeds):
                if self._stop.is_set():
                    break
                self._seed_index = i
                run = dict(settings, seed=seed)
                if len(self.seeds) > 1:
                    run["state_root"] = Path(settings["state_root"]) / f"seed-{seed}"
                result = self._runner(progress=self._on_progress, should_stop=self._stop.is_set,
                                      on_step=self._on_step, **run)
                self.results.append(result)
                if self.result is None:
                    self.result = result      # the first seed's run: the one "Apply" replays
            self._seed_index = len(self.results)
        except _Stopped:
            pass
        except Exception as exc:  # noqa: BLE001 - reported on the page, never lost in a thread
            logging.getLogger("ltrr.app").exception("simulation failed")   # the traceback goes to the log
            self.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
        finally:
            self.finished_at = time.monotonic()
