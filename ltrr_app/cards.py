"""Rendering search results: result cards, type badges, query-understanding chips,
per-arm columns and the "why" view. Display only; the engine decides everything."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd
import streamlit as st

from ltrr_app import charts

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
                st.caption(f"{arm_badges(result.arms)}  score {result.score:.3f}"
                           + ("  · :green[played ✓]" if played else ""))
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
    """The arms that retrieved a result, its features and the ranker's contributions."""
    st.markdown(f"**{md_escape(result.title)}** {type_badge(result.entity_type)}")
    arms = explanation.get("arms", {}) or {}
    if arms:
        frame = pd.DataFrame([{"arm": a, "rank in arm": v.get("rank"), "arm score": v.get("score")}
                              for a, v in arms.items()]).sort_values("rank in arm")
        st.caption("Retrieved by")
        st.dataframe(frame, hide_index=True, width=420)
    else:
        st.caption("No arm detail recorded for this result.")
    # A fixed width: a popover sizes itself to its content, and a stretchy chart collapses in it.
    chart = charts.contributions_chart(explanation.get("contributions", {}) or {}, top=10, width=380)
    st.caption("What moved its score (ranker contributions)")
    if chart is not None:
        st.altair_chart(chart, width="content")
    else:
        st.caption("No per-feature contributions (the heuristic ranker may not give any yet).")
    features = explanation.get("features", {}) or {}
    if features:
        with st.expander(f"All {len(features)} features"):
            st.dataframe(pd.DataFrame(sorted(features.items()), columns=["feature", "value"]),
                         hide_index=True, width=420, height=260)


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
            st.caption(f":green-badge[:material/check: selected] :blue-badge[budget {choice.budget}] "
                       f"p={choice.propensity:.2f}")
        else:
            st.caption(f":gray-badge[not selected] p={choice.propensity:.2f}")
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
