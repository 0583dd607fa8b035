"""The passages the semantic arm embeds."""
from __future__ import annotations

from ltrr.strategies.semantic_passages import passage


def test_passage_is_short_and_names_the_artist():
    assert passage("track", "Halo", "Beyoncé", "r&b", "romantic", "Halo Beyoncé r&b romantic") == \
        "Halo, by Beyoncé, r&b, romantic"
    assert passage("artist", "SZA", "r&b", "r&b", "", "SZA r&b") == "SZA, r&b"
    assert passage("playlist", "Sad Songs", "ltrr", "pop", "", "Sad Songs Tears and heartbreak pop") == \
        "Sad Songs, ltrr, pop. Tears and heartbreak pop"
