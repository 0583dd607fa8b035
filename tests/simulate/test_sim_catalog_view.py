"""The catalog as simulated users see it: typed titles and the entities a name satisfies."""
from __future__ import annotations

from ltrr.simulate.catalog_view import query_title


def test_query_title_drops_credits_and_versions():
    assert query_title("Pumped up Kicks (feat. Joy Corporation) - Remix") == "Pumped up Kicks"
    assert query_title("Stay Hungry [Deluxe 25th Anniversary Edition]") == "Stay Hungry"
    assert query_title("Money In The Grave ft. Rick Ross") == "Money In The Grave"
    assert query_title("(Untitled)") == "(Untitled)"   # never empty
