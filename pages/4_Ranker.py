"""Ranker page: LambdaMART training status, retraining and feature importances."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ltrr_app import charts, labels, shared
from ltrr_app.labels import count
from ltrr_app.shared import guarded

engine = shared.open_page("Ranker", ":material/leaderboard:", "Ranker: ordering the blended candidates",
                          "Until enough searches have a click, a hand-written heuristic orders the union of the "
                          "arms' candidates. After that a LightGBM LambdaMART model learns from the clicked "
                          "sessions, and it retrains in the background as clicks arrive.")
state = st.session_state


def train_now() -> None:
    """The retrain button: train synchronously and keep the report for this run."""
    from ltrr.errors import LtrrError

    try:
        state["ltrr_rank_report"] = engine.train_ranker()
        shared.flash("success", "Ranker trained.")
    except LtrrError as exc:
        shared.flash("warning", f"**Not trained.** {exc}")
    except Exception as exc:  # noqa: BLE001 - shown, never a traceback
        shared.flash("error", f"**Training failed.** {shared.error_text(exc)}")


REPORT_LABELS = {
    "n_sessions": "clicked searches used", "n_train": "… for training", "n_holdout": "… held out to compare",
    "n_rows": "rows (results shown in those searches)", "ndcg_model": "NDCG@10 of the model (held out)",
    "ndcg_heuristic": "NDCG@10 of the heuristic (held out)", "adopted": "adopted", "version": "model version",
    "trained_at": "trained at", "seconds": "training time (s)", "reason": "why not trained",
}


def fmt(value) -> str:
    """A report value for people: 3 decimals for fractions, never "nan"."""
    if isinstance(value, float):
        return "–" if value != value else f"{value:.3f}"
    return "–" if value is None else str(value)


status: dict = {}
with guarded("Reading the ranker status"):
    status = engine.ranker_status()

sessions, needed = int(status.get("n_sessions", 0) or 0), int(status.get("min_sessions", 0) or 0)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Model", shared.ranker_label(status.get("label")), border=True)
c2.metric("Clicked searches", f"{sessions:,}", border=True, help=f"Needed before the first training: {needed:,}")
c3.metric("Clicks recorded", f"{int(status.get('n_examples', 0) or 0):,}", border=True,
          help="One training example per click (a search clicked twice counts twice); each holds every result "
               "that search showed, so the report's rows are many more")
c4.metric("Needed to train", f"{needed:,}", border=True, help="Clicked searches before the first model")
if needed and sessions < needed:
    st.progress(min(1.0, sessions / needed), text=f"{sessions:,} of {count(needed, 'clicked search')} before the first model. "
                "Quickest way there: run the Simulator and apply its log to the live state.")
elif status.get("report") and not status.get("trained"):
    last = status["report"]
    st.info(f"A LambdaMART model was trained on {count(int(last.get('n_sessions') or 0), 'clicked search')} but not "
            "adopted: on the held-out searches it ranked clicks worse than the heuristic "
            f"(NDCG@10 {fmt(last.get('ndcg_model'))} vs {fmt(last.get('ndcg_heuristic'))}). It retrains as clicks "
            "arrive.", icon=":material/info:")

too_few = bool(needed) and sessions < needed
st.button("Retrain now", key="ltrr_rank_train", type="primary", icon=":material/model_training:",
          on_click=train_now, disabled=too_few,
          help=f"Needs {count(needed, 'clicked search')}" if too_few else "Train on every clicked search stored so far")
shared.show_flashes()

report = state.get("ltrr_rank_report") or status.get("report") or {}
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Feature importances")
    with guarded("Reading feature importances"):
        importances = engine.feature_importances()
        # Plain names: "rank in semantic", not rr_semantic.
        chart = charts.importance_chart({labels.feature_label(k): v for k, v in (importances or {}).items()})
        if chart is None:
            st.info("No model yet, so no importances: the heuristic ranker is in use.",
                    icon=":material/hourglass_empty:")
        else:
            if not status.get("trained"):
                st.caption("No model trained yet: these are the heuristic ranker's weights.")
            st.altair_chart(chart, width="stretch")
with right:
    st.subheader("Last training")
    if not report:
        st.caption("Not trained yet.")
    else:
        # Paths and other internals stay off the screen; numbers and verdicts are what people read.
        scalars = {k: v for k, v in report.items()
                   if (isinstance(v, (int, float, bool)) or v is None
                       or (isinstance(v, str) and "/" not in v and "\\" not in v))}
        nested = {k: v for k, v in report.items() if isinstance(v, (dict, list))}
        if scalars:
            st.dataframe(pd.DataFrame([(REPORT_LABELS.get(k, k.replace("_", " ")), fmt(v))
                                       for k, v in scalars.items()], columns=["measure", "value"]),
                         hide_index=True, width="stretch")
        for key, value in nested.items():
            with st.expander(str(key)):
                st.json(value)
