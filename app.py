"""ltrr playground: the Search page.

Run with ``streamlit run app.py``. UI only: widgets -> engine API -> render.
"""
from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from ltrr_app import cards, charts, shared
from ltrr_app.shared import guarded

log = logging.getLogger("ltrr.app")

EXAMPLES = ["tayler love", "90s rap playlist", "sad songs", "workout", "new releases", "history podcast"]
K_CHOICES = [5, 10, 20]

shared.page_setup("Search", ":material/search:")
state = st.session_state
state.setdefault("ltrr_k", 10)
# Widgets start from the session's canonical values (kept outside widget state, which pages do not share).
state.setdefault("ltrr_user_pick", state["ltrr_user"])
state.setdefault("ltrr_hour_pick", int(state["ltrr_hour"]))
state.setdefault("ltrr_k_pick", state["ltrr_k"])
state.setdefault("ltrr_played", [])        # entity ids played from the response on screen

engine = shared.current_engine()
shared.sidebar_status(engine)


# --- callbacks (run before the next script run, so counters update at once) ----

def use_example() -> None:
    """Copy a clicked example into the query box."""
    if state.get("ltrr_example"):
        state["ltrr_query"] = state["ltrr_example"]
        state["ltrr_example"] = None


def play(resp_id: str, entity_id: str, title: str, context: dict) -> None:
    """The ▶ Play button: a click reward for the arms, the memory and the ranker."""
    from ltrr.errors import LtrrError

    if not shared.engine_hub().claim_click(resp_id, entity_id):
        st.toast(f"Already played **{cards.md_escape(title)}** for this search", icon=":material/info:")
        return
    before = probabilities(context)
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
    state["ltrr_played"] = [*state["ltrr_played"], entity_id]
    state["ltrr_feedback"] = {"title": title, "entity_id": entity_id, "fb": fb,
                              "before": before, "after": probabilities(context)}
    st.toast(f"Playing **{cards.md_escape(title)}**", icon=":material/headphones:")


def probabilities(context: dict) -> dict[str, float]:
    """The bandit's current selection probability per arm for a context (empty on error)."""
    try:
        return {r["arm"]: float(r.get("selection_probability") or 0.0) for r in engine.arm_report(context)}
    except Exception:  # noqa: BLE001 - a missing report only hides a column
        log.exception("arm_report failed")
        return {}


# --- header and search box -------------------------------------------------

st.title("Music search playground")
st.caption("Several retrieval strategies compete for every query; a contextual bandit picks which ones to run, "
           "LambdaMART reranks their union, and every ▶ Play teaches all three.")

with st.container(border=True):
    q_col, user_col, hour_col, k_col, go_col = st.columns([5, 1.3, 1.8, 1, 1.1], vertical_alignment="bottom")
    query = q_col.text_input("Search the catalog", key="ltrr_query", persist_state="session",
                             placeholder="Try “tayler love”, “90s rap playlist”, “sad songs”…",
                             icon=":material/search:")
    user = user_col.selectbox("User", shared.USERS, key="ltrr_user_pick", persist_state="session",
                              accept_new_options=True, help="Who is searching (part of the bandit's context)")
    hour = hour_col.slider("Time of day", 0, 23, key="ltrr_hour_pick", persist_state="session", format="%d:00",
                           help="Hour of the search (part of the bandit's context)")
    k = k_col.selectbox("Results", K_CHOICES, key="ltrr_k_pick", persist_state="session")
    search_again = go_col.button("Search", key="ltrr_search_go", type="primary", icon=":material/search:",
                                 width="stretch", help="Run the query again (picks up what was just learned)")
    state["ltrr_user"], state["ltrr_hour"], state["ltrr_k"] = user or "guest", hour, k

context = {"user_id": state["ltrr_user"], "hour": int(hour)}
request = {"query": (query or "").strip(), **context, "k": k,
           "policy": state["ltrr_policy"], "catalog": state["ltrr_catalog"]}

if not request["query"]:
    state["ltrr_response"], state["ltrr_request"] = None, None
elif search_again or request != state["ltrr_request"]:
    with guarded("Search"):
        state["ltrr_response"] = engine.search(request["query"], context=context, k=k, explain=True)
        state["ltrr_request"] = request
        state["ltrr_played"] = []
        state["ltrr_feedback"] = None

shared.show_flashes()
resp = state["ltrr_response"]
# The bandit's view of this search, for "probability now" (the query is part of its context).
report_context = {**context, "query": resp.query} if resp is not None else context

# --- counters --------------------------------------------------------------

with guarded("Reading the engine status"):
    status = engine.status()
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric("Clicks this session", state["ltrr_clicks"], border=True,
              help="▶ Play clicks from this browser tab")
    m2.metric("Feedback given", f"{status.get('feedbacks', 0):,}", border=True,
              help="All feedback the engine has learned from (all sessions)")
    m3.metric("Searches", f"{status.get('searches', 0):,}", border=True, help="All sessions")
    m4.metric("Policy", status.get("policy", state["ltrr_policy"]), border=True,
              help="Switch on the Bandit page")
    m5.metric("Ranker", str(status.get("ranker", "?")).replace("lightgbm ", "LGBM "), border=True,
              help="heuristic until enough clicked searches, then LightGBM LambdaMART (version shown); train it on the Ranker page")

if resp is None:
    st.subheader("Start with a query")
    st.pills("Examples", EXAMPLES, key="ltrr_example", on_change=use_example, label_visibility="collapsed")
    st.caption("Misspell freely: the fuzzy and semantic arms are there for that. Switch user and time of day "
               "to see the bandit adapt to context.")
    st.stop()

# --- what the query was understood as --------------------------------------

if resp.message:
    st.info(resp.message, icon=":material/info:")

chips = cards.understanding_chips(resp.understanding)
st.markdown(f"**Understood as** {chips}" if chips else "")
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
                 "genres": ", ".join(i.genres), "moods": ", ".join(i.moods),
                 "years": f"{i.year_from or ''}–{i.year_to or ''}" if (i.year_from or i.year_to) else "",
                 "artists": ", ".join(i.artist_names), "free text": i.free_text}
                for i in getattr(und, "interpretations", ())]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         column_config={"likelihood": st.column_config.ProgressColumn(
                             "likelihood", min_value=0.0, max_value=1.0, format="%.2f")})
        else:
            st.caption("No structured reading: the query is treated as free text.")

# --- results and the bandit's choice ----------------------------------------

results_col, bandit_col = st.columns([1, 1], gap="large")

with results_col:
    st.subheader(f"Results · {resp.ranker}")
    if not resp.results:
        st.warning("No results for this query. Try another spelling or fewer words.", icon=":material/search_off:")
    played = set(state["ltrr_played"])
    for result in resp.results:
        def why(result=result) -> None:
            with guarded("Explaining this result"):
                cards.why_view(engine.explain(resp.id, result.entity_id), result)

        cards.result_card(result, key=f"ltrr_res_{resp.id}_{result.rank}", on_play=play,
                          play_args=(resp.id, result.entity_id, result.title, report_context),
                          why=why, played=result.entity_id in played)

with bandit_col:
    st.subheader("The bandit's choice")
    feedback = state["ltrr_feedback"]
    now = probabilities(report_context)
    rows = []
    for choice in resp.selection:
        row = {"arm": choice.arm,
               "run": f"✓ {choice.budget}" if choice.selected else ("building" if not choice.ready else "–"),
               "p then": float(choice.propensity), "p now": now.get(choice.arm),
               "E[reward]": float(choice.expectation)}
        if feedback and feedback["before"] and feedback["after"]:
            row["Δ p"] = feedback["after"].get(choice.arm, 0.0) - feedback["before"].get(choice.arm, 0.0)
        rows.append(row)
    if rows:
        config = {
            "run": st.column_config.TextColumn("run", width="small",
                                               help="✓ and its budget when the bandit ran this arm for the search"),
            "p then": st.column_config.NumberColumn("p then", format="%.2f", width="small",
                                                    help="Selection probability when this search ran"),
            "p now": st.column_config.ProgressColumn("p now", min_value=0.0, max_value=1.0, format="%.2f",
                                                     help="Selection probability for this context now"),
            "E[reward]": st.column_config.NumberColumn("E[reward]", format="%.2f", width="small",
                                                       help="Expected reward when this search ran"),
            "Δ p": st.column_config.NumberColumn("Δ p", format="%+.2f", width="small",
                                                 help="How the last ▶ Play moved the probability"),
        }
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=config,
                     key="ltrr_choice_table")
    else:
        st.caption("No arm choice recorded for this search.")

    st.subheader("Last feedback")
    if not feedback:
        st.caption(f"Press {cards.PLAY_LABEL} on a result: the arms that found it get a reward, the query→entity "
                   "memory counts the click and the ranker stores a training example.")
    else:
        fb = feedback["fb"]
        with st.container(border=True):
            st.markdown(f":material/play_circle: **{cards.md_escape(feedback['title'])}** played from position "
                        f"**{fb.position}**")
            rewards = " ".join(f":{'green' if r > 0 else 'gray'}-badge[{cards.md_escape(a)} {r:+.2f}]"
                               for a, r in sorted(fb.rewards.items(), key=lambda kv: -kv[1]))
            if rewards:
                st.markdown(f"Rewards to the bandit: {rewards}")
            else:
                st.caption("The bandit learns from the first click on a search only; this click "
                           "updated the memory and the ranker's data.")
            mem = shared.as_dict(fb.memory)
            c1, c2, c3, c4 = st.columns(4)
            c1.metric("Impressions", mem.get("impressions", 0))
            c2.metric("Clicks", mem.get("clicks", 0))
            c3.metric("Observed", f"{float(mem.get('observed') or 0):.2f}")
            c4.metric("Predicted", f"{float(mem.get('predicted') or 0):.2f}")
            st.caption(f"Memory entry “{cards.md_escape(mem.get('query', resp.query))}” → "
                       f"`{mem.get('entity_id', feedback['entity_id'])}` · ranker training examples: "
                       f"{fb.ranker_examples:,}")

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
final_rank = {r.entity_id: r.rank for r in resp.results}
pool = pd.DataFrame([{"pool #": p.rank, "title": p.title, "type": p.entity_type, "by": ", ".join(p.arms),
                      "final #": final_rank.get(p.entity_id)} for p in resp.pool])
if pool.empty:
    st.caption("The pool is empty: no selected arm returned anything.")
else:
    pool["move"] = pool.apply(lambda r: "" if pd.isna(r["final #"]) else
                              ("↑" if r["final #"] < r["pool #"] else "↓" if r["final #"] > r["pool #"] else "="),
                              axis=1)
    st.caption(f"The union of the selected arms ({len(pool)} candidates, in union order) and where the ranker put "
               f"each one; rows without a final rank fell outside the top {len(resp.results)}.")
    st.dataframe(pool, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(pool)),
                 column_config={"final #": st.column_config.NumberColumn(format="%d")}, key="ltrr_pool_table")

if resp.timings:
    st.caption("Timings: " + " · ".join(f"{stage} {ms:.0f} ms" for stage, ms in resp.timings.items()))
