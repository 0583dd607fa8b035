"""Stress script (not a test): does the app still hit CPython 3.11.7's
"SystemError: AST constructor recursion depth mismatch" (gh-106905)?

CPython before 3.11.8 counts the depth of ast-object construction in one
counter shared by every thread. When two threads build Python ``ast`` objects
at once and the cyclic collector hands the GIL over in the middle, one of them
raises ``SystemError``. In the app, one thread is a page run (Streamlit's
"magic" calls ``ast.parse`` on the page), the other the background thread
opening the semantic arm (importing torch calls ``ast.parse`` ~90 times:
``inspect.signature`` of builtins and ``torch.jit`` helpers).

This script runs both sides in a loop: thread A compiles every page the way
Streamlit does (``ScriptCache.get_bytecode``, with the repo's
``.streamlit/config.toml``, or with magic forced on), thread B parses like the
torch import does, and cyclic garbage with a ``__del__`` makes the collector
switch threads mid-construction. It prints how many SystemErrors each setting
produced.

    python tests/reliability/ast_race_stress.py [SECONDS_PER_SETTING]
"""
from __future__ import annotations

import ast
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


class _Junk:
    def __del__(self) -> None:
        time.sleep(0)            # lets the GIL go while the collector runs


def _garbage(n: int = 5) -> None:
    for _ in range(n):
        junk = _Junk()
        junk.me = junk           # a cycle: only the collector frees it


def run(magic: bool | None, seconds: float) -> tuple[int, int, int]:
    """(page compiles, torch-like parses, SystemErrors) for one setting; None = the repo's config."""
    from streamlit import config
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    os.chdir(ROOT)                                   # Streamlit reads ./.streamlit/config.toml
    config.get_config_options(force_reparse=True)
    if magic is not None:
        config.set_option("runner.magicEnabled", magic)
    stop = time.monotonic() + seconds
    errors: list[str] = []
    counts = [0, 0]
    torch_like = (ROOT / "ltrr" / "engine.py").read_text()   # a mid-sized module, as torch parses

    def pages() -> None:
        while time.monotonic() < stop:
            _garbage()
            try:
                cache = ScriptCache()                # a fresh cache: every run compiles, as in tests
                for page in PAGES:
                    cache.get_bytecode(str(page))
                    counts[0] += 1
            except SystemError as exc:
                errors.append(str(exc))

    def arm_open() -> None:
        while time.monotonic() < stop:
            _garbage()
            try:
                ast.parse(torch_like)
                counts[1] += 1
            except SystemError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=pages), threading.Thread(target=arm_open)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts[0], counts[1], len(errors)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    print(f"Python {sys.version.split()[0]}, {seconds:.0f} s per setting")
    for label, magic in (("magic forced on (the old config)", True), ("the repo's .streamlit/config.toml", None)):
        compiles, parses, errors = run(magic, seconds)
        print(f"  {label:<36} page compiles {compiles:>5}  torch-like parses {parses:>5}  SystemErrors {errors}", flush=True)


if __name__ == "__main__":
    main()
