"""Rendering search results: result cards, type badges, query-understanding chips,
per-arm columns and the "why" view. Display only; the engine decides everything."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd
import streamlit as st

from ltrr_app import bandit_view, charts, labels

PLAY_LABEL = "▶ Play"   # one label everywhere, so people and tests find the button the same way

TYPE_COLORS = {"track": "blue", "artist": "violet", "album": "orange", "playlist": "green",
               "podcast": "red", "episode": "gray"}
# Material icons, not emoji: they render the same on every machine (headless chromium has no emoji font).
TYPE_ICONS = {"track": ":material/music_note:", "artist": ":material/mic:", "album": ":material/album:",
              "playlist": ":material/queue_music:", "podcast": ":material/podcasts:",
              "episode": ":material/headphones:"}


def md_escape(text: Any) -> str:
    """Text safe to embed in Streamlit markdown (titles can hold *, [, $ ...)."""
    out = str(text if text is not None else "")
    for ch in "\\`*_{}[]<>()#+-.!|$~:":
        out = out.replace(ch, "\\" + ch)
    return out


def type_badge(entity_type: str) -> str:
    """Inline markdown badge for an entity type."""
    color = TYPE_COLORS.get(entity_type, "gray")
    return f":{color}-badge[{TYPE_ICONS.get(entity_type, '')} {md_escape(entity_type)}]"


def arm_badges(arms: Iterable[str]) -> str:
    """Small grey badges naming the arms that retrieved a result."""
    return " ".join(f":gray-badge[{md_escape(a)}]" for a in arms)


def understanding_chips(understanding) -> str:
    """The query understanding as one line of chips (intent, slots, leftover text)."""
    if understanding is None:
        return ""
    chips = []
    intent = getattr(understanding, "intent", "any")
    type_scores = getattr(understanding, "type_scores", {}) or {}
    confidence = type_scores.get(intent)
    chips.append(f":violet-badge[:material/target: intent: {md_escape(intent)}"
                 + (f" {confidence:.0%}" if confidence is not None else "") + "]")
    best = understanding.best
    for genre in best.genres:
        chips.append(f":blue-badge[genre: {md_escape(genre)}]")
    for sub in getattr(best, "subgenres", ()):
        chips.append(f":blue-badge[subgenre: {md_escape(sub)}]")
    for mood in best.moods:
        chips.append(f":orange-badge[mood: {md_escape(mood)}]")
    for activity in getattr(best, "activities", ()):
        chips.append(f":orange-badge[activity: {md_escape(activity)}]")
    if best.year_from is not None or best.year_to is not None:
        years = f"{best.year_from or '…'}–{best.year_to or '…'}"
        chips.append(f":green-badge[years: {years}]")
    for name in best.artist_names:
        chips.append(f":red-badge[artist: {md_escape(name)}]")
    if best.entity_type:
        chips.append(f":violet-badge[type: {md_escape(best.entity_type)}]")
    if getattr(best, "new_release", False):
        chips.append(":green-badge[new releases]")
    if best.free_text:
        chips.append(f":gray-badge[text: “{md_escape(best.free_text)}”]")
    return " ".join(chips)


def result_title_line(result) -> str:
    """Markdown: type badge, bold title, and the subtitle (artist, curator, show)."""
    subtitle = f" · {md_escape(result.subtitle)}" if getattr(result, "subtitle", "") else ""
    return f"{type_badge(result.entity_type)} **{md_escape(result.title)}**{subtitle}"


def result_card(result, *, key: str, on_play: Callable[..., None], play_args: tuple,
                why: Callable[[], None] | None = None, played: bool = False) -> None:
    """One ranked result: rank, badges, title, arms, score, a "why" popover and a Play button."""
    with st.container(border=True):
        rank_col, body, action = st.columns([0.08, 0.7, 0.22], vertical_alignment="center")
        rank_col.markdown(f"#### {result.rank}")
        with body:
            st.markdown(result_title_line(result))
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                # No raw score: the ranker's scale (heuristic or LightGBM log-odds) means nothing to people.
                st.caption(f"found by {arm_badges(result.arms)}" + ("  · :green[played ✓]" if played else ""))
                if why is not None:
                    # Lazy: the explanation is computed only while the popover is open.
                    pop = st.popover("Why?", key=f"{key}_why", on_change="rerun", type="tertiary",
                                     icon=":material/help:", help="Why is this result here?")
                    with pop:
                        if pop.open:
                            why()
        with action:
            st.button(PLAY_LABEL, key=f"{key}_play", on_click=on_play, args=play_args,
                      type="primary" if not played else "secondary", width="stretch",
                      help="Play this result: counts as a click and rewards the arms that found it")


def why_view(explanation: dict[str, Any], result) -> None:
    """Which arms found a result (their own ranks) and what moved its score, in plain words."""
    st.markdown(f"**{md_escape(result.title)}** {type_badge(result.entity_type)}")
    arms = explanation.get("arms", {}) or {}
    if arms:
        # Ranks, not raw scores: each arm scores on its own scale (BM25 25.5 vs memory 0.09).
        found = sorted(arms.items(), key=lambda kv: kv[1].get("rank") or 10**9)
        st.markdown("Found by " + ", ".join(f"**{md_escape(labels.arm_label(a))}** at #{v.get('rank')}"
                                            for a, v in found))
    else:
        st.caption("No arm detail recorded for this result.")
    shares = labels.contribution_shares(explanation.get("contributions", {}) or {}, top=8)
    st.caption("What moved its score (share of the ranker's decision)")
    chart = charts.contributions_chart(dict(shares), top=8, width=360)
    if chart is not None:
        st.altair_chart(chart, width="content")
    else:
        st.caption("No per-feature contributions for this result.")


def slot_summary(interpretation) -> str:
    """One reading's slots in one line: "genre rap · years 1990-1999 · artist Drake"."""
    parts = [f"genre {g}" for g in interpretation.genres]
    parts += [f"mood {m}" for m in interpretation.moods]
    parts += [f"activity {a}" for a in getattr(interpretation, "activities", ())]
    if interpretation.year_from or interpretation.year_to:
        parts.append(f"years {interpretation.year_from or ''}–{interpretation.year_to or ''}")
    parts += [f"artist {n}" for n in interpretation.artist_names]
    if getattr(interpretation, "new_release", False):
        parts.append("new releases")
    return " · ".join(parts)


def arm_chips(used: list[tuple[str, int]]) -> str:
    """Markdown chips "lexical · 10" in each arm's colour family."""
    return " ".join(f":blue-badge[{md_escape(arm)} · {budget}]" for arm, budget in used)


def feedback_box(feedback: dict, trails: dict, query_norm: str) -> None:
    """The last ▶ Play: position, credit per arm, the memory entry and the rank trail."""
    fb = feedback["fb"]
    with st.container(border=True):
        st.markdown(f":material/play_circle: **{md_escape(feedback['title'])}** played from position "
                    f"**{fb.position if fb.position is not None else '–'}**")
        if fb.rewards:
            credit = " ".join(f":{'green' if r > 0 else 'gray'}-badge[{md_escape(a)} "
                              f"{'found it' if r > 0 else 'missed'}]"
                              for a, r in sorted(fb.rewards.items(), key=lambda kv: (-kv[1], kv[0])))
            st.markdown(f"Credit to the arms that ran: {credit}")
        else:
            st.caption("The bandit learns from the first click on a search only; this click updated the "
                       "memory and the ranker's data.")
        mem = feedback_memory(fb)
        st.caption(f"Memory of past clicks for “{md_escape(mem.get('query', query_norm))}” → this result: "
                   f"{labels.count(float(mem.get('impressions') or 0), 'impression', '.1f')} (expected views), "
                   f"{labels.count(int(mem.get('clicks') or 0), 'click')} · "
                   f"ranker training rows: {int(fb.ranker_examples):,}")
        trail = trails.get(bandit_view.trail_key(query_norm, feedback["entity_id"]))
        if trail and trail["ranks"]:
            st.markdown(f"**Rank trail** of this result for this query: "
                        f"{bandit_view.trail_text(trail['ranks'])}  \n"
                        ":gray[press **Search** again to see where it goes next]")


def feedback_memory(fb) -> dict[str, Any]:
    """The memory entry a feedback returned, as a dict (it may be a dict or a dataclass)."""
    mem = getattr(fb, "memory", None) or {}
    if isinstance(mem, dict):
        return mem
    return dict(vars(mem))


def pool_frame(resp) -> pd.DataFrame:
    """The blended pool in its pre-rank order with each candidate's real final rank.

    ``before``: position in the union before ranking (best rank in any arm);
    ``after``: the final rank, or "below top k" when the ranker put it outside
    the list shown (never None); ``move`` compares the two.
    """
    final_rank = {r.entity_id: r.rank for r in resp.results}
    k = len(resp.results)
    rows = []
    for p in resp.pool:
        after = final_rank.get(p.entity_id)
        if after is None:
            move, after_text = "↓", f"below top {k}"
        else:
            move = "↑" if after < p.rank else "↓" if after > p.rank else "="
            after_text = str(after)
        rows.append({"before": int(p.rank), "after": after_text, "move": move, "title": p.title,
                     "type": p.entity_type, "found by": ", ".join(p.arms)})
    return pd.DataFrame(rows, columns=["before", "after", "move", "title", "type", "found by"])


def arm_column(arm: str, choice, results: list, limit: int = 5) -> None:
    """One strategy's top results, marked selected or not by the bandit, with its budget."""
    with st.container(border=True, height="stretch"):
        color = charts.ARM_COLORS.get(arm, "#888888")
        st.markdown(f"<span style='color:{color};font-size:1.2rem'>●</span> **{md_escape(arm)}**",
                    unsafe_allow_html=True)
        if choice is None:
            st.caption(":gray-badge[not offered]")
        elif not getattr(choice, "ready", True):
            st.caption(":orange-badge[:material/hourglass_top: still building]")
        elif choice.selected:
            st.caption(f":green-badge[:material/check: ran] :blue-badge[budget {choice.budget}]")
        else:
            st.caption(":gray-badge[not run] top 10 shown for comparison")
        if not results:
            st.caption("no results")
            return
        lines = []
        for r in results[:limit]:
            sub = f" · {md_escape(r.subtitle)}" if r.subtitle else ""
            lines.append(f"{r.rank}. {TYPE_ICONS.get(r.entity_type, '')} {md_escape(r.title)}"
                         f"<span style='color:#888'>{sub}</span>")
        st.markdown("<br>".join(lines), unsafe_allow_html=True)
        if len(results) > limit:
            st.caption(f"+ {len(results) - limit} more")
