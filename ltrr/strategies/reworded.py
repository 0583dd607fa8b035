"""Rewordings searched again: what the memory arm lists for a vague ask nobody clicked for yet.

When "easygoing rnb" failed someone who then found what they wanted with "rnb chill playlist",
the memory learns the substitution ``easygoing *`` -> ``* chill playlist`` (:mod:`ltrr.memory.rewrites`,
:meth:`ltrr.memory.QueryMemory.reworded`). A later "easygoing guitar rock" is then searched again
as "guitar rock chill playlist" by the lexical and structured arms, and the memory arm
(:mod:`ltrr.strategies.memory`) lists what they find after what it remembers for the exact text:
a vague ask is served by what its rewording finds, including asks nobody typed before, once users
have shown how such an ask is reworded. It is the memory's because it is what earlier users taught,
and it reaches every policy that runs the memory (fixed configurations too).

The finds interleave, per rewording (the best supported first, at most :data:`REWORDINGS`), the
lexical and structured arms' lists for the reworded text, first ranks first; each scores the
rewording's confidence (:func:`ltrr.memory.reformulation.confidence`) divided by its position.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Callable

from ltrr.memory import QueryMemory
from ltrr.query import Query
from ltrr.memory.reformulation import confidence
from ltrr.strategies.base import Strategy
from ltrr.understanding import QueryUnderstander

log = logging.getLogger(__name__)

# Rewordings searched per query (the best supported).
REWORDINGS = 2
# The arms a rewording is searched with, in the order their lists interleave.
SEARCHED_WITH = ("lexical", "structured")
# Finds kept per query (the memory arm's deepest list is far shorter).
DEPTH = 50
# Reworded texts whose lists are kept (an LRU): the probe and the list of one search share them.
CACHE = 256


class RewordedSearch:
    """Searches the rewordings the memory learned for a query (see the module docstring)."""

    def __init__(self, memory: QueryMemory, understander: QueryUnderstander | None,
                 arm_opener: Callable[[str], Strategy] | None) -> None:
        self.memory = memory
        self.understander = understander
        self._arm_opener = arm_opener
        self._arms: dict[str, Strategy] | None = None
        self._lists: OrderedDict[str, list[list[str]]] = OrderedDict()
        self._lock = threading.Lock()

    def _searchers(self) -> dict[str, Strategy]:
        """The arms rewordings are searched with, opened on first use (an arm that is not open is
        left out: standalone, or an engine without it)."""
        with self._lock:
            if self._arms is None:
                self._arms = {}
                for name in SEARCHED_WITH if self._arm_opener is not None else ():
                    try:
                        self._arms[name] = self._arm_opener(name)
                    except Exception as exc:   # another arm missing degrades the finds, never fails them
                        log.info("reworded search without the %s arm (%s)", name, exc)
            return self._arms

    def _search(self, text: str) -> list[list[str]]:
        """Each searching arm's list of entity ids for ``text`` (cached: the arms are deterministic)."""
        with self._lock:
            if text in self._lists:
                self._lists.move_to_end(text)
                return self._lists[text]
        q = Query.make(text)
        if self.understander is not None:
            q = replace(q, understanding=self.understander.understand_tokens(q.tokens))
        lists = []
        for name, arm in self._searchers().items():
            try:
                lists.append([c.entity_id for c in arm.retrieve(q, DEPTH)])
            except Exception:
                log.exception("reworded search: %s failed on %r", name, text)
        with self._lock:
            self._lists[text] = lists
            while len(self._lists) > CACHE:
                self._lists.popitem(last=False)
        return lists

    def finds(self, query: Query) -> dict[str, float]:
        """entity_id -> score of what the rewordings of ``query`` find, best first (empty when the
        memory knows no rewording of asks like it)."""
        rewordings = self.memory.reworded(query.text, REWORDINGS) if query.text else []
        if not rewordings or not self._searchers():
            return {}
        found: dict[str, float] = {}
        position = 0
        per_rewording = [(confidence(weight), self._search(text)) for text, weight in rewordings]
        for rank in range(DEPTH):
            for sure, lists in per_rewording:
                for ids in lists:
                    if rank < len(ids) and ids[rank] not in found:
                        position += 1
                        found[ids[rank]] = sure / position
        return found
