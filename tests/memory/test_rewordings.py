"""Reading the learned rewordings: the substitutions a query matches, what it is reworded into, and
the table of them all."""
from __future__ import annotations

import pytest

from ltrr.memory import QueryMemory
from ltrr.memory.reformulation import ReformulationMemory
from ltrr.memory.rewordings import best_reworded, matches, reworded_texts, rewording_rows, rewordings_frame


def test_chains_teach_rewordings_that_other_asks_of_the_same_kind_match():
    memory = QueryMemory()
    assert memory.reworded("easygoing guitar rock") == []
    memory.record_reformulation("easygoing rnb", "track:gooddays", "a", to_query="rnb chill playlist")
    memory.record_reformulation("easygoing rap", "track:theworld", "b", to_query="rap lush")
    memory.record_reformulation("easygoing pop", "track:shake", "c", to_query="pop lush")
    # Two users reworded "easygoing <genre>" as "<genre> lush", one as "<genre> chill playlist".
    assert memory.reworded("easygoing guitar rock") == [("guitar rock lush", 2.0), ("guitar rock chill playlist", 1.0)]
    assert memory.reworded("easygoing guitar rock", limit=1) == [("guitar rock lush", 2.0)]
    assert memory.reworded("something else") == []
    # Without the follow-up's text only the entity is learned (as before substitutions).
    memory.record_reformulation("sinister tunes", "track:kill", "d")
    assert memory.reworded("sinister tunes") == [] and memory.reformulated("sinister tunes")


@pytest.fixture()
def rewrites() -> ReformulationMemory:
    memory = ReformulationMemory(max_entities=8)
    memory.record("easygoing *", "* lush", "a")
    memory.record("easygoing *", "* lush", "b")
    memory.record("easygoing *", "* chill playlist", "c")
    memory.record("* to wind down", "soft playlist *", "d")
    return memory


def test_a_query_matches_each_pattern_it_fits_and_is_filled_back(rewrites):
    found = [(order, pattern, text) for order, pattern, _, text, _ in matches(rewrites, "easygoing guitar rock")]
    assert sorted(text for _, _, text in found) == ["guitar rock chill playlist", "guitar rock lush"]
    assert {pattern for _, pattern, _ in found} == {"easygoing *"}


def test_the_best_supported_rewording_comes_first_and_never_the_query_itself(rewrites):
    found = reworded_texts(rewrites, "easygoing rap")
    assert best_reworded(found, 1) == [("rap lush", 2.0)]
    assert best_reworded(found, 5) == [("rap lush", 2.0), ("rap chill playlist", 1.0)]
    assert reworded_texts(ReformulationMemory(), "easygoing rap") == {}


def test_the_table_holds_every_substitution_or_those_a_query_matches(rewrites):
    every = rewordings_frame(rewording_rows(rewrites, None), matching=False)
    assert list(every.columns) == ["pattern", "replacement", "users", "chains", "weight"]
    assert every["replacement"].tolist()[0] == "* lush" and len(every) == 3
    matching = rewordings_frame(rewording_rows(rewrites, "rock to wind down"), matching=True)
    assert matching[["pattern", "reworded"]].values.tolist() == [["* to wind down", "soft playlist rock"]]
    assert rewordings_frame([], matching=True).empty
