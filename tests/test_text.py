from ltrr.text import MAX_QUERY_CHARS, clean, fold, normalize_each, normalize_query, tokenize


def test_fold_strips_accents_and_case():
    assert fold("Beyoncé") == "beyonce"
    assert fold("TIËSTO") == "tiesto"


def test_clean_removes_control_characters_and_bounds_length():
    assert clean("a\x00b\x07c\n d") == "a b c d"
    assert len(clean("x" * 10_000)) == MAX_QUERY_CHARS
    assert clean(None) == ""
    assert clean(42) == "42"


def test_tokenize_splits_on_punctuation_and_emoji():
    assert tokenize("Blinding Lights (feat. SZA) 🔥") == ["blinding", "lights", "feat", "sza"]
    assert tokenize("'; DROP TABLE tracks; --") == ["drop", "table", "tracks"]


def test_normalize_query_is_canonical():
    assert normalize_query("Tayler  Swift!") == normalize_query("tayler swift") == "tayler swift"
    assert normalize_query("   ") == ""


def test_normalize_each_is_normalize_query_of_every_value_and_missing_values_read_empty():
    values = ["R&B", "Rock", "R&B", None, float("nan"), "  Latin  Pop "]
    assert normalize_each(values) == ["r b", "rock", "r b", "", "", "latin pop"]
    assert normalize_each(values[:3]) == [normalize_query(v) for v in values[:3]]
