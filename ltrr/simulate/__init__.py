"""Simulated users, click models and policy comparisons (``python -m ltrr simulate``).

The public API::

    from ltrr.simulate import run_simulation, write_report
    result = run_simulation("catalog.duckdb", ["coverage", "static:lexical", "all"], steps=2000,
                            seed=0, state_root=Path("reports/states"))
    write_report(result, "reports/")
"""
from ltrr.simulate.clicks import CascadeClicks, ClickOutcome, PositionBasedClicks, make_click_model
from ltrr.simulate.report import (arm_share_table, per_type_table, summary_table, target_checks,
                                  write_report)
from ltrr.simulate.runner import DEFAULT_RETRY_SHARE, RECORD_COLUMNS, SimulationResult, run_simulation
from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.queries import Intent, Interaction
from ltrr.simulate.query_types import QUERY_TYPES, available_query_types
from ltrr.simulate.stream import generate_stream
from ltrr.simulate.typos import misspell

__all__ = [
    "CascadeClicks", "CatalogView", "ClickOutcome", "DEFAULT_RETRY_SHARE", "Intent", "Interaction",
    "PositionBasedClicks", "QUERY_TYPES", "RECORD_COLUMNS", "SimulationResult", "arm_share_table",
    "available_query_types", "generate_stream", "make_click_model", "misspell", "per_type_table",
    "run_simulation", "summary_table", "target_checks", "write_report",
]
