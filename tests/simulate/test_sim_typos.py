"""Typos: every slip is one a person makes (a neighbouring key, a phonetic spelling, a dropped or
doubled letter, missing accents), reproducible from the generator."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ltrr.simulate.typos import _NEIGHBOURS, misspell


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=30).filter(lambda t: t.strip()),
       st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_misspell_always_changes_text_with_letters(text, seed, n):
    assert misspell(text, np.random.default_rng(seed), n) != text


def test_misspell_is_reproducible_and_small():
    a = misspell("blinding lights", np.random.default_rng(5))
    b = misspell("blinding lights", np.random.default_rng(5))
    assert a == b
    # One slip changes the length by at most one character... or two for phonetic x -> ks.
    assert abs(len(a) - len("blinding lights")) <= 2


def test_missing_accents_count_as_a_slip():
    assert misspell("Beyoncé", np.random.default_rng(0), n=1) == "Beyonce"


def test_slips_are_realistic():
    """Every one-slip misspelling is a neighbour key, a phonetic swap, a dropped or a doubled letter."""
    phonetic = {("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"),
                ("s", "z"), ("ee", "i"), ("ou", "u"), ("x", "ks"), ("qu", "kw")}
    word = "kicks of phoenix"
    for seed in range(200):
        out = misspell(word, np.random.default_rng(seed))
        if len(out) == len(word):
            diffs = [i for i, (a, b) in enumerate(zip(word, out)) if a != b]
            if len(diffs) == 1:
                i = diffs[0]
                assert out[i] in _NEIGHBOURS[word[i]] or (word[i], out[i]) in phonetic
                continue
        if len(out) == len(word) - 1:
            assert any(word[:i] + word[i + 1:] == out for i in range(len(word))) or \
                any(word.replace(p, r, 1) == out for p, r in phonetic)
        elif len(out) == len(word) + 1:
            assert any(word[:i + 1] + word[i] + word[i + 1:] == out for i in range(len(word))) or \
                any(word[:i] + word[i:].replace(p, r, 1) == out for p, r in phonetic for i in range(len(word)))
        else:
            assert any(word[:i] + word[i:].replace(p, r, 1) == out for p, r in phonetic for i in range(len(word)))
