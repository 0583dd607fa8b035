"""One shared set of open engines for every browser session of the app.

The app caches a single :class:`EngineHub` with ``st.cache_resource``; the hub
opens each (catalog, state folder, policy) engine once, under a lock, so two
sessions arriving together during the first index build do not build twice.
Opening happens here, outside the cached function, so the first-start progress
bar is drawn by the session that triggered it and is never replayed.

This module does not import Streamlit: it is plain Python and tested alone.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ltrr.progress import ProgressFn, silent

if TYPE_CHECKING:
    from ltrr import Engine

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def safe_name(text: str) -> str:
    """Turn a user-typed name into a file-safe slug, or raise ValueError.

    Anything that looks like a path is refused rather than quietly slugged, so
    "../../etc" is an error the user sees, not a file called "etc".
    """
    text = str(text)
    if "/" in text or "\\" in text or text.strip().startswith("."):
        raise ValueError(f"“{text[:64]}” looks like a path: use a plain name (letters, digits, '-' or '_')")
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(text).strip().lower()).strip("-_")
    if not _SAFE_NAME.match(slug):
        raise ValueError("use 1-64 letters, digits, '-' or '_' for the name")
    return slug


def policy_folder(policy: str) -> str:
    """A folder name for a policy: ``"static:lexical"`` -> ``"static-lexical"``."""
    return safe_name(policy.replace(":", "-"))


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
    """Opens engines once and hands the same (thread-safe) engine to every session."""

    def __init__(self, opener: Opener | None = None, prepare: Preparer | None = None, seed: int = 0) -> None:
        self._opener = opener or _default_opener
        self._prepare = prepare
        self._seed = seed
        self._lock = threading.Lock()
        self._engines: dict[EngineKey, "Engine"] = {}
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
        return self._key(catalog, state, policy) in self._engines

    def get(self, catalog: Path, state: Path, policy: str, progress: ProgressFn = silent) -> "Engine":
        """The engine for these settings, opening it (with progress) the first time."""
        key = self._key(catalog, state, policy)
        engine = self._engines.get(key)
        if engine is not None:
            return engine
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                if self._prepare is not None:
                    self._prepare(Path(catalog), progress)
                Path(state).mkdir(parents=True, exist_ok=True)
                engine = self._opener(catalog=str(catalog), state=str(state), policy=policy,
                                      seed=self._seed, progress=progress)
                self._engines[key] = engine
        return engine

    def open_engines(self) -> list[EngineKey]:
        """Keys of the engines open now."""
        return list(self._engines)

    def close_catalog(self, catalog: Path) -> int:
        """Close every engine on one catalog (before it is replaced); returns how many."""
        wanted = str(Path(catalog).resolve())
        with self._lock:
            keys = [k for k in self._engines if k.catalog == wanted]
            for key in keys:
                self._engines.pop(key).close()
        return len(keys)

    def close_all(self, wait_s: float = 0.0) -> None:
        """Close every engine (used by tests and on shutdown).

        ``wait_s`` first gives arms still building in the background that long
        to finish: a process that exits while a builder thread is inside torch
        is aborted by the C++ runtime.
        """
        with self._lock:
            while self._engines:
                _, engine = self._engines.popitem()
                if wait_s > 0 and hasattr(engine, "wait_until_ready"):
                    engine.wait_until_ready(wait_s)
                engine.close()

    @staticmethod
    def _key(catalog: Path, state: Path, policy: str) -> EngineKey:
        return EngineKey(str(Path(catalog).resolve()), str(Path(state).resolve()), str(policy))
