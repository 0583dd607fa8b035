"""Typos of a learned query: an unlearned query reads the counts of the nearest learned one."""
from __future__ import annotations

from ltrr.memory import QueryMemory
from ltrr.memory.typos import TYPO_CUTOFF, nearest_learned, typo_targets


def test_a_typo_of_a_learned_query_reads_its_counts():
    memory = QueryMemory()
    memory.record_impressions("blinding lights", ["track:blinding"])
    memory.record_click("blinding lights", "track:blinding")
    assert memory.resolve("blinding ligths") == "blinding lights"
    assert memory.observed("Blinding Ligths!") == memory.observed("blinding lights")
    assert memory.observed("blinding ligths", exact=True) == {}
    assert memory.resolve("bohemian rhapsody") == "bohemian rhapsody"        # nothing close: its own
    # A query with clicks of its own keeps them, however close another learned query is.
    memory.record_click("blinding light", "track:other")
    assert memory.observed("blinding light") == {"track:other": (1.0, 1)}


def test_a_query_with_clicks_a_short_one_or_an_empty_memory_reads_its_own():
    clicks = {"blinding lights": 2, "abc": 1}
    assert typo_targets("blinding lights", clicks) is None
    assert typo_targets("abd", clicks) is None
    assert typo_targets("blinding ligths", {}) is None
    assert typo_targets("blinding ligths", clicks) == ["blinding lights"]           # "abc" is too short


def test_the_nearest_learned_query_within_the_cutoff_else_itself():
    assert nearest_learned("blinding ligths", ["blinding lights", "halo"], TYPO_CUTOFF) == "blinding lights"
    assert nearest_learned("bohemian rhapsody", ["blinding lights"], TYPO_CUTOFF) == "bohemian rhapsody"
    assert nearest_learned("halo", [], TYPO_CUTOFF) == "halo"
