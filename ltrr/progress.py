"""Progress reporting that works the same for the CLI (tqdm), the app
(st.progress, wired in the UI layer) and tests (silent)."""
from __future__ import annotations

import sys
from typing import Callable, Protocol


class Progress(Protocol):
    """Called as ``progress(done, total, message)``; ``total`` may be 0 when unknown."""

    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def silent(done: int, total: int, message: str = "") -> None:
    """A progress sink that reports nothing."""


class TqdmProgress:
    """A progress sink that draws one tqdm bar per distinct message."""

    def __init__(self, stream=None) -> None:
        self._bar = None
        self._message = None
        self._stream = stream or sys.stderr

    def __call__(self, done: int, total: int, message: str = "") -> None:
        from tqdm import tqdm

        if self._bar is None or message != self._message:
            self.close()
            self._bar = tqdm(total=total or None, desc=message, file=self._stream, leave=True)
            self._message = message
        if total and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()
        if total and done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._message = None


ProgressFn = Callable[[int, int, str], None]
