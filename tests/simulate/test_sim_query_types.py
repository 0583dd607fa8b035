"""Which query types a catalog can satisfy, and the broad intents it supports."""
from __future__ import annotations

import pytest

from ltrr.simulate.catalog_view import CatalogView
from ltrr.simulate.query_types import QUERY_TYPES, available_query_types, genre_eras
from ltrr.simulate.stream import generate_stream


def test_every_query_type_of_the_tiny_catalog_is_supported(view):
    assert available_query_types(view) == QUERY_TYPES


def test_catalog_without_podcasts_never_asks_for_podcasts(view):
    frame = view.frame[~view.frame["entity_type"].isin(["podcast", "episode"])]
    no_podcasts = CatalogView(frame)
    assert "podcast_topic" not in available_query_types(no_podcasts)
    stream = generate_stream(no_podcasts, 300, seed=1)
    assert "podcast_topic" not in {it.query_type for it in stream}
    with pytest.raises(ValueError, match="cannot satisfy query type"):
        generate_stream(no_podcasts, 5, seed=1, query_types=["podcast_topic"])


def test_genre_era_rows_satisfy_the_predicate(view):
    for genre, decade, rows in genre_eras(view):
        for row in rows:
            if view.types[row] in ("track", "album"):
                assert view.genres[row] == genre and decade <= view.years[row] <= decade + 9
