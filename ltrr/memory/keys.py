"""How the memory names a query: its normalised text, and a hash that is the same in every process."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from ltrr.query import Query
from ltrr.text import normalize_query


def query_hash(queries: Iterable[str]) -> np.ndarray:
    """Stable 64-bit hashes of normalised queries (the same in every process, unlike ``hash``)."""
    return pd.util.hash_array(np.asarray(list(queries), dtype=object)).astype(np.uint64)


@lru_cache(maxsize=16_384)
def key_hash(key: str) -> np.uint64:
    """:func:`query_hash` of one key, cached: a search looks its text up several times (the probe,
    the list, the scores), and hashing one string through pandas costs about 80 microseconds."""
    return query_hash([key])[0]


def query_key(query: object) -> str:
    """The memory's key of a query: a :class:`ltrr.query.Query`'s text as it was normalised once,
    when the Query was made; any other input normalised here (``normalize_query``)."""
    return query.text if isinstance(query, Query) else normalize_query(query)
