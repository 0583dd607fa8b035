"""The rise-to-the-top rule: the entity the memory puts first for a query.

For a query, the entity with the most clicks is placed first in the final list when

* it has at least :data:`PIN_MIN_CLICKS` (2) clicks for the query,
* it holds more than half of the query's clicks, and
* its clicks over expected examinations stay at least :data:`PIN_MIN_CTR`
  (0.3): shown at #1 and ignored again and again, it loses the place.

So an item clicked at rank 6 twice, with nothing else clicked, is #1 from
the third search on: users have told us the answer to that query. Only clicks
count: reformulation evidence never pins (see :mod:`ltrr.memory.learned`).
"""
from __future__ import annotations

from typing import Mapping

PIN_MIN_CLICKS = 2
PIN_MIN_SHARE = 0.5
PIN_MIN_CTR = 0.3


def pinned_entity(observed: Mapping[str, tuple[float, int]]) -> str | None:
    """The entity the rule puts first, given a query's entity_id -> (expected examinations,
    clicks), or None; of entities with as many clicks, the fewest examinations, then the greatest id."""
    total = sum(c for _, c in observed.values())
    if total < PIN_MIN_CLICKS:
        return None
    entity_id, (imp, clicks) = max(observed.items(), key=lambda kv: (kv[1][1], -kv[1][0], kv[0]))
    if clicks < PIN_MIN_CLICKS or clicks <= PIN_MIN_SHARE * total:
        return None
    if clicks / max(imp, float(clicks)) < PIN_MIN_CTR:
        return None
    return entity_id
