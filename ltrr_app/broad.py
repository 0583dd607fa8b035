"""The broad-ask story: three listeners ask a vague thing, find nothing, reword it and play what the
reworded search found; a fourth listener's vague ask then shows that find.

Plain Python over the engine's public API (``search``, ``feedback``, ``memory_entries``): the story
panel (:mod:`ltrr_app.demo`) renders it, the tests drive it alone. The engine does the learning:
searches of one session (``context["session_id"]``) where a failed search is followed by a clicked
one teach the memory (failed query -> clicked entity), with a confidence that grows with the
number of different users (``ltrr.engine.sessions``, ``ltrr.memory.reformulation``).

The story teaches the engine the person is using (this catalog, this policy's learning state), as
the other stories do: its listeners' searches and plays are logged like anybody's.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ltrr.reward import BUDGET_LADDER
from ltrr_app.stories import BroadPlan

LISTENERS = ("listener 1", "listener 2", "listener 3")   # the simulated users who reword
TOP = 10


@dataclass(frozen=True)
class Taught:
    """What the three listeners did: the find they played and where the vague ask had it before."""

    vague: str
    reworded: str
    entity_id: str
    title: str
    rank_before: int | None       # 1-based rank of the find in the vague ask's top ten before; None: absent
    users: tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    """Where a vague ask's answer came from: its memory entry's reformulation evidence."""

    title: str
    users: int                    # distinct users whose failed search of the ask ended on this entity
    clicks: int                   # clicks on this entity for the ask itself (kept apart)

    def sentence(self) -> str:
        """"learned from 3 users who reworded this search" (plain words for the page)."""
        who = "1 user" if self.users == 1 else f"{self.users} users"
        return f"learned from {who} who reworded this search"


def new_session(user: str) -> str:
    """A fresh session id for one listener's searches (the engine chains searches by it)."""
    return f"story-broad-{uuid.uuid4().hex[:12]}-{user}"


def teach(engine: Any, story: BroadPlan, hour: int, users: tuple[str, ...] = LISTENERS) -> Taught:
    """Three listeners, each in a session of their own: ask the vague thing, skip what it shows,
    reword it and play the find. The find is the reworded search's best result the vague ask did not
    show in its top ten (every listener wants the same one); each play teaches the memory one
    reformulation. Raises ``ValueError`` when the reworded search finds nothing."""
    found: tuple[str, str] | None = None
    rank_before: int | None = None
    for user in users:
        context = {"user_id": user, "hour": int(hour), "session_id": new_session(user)}
        first = engine.search(story.vague, context=context, k=TOP)
        shown = [r.entity_id for r in first.results[:TOP]]
        second = engine.search(story.reworded, context=context, k=TOP)
        if found is None:
            fresh = [r for r in second.results if r.entity_id not in shown] or list(second.results)
            fresh = [r for r in fresh if _searched_first(second.by_arm, r.entity_id)] or fresh
            if not fresh:
                raise ValueError(f"“{story.reworded}” finds nothing in this catalog")
            found = (fresh[0].entity_id, fresh[0].title)
            rank_before = shown.index(found[0]) + 1 if found[0] in shown else None
        if found[0] not in [r.entity_id for r in second.results]:
            continue       # this listener's reworded search did not show it (the ranker moved): no play
        engine.feedback(second.id, found[0], action="click")
        # As the Search page does for a search left without a play: the find tells the bandit which
        # arm, how deep, would have served the vague ask (the memory counts the pair once).
        engine.feedback(first.id, found[0], action="found_later")
    assert found is not None
    return Taught(story.vague, story.reworded, found[0], found[1], rank_before, tuple(users))


def _searched_first(by_arm: dict, entity_id: str) -> bool:
    """Whether a search arm (not the discover arm's random sample) listed ``entity_id`` at a cheaper
    depth of the budget ladder than the sample did. The sample is drawn anew for each listener: a
    find it listed first may not come back for the next one, and the learner, told one sample held
    it at the top, would plan just that sample for the reworded search."""
    def depth(rank: int) -> int:
        return next((level for level in BUDGET_LADDER if level >= rank), rank)

    ranks = {}
    for arm, cands in by_arm.items():
        ids = [c.entity_id for c in cands]
        if entity_id in ids:
            ranks[arm] = ids.index(entity_id) + 1
    searched = [rank for arm, rank in ranks.items() if arm != "discover"]
    return bool(searched) and ("discover" not in ranks or depth(ranks["discover"]) > depth(min(searched)))


def rank_of(response: Any, entity_id: str, top: int = TOP) -> int | None:
    """1-based rank of ``entity_id`` in a response's top ``top``; None when absent."""
    ids = [r.entity_id for r in list(getattr(response, "results", []) or [])[:top]]
    return ids.index(entity_id) + 1 if entity_id in ids else None


def origins(engine: Any, query: str) -> dict[str, Origin]:
    """entity_id -> where the memory's answer came from, for every entity reformulations taught
    ``query`` (most users first); empty when none did."""
    entries = engine.memory_entries(query, limit=10_000)
    if entries.empty or "learned_from_reformulations" not in entries:
        return {}
    taught = entries[entries["learned_from_reformulations"].astype(bool)]
    taught = taught.sort_values("reformulation_users", ascending=False, kind="stable")
    return {str(row["entity_id"]): Origin(title=str(row["title"] or row["entity_id"]),
                                          users=int(row["reformulation_users"]), clicks=int(row["clicks"]))
            for _, row in taught.iterrows()}
