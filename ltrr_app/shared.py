"""What every page shares: session defaults, the one engine hub, the sidebar, errors.

Pages call :func:`page_setup` first, then :func:`current_engine`, then render.
Engines are opened once per process (``st.cache_resource``) and shared by all
sessions; each session's choices (policy, catalog, query, context) live in
``st.session_state`` under ``ltrr_`` keys.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import streamlit as st

from ltrr.bandit.policy import DEFAULT_POLICY, POLICY_NAMES, TIGHT_POLICY  # DEFAULT_POLICY: the engine's own default
from ltrr_app.hub import EngineHub, state_dir_for
from ltrr_app import labels
from ltrr_app.labels import count

log = logging.getLogger("ltrr.app")

USERS = ["u1", "u2", "u3", "u4", "guest"]

PAGES = [
    ("app.py", "Search", ":material/search:"),
    ("pages/1_Bandit.py", "Bandit", ":material/casino:"),
    ("pages/2_Memory.py", "Memory", ":material/psychology:"),
    ("pages/3_Simulator.py", "Simulator", ":material/groups:"),
    ("pages/4_Ranker.py", "Ranker", ":material/leaderboard:"),
    ("pages/5_Logs.py", "Logs", ":material/receipt_long:"),
    ("pages/6_Catalog.py", "Catalog", ":material/library_music:"),
]


# --- session -----------------------------------------------------------------

K_CHOICES = [5, 10, 20]
URL_KEYS = ("policy", "user", "hour", "k", "q")   # what a reload or a shared link keeps


def default_policy() -> str:
    """The engine's own default policy: ``Engine.open`` defaults to ``ltrr.bandit.policy.DEFAULT_POLICY``,
    read from there (never restated here). Reading it off ``Engine.open`` would import the engine,
    LightGBM and scikit-learn before the first page is drawn (seconds on a busy machine)."""
    return str(DEFAULT_POLICY)


def policy_choices(current: str | None = None) -> list[str]:
    """Policies offered in the sidebar: the default, the learner on a tight budget (where learning
    pays most: README, *Does learning pay?*), then every named policy (``static`` as ``static:lexical``)
    but the routing table, which the app has no judged searches to choose (``Engine.warm_start``)."""
    names = [n if n != "static" else "static:lexical" for n in POLICY_NAMES if n != "route"]
    return list(dict.fromkeys([default_policy(), TIGHT_POLICY, *names, *([current] if current else [])]))


def policy_label(policy: str) -> str:
    """How the sidebar names ``policy``: the two learners it offers first in words, any other as written."""
    plain = {default_policy(): "coverage: the learner (default)",
             TIGHT_POLICY: "coverage: tight budget"}
    return plain.get(policy, policy)


def valid_policy(text: object) -> str | None:
    """The policy ``text`` names, as the sidebar names it: the offered choice whose
    :class:`PolicySpec` it equals (``LinUCB`` and ``linucb:alpha=0.5`` are the offered ``linucb``,
    so a link does not open a second state folder for the same policy), else ``text`` as written;
    None when it is no policy (a hand-edited URL must not break the page)."""
    from ltrr.bandit.policy import PolicySpec

    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        return None
    try:
        spec = PolicySpec.parse(text.strip())
    except (ValueError, TypeError):
        return None
    for choice in policy_choices():
        try:
            if PolicySpec.parse(choice) == spec:
                return choice
        except ValueError:   # an offered static arm that is not registered here: not this policy
            continue
    return text.strip()


def url_values(params: Mapping[str, str]) -> dict[str, Any]:
    """The valid settings in a URL's query parameters; anything invalid is left out.

    ``{"policy": "all", "hour": "25", "k": "10", "q": "love"}`` ->
    ``{"policy": "all", "k": 10, "q": "love"}`` (hour 25 is not an hour).
    """
    out: dict[str, Any] = {}
    policy = valid_policy(params.get("policy"))
    if policy:
        out["policy"] = policy
    user = str(params.get("user") or "").strip()
    if user and len(user) <= 40 and user.isprintable():
        out["user"] = user
    try:
        hour = int(str(params.get("hour", "")).strip())
        if 0 <= hour <= 23:
            out["hour"] = hour
    except ValueError:
        pass
    try:
        k = int(str(params.get("k", "")).strip())
        if k in K_CHOICES:
            out["k"] = k
    except ValueError:
        pass
    query = str(params.get("q") or "")
    if query.strip() and len(query) <= 200:
        out["q"] = query
    return out


def init_session() -> None:
    """Per-session defaults (setdefault, so user choices survive reruns and page switches).

    The first run of a session starts from the URL's query parameters, so a
    reload (a new session) keeps policy, user, hour, k and query.
    """
    from ltrr.config import default_catalog_path

    state = st.session_state
    if not state.get("ltrr_url_loaded"):
        state["ltrr_url_loaded"] = True
        found = url_values(st.query_params.to_dict())
        for name, key in (("policy", "ltrr_policy"), ("user", "ltrr_user"), ("hour", "ltrr_hour"),
                          ("k", "ltrr_k"), ("q", "ltrr_query")):
            if name in found:
                state[key] = found[name]
    state.setdefault("ltrr_policy", default_policy())
    state.setdefault("ltrr_catalog", str(default_catalog_path()))
    state.setdefault("ltrr_user", USERS[0])
    state.setdefault("ltrr_hour", dt.datetime.now().hour)
    state.setdefault("ltrr_k", 10)
    state.setdefault("ltrr_clicks", 0)         # "▶ Play" clicks in this browser session
    state.setdefault("ltrr_response", None)    # the last search response shown
    state.setdefault("ltrr_request", None)     # what produced it (query, context, policy, catalog)
    state.setdefault("ltrr_feedback", None)    # the last click's outcome, shown on the Search page
    state.setdefault("ltrr_flash", [])         # messages from callbacks, shown once on the next run
    state.setdefault("ltrr_trails", {})        # (query, entity_id) -> ranks seen after each Play


def sync_url() -> None:
    """Write the session's settings into the URL (only what changed, to keep reruns quiet)."""
    state = st.session_state
    wanted = {"policy": state["ltrr_policy"], "user": state["ltrr_user"], "hour": str(int(state["ltrr_hour"])),
              "k": str(state["ltrr_k"]), "q": str(state.get("ltrr_query") or "").strip()}
    current = st.query_params.to_dict()
    for name, value in wanted.items():
        if not value:
            if name in current:
                del st.query_params[name]
        elif current.get(name) != value:
            st.query_params[name] = value


# Idle seconds after which a user's next search starts a new session: the engine's own gap for
# searches without a session id (ltrr.engine.sessions.SESSION_GAP; not imported here, the engine
# loads after the first paint).
SESSION_GAP_S = 600.0


def search_session(user: str, now: float | None = None) -> str:
    """The session id of ``user``'s next search in this browser tab (its ``context["session_id"]``).

    One session per user of the tab, renewed after :data:`SESSION_GAP_S` idle seconds: the engine
    chains a search left without a play to a later search of the same session whose result is
    played, and learns what the first one meant (a reworded vague ask). Users of one tab never share
    a session, so one person's find is never taught to another's ask."""
    sessions = st.session_state.setdefault("ltrr_sessions", {})
    now = time.time() if now is None else float(now)
    sid, last = sessions.get(user, (None, 0.0))
    if sid is None or now - last > SESSION_GAP_S:
        sid = f"app-{uuid.uuid4().hex[:12]}-{user}"
    sessions[user] = (sid, now)
    return sid


def ranker_label(label: object) -> str:
    """The engine's ranker label for people: "heuristic" or "LightGBM v3"."""
    text = str(label or "heuristic")
    return text.replace("lightgbm", "LightGBM") if text.startswith("lightgbm") else text


def flash(kind: str, text: str) -> None:
    """Queue a message from a callback; :func:`show_flashes` shows it on the next run."""
    st.session_state.setdefault("ltrr_flash", []).append((kind, text))


def show_flashes() -> None:
    """Show and forget the queued messages."""
    for kind, text in st.session_state.get("ltrr_flash", []):
        getattr(st, kind, st.info)(text)
    st.session_state["ltrr_flash"] = []


def as_dict(value: Any) -> dict[str, Any]:
    """A record from the engine as a dict (it may be a dict, a dataclass or None)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return dict(vars(value))


# --- errors ------------------------------------------------------------------

def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for people (bad input, missing file, too little data)."""
    from ltrr.catalog.store import CatalogError
    from ltrr.errors import LtrrError

    found: list[type[BaseException]] = [LtrrError, CatalogError, ValueError, FileNotFoundError]
    try:
        from ltrr.errors import CatalogImportError

        found.append(CatalogImportError)
    except ImportError:
        pass
    return tuple(found)


_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:/[^\s/'\"`,;:()\[\]]+){2,}/?")


def without_paths(text: str) -> str:
    """Text with every file path cut to its last part: "/srv/x/state/linucb" -> "linucb".

    File paths mean nothing to an audience and leak the machine's layout.
    """
    return _PATH_RE.sub(lambda m: Path(m.group(0).rstrip("/")).name or m.group(0), str(text))


def error_text(exc: BaseException) -> str:
    """A readable one-liner for an exception, without file paths: our own errors speak for themselves."""
    if isinstance(exc, user_errors()):
        return without_paths(str(exc) or type(exc).__name__)
    return without_paths(f"{type(exc).__name__}: {exc}")


@contextmanager
def guarded(action: str) -> Iterator[None]:
    """Turn any error inside the block into an ``st.error`` box, never a traceback.

    Streamlit's own control flow (``st.rerun``, ``st.stop``) derives from
    BaseException and passes through untouched.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the page must keep working whatever happens
        if not isinstance(exc, user_errors()):
            log.exception("%s failed", action)
        st.error(f"**{action} failed.** {error_text(exc)}", icon=":material/error:")


# --- engines -----------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def engine_hub() -> EngineHub:
    """The process-wide hub; every session gets engines from it."""
    return EngineHub(prepare=_prepare_catalog)


def _prepare_catalog(catalog: Path, progress) -> None:
    from ltrr.config import ensure_catalog

    ensure_catalog(catalog, progress)


class StreamlitProgress:
    """A ``progress(done, total, message)`` sink that draws on one ``st.progress`` bar.

    It only draws from the script thread that created it and only until
    :meth:`detach`: an engine may keep the callback and report from its
    background thread later, where Streamlit calls are not allowed.
    """

    def __init__(self, bar) -> None:
        self._bar = bar
        self._thread = threading.current_thread()
        self._active = True
        self._last: tuple[int, str] | None = None

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not self._active or threading.current_thread() is not self._thread:
            return
        fraction = min(1.0, max(0.0, done / total)) if total else 0.0
        # Redraw on a new message or each whole percent: a tight loop must not flood the browser.
        stamp = (int(fraction * 100), message)
        if stamp == self._last:
            return
        self._last = stamp
        text = f"{message} — {done:,} / {total:,}" if total else (message or "working…")
        try:
            self._bar.progress(fraction, text=text)
        except Exception:  # noqa: BLE001 - a closed browser tab must not break the build
            self._active = False

    def detach(self) -> None:
        self._active = False


def catalog_path() -> Path:
    """The catalog this session works on."""
    return Path(st.session_state["ltrr_catalog"])


def catalog_label(path: str | Path | None = None) -> str:
    """A catalog as a sentence names it: "the default catalog", or its name in quotes (“mysongs”).

    Never "the catalog catalog": the default catalog's file is called ``catalog.duckdb``.
    """
    from ltrr.config import default_catalog_path

    path = Path(path) if path is not None else catalog_path()
    try:
        default = path.resolve() == Path(default_catalog_path()).resolve()
    except OSError:
        default = False
    return "the default catalog" if default else f"“{path.stem}”"


def state_dir(policy: str | None = None) -> Path:
    """The learning-state folder for this session's catalog and a policy."""
    from ltrr.config import default_catalog_path, default_state_dir

    return state_dir_for(default_state_dir(), catalog_path(), default_catalog_path(),
                         policy or st.session_state["ltrr_policy"])


def engine_is_open() -> bool:
    """True when this session's engine is open already (the page can draw everything at once)."""
    return engine_hub().is_open(catalog_path(), state_dir(), st.session_state["ltrr_policy"])


def current_engine():
    """This session's engine; the first time, waits for it with a progress panel.

    The engine opens in a background thread (on a first start it builds the catalog and its
    indexes). This page only polls it, so a query typed meanwhile reruns the page without
    interrupting the build: the panel then says when the query will run, and the page answers it
    once the engine is open. Stops the page with a readable error when the engine cannot open.
    """
    hub = engine_hub()
    catalog, state, policy = catalog_path(), state_dir(), st.session_state["ltrr_policy"]
    if hub.is_open(catalog, state, policy):
        return hub.get(catalog, state, policy)
    box = st.empty()
    with box.container(border=True):
        st.markdown("#### :material/construction: Getting ready")
        st.caption(f"Opening {catalog_label(catalog)} with the **{policy}** policy. The first start on a new "
                   "machine builds the catalog and its search indexes; later starts take seconds. "
                   "The semantic arm keeps building in the background (see the sidebar).")
        bar = st.progress(0.0, text="starting…")
        note = st.empty()
    opening = hub.start(catalog, state, policy)
    shown: tuple | None = None
    while not opening.wait(0.25):
        wait = labels.opening_wait(opening.eta_s(), opening.elapsed_s())
        step = labels.opening_step(opening.message())
        fraction = opening.fraction()
        query = str(st.session_state.get("ltrr_query") or "").strip()
        # Draw only what changed: every draw is a message to the browser.
        now = (round(fraction, 2), step, wait, query)
        if now != shown:
            shown = now
            bar.progress(fraction, text=f"{step} · {wait}")
            if query:
                from ltrr_app.cards import md_escape

                note.info(f"**Still opening:** your search “{md_escape(query)}” runs as soon as the engine "
                          f"is open, {wait}.", icon=":material/hourglass_top:")
    if opening.error is not None or opening.engine is None:
        box.empty()
        st.error(f"**Could not open the search engine.** {error_text(opening.error or RuntimeError('no engine'))}",
                 icon=":material/error:")
        st.stop()
    box.empty()
    return opening.engine


# --- layout ------------------------------------------------------------------

def page_setup(title: str, icon: str) -> None:
    """Page config, session defaults, the sidebar (pages, policy, guided demo); call first on every page."""
    st.set_page_config(page_title=f"{title} · ltrr", page_icon=icon, layout="wide",
                       initial_sidebar_state="expanded")
    init_session()
    state = st.session_state
    with st.sidebar:
        st.markdown("## :material/graphic_eq: ltrr")
        st.caption("Learning to rank **and** retrieve")
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        st.divider()
        choices = policy_choices(state["ltrr_policy"])
        st.selectbox("Policy", choices, index=choices.index(state["ltrr_policy"]), key="ltrr_policy_pick",
                     on_change=switch_policy, format_func=policy_label,
                     help="How arms are chosen. Each policy learns in its own state: switching starts it "
                          "fresh (or resumes it), switching back resumes the other.")
        from ltrr_app.stories import STORIES

        story_keys = [None, *STORIES]
        current = state.get("ltrr_story") if state.get("ltrr_story") in STORIES else None
        # The canonical choice lives in ltrr_story (pages do not share widget state); the widget mirrors it.
        st.selectbox("Guided demo", story_keys, index=story_keys.index(current), key="ltrr_story_pick",
                     on_change=_pick_story,
                     format_func=lambda k: "— pick a story —" if k is None else STORIES[k].title,
                     help=f"{len(STORIES)} short stories that show what the engine learns; each says what to look for.")
    sync_url()
    changed = state.pop("ltrr_policy_banner", None)
    if changed:
        st.info(f"**Policy changed: {changed[0]} → {changed[1]}.** This policy has its own learning state, "
                "so the bandit, the memory and the ranker show what *it* has learned.",
                icon=":material/swap_horiz:")


def _pick_story() -> None:
    st.session_state["ltrr_story"] = st.session_state.get("ltrr_story_pick")


def switch_policy() -> None:
    """Point this session at another policy (its own state folder: a fresh start or a resume)."""
    state = st.session_state
    chosen = state.get("ltrr_policy_pick")
    if chosen and chosen != state["ltrr_policy"]:
        state["ltrr_policy_banner"] = (state["ltrr_policy"], chosen)
        state["ltrr_policy"] = chosen
        state["ltrr_response"], state["ltrr_request"], state["ltrr_feedback"] = None, None, None


def open_page(name: str, icon: str, heading: str, caption: str):
    """What every page but Search starts with: :func:`page_setup`, this session's engine, the
    sidebar's engine facts, the page's heading and its one-paragraph caption; returns the engine."""
    page_setup(name, icon)
    engine = current_engine()
    sidebar_status(engine)
    st.title(heading)
    st.caption(caption)
    return engine


def sidebar_status(engine) -> None:
    """Engine facts in the sidebar; while an arm is still building it refreshes itself."""
    with st.sidebar:
        st.divider()
        try:
            status = engine.status()
        except Exception as exc:  # noqa: BLE001
            st.error(f"Status unavailable: {error_text(exc)}")
            return
        if all(a.get("ready", False) for a in status.get("arms", {}).values()):
            _status_body(status)
        else:
            _live_status(engine)


@st.fragment(run_every=2)
def _live_status(engine) -> None:
    status = engine.status()
    _status_body(status)
    if all(a.get("ready", False) for a in status.get("arms", {}).values()):
        # Every arm is up: rerun the whole page once so it can use the new arm and stop polling.
        st.rerun(scope="app")


def _status_body(status: dict[str, Any]) -> None:
    catalog = catalog_path()
    st.markdown(f"**Searching** {catalog_label(catalog)}  \n**Ranker** {status.get('ranker', '?')}")
    building = []
    for arm, info in status.get("arms", {}).items():
        if info.get("ready"):
            continue
        building.append(arm)
        try:
            pct = float(info.get("progress", 0.0) or 0.0)
        except (TypeError, ValueError):
            pct = 0.0
        st.progress(min(1.0, max(0.0, pct)) if pct == pct else 0.0, text=labels.readiness(arm, info))
    if building:
        # What is missing until then, in words: searches still run, without these arms.
        st.caption("Until then searches run without " + ", ".join(labels.arm_label(a) for a in building) + ".")
    ready = [a for a, i in status.get("arms", {}).items() if i.get("ready")]
    st.caption(f"{len(ready)} of {len(status.get('arms', {}))} arms ready · "
               f"{count(int(status.get('searches', 0) or 0), 'search')} · {count(int(status.get('clicks', 0) or 0), 'click')}")
