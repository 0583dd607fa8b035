"""Rewordings searched again: the memory arm lists, for an ask it holds nothing for, what the
rewording earlier users taught for asks like it finds."""
from __future__ import annotations

import pytest

from ltrr.memory import QueryMemory
from ltrr.query import Query
from ltrr.strategies.base import ArmResources
from ltrr.strategies.memory import MemoryStrategy
from ltrr.strategies.registry import arm_class
from ltrr.strategies.reworded import SEARCHED_WITH
from ltrr.understanding import QueryUnderstander


def opener(catalog):
    """Opens the arms a rewording is searched with, as the engine's ArmSet.related would."""
    opened = {}

    def arm(name: str):
        if name not in opened:
            opened[name] = arm_class(name).open(ArmResources(catalog))
        return opened[name]
    return arm


@pytest.fixture()
def memory() -> QueryMemory:
    """One user failed with "easygoing sza" and found Good Days with "sza chill"."""
    memory = QueryMemory()
    memory.record_reformulation("easygoing sza", "track:gooddays", "u1", to_query="sza chill")
    return memory


@pytest.fixture()
def strategy(tiny_catalog, memory) -> MemoryStrategy:
    return MemoryStrategy.open(ArmResources(tiny_catalog, memory=memory, arm=opener(tiny_catalog)))


def understood(catalog, text: str) -> Query:
    q = Query.make(text)
    return Query(q.raw, q.text, q.tokens, QueryUnderstander.open(catalog).understand_tokens(q.tokens))


def test_another_ask_of_the_same_kind_lists_what_its_rewording_finds(strategy, tiny_catalog):
    q = Query.make("easygoing nas")
    assert strategy.memory.reworded(q.text) == [("nas chill", 1.0)]
    got = [c.entity_id for c in strategy.retrieve(q, 10)]
    # What the lexical and structured arms find for "nas chill", first ranks first.
    arms = opener(tiny_catalog)
    lists = [[c.entity_id for c in arms(name).retrieve(understood(tiny_catalog, "nas chill"), 50)]
             for name in SEARCHED_WITH]
    interleaved = []
    for rank in range(50):
        for ids in lists:
            if rank < len(ids) and ids[rank] not in interleaved:
                interleaved.append(ids[rank])
    assert lists[0] and lists[1]
    assert got == interleaved[:10] and strategy.count(q) == len(interleaved)
    assert got[0] == "track:theworld"             # Nas's chill track: what such an ask meant
    scores = strategy.score(q, [tiny_catalog.entities.row_of[e] for e in got])
    assert list(scores) == sorted(scores, reverse=True) and scores[0] > 0


def test_what_the_memory_holds_for_the_exact_text_comes_before_rewording_finds(strategy):
    q = Query.make("easygoing nas")
    for _ in range(3):
        strategy.memory.record_click(q.text, "track:rainy")
    got = [c.entity_id for c in strategy.retrieve(q, 10)]
    assert got[0] == "track:rainy" and "track:theworld" in got


def test_nothing_more_is_listed_where_no_rewording_applies(strategy, tiny_catalog):
    q = Query.make("xyzzy plugh")
    assert strategy.count(q) == 0 and strategy.retrieve(q, 10) == []
    alone = MemoryStrategy.open(ArmResources(tiny_catalog, memory=strategy.memory))   # no arms to search with
    assert alone.retrieve(Query.make("easygoing nas"), 10) == [] or \
        "track:theworld" not in [c.entity_id for c in alone.retrieve(Query.make("easygoing nas"), 10)]
