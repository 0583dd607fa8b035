"""A learned pair as the memory browser shows it: prediction, counts, origin, and the table."""
from __future__ import annotations

import pytest

from ltrr.memory import NEW_PAIR_PRIOR, QueryMemory, posterior
from ltrr.memory.entries import make_entry, merged
from ltrr.memory.reformulation import Evidence


def test_entries_show_prediction_counts_and_origin(seed):
    memory = QueryMemory(seed=seed)
    memory.record_impressions("blinding lights", ["track:blinding", "track:halo"])
    memory.record_click("blinding lights", "track:blinding")
    memory.record_click("blinding lights", "track:halo")
    frame = memory.entries()
    assert list(frame.columns) == ["query", "entity_id", "predicted", "impressions", "clicks",
                                   "observed", "learned_from_clicks", "reformulations", "reformulation_users",
                                   "learned_from_reformulations"]
    rows = frame.set_index("entity_id")
    predicted = seed.predicted("blinding lights", "track:blinding")
    assert rows.loc["track:blinding", "predicted"] == pytest.approx(predicted)
    assert rows.loc["track:blinding", "observed"] == pytest.approx(posterior(predicted, 1, 1))
    assert not rows.loc["track:blinding", "learned_from_clicks"]
    assert rows.loc["track:halo", "predicted"] == pytest.approx(NEW_PAIR_PRIOR)
    assert rows.loc["track:halo", "learned_from_clicks"]
    entry = memory.entry("Blinding Lights", "track:halo")
    assert (entry.impressions, entry.clicks, entry.learned_from_clicks) == (1, 1, True)
    assert memory.entry("blinding lights", "track:kill") is None


def test_empty_entries_frame_has_the_columns():
    frame = QueryMemory().entries()
    assert frame.empty and "learned_from_clicks" in frame.columns


def test_counted_pairs_come_first_then_pairs_only_reformulations_taught():
    taught = Evidence(weight=2.0, users=2, chains=2)
    alone = Evidence(weight=1.0, users=1, chains=1)
    evidence = {("q", "track:b"): taught, ("q", "track:c"): alone}
    items = merged([("q", "track:a", 1.0, 1), ("q", "track:b", 0.5, 0)], evidence)
    assert items == [("q", "track:a", 1.0, 1, None), ("q", "track:b", 0.5, 0, taught), ("q", "track:c", 0.0, 0, alone)]
    assert len(evidence) == 2                                       # the caller's evidence is left as it was


def test_reformulation_weight_counts_as_clicks_and_impressions_in_the_entry():
    entry = make_entry("q", "track:a", 1.0, 0, Evidence(weight=3.0, users=3, chains=3), (NEW_PAIR_PRIOR, False), 4.0)
    assert entry.observed == pytest.approx(posterior(NEW_PAIR_PRIOR, 4.0, 3.0, 4.0))
    assert (entry.learned_from_clicks, entry.learned_from_reformulations, entry.reformulation_users) == (False, True, 3)
