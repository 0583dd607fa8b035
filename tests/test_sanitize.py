import json
import math

from ltrr.sanitize import sanitize_context


def test_hostile_values_become_safe():
    ctx = sanitize_context({
        "user_id": "u\x001", "hour": float("nan"), "weekday": math.inf, "big": 10**400,
        "nested": {"a": [1, 2]}, "ok": 3, "flag": True, "none": None, "": "empty key",
    })
    assert ctx["user_id"] == "u 1"
    assert "hour" not in ctx and "weekday" not in ctx
    assert ctx["ok"] == 3 and ctx["flag"] is True and ctx["none"] is None
    assert isinstance(ctx["nested"], str)
    assert "" not in ctx
    json.dumps(ctx, allow_nan=False)  # always loggable


def test_non_mapping_is_empty():
    assert sanitize_context(None) == {}
    assert sanitize_context(["user_id", "x"]) == {}
    assert sanitize_context("abc") == {}


def test_size_is_bounded():
    ctx = sanitize_context({f"k{i}": "v" * 10_000 for i in range(100)})
    assert len(ctx) == 32
    assert all(len(v) <= 128 for v in ctx.values())
