"""The query-to-entity (Q2E) memory: which entity answers which query.

Two halves with different lives:

* :class:`MemorySeed` is catalog-side and read-only. Built once per catalog
  from metadata alone (cold start): every entity gets the queries it should
  answer ("blinding lights", "the weeknd blinding lights", "blining lights",
  "blinding") with a *predicted* score. Stored as three sorted arrays (query
  hash, entity row, predicted score) that load memory-mapped, so a lookup is
  one binary search.
* :class:`QueryMemory` is state-side: impressions and clicks per (query,
  entity), learned while the engine runs, JSON-serialisable.

They meet in :func:`~ltrr.memory.scores.posterior`. The package, one job per module:

* :mod:`ltrr.memory.keys`: how the memory names a query (its normalised text and a stable hash);
* :mod:`ltrr.memory.scores`: the Beta posterior, a pair's score, the examination curve;
* :mod:`ltrr.memory.seed`: the queries each entity should answer, and :class:`MemorySeed`;
* :mod:`ltrr.memory.learned`: :class:`QueryMemory`, what users taught, the one class the rest of
  ltrr uses; it holds the state and the lock, and these modules do its parts:

  * :mod:`ltrr.memory.counts`: the learned clicks and expected examinations per pair, and their bounds;
  * :mod:`ltrr.memory.typos`: which learned query's counts an unlearned one (a typo of it) reads;
  * :mod:`ltrr.memory.pin`: the rise-to-the-top rule, the entity put first for a query;
  * :mod:`ltrr.memory.reformulation`: what failed searches followed by a satisfied one taught;
  * :mod:`ltrr.memory.rewrites`: the phrase substitutions those chains teach;
  * :mod:`ltrr.memory.rewordings`: which learned substitutions a query matches, what it is reworded into;
  * :mod:`ltrr.memory.taught`: the asks users taught something, and the log of changes readers follow;
  * :mod:`ltrr.memory.entries`: a learned pair as the memory browser shows it, and their table;
  * :mod:`ltrr.memory.saved`: the saved-state formats, written and read back with their checks.
"""
from ltrr.memory.counts import MAX_ENTITIES, MAX_QUERIES
from ltrr.memory.entries import ENTRY_COLUMNS, MemoryEntry
from ltrr.memory.keys import query_hash, query_key
from ltrr.memory.learned import QueryMemory
from ltrr.memory.pin import PIN_MIN_CLICKS, PIN_MIN_CTR, PIN_MIN_SHARE
from ltrr.memory.rewordings import REWRITES_PER_PATTERN
from ltrr.memory.scores import EXAMINATION_ETA, NEW_PAIR_PRIOR, PRIOR_STRENGTH, examination, pair_score, posterior
from ltrr.memory.seed import BASE, CHUNK, PER_QUERY, SEED_INDEX, SEED_VERSION, MemorySeed, misspellings, seed_queries
from ltrr.memory.taught import TAUGHT_LOG
from ltrr.memory.typos import TYPO_CUTOFF, TYPO_MIN_LENGTH

__all__ = [
    "BASE", "CHUNK", "ENTRY_COLUMNS", "EXAMINATION_ETA", "MAX_ENTITIES", "MAX_QUERIES", "NEW_PAIR_PRIOR",
    "PER_QUERY", "PIN_MIN_CLICKS", "PIN_MIN_CTR", "PIN_MIN_SHARE", "PRIOR_STRENGTH", "REWRITES_PER_PATTERN",
    "SEED_INDEX", "SEED_VERSION", "TAUGHT_LOG", "TYPO_CUTOFF", "TYPO_MIN_LENGTH", "MemoryEntry", "MemorySeed",
    "QueryMemory", "examination", "misspellings", "pair_score", "posterior", "query_hash", "query_key",
    "seed_queries",
]
