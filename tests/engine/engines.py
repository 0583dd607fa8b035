"""Helpers the engine tests share: an engine on the tiny catalog with the fast arms."""
from __future__ import annotations

from ltrr import Engine

FAST_ARMS = ["lexical", "fuzzy", "structured", "memory", "popular", "fresh", "related"]


def open_engine(catalog, state, policy="linucb", **kw):
    """An engine with every arm but the slow semantic one, the ranker not training."""
    kw.setdefault("arms", FAST_ARMS)
    kw.setdefault("ranker_training", "off")
    return Engine.open(catalog=catalog, state=state, policy=policy, seed=0, **kw)


def reopened_and_rebuilt(catalog, tmp_path, policy, export):
    """The engine of state ``tmp_path / "s"`` reopened, then a fresh one that replayed ``export``
    (with the replay's counts; None for the reopened one); each closed after its turn."""
    from ltrr.log_export import load_exported

    for folder in ("s", "rebuilt"):
        eng = open_engine(catalog, tmp_path / folder, policy=policy)
        try:
            yield eng, eng.replay(load_exported(export)) if folder == "rebuilt" else None
        finally:
            eng.close()


def query_counts(eng) -> dict[str, list[float]]:
    """The coverage learner's counts per query text (a mapping, or an object holding one as ``counts``)."""
    table = eng.selector.learner._queries                                      # noqa: SLF001
    return {q: list(v) for q, v in getattr(table, "counts", table).items()}
