"""One hypothesis setting for every generated-input test, and a count of the inputs run.

Derandomised: the same examples on every run, so CI never goes red at
random. The count (printed by this folder's conftest at the end of the
session) is what actually ran; max_examples is only an upper bound. The
issue asks for at least 10,000 generated hostile inputs per CI run.
"""
from __future__ import annotations

import functools

from hypothesis import HealthCheck, settings

HOSTILE = settings(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                   print_blob=True)

GENERATED = {"inputs": 0}


def counted(test):
    """Count each example a hypothesis test runs (apply under ``@given``)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        GENERATED["inputs"] += 1
        return test(*args, **kwargs)

    return run
