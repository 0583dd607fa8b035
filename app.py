"""ltrr playground: the Search page.

Run with ``streamlit run app.py``. UI only: widgets -> engine API -> render.
"""
from __future__ import annotations

import logging

import streamlit as st

from ltrr_app import labels, shared
from ltrr_app.labels import count
from ltrr_app.shared import K_CHOICES, guarded

log = logging.getLogger("ltrr.app")

shared.page_setup("Search", ":material/search:")
state = st.session_state
# Widgets start from the session's canonical values (kept outside widget state, which pages do not share).
state.setdefault("ltrr_user_pick", state["ltrr_user"])
state.setdefault("ltrr_hour_pick", int(state["ltrr_hour"]))
state.setdefault("ltrr_k_pick", state["ltrr_k"])
state.setdefault("ltrr_played", [])        # entity ids played from the response on screen
state.setdefault("ltrr_left", None)         # (id, query) of this user's previous search, left without a play

# The search box is drawn before the engine is needed: on a first start the engine takes a while
# to open (catalog, indexes), and the box must not wait for it (see shared.current_engine).
engine = shared.current_engine() if shared.engine_is_open() else None


def example_hint() -> str:
    """The search box's placeholder: this catalog's examples once the engine is open, a plain
    hint before (the catalog's examples are read through the engine)."""
    if engine is None:
        return "Search songs, artists, albums, playlists…"
    from ltrr_app import demo   # pandas and Altair: imported here rather than before the first paint

    found = demo.examples(demo.catalog_facts(engine, shared.catalog_path()))
    return "Try " + ", ".join(f"“{e}”" for e in found[:3]) + "…"


# --- callbacks (run before the next script run, so counters update at once) ----

def use_example() -> None:
    """Copy a clicked example into the query box."""
    if state.get("ltrr_example"):
        state["ltrr_query"] = state["ltrr_example"]
        state["ltrr_example"] = None


def play(resp_id: str, entity_id: str, title: str, context: dict, rank: int, query_norm: str) -> None:
    """The ▶ Play button: a click reward for the arms, the memory and the ranker."""
    from ltrr.errors import LtrrError

    if not shared.engine_hub().claim_click(resp_id, entity_id):
        st.toast(f"Already played **{cards.md_escape(title)}** for this search", icon=":material/info:")
        return
    before = estimates(context)
    try:
        fb = engine.feedback(resp_id, entity_id, action="click")
    except LtrrError as exc:
        shared.flash("error", f"**Feedback not recorded.** {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - shown as a message, never a traceback
        log.exception("feedback failed")
        shared.flash("error", f"**Feedback failed.** {shared.error_text(exc)}")
        return
    state["ltrr_clicks"] += 1
    left = state["ltrr_left"]
    if left is not None:
        state["ltrr_left"] = None
        try:
            # The search before this one was left without a play: what was found now tells it which arm,
            # how deep, would have served its query.
            engine.feedback(left[0], entity_id, action="found_later")
            st.toast(f"…and your previous search “{cards.md_escape(left[1])}” learns it was looking for this",
                     icon=":material/school:")
        except Exception:  # noqa: BLE001 - the click itself is recorded; this extra lesson is optional
            log.exception("found_later feedback failed")
    state["ltrr_played"] = [*state["ltrr_played"], entity_id]
    state["ltrr_feedback"] = {"title": title, "entity_id": entity_id, "fb": fb,
                              "before": before, "after": estimates(context)}
    bandit_view.start_trail(state["ltrr_trails"], query_norm, entity_id, title, rank)
    st.toast(f"Playing **{cards.md_escape(title)}**", icon=":material/headphones:")


def estimates(context: dict) -> dict[str, float | None]:
    """The bandit's estimated chance per arm for a context, in [0, 1] (empty on error)."""
    try:
        return bandit_view.estimates(engine.arm_report(context))
    except Exception:  # noqa: BLE001 - a missing report only hides a chart
        log.exception("arm_report failed")
        return {}


# --- header, guided story and search box -----------------------------------------

st.title("Music search playground")
st.caption("Several retrieval strategies (arms) compete for every query; a bandit picks which to run and how "
           "many candidates each may return, a ranker orders their union, and every ▶ Play teaches all three.")
story_slot = st.container()   # filled after the search, so the story shows this search's evidence

with st.container(border=True):
    q_col, user_col, hour_col, k_col, go_col = st.columns([4.2, 1.3, 1.8, 1, 1.5], vertical_alignment="bottom")
    query = q_col.text_input("Search the catalog", key="ltrr_query", persist_state="session",
                             placeholder=example_hint(), icon=":material/search:")
    user = user_col.selectbox("User", shared.USERS, key="ltrr_user_pick", persist_state="session",
                              accept_new_options=True, help="Who is searching (part of the bandit's context)")
    hour = hour_col.slider("Time of day", 0, 23, key="ltrr_hour_pick", persist_state="session", format="%d:00",
                           help="Hour of the search (part of the bandit's context)")
    k = k_col.selectbox("Results", K_CHOICES, key="ltrr_k_pick", persist_state="session")
    search_again = go_col.button("Search", key="ltrr_search_go", type="primary", icon=":material/search:",
                                 width="stretch", help="Run the query again (picks up what was just learned)")
    state["ltrr_user"], state["ltrr_hour"], state["ltrr_k"] = user or "guest", hour, k
shared.sync_url()

if engine is None:
    shared.current_engine()   # waits with a progress panel, saying when a query typed meanwhile will run
    st.rerun()                # the page again, now with its engine: the catalog's examples, the query's answer

# Imported once the search box is on screen: pandas and Altair take seconds on a busy machine.
# (The callbacks above use them too; they run only after a page run has come this far.)
import pandas as pd  # noqa: E402

from ltrr_app import bandit_view, cards, charts, demo  # noqa: E402

facts = demo.catalog_facts(engine, shared.catalog_path())

context = {"user_id": state["ltrr_user"], "hour": int(hour)}
request = {"query": (query or "").strip(), **context, "k": k,
           "policy": state["ltrr_policy"], "catalog": state["ltrr_catalog"]}

if not request["query"]:
    state["ltrr_response"], state["ltrr_request"] = None, None
elif search_again or request != state["ltrr_request"]:
    with guarded("Search"):
        # The session id is not part of the request: a new one must not rerun the search by itself.
        session = {**context, "session_id": shared.search_session(context["user_id"])}
        resp_new = engine.search(request["query"], context=session, k=k, explain=True)
        before, asked = state["ltrr_response"], state["ltrr_request"]
        # A search the same user left without a play may be rescued by what they play next.
        left = before is not None and not state["ltrr_played"] and asked and asked["user_id"] == context["user_id"]
        state["ltrr_left"] = (before.id, before.query) if left else None
        state["ltrr_response"] = resp_new
        state["ltrr_request"] = request
        state["ltrr_played"] = []
        state["ltrr_feedback"] = None
        bandit_view.update_trails(state["ltrr_trails"], resp_new.understanding.query, resp_new.results)
        demo.remember_response(resp_new)

with story_slot:
    demo.story_panel(engine, facts, page="search")
shared.show_flashes()
resp = state["ltrr_response"]
# The bandit's view of this search, for "estimate now" (the query is part of its context).
report_context = {**context, "query": resp.query} if resp is not None else context

# --- counters: one source (engine.status), drawn after the search ------------------

status: dict = {}
with guarded("Reading the engine status"):
    status = engine.status()
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Clicks this session", state["ltrr_clicks"], border=True,
              help="▶ Play clicks from this browser tab")
    m2.metric("Searches", f"{status.get('searches', 0):,}", border=True,
              help="Every search this policy's state holds (all sessions)")
    m3.metric("Clicks", f"{status.get('clicks', 0):,}", border=True,
              help="Every click this policy's state holds (all sessions)")
    m4.metric("Ranker", shared.ranker_label(status.get("ranker")), border=True,
              help="A hand-written heuristic until enough clicked searches, then LightGBM LambdaMART "
                   "(version shown); see the Ranker page")
shared.sidebar_status(engine)

if resp is None:
    st.subheader("Start with a query")
    st.pills("Examples", demo.examples(facts), key="ltrr_example", on_change=use_example,
             label_visibility="collapsed")
    st.caption("Misspell freely: the typo-tolerant and meaning arms are there for that. Switch user and time "
               "of day to see the bandit adapt to context. Or pick a guided demo in the sidebar.")
    st.stop()

# --- what the query was understood as --------------------------------------

if resp.message:
    st.info(resp.message, icon=":material/info:")
for note in demo.honest_notes(resp.understanding, facts):
    st.info(note, icon=":material/info:")

chips = cards.understanding_chips(resp.understanding)
if chips:
    st.markdown(f"**Understood as** {chips}")
with st.expander("Query understanding in detail", icon=":material/psychology:"):
    und = resp.understanding
    left, right = st.columns([1, 2])
    with left:
        chart = charts.type_scores_chart(getattr(und, "type_scores", {}))
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        if getattr(und, "slot_confidence", None):
            st.caption("Slot confidence: " + " · ".join(f"{k} {v:.0%}" for k, v in und.slot_confidence.items()))
    with right:
        rows = [{"likelihood": i.likelihood, "type": i.entity_type or "any",
                 "slots": cards.slot_summary(i), "free text": i.free_text}
                for i in getattr(und, "interpretations", ())]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         column_config={"likelihood": st.column_config.ProgressColumn(
                             "likelihood", min_value=0.0, max_value=1.0, format="%.2f", width="small")})
        else:
            st.caption("No structured reading: the query is treated as free text.")

# --- results and the bandit's choice ----------------------------------------

results_col, bandit_col = st.columns([1, 1], gap="medium")

with results_col:
    st.subheader(f"Results · {shared.ranker_label(resp.ranker)}")
    if not resp.results:
        st.warning("No results for this query. Try another spelling or fewer words.", icon=":material/search_off:")
    played = set(state["ltrr_played"])
    query_norm = resp.understanding.query
    for result in resp.results:
        def why(result=result) -> None:
            with guarded("Explaining this result"):
                cards.why_view(engine.explain(resp.id, result.entity_id), result)

        cards.result_card(result, key=f"ltrr_res_{resp.id}_{result.rank}", on_play=play,
                          play_args=(resp.id, result.entity_id, result.title, report_context, result.rank,
                                     query_norm),
                          why=why, played=result.entity_id in played)

with bandit_col:
    st.subheader("The bandit's choice")
    used = bandit_view.chips(resp.selection)
    if used:
        st.markdown("**Arms used** (budget = candidates asked for): " + cards.arm_chips(used))
    else:
        st.caption("No arm ran for this search.")
    note = bandit_view.exploration_note(resp.decision, getattr(resp, "exposed", None),
                                        {c.arm: c.budget for c in resp.selection if c.selected})
    if note:
        st.caption(note)
    feedback = state["ltrr_feedback"]
    then = {c.arm: bandit_view.clip01(c.expectation) for c in resp.selection}
    if feedback and (feedback["before"] or feedback["after"]):
        fb = feedback["fb"]
        found = [a for a, r in fb.rewards.items() if r > 0]
        frame = bandit_view.before_after(feedback["before"], feedback["after"], found,
                                         [c.arm for c in resp.selection if c.selected])
        st.markdown(f"**Your ▶ Play moved the estimates** (★ found “{cards.md_escape(feedback['title'])}”)")
        chart = charts.before_after_chart(frame)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        else:
            st.caption("No estimate to compare yet.")
    else:
        frame = pd.DataFrame([{"arm": a, "value": v} for a, v in then.items() if v is not None])
        st.markdown("**Estimated chance each arm finds what you want**")
        chart = (charts.arm_bars(frame.rename(columns={"value": "chance"}), "chance", "", probability=True)
                 if not frame.empty else None)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        else:
            st.caption("No estimates yet: the bandit has not learned from a click in this context.")
    with st.expander("Details (probabilities as the policy reports them)", icon=":material/tune:"):
        detail = pd.DataFrame([{
            "arm": c.arm,
            "budget": int(c.budget) if c.selected else 0,
            "p(run)": bandit_view.clip01(c.propensity), "estimate": bandit_view.clip01(c.expectation),
            "raw": float(c.expectation) if c.expectation == c.expectation else None,
        } for c in resp.selection])
        # Pixel widths: five "small" columns (375 px) overflowed the half-page column (358 px) at 1280.
        st.dataframe(detail, hide_index=True, width="stretch", key="ltrr_choice_table", column_config={
            "arm": st.column_config.TextColumn("arm", width=80),
            "budget": st.column_config.NumberColumn("budget", width=60,
                                                    help="Candidates asked for (0: not run)"),
            "p(run)": st.column_config.NumberColumn("p(run)", format="%.2f", width=60,
                                                    help="Probability the policy runs this arm here"),
            "estimate": st.column_config.NumberColumn("estimate", format="%.2f", width=72,
                                                      help="Estimated chance to find the wanted item, 0..1"),
            "raw": st.column_config.NumberColumn("raw", format="%.2f", width=55,
                                                 help="As the policy reports it: optimistic policies add an "
                                                      "exploration bonus, which can exceed 1"),
        })
        building = [c.arm for c in resp.selection if not c.ready]
        if building:
            arm_status = (status.get("arms", {}) if isinstance(status, dict) else {})
            st.caption("Still building, not offered yet: "
                       + "; ".join(labels.readiness(a, arm_status.get(a, {})) for a in building) + ".")

    st.subheader("Last feedback")
    if not feedback:
        st.caption(f"Press {cards.PLAY_LABEL} on a result: the arms that found it get credit, the memory of "
                   "past clicks counts it and the ranker stores a training example.")
    else:
        cards.feedback_box(feedback, state["ltrr_trails"], query_norm)

# --- every strategy, the union and the reranking -----------------------------

st.divider()
st.subheader("What each strategy found")
st.caption("Every ready arm is shown; the bandit only ran the selected ones, each up to its budget.")
choices = {c.arm: c for c in resp.selection}
arms = list(dict.fromkeys([*choices, *resp.by_arm]))
per_row = 4
for start in range(0, len(arms), per_row):
    cols = st.columns(per_row)
    for col, arm in zip(cols, arms[start:start + per_row]):
        with col:
            cards.arm_column(arm, choices.get(arm), resp.by_arm.get(arm, []))

st.subheader("From blended pool to final ranking")
pool = cards.pool_frame(resp)
if pool.empty:
    st.caption("The pool is empty: no selected arm returned anything.")
else:
    st.caption(f"The union of the arms that ran ({count(len(pool), 'candidate')}) before ranking, ordered by each "
               f"candidate's best rank in any arm, and where the ranker put it (the top {len(resp.results)} "
               "are shown).")
    st.dataframe(pool, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(pool)),
                 key="ltrr_pool_table", column_config={
                     "before": st.column_config.NumberColumn("before ranking", format="%d", width="small"),
                     "after": st.column_config.TextColumn("after ranking", width="small"),
                     "move": st.column_config.TextColumn("move", width="small")})

if resp.timings:
    st.caption("Timings: " + " · ".join(f"{stage} {ms:.0f} ms" for stage, ms in resp.timings.items()))
