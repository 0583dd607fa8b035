"""One shared set of open engines for every browser session of the app.

The app caches a single :class:`EngineHub` with ``st.cache_resource``; the hub
opens each (catalog, state folder, policy) engine once, under a lock, so two
sessions arriving together during the first index build do not build twice.
Opening happens here, outside the cached function, so the first-start progress
bar is drawn by the session that triggered it and is never replayed.

Pages open their engine with :meth:`EngineHub.start`, which opens it in a
background thread and hands back an :class:`Opening` to poll: the page draws
its search box first and waits without blocking Streamlit, so a query typed
meanwhile reruns the page (never interrupting the build) and runs once the
engine is open.

This module does not import Streamlit: it is plain Python and tested alone.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ltrr.progress import ProgressFn, silent
from ltrr.state import policy_folder, safe_name

if TYPE_CHECKING:
    from ltrr import Engine

log = logging.getLogger(__name__)


def state_dir_for(state_root: Path, catalog: Path, default_catalog: Path, policy: str) -> Path:
    """Where one policy's learning state lives for one catalog.

    Each policy learns in its own folder so switching policy starts fresh and
    switching back resumes (``data/state/linucb``). Learning is about one
    catalog's entity ids, so a catalog other than the default gets its own
    subtree (``data/state/catalogs/<catalog name>/linucb``).
    """
    folder = policy_folder(policy)
    if Path(catalog).resolve() == Path(default_catalog).resolve():
        return Path(state_root) / folder
    return Path(state_root) / "catalogs" / safe_name(Path(catalog).stem) / folder


@dataclass(frozen=True)
class EngineKey:
    """What identifies one open engine."""

    catalog: str
    state: str
    policy: str


Opener = Callable[..., "Engine"]
Preparer = Callable[[Path, ProgressFn], None]   # makes sure a catalog exists (builds the default one)


def _default_opener(**kwargs) -> "Engine":
    from ltrr import Engine

    return Engine.open(**kwargs)


def _import_engine_modules() -> None:
    """Import what opening an engine imports, in the calling (script) thread.

    The opening thread then imports (almost) nothing of its own; the semantic arm's model still
    loads in its own background thread, as before. CPython 3.11.7 can fail with
    ``SystemError: AST constructor recursion depth mismatch`` when code compiles in one thread
    while another thread parses (Streamlit parses each page script it runs).
    """
    # pandas reads and writes the structured arm's index through these.
    import pyarrow.dataset  # noqa: F401
    import pyarrow.pandas_compat  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import ltrr.bandit.coverage  # noqa: F401  (the default policy's learner, imported when chosen)
    import ltrr.catalog.synthetic  # noqa: F401  (builds the default catalog on a first start)
    import ltrr.config  # noqa: F401
    import ltrr.engine  # noqa: F401
    from ltrr.strategies.registry import arm_class, arm_names

    for name in arm_names():
        arm_class(name)


class Opening:
    """One engine opening in a background thread: its progress, time left, and then engine or error.

    ``report`` is the ``progress(done, total, message)`` sink handed to the opener. Opening an
    engine reports ``Opening arm NAME`` with the arm's position among the arms, then the arm's own
    ``NAME: step`` with that step's done/total; the overall fraction combines the two. The time left
    comes from the pace measured since the first arm began (None before that: building the
    catalog and loading it say nothing about how long the arms take).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self.started = clock()
        self.engine: "Engine | None" = None
        self.error: BaseException | None = None
        self._message = "starting"
        self._step = 0.0          # the current step's own fraction (catalog build, an arm's index)
        self._arm: tuple[int, int, str] | None = None   # (position, count, name) of the arm opening
        self._arms_began: float | None = None
        self._best = 0.0          # the largest fraction reported so far

    def report(self, done: int, total: int, message: str = "") -> None:
        """Record one progress report (called from the opening thread)."""
        with self._lock:
            if message.startswith("Opening arm ") and total > 0:
                if self._arms_began is None:
                    self._arms_began = self._clock()
                self._arm = (int(done), int(total), message[len("Opening arm "):])
                self._step = 0.0
            else:
                self._step = min(1.0, max(0.0, done / total)) if total > 0 else 0.0
            if message == "Ready":
                self._arm = None
            self._message = message or self._message

    def finish(self, engine: "Engine | None", error: BaseException | None) -> None:
        """Record the outcome (called once by the opening thread)."""
        with self._lock:
            self.engine, self.error = engine, error
            self._message = "ready" if error is None else "failed"
        self._finished.set()

    @property
    def done(self) -> bool:
        """True once the engine is open or opening failed."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds; True when done."""
        return self._finished.wait(timeout)

    def fraction(self) -> float:
        """How far the arms have come, 0..1 (0 while the catalog is built and loaded)."""
        with self._lock:
            return self._fraction()

    def _fraction(self) -> float:
        if self.done:
            return 1.0
        if self._arm is None:
            return 1.0 if self._message == "Ready" else 0.0
        position, count, name = self._arm
        # The arm's own steps are reported as "NAME: step"; anything else says nothing about it.
        within = self._step if self._message.startswith(f"{name}: ") else 0.0
        # Never backwards: an arm's second step (indexing after tokenising) starts again from 0.
        self._best = max(self._best, min(1.0, (position + within) / count))
        return self._best

    def message(self) -> str:
        """The latest step, as the opener named it ("Loading catalog", "fuzzy: indexing names")."""
        with self._lock:
            return self._message

    def eta_s(self) -> float | None:
        """Seconds left, from the pace since the first arm began; None while not measurable."""
        with self._lock:
            if self.done:
                return 0.0
            fraction = self._fraction()
            if self._arms_began is None or fraction <= 0.0:
                return None
            elapsed = self._clock() - self._arms_began
            if elapsed <= 0.0:
                return None
            return max(0.0, elapsed * (1.0 - fraction) / fraction)

    def elapsed_s(self) -> float:
        """Seconds since the opening started."""
        return max(0.0, self._clock() - self.started)


class EngineHub:
    """Opens engines once and hands the same (thread-safe) engine to every session.

    Engines are closed when nobody has asked for them in ``idle_s`` seconds,
    and the least recently used are closed when more than ``max_engines`` are
    open, so a playground visited with many catalogs and policies over a week
    holds a bounded number of engines (each holds its arms' indexes and the
    state folder's lock). Every page run asks the hub for its engine, so an
    engine in use is never idle; and an engine asked for in the last
    ``busy_s`` seconds is never closed to make room (the hub then holds more
    than ``max_engines`` for a while rather than pull an engine from under a
    running page). Eviction happens on :meth:`get` and :meth:`evict_idle`.
    """

    def __init__(self, opener: Opener | None = None, prepare: Preparer | None = None, seed: int = 0,
                 max_engines: int = 4, idle_s: float = 30 * 60, busy_s: float = 120,
                 clock: Callable[[], float] = time.monotonic,
                 preload: Callable[[], None] | None = None) -> None:
        if max_engines < 1:
            raise ValueError(f"max_engines must be at least 1, got {max_engines}")
        if idle_s <= 0 or busy_s < 0:
            raise ValueError(f"idle_s must be positive and busy_s not negative, got {idle_s} and {busy_s}")
        self._opener = opener or _default_opener
        # What the opener imports, imported by start() in the caller's thread (see _import_engine_modules).
        self._preload = preload or (_import_engine_modules if opener is None else (lambda: None))
        self._prepare = prepare
        self._seed = seed
        self._max_engines = max_engines
        self._idle_s = float(idle_s)
        self._busy_s = float(busy_s)
        self._clock = clock
        self._lock = threading.Lock()              # guards the maps; held briefly
        self._open_lock = threading.Lock()         # serialises opening engines; held for minutes
        # Least recently used first; value: (engine, last time it was asked for).
        self._engines: OrderedDict[EngineKey, tuple["Engine", float]] = OrderedDict()
        self._claimed: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._openings: dict[EngineKey, Opening] = {}   # engines opening in the background now

    CLAIM_MEMORY = 50_000

    def claim_click(self, response_id: str, entity_id: str) -> bool:
        """True the first time a (response, entity) click is claimed, False ever after.

        A browser can deliver one press of a button twice when a timed fragment
        rerun races the click's rerun; the second delivery must not reach the
        engine as a second click. Kept here, per process, because the two
        deliveries may not see each other's session-state writes.
        """
        key = (str(response_id), str(entity_id))
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed[key] = None
            while len(self._claimed) > self.CLAIM_MEMORY:
                self._claimed.popitem(last=False)
            return True

    def is_open(self, catalog: Path, state: Path, policy: str) -> bool:
        """True when that engine is already open (the caller can skip progress UI)."""
        with self._lock:
            return self._key(catalog, state, policy) in self._engines

    def get(self, catalog: Path, state: Path, policy: str, progress: ProgressFn = silent) -> "Engine":
        """The engine for these settings, opening it (with progress) the first time.

        Closes engines that have gone idle (or are beyond ``max_engines``) on the way.
        """
        key = self._key(catalog, state, policy)
        engine = self._lookup(key)
        if engine is None:
            # One open at a time (a first start builds indexes for minutes); sessions whose
            # engine is already open are served meanwhile, under the short `_lock` only.
            with self._open_lock:
                engine = self._lookup(key)
                if engine is None:
                    if self._prepare is not None:
                        self._prepare(Path(catalog), progress)
                    Path(state).mkdir(parents=True, exist_ok=True)
                    engine = self._opener(catalog=str(catalog), state=str(state), policy=policy,
                                          seed=self._seed, progress=progress)
                    with self._lock:
                        self._touch(key, engine)
        with self._lock:
            evicted = self._pick_evictions(keep=key)
        _close_all(evicted)
        return engine

    def start(self, catalog: Path, state: Path, policy: str) -> Opening:
        """Open that engine in a background thread, once; returns its :class:`Opening` to poll.

        Sessions asking while it opens share the same :class:`Opening`. An engine already open
        comes back as a finished one. A failed opening is tried again by the next ``start``
        (the catalog may have been fixed meanwhile).
        """
        key = self._key(catalog, state, policy)
        engine = self._lookup(key)
        if engine is not None:
            done = Opening(self._clock)
            done.finish(engine, None)
            return done
        with self._lock:
            opening = self._openings.get(key)
            if opening is not None:
                return opening
        self._preload()
        with self._lock:
            opening = self._openings.get(key)
            if opening is not None:        # another session started it while we imported
                return opening
            opening = self._openings[key] = Opening(self._clock)
        threading.Thread(target=self._open_in_background, args=(key, Path(catalog), Path(state), policy, opening),
                         name="ltrr-open-engine", daemon=True).start()
        return opening

    def _open_in_background(self, key: EngineKey, catalog: Path, state: Path, policy: str,
                            opening: Opening) -> None:
        engine, error = None, None
        try:
            engine = self.get(catalog, state, policy, progress=opening.report)
        except Exception as exc:  # noqa: BLE001 - handed to the page, which shows it as one line
            log.exception("opening the engine failed")
            error = exc
        finally:
            with self._lock:
                if self._openings.get(key) is opening:
                    del self._openings[key]
            if engine is None and error is None:   # stopped by something that is no Exception
                error = RuntimeError("opening the engine was interrupted")
            opening.finish(engine, error)

    def _lookup(self, key: EngineKey) -> "Engine | None":
        """The open engine for `key`, marked as just used; None when not open."""
        with self._lock:
            found = self._engines.get(key)
            return None if found is None else self._touch(key, found[0])

    def evict_idle(self) -> list[EngineKey]:
        """Close the engines idle for ``idle_s`` or beyond ``max_engines``; returns their keys."""
        with self._lock:
            evicted = self._pick_evictions(keep=None)
        _close_all(evicted)
        return [key for key, _ in evicted]

    def open_engines(self) -> list[EngineKey]:
        """Keys of the engines open now, least recently used first."""
        with self._lock:
            return list(self._engines)

    def close_catalog(self, catalog: Path) -> int:
        """Close every engine on one catalog (before it is replaced); returns how many."""
        wanted = str(Path(catalog).resolve())
        with self._lock:
            keys = [k for k in self._engines if k.catalog == wanted]
            for key in keys:
                self._engines.pop(key)[0].close()
        return len(keys)

    def close_all(self, wait_s: float = 0.0) -> None:
        """Close every engine (used by tests and on shutdown).

        ``wait_s`` first gives arms still building in the background that long
        to finish: a process that exits while a builder thread is inside torch
        is aborted by the C++ runtime.
        """
        with self._lock:
            while self._engines:
                _, (engine, _) = self._engines.popitem()
                if wait_s > 0 and hasattr(engine, "wait_until_ready"):
                    engine.wait_until_ready(wait_s)
                engine.close()

    def _touch(self, key: EngineKey, engine: "Engine") -> "Engine":
        self._engines[key] = (engine, self._clock())
        self._engines.move_to_end(key)
        return engine

    def _pick_evictions(self, keep: EngineKey | None) -> list[tuple[EngineKey, "Engine"]]:
        """Remove (under the lock) and return the engines to close; closing happens outside it."""
        now = self._clock()
        out = [(key, engine) for key, (engine, used) in self._engines.items()
               if key != keep and now - used >= self._idle_s]
        for key, _ in out:
            del self._engines[key]
        for key, (engine, used) in list(self._engines.items()):     # least recently used first
            if len(self._engines) <= self._max_engines:
                break
            if key != keep and now - used >= self._busy_s:
                del self._engines[key]
                out.append((key, engine))
        return out

    @staticmethod
    def _key(catalog: Path, state: Path, policy: str) -> EngineKey:
        return EngineKey(str(Path(catalog).resolve()), str(Path(state).resolve()), str(policy))


def _close_all(items: list[tuple[EngineKey, "Engine"]]) -> None:
    """Close evicted engines; one failing to close must not keep the others open."""
    for key, engine in items:
        try:
            engine.close()
        except Exception:  # noqa: BLE001 - logged: eviction runs inside some session's page run
            log.exception("closing the idle engine %s failed", key)
