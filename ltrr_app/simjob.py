"""A simulation that runs in its own thread, so it survives leaving the Simulator page.

A Streamlit script run stops when the user switches pages; a simulation run
inside it would die with it. :class:`SimulationJob` runs
``ltrr.simulate.run_simulation`` (its public signature only) in a daemon
thread, collects the per-step records as they come and exposes a snapshot for
the page to redraw from. Plain Python, no Streamlit: tested alone.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

Runner = Callable[..., Any]


class SimulationJob:
    """One background simulation: start it, poll it, stop it."""

    def __init__(self, runner: Runner | None = None, **settings: Any) -> None:
        """``settings`` are ``run_simulation``'s arguments (catalog_path, policies, steps, seed, state_root, ...)."""
        if runner is None:
            from ltrr.simulate import run_simulation as runner   # the engine pulls in every arm
        self._runner = runner
        self.settings = settings
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
        """Steps every policy has completed."""
        frame = self.records()
        if frame.empty:
            return 0
        return int(frame.groupby("policy")["step"].max().min())

    def state_dirs(self) -> dict[str, Path]:
        """Per policy, the state folder it learned in (empty until the run has finished)."""
        dirs = getattr(self.result, "state_dirs", None) or {}
        return {str(k): Path(v) for k, v in dirs.items()}

    # --- the thread ----------------------------------------------------------
    def _on_step(self, policy: str, step: int, record: dict) -> None:
        with self._lock:
            self._records.append(dict(record))

    def _on_progress(self, done: int, total: int, message: str = "") -> None:
        self._progress = (int(done), int(total), str(message))

    def _run(self) -> None:
        try:
            self.result = self._runner(progress=self._on_progress, should_stop=self._stop.is_set,
                                       on_step=self._on_step, **self.settings)
        except Exception as exc:  # noqa: BLE001 - reported on the page, never lost in a thread
            self.error = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
        finally:
            self.finished_at = time.monotonic()
