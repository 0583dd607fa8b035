"""The LTR&R engine: the one public API used by the app, the CLI, the simulator and the tests.

``Engine`` (in :mod:`ltrr.engine.facade`) is the facade; the parts behind it each do one job.
Everything ``ltrr.engine`` exported before it became a package is re-exported here.
"""
from __future__ import annotations

from ltrr.engine.facade import (ARM_HISTORY_LIMIT, CHECKPOINT_EVERY, EXPLAIN_BUDGET, FEEDBACK_ACTIONS, MAX_K,
                                SEARCH_CACHE, Engine, FeedbackResult, Result, SearchResponse)

__all__ = ["Engine", "SearchResponse", "Result", "FeedbackResult", "FEEDBACK_ACTIONS", "MAX_K", "EXPLAIN_BUDGET",
           "ARM_HISTORY_LIMIT", "SEARCH_CACHE", "CHECKPOINT_EVERY"]
