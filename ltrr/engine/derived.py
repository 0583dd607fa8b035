"""Derived state and replay: what the engine has learned, rebuilt from the interaction log.

Bandit, memory and user histories are derived from the log. A live search or feedback goes
through the same two functions as replay (:meth:`DerivedState.apply_search`,
:meth:`DerivedState.apply_feedback`), so the state after a restart is exactly what replaying
the log produces. Only the latest ``search_cache`` searches stay in memory; feedback for an
older one finds it in the log through the search index (:meth:`DerivedState.known_search`).

Reformulations are the one kind of event the engine writes by itself: a first click that completes
session chains (:mod:`ltrr.engine.sessions`) appends one ``reformulation`` event per chain right
after the click's feedback, and learns it through :meth:`DerivedState.apply_reformulation`. Replay
marks the click in its session but detects nothing: it applies the logged events where they stand,
so what was learned never depends on the session rules of the code that replays. A (failed search,
entity) pair teaches the memory once, whether a reformulation or a later find came first.
"""
from __future__ import annotations

import logging
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

import numpy as np

from ltrr import events as contract
from ltrr.events import value as read
from ltrr import reward as reward_rule
from ltrr.bandit.context import CONTEXT_FEATURES
from ltrr.engine.records import ARM_HISTORY_LIMIT, FEEDBACK_ACTIONS, PENDING_LIMIT, Pending, judged_event, mapping, now
from ltrr.engine.sessions import SessionChains
from ltrr.errors import LtrrError
from ltrr.log import is_valid_event
from ltrr.memory import examination
from ltrr.progress import ProgressFn, silent
from ltrr.query import Query
from ltrr.rank.position import Swap, SwapTally, searches_from_log
from ltrr.memory.reformulation import user_key
from ltrr.memory.rewrites import genre_words, names_artist

if TYPE_CHECKING:
    from ltrr.engine.core import Core

log = logging.getLogger("ltrr.engine")


def feedback_rule(action: str, found: bool, resolved: bool) -> tuple[bool, bool]:
    """``(duplicate, first)`` of a feedback, the one rule for live feedback, replay and recall.

    ``found``: its entity was clicked or found later on this search already; ``resolved``: the
    search had its first click or skip. A click or later find of a found entity is a duplicate;
    the first click or skip of a search (not a duplicate) updates the bandit and resolves it; a
    later find never does."""
    duplicate = action in ("click", "found_later") and found
    first = action != "found_later" and not resolved and not duplicate
    return duplicate, first


def feedback_ok(event: Mapping) -> bool:
    """Whether an imported feedback's ranks and counts may be written again (ltrr.events)."""
    fields = contract.FIELDS["feedback"]
    return all(event.get(name) is None or fields[name].check(event[name]) is None
               for name in ("arm_ranks", "arm_counts", "n_wanted", "arm_ranks_now"))


def swap_evidence(search: Mapping) -> tuple[int, Swap | None] | None:
    """``(results shown, logged swap draw)`` of a search event as the position-bias estimate reads
    it; None when the estimate leaves the search out (interleaved, exposed, unreadable swap). The
    estimator's own rule (``searches_from_log``), so the tally and a list of searches agree."""
    rows = searches_from_log([search], ())
    return (rows[0].n_shown, rows[0].swap) if rows else None


class DerivedState:
    """The recent searches and what was learned from the log; every update goes through here.

    Call under the engine's lock. ``checkpoint_due`` is called (live, never in replay) every
    ``core.checkpoint_every`` feedbacks.
    """

    def __init__(self, core: "Core", checkpoint_due: Callable[[], None] = lambda: None) -> None:
        self.core = core
        self.checkpoint_due = checkpoint_due
        # Ids of the latest empty queries (never logged): feedback on one is refused by name. Not
        # learned state: a reset keeps them.
        self.empty_ids: OrderedDict[str, None] = OrderedDict()
        self.clear()

    def clear(self) -> None:
        """Forget the recent searches and the counters (the learners are reset by their owners)."""
        # The most recent searches (``search_cache``), their log offsets, and which of them were
        # resolved or clicked; older ones come back through ``known_search``.
        self.searches: OrderedDict[str, dict] = OrderedDict()
        self.offsets: dict[str, int] = {}
        self.resolved: set[str] = set()
        self.judged: set[str] = set()     # recent searches already judged
        self.clicked: set[tuple[str, str]] = set()
        self.clicks_of: dict[str, list[str]] = {}
        # (failed search, entity) pairs a reformulation taught the memory, for the recent searches
        # (read back with a search like its clicks): a later find of the same pair must not teach again.
        self.reformed: set[tuple[str, str]] = set()
        self.reformed_of: dict[str, list[str]] = {}
        self.sessions = SessionChains()
        self.n_searches = 0
        self.replaying = False
        self.pending: OrderedDict[str, Pending] = OrderedDict()
        # Bounded: the per-step view of the latest searches only (reports aggregate elsewhere).
        # Rows (step, arm, selected, selection_probability, expected_reward, reward).
        self.arm_history: deque[tuple] = deque(maxlen=ARM_HISTORY_LIMIT)
        self.n_feedbacks = 0
        self.n_warm = 0           # warm-start searches read (Engine.warm_start)
        self.n_clicks = 0
        self.n_resolved = 0
        # The position-bias evidence over the whole log (sums, constant memory): the recent searches
        # alone hold too few clicks next to a swap when lists are short (ltrr.rank.position).
        self.swaps = SwapTally()

    # ------------------------------------------------------------------ applying events
    def apply_search(self, event: dict, offset: int, query: Query | None = None) -> None:
        """Learn from a search event that starts at byte ``offset`` of the log; ``query``: the
        live search's Query (replay reads the normalised text from the event)."""
        core = self.core
        self.remember(event, offset)
        core.index.add(event["id"], offset)
        self.n_searches += 1
        core.memory.record_impressions(query if query is not None else event["query_norm"], event["results"])
        self.sessions.on_search(event["id"], event["query_norm"], event["user_id"], read(event, "context") or {})
        core.history.record_search(event["user_id"])
        # From the log, not the clock: a replay prices arms exactly as the live run did.
        core.selector.observe_latency(read(event, "arm_ms"))
        if len(event["x"]) == len(CONTEXT_FEATURES):
            core.selector.observe_selected(event["x"])     # live, select did this
        shown = swap_evidence(event)
        if shown is not None:
            self.swaps.add_search(*shown)

    def apply_feedback(self, event: dict, offset: int) -> None:
        """Learn from a feedback event that starts at byte ``offset`` of the log."""
        core = self.core
        search = self.known_search(event["search_id"])
        if search is None:
            return
        core.index.add(search["id"], offset)
        self.n_feedbacks += 1
        if event["action"] == "judged":
            if search["id"] not in self.judged:
                self.judged.add(search["id"])
                x, ranks = self.learnable(search, read(event, "arm_ranks") or {})
                if x is not None:
                    core.selector.observe_judged(x, search["selection"], read(search, "decision") or {}, ranks,
                                                 read(event, "arm_counts"), search["query_norm"],
                                                 ranks_now=self.learnable(search, read(event, "arm_ranks_now"))[1])
            return
        entity_id = read(event, "entity_id")
        if event["action"] == "found_later" and entity_id and not event["duplicate"]:
            self.record_find(search, entity_id)
            self.sessions.note_found(search["id"], entity_id)
            x, ranks = self.learnable(search, read(event, "arm_ranks"))
            if x is not None and ranks is not None:
                core.selector.observe_found_later(x, ranks, read(event, "arm_counts"), search["query_norm"],
                                                  self.learnable(search, read(event, "arm_ranks_now"))[1])
        if event["action"] == "click" and entity_id:
            self.n_clicks += 1
            if not event["duplicate"]:
                self.record_find(search, entity_id)
                self.tally_click(search, entity_id)
                row = core.entities.row_of.get(entity_id)
                genre = core.entities.genres[row] if row is not None else ""
                core.history.record_click(search["user_id"], genre)
                self.learn_chains(search, entity_id)
        if event["bandit_update"]:
            self.resolved.add(search["id"])
            self.n_resolved += 1
            clicked = event["action"] == "click"
            x, ranks = self.learnable(search, read(event, "arm_ranks") if clicked else None)
            if x is not None:
                # What was seen and what each arm added to the pool are read by the coverage
                # learner only: the other policies are not asked to pay for them.
                coverage = core.selector.learns_every_arm
                core.selector.observe(x, search["selection"], read(search, "decision"), ranks,
                                      read(event, "arm_counts"), search["query_norm"],
                                      seen=reward_rule.seen_shares(search, examination)
                                      if coverage and not clicked else None,
                                      novel=reward_rule.novel_shares(search) if coverage else None,
                                      crowd=reward_rule.crowding_shares(search, entity_id)
                                      if clicked and core.selector.prices_places else None,
                                      ranks_now=self.learnable(search, read(event, "arm_ranks_now"))[1]
                                      if clicked else None)
            step = self.n_resolved
            for sel in search["selection"]:
                # A tuple in ARM_HISTORY_COLUMNS order (ltrr.engine.reports): a third of a dict's size.
                self.arm_history.append((step, sel["arm"], sel["selected"], sel["propensity"], sel["expectation"],
                                         event["rewards"].get(sel["arm"])))
        elif event["action"] == "skip":
            self.resolved.add(search["id"])
        if not self.replaying and core.checkpoint_every > 0 and self.n_feedbacks % core.checkpoint_every == 0:
            self.checkpoint_due()

    def feedback_event(self, search: dict, entity_id: str | None, action: str,
                       ranks: Mapping[str, int | None] | None = None,
                       counts: Mapping[str, int] | None = None, ts: str | None = None,
                       ranks_now: Mapping[str, int | None] | None = None) -> dict:
        """The feedback record; ``ranks``/``counts`` are the full-information ranks of a first click
        (``ranks_now``: those the search itself changed, as they are now: ``Learning.full_ranks``).

        The one rule for live feedback and replay: a repeated click (or find) on the same entity is a
        duplicate; the first click or skip of a search updates the bandit, with credit from its lists."""
        sid = search["id"]
        duplicate, first = feedback_rule(action, (sid, entity_id) in self.clicked, sid in self.resolved)
        rewards = reward_rule.search_credit(search, entity_id) if first else {}
        results = search["results"]
        position = results.index(entity_id) + 1 if entity_id in results else None
        if (first and action == "click") or (action == "found_later" and not duplicate):
            if ranks is None:   # an old log: only the selected arms' logged lists are known
                ranks = reward_rule.arm_ranks(reward_rule.logged_lists(search["by_arm"]), entity_id)
            ranks = dict(ranks)
            counts = None if counts is None else dict(counts)
            ranks_now = None if ranks_now is None else dict(ranks_now)
        else:
            ranks = counts = ranks_now = None
        return contract.feedback_event(ts=ts if isinstance(ts, str) else now(), search_id=sid, entity_id=entity_id,
                                       action=action, position=position, rewards=rewards, bandit_update=first,
                                       duplicate=duplicate, arm_ranks=ranks, arm_counts=counts,
                                       arm_ranks_now=ranks_now)

    def tally_click(self, search: Mapping, entity_id: str) -> None:
        """A non-duplicate click on ``search``: its rank in the list shown goes to the swap tally
        (nothing when the search is not part of the estimate or the entity was not shown). A later
        find is no click at a rank the user examined, so it never reaches here."""
        shown = swap_evidence(search)
        if shown is None:
            return
        for rank in reward_rule.wanted_ranks(search["results"], entity_id, max_rank=None):
            self.swaps.add_click(*shown, rank)

    def record_find(self, search: dict, entity_id: str) -> None:
        """A click, or a later find, on ``search``: kept with the search and counted by the memory,
        unless a reformulation taught the memory this very pair already (one lesson, counted once)."""
        self.clicked.add((search["id"], entity_id))
        self.clicks_of.setdefault(search["id"], []).append(entity_id)
        if (search["id"], entity_id) not in self.reformed:
            self.core.memory.record_click(self.query_key(search), entity_id)

    def taught_by(self, search_id: str) -> set[str]:
        """The entities a search has taught the memory so far: its clicks and later finds, and
        the finds its session chains taught."""
        return set(self.clicks_of.get(search_id, ())) | set(self.reformed_of.get(search_id, ()))

    # ------------------------------------------------------------------ reformulations
    def learn_chains(self, search: dict, entity_id: str) -> None:
        """A first click of ``entity_id`` on ``search``: the session chains it completes
        (:mod:`ltrr.engine.sessions`) are logged as reformulation events and learned, live only;
        replay marks the click in its session and applies the logged events as they come."""
        chains = self.sessions.on_click(search["id"], entity_id)
        if self.replaying:
            return
        for chain in chains:
            event = contract.reformulation_event(
                ts=now(), search_id=chain.from_id, to_id=chain.to_id, entity_id=entity_id,
                query_norm=chain.from_query, to_query=chain.to_query, user_key=user_key(chain.user_id))
            self.apply_reformulation(event, self.core.log.append(event))

    def apply_reformulation(self, event: dict, offset: int) -> None:
        """Learn from a reformulation event at byte ``offset`` of the log: the memory counts the pair
        (failed query -> entity) for the event's user, once per (failed search, entity)."""
        search = self.known_search(event["search_id"])
        if search is None:
            return
        sid, entity_id = search["id"], event["entity_id"]
        self.core.index.add(sid, offset)
        self.sessions.note_found(sid, entity_id)
        if (sid, entity_id) in self.reformed or (sid, entity_id) in self.clicked:
            return            # already taught for this search (a find, or the same event twice)
        self.reformed.add((sid, entity_id))
        self.reformed_of.setdefault(sid, []).append(entity_id)
        if entity_id in self.core.entities.row_of:
            # The genre words each search's logged understanding read (a chain's substitution keeps
            # the asked genre: ltrr.memory.rewrites).
            to_search = self.known_search(event["to_id"]) if event.get("to_id") else None
            understood = (to_search or {}).get("understanding")
            self.core.memory.record_reformulation(
                event["query_norm"], entity_id, event["user_key"], to_query=event.get("to_query"),
                asked=genre_words(event["query_norm"], search.get("understanding")),
                answered=genre_words(event.get("to_query") or "", understood), artist=names_artist(understood))

    def apply_warm(self, event: dict) -> None:
        """Learn from a warm-start event (``Engine.warm_start``): the policy (the coverage learner, the
        routing table) reads the search it describes; a context of another width, or arms this
        engine lacks, teach nothing."""
        x = np.asarray(event["x"], dtype=float)
        if x.shape != (len(CONTEXT_FEATURES),):
            return
        known = self.core.arms.index
        ranks = {a: r for a, r in event["arm_ranks"].items() if a in known}
        counts = read(event, "arm_counts")
        self.core.selector.observe_warm(x, ranks, None if counts is None else
                                        {a: c for a, c in counts.items() if a in known})
        self.n_warm += 1

    def query_key(self, search: Mapping) -> "Query | str":
        """The memory's key of a logged search: its Query while it is pending (normalised once),
        else its logged normalised text."""
        pending = self.pending.get(search["id"])
        return pending.query if pending is not None else search["query_norm"]

    def learnable(self, search: dict, ranks: Mapping[str, int | None] | None) -> tuple[np.ndarray | None, dict | None]:
        """The search's context vector and ``ranks`` restricted to this engine's arms.

        A log written with other arms (or an older context layout) still replays: unknown
        arms are ignored, and a context of another width teaches nothing (x is None).
        """
        x = np.asarray(search["x"], dtype=float)
        if x.shape != (len(CONTEXT_FEATURES),):
            return None, None
        known = self.core.arms.index
        return x, None if ranks is None else {a: r for a, r in ranks.items() if a in known}

    # ------------------------------------------------------------------ recent and old searches
    def remember_empty(self, response_id: str) -> None:
        """Note the id of an empty query's response (bounded like the pending searches)."""
        self.empty_ids[response_id] = None
        while len(self.empty_ids) > PENDING_LIMIT:
            self.empty_ids.popitem(last=False)

    def remember(self, event: dict, offset: int) -> None:
        """Keep a search among the recent ones; the oldest leaves (``known_search`` brings it back)."""
        sid = event["id"]
        self.searches[sid] = event
        self.offsets[sid] = offset
        while len(self.searches) > max(1, self.core.search_cache):
            old, _ = self.searches.popitem(last=False)
            self.offsets.pop(old, None)
            self.resolved.discard(old)
            self.judged.discard(old)
            for entity_id in self.clicks_of.pop(old, ()):
                self.clicked.discard((old, entity_id))
            for entity_id in self.reformed_of.pop(old, ()):
                self.reformed.discard((old, entity_id))

    def known_search(self, search_id: str) -> dict | None:
        """The search event of ``search_id``: a recent one from memory, an older one read back from
        the log through the search index (with whether it was resolved or clicked); None if unknown."""
        search = self.searches.get(search_id)
        return search if search is not None else self._recall(search_id)

    def feedback_of(self, search_id: str) -> list[dict]:
        """The feedback events logged for ``search_id``, in log order (read back through the index)."""
        out = []
        for offset in self.core.index.offsets(search_id):
            event = self.core.log.read_at(offset)
            if event is not None and event["kind"] == "feedback" and event["search_id"] == search_id:
                out.append(event)
        return out

    def _recall(self, search_id: str) -> dict | None:
        search, at, feedback = None, 0, []
        for offset in self.core.index.offsets(search_id):
            event = self.core.log.read_at(offset)
            if event is None:
                continue
            if event["kind"] == "search" and event["id"] == search_id:
                search, at, feedback = event, offset, []
            elif event["kind"] in ("feedback", "reformulation") and event["search_id"] == search_id \
                    and search is not None:
                feedback.append(event)
        if search is None:
            return None
        self.remember(search, at)
        # The live rule (feedback_rule, as feedback_event + apply_feedback apply it), in log order:
        # a click or later find of an entity already found is a duplicate; a first click or a skip
        # resolves the search; a later find marks its entity found and resolves nothing.
        clicked: list[str] = []
        reformed: list[str] = []
        resolved = False
        for fb in feedback:
            if fb["kind"] == "reformulation":
                # Applied live only when its pair was not found already (apply_reformulation).
                if fb["entity_id"] not in clicked and fb["entity_id"] not in reformed:
                    reformed.append(fb["entity_id"])
                continue
            action, entity_id = fb["action"], read(fb, "entity_id")
            if action == "judged":
                self.judged.add(search_id)
                continue
            duplicate, first = feedback_rule(action, entity_id in clicked, resolved)
            if action in ("click", "found_later") and entity_id and not duplicate:
                clicked.append(entity_id)
            if first:
                resolved = True
        if resolved:
            self.resolved.add(search_id)
        for entity_id in clicked:
            self.clicked.add((search_id, entity_id))
        if clicked:
            self.clicks_of[search_id] = clicked
        if reformed:
            self.reformed_of[search_id] = reformed
            self.reformed.update((search_id, e) for e in reformed)
        return search

    # ------------------------------------------------------------------ replay
    def replay_log(self, start: int) -> int:
        """Apply the engine's own log from byte ``start`` (rewards recomputed, not trusted);
        returns the number of feedbacks applied."""
        n_feedback = 0
        self.replaying = True
        try:
            for offset, event in self.core.log.events_from(start):
                if event["kind"] == "search":
                    self.apply_search(event, offset)
                    continue
                if event["kind"] == "reformulation":
                    self.apply_reformulation(event, offset)     # learned as logged, not detected again
                    continue
                if event["kind"] == "warm":
                    self.apply_warm(event)
                    continue
                search = self.known_search(event["search_id"])
                if search is not None and event["action"] == "judged":
                    self.apply_feedback(event, offset)     # a judgment is learned as logged
                    n_feedback += 1
                elif search is not None:
                    self.apply_feedback(self.feedback_event(search, read(event, "entity_id"), event["action"],
                                                            mapping(read(event, "arm_ranks")),
                                                            mapping(read(event, "arm_counts")),
                                                            ranks_now=mapping(read(event, "arm_ranks_now"))), offset)
                    n_feedback += 1
        finally:
            self.replaying = False
        return n_feedback

    def replay(self, events: Iterable[dict], add_example: Callable[[dict, str | None, str, bool], int],
               progress: ProgressFn = silent) -> dict:
        """Rebuild this (empty) state from an exported log: searches and feedback are re-applied in
        order and logged, rewards recomputed from each search's arm lists, and the ranker's examples
        recomputed by ``add_example(search, entity_id, action, duplicate)``. Returns counts."""
        core = self.core
        events = list(events)
        with core.lock:
            if self.searches:
                raise LtrrError("replay needs an empty state folder; this one already holds searches")
            n_search = n_feedback = n_skipped = 0
            seen: set[str] = set()
            for i, event in enumerate(events):
                search = contract.declared(event) if is_valid_event(event) and event["kind"] == "search" else None
                if is_valid_event(event) and event["kind"] == "reformulation":
                    continue        # detected again from the sessions as the feedback is re-applied
                if is_valid_event(event) and event["kind"] == "warm":
                    warm = contract.declared(event)
                    if contract.write_error(warm) is None:
                        core.log.append(warm)
                        self.apply_warm(warm)
                    else:
                        n_skipped += 1
                    continue
                if not is_valid_event(event) or search is not None and contract.write_error(search) is not None:
                    n_skipped += 1
                elif search is not None and search["id"] not in seen:
                    seen.add(search["id"])
                    self.apply_search(search, core.log.append(search))
                    n_search += 1
                elif event["kind"] == "feedback" and event["search_id"] in seen and not feedback_ok(event):
                    n_skipped += 1       # mistyped ranks or counts: the contract would refuse to write it
                elif event["kind"] == "feedback" and event["search_id"] in seen and event["action"] == "judged":
                    fb = judged_event(event["search_id"], mapping(read(event, "arm_ranks")) or {},
                                      mapping(read(event, "arm_counts")), read(event, "n_wanted"),
                                      read(event, "ts") or None, mapping(read(event, "arm_ranks_now")))
                    self.apply_feedback(fb, core.log.append(fb))
                    n_feedback += 1
                elif event["kind"] == "feedback" and event["search_id"] in seen:
                    search = self.known_search(event["search_id"])
                    action = event["action"] if event["action"] in FEEDBACK_ACTIONS else "click"
                    fb = self.feedback_event(search, read(event, "entity_id"), action,
                                             mapping(read(event, "arm_ranks")), mapping(read(event, "arm_counts")),
                                             read(event, "ts") or None, mapping(read(event, "arm_ranks_now")))
                    self.apply_feedback(fb, core.log.append(fb))
                    add_example(search, fb["entity_id"], action, fb["duplicate"])
                    n_feedback += 1
                else:
                    n_skipped += 1
                if i % 200 == 0:
                    progress(i, len(events), "Replaying log")
            progress(len(events), len(events), "Replaying log")
        if core.ranker_training != "off" and core.ranker.n_sessions >= core.ranker.min_sessions:
            core.ranker.train()
        return {"searches": n_search, "feedbacks": n_feedback, "skipped": n_skipped}
