"""How simulated users misspell: realistic slips (a neighbouring QWERTY key, a phonetic
spelling, a dropped or a doubled letter, missing accents), drawn from the caller's generator.
"""
from __future__ import annotations

import re
import unicodedata

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


def misspell(text: str, rng: np.random.Generator, n: int = 1) -> str:
    """`text` with `n` realistic slips, always different from `text` when it has letters.

    Slips: a neighbouring QWERTY key, a phonetic spelling (ph/f, c/k, y/i, ...),
    a dropped letter, a doubled letter, and missing accents (which counts as the
    first slip when the text has any).
    """
    out = text
    if _strip_accents(out) != out:
        out = _strip_accents(out)
        n -= 1
    slips = (_keyboard_slip, _phonetic, _drop_letter, _double_letter)
    for _ in range(max(0, n)):
        for attempt in rng.permutation(len(slips)):
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


def _double_letter(text: str, rng: np.random.Generator) -> str:
    positions = _letter_positions(text)
    if not positions:
        return text
    i = int(rng.choice(positions))
    return text[:i + 1] + text[i] + text[i + 1:]
