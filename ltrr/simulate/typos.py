"""How simulated users misspell: realistic slips (a neighbouring QWERTY key, a phonetic
spelling, a dropped, a doubled or two swapped letters, missing accents), drawn from the
caller's generator. How often each slip happens is the world's
(:attr:`~ltrr.simulate.world.World.slip_weights`).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

import numpy as np


def _qwerty_neighbours() -> dict[str, str]:
    """Each letter's neighbouring keys on a QWERTY keyboard (a slip hits one of them)."""
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    out = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            out[ch] = "".join(rows[r + dr][c + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                              if (dr or dc) and 0 <= r + dr < len(rows) and 0 <= c + dc < len(rows[r + dr]))
    return out


_NEIGHBOURS = _qwerty_neighbours()

# Phonetic spellings: (pattern, replacement), tried where the pattern occurs.
_PHONETIC: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("f", "ph"), ("ck", "k"), ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"),
    ("s", "z"), ("ee", "i"), ("ou", "u"), ("x", "ks"), ("qu", "kw"),
)


def misspell(text: str, rng: np.random.Generator, n: int = 1,
             weights: Sequence[float] | None = None) -> str:
    """`text` with `n` realistic slips, always different from `text` when it has letters.

    Slips: a neighbouring QWERTY key, a phonetic spelling (ph/f, c/k, y/i, ...),
    a dropped letter, a doubled letter, two neighbouring letters swapped, and
    missing accents (which counts as the first slip when the text has any).
    ``weights`` (over keyboard, phonetic, drop, double, swap: see
    :data:`~ltrr.simulate.world.SLIPS`) make some slips likelier: each slip tries
    them in an order drawn by weight. None tries the first four in a uniformly
    random order and never swaps (the default world).
    """
    out = text
    if _strip_accents(out) != out:
        out = _strip_accents(out)
        n -= 1
    slips = _SLIPS if weights is not None else _SLIPS[:4]
    p = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if len(w) != len(_SLIPS) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"slip weights must be {len(_SLIPS)} non-negative numbers, not all 0")
        p = w / w.sum()
    for _ in range(max(0, n)):
        # The default world's order is a plain permutation: its streams stay as they were.
        order = rng.permutation(len(slips)) if p is None else \
            rng.choice(len(slips), size=int((p > 0).sum()), replace=False, p=p)
        for attempt in order:
            changed = slips[attempt](out, rng)
            if changed != out:
                out = changed
                break
    if out == text and any(ch.isalpha() for ch in text):
        out = _double_letter(text, rng)
    return out


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _letter_positions(text: str, interior: bool = False) -> list[int]:
    """Positions of ASCII letters; `interior` skips each word's first letter (people rarely miss it)."""
    out = []
    for i, ch in enumerate(text):
        if ch.isascii() and ch.isalpha():
            if interior and (i == 0 or not text[i - 1].isalpha()):
                continue
            out.append(i)
    return out


def _keyboard_slip(text: str, rng: np.random.Generator) -> str:
    positions = [i for i in _letter_positions(text, interior=True) if text[i].lower() in _NEIGHBOURS]
    if not positions:
        return text
    i = int(rng.choice(positions))
    near = _NEIGHBOURS[text[i].lower()]
    ch = near[int(rng.integers(len(near)))]
    return text[:i] + (ch.upper() if text[i].isupper() else ch) + text[i + 1:]


def _phonetic(text: str, rng: np.random.Generator) -> str:
    lower = text.lower()
    options = [(m.start(), pat, rep) for pat, rep in _PHONETIC for m in re.finditer(re.escape(pat), lower)]
    if not options:
        return text
    start, pat, rep = options[int(rng.integers(len(options)))]
    return text[:start] + rep + text[start + len(pat):]


def _drop_letter(text: str, rng: np.random.Generator) -> str:
    positions = _letter_positions(text, interior=True)
    if len(positions) < 3:
        return text
    i = int(rng.choice(positions))
    return text[:i] + text[i + 1:]


def _swap_letters(text: str, rng: np.random.Generator) -> str:
    """Two neighbouring letters of a word swapped ("lights" -> "lihgts"), its first letter kept."""
    positions = [i for i in _letter_positions(text, interior=True)
                 if i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalpha()
                 and text[i].lower() != text[i + 1].lower()]
    if not positions:
        return text
    i = int(rng.choice(positions))
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _double_letter(text: str, rng: np.random.Generator) -> str:
    positions = _letter_positions(text)
    if not positions:
        return text
    i = int(rng.choice(positions))
    return text[:i + 1] + text[i] + text[i + 1:]


# In the order :data:`ltrr.simulate.world.SLIPS` names them (keyboard, phonetic, drop, double, swap).
_SLIPS = (_keyboard_slip, _phonetic, _drop_letter, _double_letter, _swap_letters)
