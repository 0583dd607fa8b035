"""The event contract: validation names the field, parsing round-trips."""
from __future__ import annotations

import pytest

from ltrr.events import EventError, FeedbackEvent, SearchEvent, event_error, parse_event, to_record

SEARCH = {"kind": "search", "id": "s1", "query": "Love", "query_norm": "love", "user_id": "u", "results": ["a"],
          "selection": [{"arm": "lexical", "selected": True, "budget": 3}], "by_arm": {"lexical": [["a", 1.0]]},
          "x": [1.0], "decision": {"greedy": {"lexical": 3}}}


def test_valid_events_parse_to_their_dataclass_and_back():
    event = parse_event(SEARCH)
    assert isinstance(event, SearchEvent) and event.decision == {"greedy": {"lexical": 3}}
    assert to_record(event)["by_arm"] == SEARCH["by_arm"]
    fb = parse_event({"kind": "feedback", "search_id": "s1", "action": "click", "entity_id": "a",
                      "arm_ranks": {"lexical": 1}, "unknown_extra": 1})
    assert isinstance(fb, FeedbackEvent) and fb.arm_ranks == {"lexical": 1}


@pytest.mark.parametrize("change, message", [
    ({"selection": None}, "field 'selection' must be list"),
    ({"kind": "clicks"}, "unknown event kind 'clicks'"),
    ({"selection": [{"budget": 3}]}, "selection[0] must be an object with an 'arm' name"),
])
def test_errors_name_the_field(change, message):
    assert message in event_error({**SEARCH, **change})
    with pytest.raises(EventError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_event({**SEARCH, **change})


def test_a_missing_field_is_named():
    broken = {k: v for k, v in SEARCH.items() if k != "x"}
    assert event_error(broken) == "search event: missing field 'x'"
    assert "entity_id" in event_error({"kind": "feedback", "search_id": "s", "action": "click", "entity_id": 3})


# --------------------------------------------------------------------------- writing through the contract
from ltrr import events  # noqa: E402
from ltrr.log import InteractionLog, read_events  # noqa: E402


def _built_search(**change):
    base = dict(id="s1", ts="t", user_id="u", query="Love", query_norm="love", context={}, understanding={},
                policy="coverage", x=[1.0], selection=[{"arm": "lexical", "selected": True, "budget": 3,
                                                        "propensity": 1.0}],
                decision=None, arm_ms={"lexical": 1.5}, by_arm={"lexical": [["a", 1.0]]}, results=["a"])
    return events.search_event(**{**base, **change})


def test_builders_write_every_declared_field_in_order_and_leave_unused_ones_out():
    record = _built_search(swap={"pos": 1, "p": 0.05})
    assert list(record) == ["kind", *[n for n in events.FIELDS["search"] if n in record]]
    assert "interleave" not in record and "pinned" not in record and record["swap"] == {"pos": 1, "p": 0.05}
    assert isinstance(parse_event(record), SearchEvent)
    judged = events.judged_event(ts="t", search_id="s1", arm_ranks={"lexical": 2}, arm_counts=None, n_wanted=2)
    assert judged["n_wanted"] == 2 and parse_event(judged).n_wanted == 2


@pytest.mark.parametrize("change, message", [
    ({"x": ["a"]}, "field 'x' must be a list of numbers"),
    ({"swap": {"pos": "1", "p": 0.1}}, "field 'swap' must be an object with a whole 'pos'"),
    ({"interleave": {"a": "h", "teams": []}}, "field 'interleave' must be an object with rankers"),
    ({"expose": [{"arm": "a"}]}, "field 'expose' must be a list of {arm, entity_id, p, from, to}"),
    ({"selection": [{"arm": "a", "budget": 2.5}]}, "budgets are whole numbers"),
    ({"results": None}, "field 'results' may not be null"),
])
def test_a_mistyped_field_is_refused_on_write_by_name(change, message):
    with pytest.raises(EventError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _built_search(**change)


def test_the_log_refuses_an_undeclared_or_mistyped_field_and_writes_nothing(tmp_path):
    log = InteractionLog(tmp_path / "events.jsonl")
    with pytest.raises(EventError, match="'shiny' is not declared"):
        log.append({**_built_search(), "shiny": 1})
    with pytest.raises(EventError, match="'action' must be one of"):
        log.append({"kind": "feedback", "search_id": "s1", "action": "like"})
    log.append(_built_search())
    log.close()
    assert [e["id"] for e in read_events(tmp_path / "events.jsonl")] == ["s1"]


def test_rank_stage_fields_are_declared_and_checked():
    assert events.rank_fields(pinned="a") == {"pinned": "a"}
    with pytest.raises(EventError, match="'pinned' must be a string"):
        events.rank_fields(pinned=3)


def test_value_reads_declared_defaults_and_refuses_undeclared_names():
    old = {k: v for k, v in SEARCH.items() if k != "decision"}          # an old log's search
    assert events.value(old, "decision") is None and events.value(old, "context") == {}
    assert events.value({"kind": "feedback", "search_id": "s", "action": "skip"}, "rewards") == {}
    with pytest.raises(KeyError, match="no field 'swapp'"):
        events.value(old, "swapp")


def test_declared_drops_what_the_contract_does_not_know_and_blank_cells():
    imported = {**SEARCH, "policy": float("nan"), "pinned": None, "someone_elses": 1}
    clean = events.declared(imported)
    assert "someone_elses" not in clean and "pinned" not in clean and clean["policy"] is None
    assert events.write_error(clean) is None


def test_logged_policy_reads_canonical_specs_and_old_bare_names():
    from ltrr.bandit.policy import PolicySpec

    spec = PolicySpec.parse("coverage:judged=0.2")
    assert events.logged_policy({**SEARCH, "policy": str(spec)}) == spec
    assert events.logged_policy({**SEARCH, "policy": "coverage"}) == PolicySpec.parse("coverage")   # an old log
    assert events.logged_policy(SEARCH) is None                                                   # none logged
    assert events.logged_policy({**SEARCH, "policy": "no-such-policy"}) is None


def test_a_reformulation_is_built_validated_read_and_written_back(tmp_path):
    record = events.reformulation_event(ts="t", search_id="failed", to_id="satisfied", entity_id="track:p",
                                        query_norm="tunes to unwind to", to_query="chill playlist",
                                        user_key="0123456789abcdef")
    assert list(record) == ["kind", *events.FIELDS["reformulation"]]
    typed = events.as_reformulation(record)
    assert typed.search_id == "failed" and typed.to_query == "chill playlist"
    assert events.to_record(typed) == record
    assert events.as_feedback(record) is None and events.as_reformulation(SEARCH) is None
    assert event_error({k: v for k, v in record.items() if k != "user_key"}) == \
        "reformulation event: missing field 'user_key'"
    with pytest.raises(EventError, match="entity_id"):
        events.reformulation_event(ts="t", search_id="a", to_id="b", entity_id=None, query_norm="q",
                                   to_query="r", user_key="k")
    log = InteractionLog(tmp_path / "events.jsonl")
    log.append(record)
    log.close()
    assert read_events(tmp_path / "events.jsonl") == [{"v": 1, **record}]


def test_a_warm_start_search_is_built_validated_read_and_written_back(tmp_path):
    record = events.warm_event(ts="t", x=[0.5, 1.0], arm_ranks={"lexical": 3, "fuzzy": None},
                               arm_counts={"lexical": 50, "fuzzy": 12})
    assert list(record) == ["kind", *events.FIELDS["warm"]]
    typed = parse_event(record)
    assert isinstance(typed, events.WarmEvent) and typed.arm_ranks == {"lexical": 3, "fuzzy": None}
    assert events.to_record(typed) == record
    assert event_error({k: v for k, v in record.items() if k != "x"}) == "warm event: missing field 'x'"
    with pytest.raises(EventError, match="arm_ranks"):
        events.warm_event(ts="t", x=[0.5], arm_ranks={"lexical": 2.5}, arm_counts=None)
    log = InteractionLog(tmp_path / "events.jsonl")
    log.append(record)
    log.close()
    assert read_events(tmp_path / "events.jsonl") == [{"v": 1, **record}]
