"""The query every arm sees: a user's lean it carries is cleaned once, here."""
from __future__ import annotations

from ltrr.query import Query


def test_a_lean_read_back_from_a_log_is_cleaned():
    q = Query.make("love").with_lean({"rock": 0.4, "pop": 1e9, "rap": -3, "jazz": float("nan"),
                                      "edm": float("inf"), "latin": "0.2", "metal": True, 7: 0.5,
                                      "folk": [1]})
    assert q.lean == {"rock": 0.4, "pop": 1.0, "rap": 0.0, "jazz": 0.0, "edm": 0.0, "latin": 0.2}
    assert q.text == "love" and Query.make("love").lean == {}
    for junk in (None, "rock", [("rock", 1.0)], 3):
        assert q.with_lean(junk).lean == {}
