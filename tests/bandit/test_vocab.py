"""The catalog's word list and playlist names: what the bandit's context reads from them."""
from __future__ import annotations

import numpy as np
import pytest

from ltrr.bandit.context import CONTEXT_FEATURES, context_vector
from ltrr.bandit.coverage import CoverageLearner
from ltrr.bandit.vocab import CatalogVocabulary
from ltrr.query import Query
from tests.bandit.learners import resolve

TITLES = ["Love Story", "Halo", "Gangsta's Paradise", "Hip Pop", "RAP Gangsta", "Chill", "Los Cangri"]
PLAYLISTS = ["RAP Gangsta", "Hip Pop", "Chill", "Los Cangri", "Café 2020 🔥",
             "Big Room EDM - by Spinnin' Records", "Pop - Pop UK - 2019",
             "Fresh EDM | Progressive House | Electro House | Trap | Deep House | Electronic | Future House/Bass"
             " | Big Room 2020"]


@pytest.fixture(scope="module")
def vocabulary() -> CatalogVocabulary:
    return CatalogVocabulary.from_names(TITLES, PLAYLISTS)


@pytest.mark.parametrize("query, share", [
    ("rap gangsta songs", 2 / 3),           # the name, then a word asking for its tracks
    ("RAP Gangsta", 1.0),                   # the name as typed: folded like the catalog's
    ("songs off los cangri", 2 / 3),        # "off" says how it is asked: not a content word
    ("cafe 2020", 1.0),                     # accents and emoji fold away
    ("whats on hip pop", 2 / 3),
    ("chill", 0.0),                         # a one-word name alone is a common word first
    ("chill songs", 1 / 2),                 # ... and beside other words a name
    ("big room edm tracklist", 3 / 4),      # a long name by the part before " - "
    ("pop songs", 0.0),                     # a one-word part is not a name ("Pop - Pop UK - 2019")
    ("fresh edm progressive house electro house trap deep house electronic future house bass big room 2020 songs",
     16 / 17),                              # a name of 16 words, whole
    ("gangsta rap", 0.0),                   # the words, not the name
    ("love story", 0.0),
    ("", 0.0),
])
def test_playlist_share_is_the_share_of_words_inside_a_playlist_name(vocabulary, query, share):
    assert vocabulary.playlist_share(query) == pytest.approx(share)


def test_the_longest_name_in_the_query_counts(vocabulary):
    both = CatalogVocabulary.from_names([], ["Hip Pop", "Hip Pop Classics Vol 2"])
    assert both.playlist_share("hip pop classics vol 2 songs") == pytest.approx(5 / 6)
    assert both.playlist_share(["hip", "pop", "tracks"]) == pytest.approx(2 / 3)


def test_the_context_reads_the_share_and_a_catalog_without_playlists_gives_zero(vocabulary):
    i = CONTEXT_FEATURES.index("q_playlist_name")
    assert context_vector(Query.make("rap gangsta songs"), None, vocabulary=vocabulary)[i] == pytest.approx(2 / 3)
    assert context_vector(Query.make("rap gangsta songs"), None)[i] == 0.0
    plain = CatalogVocabulary.from_names(TITLES)
    assert context_vector(Query.make("rap gangsta songs"), None, vocabulary=plain)[i] == 0.0


def test_the_vocabulary_round_trips_through_its_index_files(tiny_catalog):
    from ltrr import indexfiles

    built = CatalogVocabulary.open(tiny_catalog)
    indexfiles.clear_shared()                 # the second open reads the files back
    loaded = CatalogVocabulary.open(tiny_catalog)
    assert loaded is not built
    assert loaded.playlist_names == built.playlist_names == ["90s rap classics", "sad songs for a breakup"]
    assert set(loaded.tokens) == set(built.tokens)


ARMS = ("lexical", "related", "other")
MASK = np.ones(len(ARMS), dtype=bool)


def x_for(names_playlist: bool) -> np.ndarray:
    """Two queries of one shape that query understanding reads alike (a track asked for)."""
    x = np.zeros(len(CONTEXT_FEATURES))
    x[CONTEXT_FEATURES.index("bias")] = 1
    x[CONTEXT_FEATURES.index("q_three_plus_words")] = 1
    x[CONTEXT_FEATURES.index("type_track")] = 1
    x[CONTEXT_FEATURES.index("q_playlist_name")] = 0.75 if names_playlist else 0.0
    return x


def run(named_share: float, blind: bool) -> CoverageLearner:
    """Titles are found by lexical at rank 1; "<playlist> songs" only by related, 2 deep.
    ``blind``: the context does not say which is which."""
    learner = CoverageLearner(ARMS, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(800):
        named = rng.random() < named_share
        ranks = {"lexical": None, "related": 2, "other": None} if named else \
            {"lexical": 1, "related": None, "other": None}
        resolve(learner, x_for(named and not blind), MASK, ranks)
    return learner


def greedy(learner: CoverageLearner, named: bool) -> dict[str, int]:
    return dict(zip(ARMS, map(int, learner.greedy(x_for(named), MASK)[0])))


def test_told_which_queries_name_a_playlist_the_learner_serves_them_and_titles_do_not_pay():
    seeing = run(0.05, blind=False)
    assert greedy(seeing, True)["related"] >= 2
    assert greedy(seeing, False) == {"lexical": 1, "related": 0, "other": 0}
    # Blind, the rare "<playlist> songs" asks are not worth the related arm to the whole kind:
    # that intent is lost.
    blind = run(0.05, blind=True)
    assert greedy(blind, True)["related"] == greedy(blind, False)["related"] == 0
