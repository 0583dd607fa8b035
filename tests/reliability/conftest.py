"""Prints how many generated hostile inputs the reliability tests ran (see hostile.py)."""
from __future__ import annotations

from tests.reliability.hostile import GENERATED


def pytest_terminal_summary(terminalreporter):
    if GENERATED["inputs"]:
        terminalreporter.write_line(f"reliability: {GENERATED['inputs']:,} generated hostile inputs")
