"""ltrr: learning to rank and retrieve for music search.

    from ltrr import Engine
    engine = Engine.open(catalog="data/catalog.duckdb", state="data/state", policy="coverage")
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Engine", "LtrrError", "FeedbackError"]


def __getattr__(name: str):
    # Lazy, so `python -m ltrr info` does not import torch, LightGBM and mabwiser.
    if name == "Engine":
        from ltrr.engine import Engine
        return Engine
    if name in ("LtrrError", "FeedbackError"):
        from ltrr import errors
        return getattr(errors, name)
    raise AttributeError(name)
