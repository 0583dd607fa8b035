"""Making caller-supplied context safe to log and to featurise.

Contexts come from browsers and scripts: missing keys, wrong types, NaN,
infinities, huge numbers and nested objects are all possible. The engine keeps
only flat, JSON-safe, bounded values, so the log never holds something it
cannot write or read back.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from ltrr.text import clean

MAX_KEYS = 32
MAX_STRING = 128
MAX_ABS_NUMBER = 1e12


def sanitize_context(context: object) -> dict[str, Any]:
    """A flat dict of at most 32 keys with str/bool/finite-number values.

    Non-mappings become {}; keys become cleaned strings; NaN and infinities
    are dropped; numbers are clipped to +-1e12; strings are cleaned and cut;
    anything else (lists, dicts, objects) becomes its cleaned string form.
    """
    if not isinstance(context, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, value in list(context.items())[:MAX_KEYS]:
        name = clean(key, max_chars=64)
        if not name:
            continue
        if isinstance(value, bool) or value is None:
            out[name] = value
        elif isinstance(value, (int, float)):
            try:
                number = float(value)
            except (OverflowError, ValueError):
                continue
            if not math.isfinite(number):
                continue
            number = max(-MAX_ABS_NUMBER, min(MAX_ABS_NUMBER, number))
            out[name] = int(number) if isinstance(value, int) else number
        else:
            out[name] = clean(value, max_chars=MAX_STRING)
    return out
