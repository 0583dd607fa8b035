"""The probes on a real engine: before the bandit decides, the search reads how many
entities the memory holds for the query (context feature ``q_remembered``), logs it with the
context and times it; and whether the query is mostly a playlist's name (``q_playlist_name``)."""
from __future__ import annotations

import pytest

from ltrr.bandit.context import CONTEXT_FEATURES, REMEMBERED_CAP
from ltrr.log_export import load_exported
from ltrr.query import Query
from tests.engine.engines import FAST_ARMS, open_engine

REMEMBERED = CONTEXT_FEATURES.index("q_remembered")


def remembered(response) -> int:
    return round(response.context_features[REMEMBERED] * REMEMBERED_CAP)


def memory_list(eng, text: str) -> list[str]:
    arm = eng._core.arms.arms["memory"]                                         # noqa: SLF001
    return [c.entity_id for c in arm.retrieve(Query.make(text), REMEMBERED_CAP)]


def test_the_probe_reads_the_memory_arms_list_length_and_a_click_adds_to_it(tiny_catalog, tmp_path):
    eng = open_engine(tiny_catalog, tmp_path / "s", policy="coverage")
    try:
        known = eng.search("good days")
        assert remembered(known) == len(memory_list(eng, "good days")) > 0
        assert "probe" in known.timings
        assert remembered(eng.search("zzqx wobble")) == 0
        # A click on a result the memory did not hold creates a pair: the next search sees one more.
        new = [r.entity_id for r in known.results if r.entity_id not in memory_list(eng, "good days")]
        assert new, "the tiny catalog must show something the memory does not predict for 'good days'"
        eng.feedback(known.id, new[0])
        assert remembered(eng.search("good days")) == remembered(known) + 1
    finally:
        eng.close()


def test_without_a_memory_arm_the_probe_reads_nothing(tiny_catalog, tmp_path):
    eng = open_engine(tiny_catalog, tmp_path / "s", policy="coverage",
                      arms=[a for a in FAST_ARMS if a != "memory"])
    try:
        assert remembered(eng.search("good days")) == 0
    finally:
        eng.close()


def test_the_logged_context_carries_the_probe(tiny_catalog, tmp_path):
    eng = open_engine(tiny_catalog, tmp_path / "s", policy="coverage")
    try:
        response = eng.search("good days")
        export = eng.export(tmp_path / "out", fmt="jsonl")
    finally:
        eng.close()
    logged = [e for e in load_exported(export) if e.get("id") == response.id]
    assert logged and logged[0]["x"][REMEMBERED] == pytest.approx(remembered(response) / REMEMBERED_CAP)
    assert remembered(response) > 0


@pytest.mark.parametrize("policy", ["coverage", "all:budget=5"])
def test_a_memory_that_holds_nothing_for_the_query_is_not_offered(tiny_catalog, tmp_path, policy):
    """The probe is exact, so a query the memory knows nothing of does not spend the bandit's choice
    on it; a query it knows still gets it, and the arm stays ready either way."""
    eng = open_engine(tiny_catalog, tmp_path / "s", policy=policy)
    try:
        unknown = eng.search("zzqx wobble")
        memory = next(c for c in unknown.selection if c.arm == "memory")
        assert remembered(unknown) == 0 and not memory.selected and memory.ready
        if policy == "coverage":
            assert "memory" not in unknown.decision["available"]
        known = eng.search("good days")
        assert remembered(known) > 0
        if policy == "coverage":
            assert "memory" in known.decision["available"]
        else:
            assert next(c for c in known.selection if c.arm == "memory").selected
    finally:
        eng.close()


def test_an_arm_whose_probe_says_it_has_nothing_is_not_offered_and_the_search_is_not_empty(tiny_catalog, tmp_path):
    """No word of a typo is indexed: lexical has nothing for it, query understanding reads nothing
    in it for the structured arm, and nothing seeds the related arm, so the coverage policy draws
    from the arms that might (fuzzy), and its first search, before anything is learned, shows them."""
    eng = open_engine(tiny_catalog, tmp_path / "s", policy="coverage")
    try:
        typo = eng.search("blindnig lihgts")
        assert not {"lexical", "structured", "related"} & set(typo.decision["available"])
        assert not next(c for c in typo.selection if c.arm == "lexical").selected
        assert typo.results
        # The log says why lexical did not run (off-policy evaluation counts it as run with nothing).
        logged = next(e for e in eng.log_events() if e["kind"] == "search" and e["id"] == typo.id)
        assert {s["arm"] for s in logged["selection"] if s.get("empty")} == {"lexical", "memory", "structured",
                                                                             "related"}
        words = eng.search("blinding lights")
        assert "lexical" in words.decision["available"]
    finally:
        eng.close()


def test_a_query_naming_a_playlist_says_so_in_the_logged_context(tiny_catalog, tmp_path):
    """``q_playlist_name`` comes from the catalog's own playlist names ("90s Rap Classics" in the
    tiny catalog) through the engine's word list, and is logged with the search."""
    i = CONTEXT_FEATURES.index("q_playlist_name")
    eng = open_engine(tiny_catalog, tmp_path / "s", policy="coverage")
    try:
        named = eng.search("90s rap classics songs")
        other = eng.search("good days")
        export = eng.export(tmp_path / "out", fmt="jsonl")
    finally:
        eng.close()
    assert named.context_features[i] == pytest.approx(3 / 4)
    assert other.context_features[i] == 0.0
    logged = {e["id"]: e for e in load_exported(export) if e.get("id") in (named.id, other.id)}
    assert logged[named.id]["x"][i] == pytest.approx(3 / 4)
