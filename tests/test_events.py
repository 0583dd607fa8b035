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
