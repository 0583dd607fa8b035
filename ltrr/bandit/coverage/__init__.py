"""The coverage learner: which arms to run, and how deep, learned from clicks.

The objective is :mod:`ltrr.reward`'s: per search, 1 if the wanted entity is in
the union of the arms' lists (each cut at its budget), minus
``cost_per_candidate`` per candidate retrieved. An action is a budget per arm
from :data:`~ltrr.reward.BUDGET_LADDER` (0 = the arm does not run).

**What is learned.** After a click the engine computes the clicked entity's
rank in *every* arm's list up to :data:`~ltrr.reward.MAX_RANK` (arms are
deterministic and cheap to rerun), so one click tells every ``(arm, budget)``
pair whether it would have found the item: full-information feedback,
censored at the largest budget. The learner keeps, per context cell, a
bounded buffer of these rank vectors and estimates the coverage of any
configuration ``B = {arm: budget}`` as a Horvitz-Thompson mean::

    cov(B) = sum_i [B covers r_i] / w_i  /  N

where ``N`` counts the cell's resolved searches (clicks and skips) and ``w_i``
is the probability that the *logging* policy's configuration would have
covered click ``i`` (known exactly: the policy's draw is logged and ``r_i`` is
known for every arm). Only covered targets can be clicked, so without the
``1 / w_i`` weights the arms the policy already runs would look perfect and an
arm it rarely runs useless; with them the estimate is unbiased for every
configuration the exploration reaches. A skip adds to ``N`` only: it is
censored evidence, not a zero for the arms that happened to run. A target the
user found *after* the search failed them (:meth:`CoverageLearner.observe_found_later`,
the engine's ``found_later``) joins the buffer with weight 1: misses are seen
that way whatever the policy ran, so what would have fixed them is learned
without exploring for it (underestimated, since only some misses are
followed up).
A *judged* search (someone says what was wanted, retrieved or not; a random share ``s`` of
searches) is heard whatever ran: with judgments, a row reaches the buffer with chance
``s + (1 - s) w`` and is weighted by its inverse (:meth:`CoverageLearner.observe`), so
misses no configuration of the policy could retrieve are learned without exploring for them.

**Context.** Cells form a hierarchy: the query's kind (shape, script,
typo-likeness, what query understanding found) -> its shape -> everything.
A cell's estimate is shrunk towards its parent's with ``prior`` pseudo
searches (hierarchical smoothing), so a new kind of query starts from what
its shape, then all queries, taught. The default, 50, is strong on purpose:
with a weak prior a fine cell drops an arm its kind needs on the strength of
a few searches; the price is that a cell also borrows its parent's gain for
arms only its siblings need, until its own data outweighs the prior.
What an arm adds at a depth is seen only on searches that ran it that deep,
so each step of an arm's ladder is shrunk with the cell's *reach* there (the
decayed count of its searches whose logging policy ran the arm at least that
deep, in expectation) rather than with all its searches: an arm a cell never
runs takes its parent's gain instead of a confident zero, so a gain found in
sibling cells (a new kind of query that several cells now receive) reaches
the cells that have not explored it, and the cell's own evidence takes over as
fast as it runs the arm. ``context=0`` keeps only the root: the
context-free baseline. Counts decay with a half-life (in resolved searches)
so the learner follows drift, and buffers are bounded: the state's size does
not grow with the length of the history.

**Choice.** Coverage of a union is monotone submodular in the set of
``(arm, budget)`` increments, so the configuration is built greedily: at each
step the increment with the best coverage gain per candidate is taken while
its gain exceeds ``cost_per_candidate`` times its candidates (Streeter &
Golovin 2008, online submodular maximisation; Yue & Guestrin 2011, linear
submodular bandits, for the coverage view of diversified retrieval). With a
coverage *floor*, the price is ``floor_cost`` while the configuration built so
far covers less than the floor, and ``cost_per_candidate`` from there on
(:func:`ltrr.bandit.coverage.plan.price`): asks served well are planned
tightly, asks served badly still buy recall. A
candidate is counted as what the arm actually returns in this cell
(``min(budget, its list length)``), so an arm that returns little costs little;
and an arm that joins arms already chosen pays only for the share of its finds
that no other arm returns (its smoothed share over the searches that ran it with
others, :func:`ltrr.reward.novel_shares`): the ranker scores, and the study
counts, the pool after the union, where an entity two arms return is one
candidate.
With ``doubt`` > 0 a step is bought on its estimated gain less that many standard errors
of it (the Horvitz-Thompson sum's, through the cells' shrinkage): a click-only cell never
sees a precise ask fully served, and one or two heavily weighted finds of another arm
then buy a hedge. Off by default: tried as the default, it cut candidates and did not
hold up on the study's seeds (docs/history.md, twenty-second part).
Optionally (``cost_per_ms``) starting an arm also costs its measured
milliseconds: a smoothed mean of the arm's logged run times
(:meth:`CoverageLearner.observe_latency`), so a slow arm must find more to
be run at all; its budget, once it runs, is still priced by candidates.

**Exploration.** Only deeper budgets are explored: from a click the ranks of
every arm are known, so shallower budgets are learned for free.

* *Wide*: every available arm runs at least at ``wide_budget``, so a miss
  that any arm could fix is discovered at once. Its chance
  (:meth:`CoverageLearner.wide_probability`) grows with what it may find -
  the greedy configuration's estimated miss rate at first, then more and more
  the measured gain of the wide configuration as wide explorations of the cell
  accumulate (a mood no arm understands stops paying for it) - and fades as
  the query's cell is learned.
* *Deepen*, with probability ``epsilon``: one arm is raised to a uniformly
  chosen higher level, among the levels that could pay (a step whose
  candidates cost more than the whole estimated miss rate can never be bought,
  so exploring it is pure cost; the highest level per arm is logged,
  ``deepen_top``). The arm is drawn in proportion to its estimated coverage
  alone at the deepest budget in this context plus a floor
  (:data:`DEEPEN_FLOOR`): a near miss of an arm that finds this kind of query
  (a typo at rank 3 of the fuzzy arm run at 1) is only seen when that arm is
  deepened, so the draws go where discoveries are.
* *A query that keeps failing* (:meth:`CoverageLearner.query_push`, with
  ``queries`` > 0): a cell's miss rate averages over all its queries, so new
  demand that is a minority of its cell (a few new phrasings asking what just
  came out, typed again and again) hardly moves it. Per recent query text the
  learner counts searches, clicked searches and wide explorations that got no
  click; the excess of the query's own miss rate over its cell's is added to
  the chance of wide exploration, fading as wide explorations of that query
  go unclicked. The counts are bounded: the ``queries`` most recently searched.
* *A query that keeps failing tries what it has not* (``tries``, with ``queries`` > 0):
  each recent query also remembers which arms its searches ran without holding what was
  clicked (a search nobody clicked counts as a try of an arm only as far as its finds were
  looked at: a find shown ninth in a wide exploration is little evidence that the arm fails
  the query; :func:`ltrr.reward.seen_shares`). Once it has gone ``tries`` searches without
  a click, every arm its searches have not so run lately (an arm that held the click
  served the query before) joins its greedy configuration at the ladder's first step (a
  handful of candidates, once per
  :data:`~ltrr.bandit.coverage.explore.QUERY_HALFLIFE` of its searches, or again once the
  query has failed :data:`~ltrr.bandit.coverage.explore.TRY_AGAIN_AFTER` times since the arm
  last ran: one try, by a click on another arm's find that may have been a stray tap, is
  not a verdict), and those arms'
  finds are shown like exploration's (the decision logs them as ``tried``; see
  :mod:`ltrr.rank.stage`). Wide exploration reaches such a query rarely when it is a
  minority of a cell its neighbours serve well (asks for what just came out, among
  titles), and a wide pool can bury the one find; one click of the query then tells its
  own cell which arm serves it. The greedy configuration is still a function of the
  learner's state, so propensities stay exact.
* *Drift alarm* (:meth:`CoverageLearner.drift_alarm`): fading judges past
  demand. When a cell's coverage over its last :data:`RECENT` searches falls
  more than :data:`ALARM_Z` standard errors below its coverage over the whole
  window, the fall is added, unfaded, to the chance of wide exploration
  (logged as ``alarm``), until the new searches are served or the window has
  absorbed the change.
* *Slump alarm* (``slump``; :func:`~ltrr.bandit.coverage.explore.slump_alarm`): the
  lock-in the drift alarm cannot see. A cell that stops running the arm that served part of
  it hears of those searches only as skips, and in a small cell a few clicks found under
  rare exploration weigh so much that the estimated coverage of the cheaper plan stays
  saturated. So every cell also keeps raw decayed counts (slow and fast) of its searches,
  of those that ended in a click and of its plans' breadth; when its recent share of served
  searches falls more than :data:`ALARM_Z` standard errors below the long-run share *while*
  its plans got narrower, the fall is added to the chance of wide exploration (logged as
  ``slump``), until the cell is served again. It needs a cell whose history is longer than
  its fast window: the study's one lost intent was in cells of 20-70 searches, where it
  cannot fire (docs/history.md, eighth part).

Every configuration has a known probability, the logged propensities are
exact (per arm: the chance it runs, and the chance of the very budget it
got), and ``w_i`` above is computed from the logged greedy configuration and
exploration rule.

**Credit** for reports and the log is :func:`ltrr.reward.marginal_credit`.
"""
from ltrr.bandit.coverage.cells import LADDER
from ltrr.bandit.coverage.learner import CoverageLearner

__all__ = ["CoverageLearner", "LADDER"]
