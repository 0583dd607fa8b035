"""The simulator is an independent instrument: none of its modules imports the system's
vocabularies, and what its users type overlaps little with what query understanding and the
memory seed were written for."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from ltrr.simulate import vocab
from ltrr.simulate.vocab import words as tokenize

SIMULATOR = Path(__file__).resolve().parents[2] / "ltrr" / "simulate"
SYSTEM_MODULES = ("ltrr.vocabulary", "ltrr.understanding", "ltrr.lexicon", "ltrr.catalog.wordlists",
                  "ltrr.memory", "ltrr.strategies", "ltrr.text")


def _ltrr_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("ltrr")}


# The modules simulated users are made of; they may read the catalog (data), each other and the
# simulator's argument check, nothing else from ltrr.
USER_MODULES = ("catalog_view", "typos", "query_types", "population", "queries", "stream", "demand", "vocab",
                "clicks", "world")
ALLOWED = {"ltrr.simulate", "ltrr.catalog.store", *(f"ltrr.simulate.{m}" for m in USER_MODULES)}


@pytest.mark.parametrize("module", USER_MODULES)
def test_simulator_imports_none_of_the_systems_vocabularies(module):
    imports = _ltrr_imports(SIMULATOR / f"{module}.py")
    assert not {m for m in imports if m.startswith(SYSTEM_MODULES)}, imports
    # A name imported from an allowed module ("ltrr.simulate.vocab.fold") is fine; "ltrr.simulate.runner" is not.
    unexpected = {m for m in imports if m not in ALLOWED and m.rpartition(".")[0] not in ALLOWED - {"ltrr.simulate"}}
    assert not unexpected, unexpected


def test_the_checked_modules_are_everything_the_stream_imports():
    """A new module the stream comes to depend on is checked above too (or this fails)."""
    seen, todo = set(), ["stream"]
    while todo:
        module = todo.pop()
        seen.add(module)
        for name in _ltrr_imports(SIMULATOR / f"{module}.py"):
            part = name.removeprefix("ltrr.simulate.").split(".")[0]
            if name.startswith("ltrr.simulate.") and (SIMULATOR / f"{part}.py").is_file() and part not in seen:
                todo.append(part)
    assert seen <= set(USER_MODULES), seen - set(USER_MODULES)


def _qu_phrases() -> set[str]:
    """Every phrase query understanding and the structured arm recognise, folded, minus bare nouns
    for "song" that any music query uses."""
    from ltrr import vocabulary as qu

    phrases = [*qu.TYPE_WORDS, *(m for g in qu.GENRE_GROUPS for m in g), *(m for g in qu.MOOD_GROUPS for m in g),
               *qu.MOOD_PHRASES, *qu.ACTIVITY_WORDS, *(w for ws in qu.ACTIVITY_NAME_WORDS.values() for w in ws),
               *qu.NEW_WORDS, *qu.DECADE_WORDS]
    out = {" ".join(tokenize(p)) for p in phrases}
    return out - {"song", "songs", "tune", "tunes", "track", "tracks", "hits"}


def test_simulator_phrasing_overlaps_little_with_query_understanding():
    from ltrr import vocabulary as qu

    qu_words = {w for p in _qu_phrases() for w in p.split()} - qu.FILLER_WORDS
    carrier = vocab.ask_carrier_words()
    assert len(carrier) >= 60, "enough phrasing to measure"
    shared = carrier & qu_words
    assert len(shared) / len(carrier) <= 0.2, sorted(shared)
    templates = [t for asks in (*vocab.MOOD_ASKS.values(), *vocab.ACTIVITY_ASKS.values()) for t in asks]
    templates += list(vocab.ERA_ASKS)
    phrases = _qu_phrases()

    def names_a_qu_phrase(template: str) -> bool:
        text = f" {' '.join(tokenize(template.replace('{g}', ' ').replace('{era}', ' ')))} "
        return any(f" {p} " in text for p in phrases)
    flagged = [t for t in templates if names_a_qu_phrase(t)]
    # A few everyday phrasings ("sad songs", "something upbeat for the gym") are allowed, not the norm.
    assert len(flagged) / len(templates) <= 0.15, flagged


def test_genre_era_queries_are_not_the_memory_seeds_phrasing(view, sim_user):
    from ltrr.memory import seed_queries
    from ltrr.text import normalize_query

    seeded = {q for q, _ in seed_queries("track", "N.Y. State of Mind", "Nas", 65.0, "rap", 1994)}
    seeded |= {q for q, _ in seed_queries("playlist", "90s Rap Classics", "", 70.0, "rap", 1994)}
    assert "90s rap" in seeded, "the seed predicts the bare era + genre form"
    user, gen = sim_user(view, taste="rap")
    typed = {gen.make("genre_era", user, np.random.default_rng(s))[0] for s in range(300)}
    assert len(typed) > 20
    assert not {normalize_query(q) for q in typed} & seeded


def test_the_worlds_phrasings_are_the_simulators_own():
    """The second world's new phrasings (artist + title forms, playlist-tracks asks) name no phrase
    query understanding recognises beyond the bare nouns for "song"."""
    from ltrr.simulate.world import WORLDS

    phrases = _qu_phrases()
    for world in WORLDS.values():
        for template in (*world.artist_title_forms, *world.playlist_track_asks):
            text = f" {' '.join(tokenize(template.replace('{artist}', ' ').replace('{title}', ' ').replace('{name}', ' ')))} "
            assert not [p for p in phrases if f" {p} " in text], (world.name, template)
