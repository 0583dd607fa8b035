"""Phrase substitutions from reformulation chains: what a chain teaches, which queries it matches."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ltrr.memory.rewrites import MAX_SLOT_TOKENS, SLOT, fill, genre_words, names_artist, patterns, substitution


def test_the_shared_words_become_a_slot():
    assert substitution("easygoing rnb", "rnb chill playlist") == ("easygoing *", "* chill playlist")
    assert substitution("low key rock for a slow morning", "rock lush") == ("low key * for a slow morning", "* lush")
    # The longest shared run is the slot: "rap and hip hop", not "and".
    assert substitution("rap and hip hop to vent to", "angry rap and hip hop") == ("* to vent to", "angry *")


def test_a_rewording_must_add_a_word_and_not_just_correct_a_spelling():
    assert substitution("rock playlist", "rock") is None                   # only drops a word
    assert substitution("lossing stream", "losing stream fisher") is None  # a typo corrected
    assert substitution("kiss froom a rose", "kiss from a rose seal") is None
    assert substitution("brooding pop", "dark playlist pop") == ("brooding *", "dark playlist *")


def test_with_nothing_changed_or_nothing_shared_and_no_genre_no_substitution_is_taught():
    # The pair (failed query -> entity) is what such a chain teaches (ltrr.memory.reformulation).
    assert substitution("love", "love taylor swift") is None
    assert substitution("tunes to unwind to", "chill playlist") is None
    assert substitution("out this week", "bad guy billie eilish") is None


def test_nothing_is_learned_from_an_empty_side_the_same_text_or_a_literal_slot():
    assert substitution("", "chill") is None
    assert substitution("chill", "") is None
    assert substitution("chill vibes", "chill vibes") is None
    assert substitution("* rnb", "chill rnb") is None


def test_a_query_matches_every_short_run_as_a_slot():
    found = patterns("easygoing guitar rock")
    assert ("easygoing *", "guitar rock") in found and ("* guitar rock", "easygoing") in found
    assert all(p.split() != [SLOT] and SLOT in p.split() for p, _ in found)    # one slot, never alone
    assert all(len(s.split()) <= MAX_SLOT_TOKENS for _, s in found)
    assert patterns("") == [] and patterns("chill") == []


def test_a_learned_substitution_rewrites_another_genre():
    pattern, replacement = substitution("easygoing rnb", "rnb chill playlist")
    slots = dict(patterns("easygoing guitar rock"))
    assert fill(replacement, slots[pattern]) == "guitar rock chill playlist"


words = st.lists(st.sampled_from(["chill", "rnb", "rock", "to", "for", "lush", "easygoing", "a"]),
                 min_size=1, max_size=6)


@given(words, words)
def test_the_failed_query_matches_what_it_taught_and_fills_back_the_follow_up(failed, follow_up):
    failed, follow_up = " ".join(failed), " ".join(follow_up)
    learned = substitution(failed, follow_up)
    if learned is None:
        return              # when nothing is learned: the examples above
    pattern, replacement = learned
    slots = [slot for p, slot in patterns(failed) if p == pattern]
    assert slots, (failed, pattern)
    assert follow_up in {fill(replacement, slot) for slot in slots}


def test_without_a_shared_run_the_asked_genre_is_the_slot_and_is_kept():
    assert substitution("rock to wind down", "soft playlist", asked="rock") == ("* to wind down", "soft playlist *")
    assert substitution("hip hop to wind down", "rap lush", asked="hip hop", answered="rap") == ("* to wind down", "* lush")
    # Nothing changed, only added: the genre is still the slot.
    assert substitution("cruising pop", "cruising pop playlist", asked="pop") == ("cruising *", "cruising * playlist")
    # A shared run comes first; a genre that is the whole query, or is not in it, teaches the exact text.
    assert substitution("easygoing rnb", "rnb chill", asked="rnb") == ("easygoing *", "* chill")
    assert substitution("rock", "soft rock playlist", asked="rock") is None
    assert substitution("songs for a jog", "rap workout", asked="rap") is None
    pattern, replacement = substitution("rock to wind down", "soft playlist", asked="rock")
    assert fill(replacement, dict(patterns("rap and hip hop to wind down"))[pattern]) == "soft playlist rap and hip hop"


def span(text: str, slot: str = "genre") -> dict:
    return {"text": text, "slot": slot, "value": text, "confidence": 0.9}


def test_genre_words_come_from_the_logged_understanding():
    logged = {"interpretations": [{"spans": [span("rap"), span("hip hop"), span("playlist", "entity_type")]}]}
    assert genre_words("rap and hip hop to wind down", logged) == "rap and hip hop"
    assert genre_words("easygoing guitar rock", {"interpretations": [{"spans": [span("rock")]}]}) == "rock"
    assert genre_words("soft playlist", {"interpretations": [{"spans": [span("playlist", "entity_type")]}]}) is None
    assert genre_words("rock", {"interpretations": [{"spans": [span("pop")]}]}) is None      # words not in the query
    for malformed in (None, {}, {"interpretations": []}, {"interpretations": "x"}, {"interpretations": [{"spans": 3}]}):
        assert genre_words("rock", malformed) is None


def test_a_rewording_that_names_an_artist_teaches_no_substitution():
    assert substitution("cruising pop", "def leppard", asked="pop", artist=True) is None
    assert substitution("easygoing rnb", "rnb chill", artist=True) is None
    assert names_artist({"interpretations": [{"spans": [span("def leppard", "artist")]}]})
    assert not names_artist({"interpretations": [{"spans": [span("rnb"), span("chill", "mood")]}]})
    for malformed in (None, {}, {"interpretations": []}, {"interpretations": [{"spans": [3]}]}):
        assert not names_artist(malformed)
