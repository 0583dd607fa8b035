"""Arms for the lifecycle tests, registered by the tests under ``ltrr.strategies.registry.ARMS``."""
from __future__ import annotations

import threading

from ltrr.query import Query
from ltrr.strategies.base import ArmResources, Candidate, Strategy, ranked


class _Fake(Strategy):
    """Finds "Halo" for any query; remembers the threads it was opened in."""

    slow_to_open = True
    opened_in: list[str] = []

    def __init__(self, catalog) -> None:
        self.catalog = catalog

    @classmethod
    def open(cls, resources: ArmResources) -> "_Fake":
        cls.opened_in.append(threading.current_thread().name)
        return cls(resources.catalog)

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        return ranked([Candidate("track:halo", 1.0)], budget) if query.text else []


class BuiltSlowArm(_Fake):
    """Slow to build, but its index is on disk: opening only loads it."""

    name = "built_slow"
    opened_in: list[str] = []

    @classmethod
    def is_built(cls, catalog) -> bool:
        return True


class UnbuiltSlowArm(_Fake):
    """Slow to build and not built: opening waits for ``release`` (the build), reporting progress."""

    name = "unbuilt_slow"
    opened_in: list[str] = []
    release = threading.Event()

    @classmethod
    def is_built(cls, catalog) -> bool:
        return False

    @classmethod
    def open(cls, resources: ArmResources) -> "_Fake":
        resources.progress(0, 10, "building")
        cls.release.wait(60)
        resources.progress(10, 10, "building")
        return super().open(resources)


class PacedArm(_Fake):
    """Reports a scripted build: ``steps`` of (done, total, message); ``seen`` gets the arm's status
    after each report (through ``watch``, set by the test)."""

    name = "paced"
    slow_to_open = False
    steps: list[tuple[int, int, str]] = []
    watch = None

    @classmethod
    def open(cls, resources: ArmResources) -> "_Fake":
        for done, total, message in cls.steps:
            resources.progress(done, total, message)
            cls.watch()
        return super().open(resources)


class FailingArm(_Fake):
    """Opens at once; every retrieval fails."""

    name = "failing"
    slow_to_open = False

    def retrieve(self, query: Query, budget: int) -> list[Candidate]:
        raise RuntimeError("index on fire")


class PartialArm(_Fake):
    """Serves as soon as it opens while its index is still incomplete (as the semantic arm does on a
    first start); ``finish`` reports the rest of the build through the progress it was opened with."""

    name = "partial"
    slow_to_open = False
    last = None

    @classmethod
    def open(cls, resources: ArmResources) -> "_Fake":
        arm = super().open(resources)
        arm.progress, arm.done = resources.progress, False
        cls.last = arm
        return arm

    def completeness(self) -> dict:
        return {"complete": self.done}

    def finish(self) -> None:
        self.progress(5, 10, "embedding")
        self.done = True
        self.progress(10, 10, "ready")
