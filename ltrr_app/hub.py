"""One shared set of open engines for every browser session of the app.

The app caches a single :class:`EngineHub` with ``st.cache_resource``; the hub
opens each (catalog, state folder, policy) engine once, under a lock, so two
sessions arriving together during the first index build do not build twice.
Opening happens here, outside the cached function, so the first-start progress
bar is drawn by the session that triggered it and is never replayed.

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
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_engines < 1:
            raise ValueError(f"max_engines must be at least 1, got {max_engines}")
        if idle_s <= 0 or busy_s < 0:
            raise ValueError(f"idle_s must be positive and busy_s not negative, got {idle_s} and {busy_s}")
        self._opener = opener or _default_opener
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
