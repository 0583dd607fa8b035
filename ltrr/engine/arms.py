"""The arms' lifecycle: which arms an engine has, opening them (slow ones in the background),
their readiness and build progress, and running every ready arm on one query."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any, Callable, Iterable, Mapping, MutableMapping, TypeVar

from ltrr.catalog.store import Catalog
from ltrr.errors import LtrrError
from ltrr.indexfiles import invalidate
from ltrr.progress import ProgressFn, silent
from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Strategy
from ltrr.strategies.cached import CachedStrategy
from ltrr.strategies.registry import arm_class, arm_names

log = logging.getLogger("ltrr.engine")
T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a background arm build when the engine closes."""


class Throughput:
    """The time left of a build, from its measured pace: done/total over the time elapsed since the
    stage began (a stage is one message and total: the embedding, then the vector index). None until
    the stage has made progress; work resumed from an earlier build is not counted as pace."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stage: tuple[str, int] | None = None
        self._start = 0.0
        self._first = 0
        self._done = 0

    def update(self, done: int, total: int, message: str = "") -> float | None:
        """Record ``done`` of ``total``; the estimated seconds left in this stage (None: not measurable)."""
        t = self._clock()
        stage = (message, int(total))
        if stage != self._stage or done < self._done:
            self._stage, self._start, self._first, self._done = stage, t, done, done
            return None
        self._done = done
        made, elapsed = done - self._first, t - self._start
        if total <= 0 or made <= 0 or elapsed <= 0:
            return None
        return max(0.0, (total - done) * elapsed / made)


class SharedArms:
    """What the engines of one process that search the same Catalog object can share: opened
    stateless arms (``Strategy.stateless``) and other read-only structures built from the catalog
    (the feature builder's columns). The simulator opens one engine per policy; each would
    otherwise load every index again (about 140 MB an engine on the shared catalog). A stateless
    arm's list depends on the query alone, so one opened arm serves every engine alike; arms that
    learn (memory) stay each engine's own. An arm that builds on another (``related`` reads the
    lexical arm) reads it through the engine that opened it first: the same shared arm."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Catalog, Any]] = {}
        # Held while something opens: two engines opening at once (background threads) build it once.
        self.lock = threading.RLock()

    def get(self, catalog: Catalog, name: str) -> Any:
        """What was kept as ``name`` for ``catalog`` (the same object) by an engine before, or None."""
        kept = self._kept.get(name)
        return kept[1] if kept is not None and kept[0] is catalog else None

    def put(self, catalog: Catalog, name: str, value: Any) -> None:
        """Keep a read-only ``value`` (an opened stateless arm) for the next engine on ``catalog``."""
        self._kept[name] = (catalog, value)

    def open(self, catalog: Catalog, name: str, opener: Callable[[], T]) -> T:
        """The value kept as ``name`` for ``catalog``, opened with ``opener()`` the first time."""
        with self.lock:
            value = self.get(catalog, name)
            if value is None:
                value = opener()
                self.put(catalog, name, value)
            return value


class ArmSet:
    """The arms of one engine, by name. ``arms`` holds the open ones (the same dict the feature
    builder reads); ``status`` each arm's readiness, progress, message and ``eta_s`` (seconds left
    in the current build stage, from its measured pace; None until measurable, 0 once ready).
    ``shared``: stateless arms opened once for every engine that passes the same pool.
    ``clock`` times the builds (a fake one in tests)."""

    def __init__(self, catalog: Catalog, names: Iterable[str] | None = None, memory: object = None,
                 retrieval_cache: MutableMapping | None = None, clock: Callable[[], float] = time.monotonic,
                 shared: SharedArms | None = None) -> None:
        self.catalog = catalog
        self.names = list(names) if names is not None else arm_names()
        self.index = set(self.names)
        for name in self.names:
            arm_class(name)  # unknown names fail here, before any work
        self.arms: dict[str, Strategy] = {}
        self.status: dict[str, dict] = {a: {"ready": False, "complete": False, "progress": 0.0, "message": "waiting",
                                            "eta_s": None}
                                        for a in self.names}
        self.closing = False
        self._clock = clock
        self._retrieval_cache = retrieval_cache
        self._shared = shared
        self._resources = ArmResources(catalog=catalog, memory=memory, arm=self.related)
        self._builders: list[threading.Thread] = []

    # ------------------------------------------------------------------ opening
    def open(self, progress: ProgressFn, background: bool) -> list[str]:
        """Open every arm now, except (with ``background``) those slow to open that must build their
        index: returned, for :meth:`start_background` once the engine can serve without them. An arm
        whose index is on disk only loads it, here: it is ready when this returns."""
        slow = []
        for i, name in enumerate(self.names):
            if background and self.must_build(name):
                slow.append(name)
                continue
            progress(i, len(self.names), f"Opening arm {name}")
            self.open_arm(name, progress)
        return slow

    def must_build(self, name: str) -> bool:
        """True when the arm is slow to open and its index is not (known to be) fresh on disk: an arm
        may say so with a classmethod ``is_built(catalog)``; one that cannot tell is built."""
        cls = arm_class(name)
        if not cls.slow_to_open:
            return False
        is_built = getattr(cls, "is_built", None)
        if is_built is None:
            return True
        try:
            return not is_built(self.catalog)
        except Exception as exc:  # cannot tell: build in the background, as before
            log.warning("arm %s could not tell whether its index is built (%s)", name, exc)
            return True

    def open_arm(self, name: str, progress: ProgressFn = silent) -> Strategy:
        """Open (build or load) one arm, reporting progress into its status; a corrupt index is
        rebuilt once. Raises :class:`Cancelled` when the engine closes meanwhile."""
        pace = Throughput(self._clock)

        def arm_progress(done: int, total: int, message: str = "") -> None:
            if self.closing:
                raise Cancelled(f"engine closed while opening {name}")
            status = self.status[name]
            status["progress"] = (done / total) if total else 0.0
            status["message"] = message
            status["eta_s"] = pace.update(done, total, message)
            if status["ready"]:
                # An arm that serves before its index is complete goes on reporting until "ready".
                status["complete"] = message == "ready"
            progress(done, total, f"{name}: {message}" if message else name)

        resources = replace(self._resources, progress=arm_progress)
        self.status[name].update(message="opening")
        cls = arm_class(name)
        if self._shared is not None and cls.stateless:
            arm = self._shared.open(self.catalog, f"arm:{name}", lambda: self._open_class(cls, name, resources))
        else:
            arm = self._open_class(cls, name, resources)
        opened = arm
        if self._retrieval_cache is not None and cls.stateless:
            arm = CachedStrategy(arm, self._retrieval_cache)
        self.arms[name] = arm
        self.status[name].update(ready=True, progress=1.0, message="ready", eta_s=0.0)
        # Serving is not complete: an arm may serve a partial index while it finishes (semantic).
        # Read after ready is set, so that a finish reported in between is not lost.
        self.status[name]["complete"] = (bool(opened.completeness()["complete"])
                                         if hasattr(opened, "completeness") else True)
        return arm

    def _open_class(self, cls: type[Strategy], name: str, resources: ArmResources) -> Strategy:
        """``cls.open(resources)``; a corrupt index is forgotten and built again, once."""
        try:
            return cls.open(resources)
        except Cancelled:
            raise
        except Exception as exc:
            # Most often a corrupt or half-written index whose manifest still looked
            # fresh: forget the arm's indexes and build them again, once.
            log.warning("arm %s failed to open (%s); rebuilding its index", name, exc)
            for index in cls.indexes():
                invalidate(self.catalog.index_dir, index)
            return cls.open(resources)

    def start_background(self, names: Iterable[str], on_ready: Callable[[], None] = lambda: None) -> None:
        """Open ``names`` in background threads; ``on_ready`` runs after each one opened."""
        for name in names:
            thread = threading.Thread(target=self._build, args=(name, on_ready), name=f"ltrr-open-{name}",
                                      daemon=True)
            thread.start()
            self._builders.append(thread)

    def _build(self, name: str, on_ready: Callable[[], None]) -> None:
        try:
            self.open_arm(name, silent)
            on_ready()
        except Cancelled:
            self.status[name].update(ready=False, message="cancelled", eta_s=None)
        except Exception as exc:  # keep serving with the other arms
            log.exception("arm %s failed to open", name)
            self.status[name].update(ready=False, message=f"failed: {exc}", eta_s=None)

    def related(self, name: str) -> Strategy:
        """An open arm another arm builds on (the ``related`` arm reads direct matches)."""
        arm = self.arms.get(name)
        if arm is None:
            raise LtrrError(f"arm {name} is not open")
        return arm

    def wait(self, timeout: float | None = None) -> bool:
        """Block until background arms have opened; True when all are ready."""
        for thread in self._builders:
            thread.join(timeout)
        return all(s["ready"] for s in self.status.values())

    def close(self) -> None:
        """Stop background builds at their next progress report and wait for them."""
        # A thread still inside torch at interpreter exit aborts the process.
        self.closing = True
        for thread in self._builders:
            thread.join(timeout=60)

    # ------------------------------------------------------------------ using
    def is_ready(self, name: str) -> bool:
        return bool(self.status[name]["ready"])

    def ready(self) -> list[str]:
        """The arms that can run now, in the engine's order."""
        return [a for a in self.names if self.status[a]["ready"]]

    def report(self) -> dict[str, dict]:
        """A copy of every arm's status (readiness, progress, message)."""
        return {a: dict(s) for a, s in self.status.items()}

    def remembered(self, q: Query) -> int | None:
        """How many entities the memory arm holds for ``q`` itself (None: no memory arm ready, or it
        failed): the probe the bandit's context reads."""
        if "memory" not in self.names or not self.is_ready("memory") or not q.text:
            return None
        try:
            return int(self.arms["memory"].held(q))
        except Exception:
            log.exception("memory probe failed on %r", q.raw)
            return None

    def empty(self, q: Query, known: Mapping[str, int | None] | None = None) -> set[str]:
        """The ready arms whose probe (a ``count(query)`` method; see ``Strategy``) says their list
        for ``q`` is empty; ``known``: probes already read (the memory's, which the
        context also uses). An arm without a probe, or whose probe fails, is never listed."""
        out: set[str] = set()
        for name in self.ready():
            if known is not None and name in known:
                count = known[name]
            else:
                probe = getattr(self.arms[name], "count", None)
                if probe is None or not q.text:
                    continue
                try:
                    count = int(probe(q))
                except Exception:
                    log.exception("%s probe failed on %r", name, q.raw)
                    continue
            if count == 0:
                out.add(name)
        return out

    def lists(self, q: Query, depth: int) -> dict[str, list[str]]:
        """Every ready arm's list of entity ids for ``q``, up to ``depth`` (arms are deterministic);
        an arm that fails is logged and left out: it must not fail feedback or a report."""
        lists: dict[str, list[str]] = {}
        if not q.text:
            return lists
        for arm in self.ready():
            try:
                lists[arm] = [c.entity_id for c in self.arms[arm].retrieve(q, depth)]
            except Exception:
                log.exception("arm %s failed on %r", arm, q.raw)
        return lists
