"""Typo- and accent-tolerant name lookup in about a millisecond.

Brute-force rapidfuzz over every name costs ~50 ms a query on a 26k-name
catalog. Instead, a character 3-gram inverted index (CSR arrays, no scipy)
shortlists the names that share the most informative 3-grams with the query
(tf-idf cosine over gram sets), and only that shortlist is rescored with
rapidfuzz on folded strings.

Names are compared in their folded, tokenised form (``ltrr.text.tokenize``
joined by spaces), so "Beyoncé", "beyonce" and "BEYONCE!" are one name.
Identical folded names are stored once and map back to every row that has
them, so a catalog with many tracks called "Intro" costs one rescoring.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from ltrr.text import normalize_query, tokenize

# Code points fit in 21 bits, so three of them pack losslessly into one int64:
# grams become sortable integers and lookups a searchsorted, with no dict to persist.
_BITS = 21
_FORMAT_VERSION = 1
# A gram in more names than this (or 2% of names, if larger) counts as common.
COMMON_GRAM_MIN_DF = 500


def _folded(name: object) -> str:
    """The comparable form of a catalog name (no length cut: names are data, not queries)."""
    return " ".join(tokenize(name if isinstance(name, str) else ("" if name is None else str(name))))


def _gram_keys(text: str) -> list[int]:
    """Distinct padded character 3-grams of `text`, each packed into one integer."""
    if not text:
        return []
    padded = f" {text} "
    codes = [ord(ch) for ch in padded]
    return list({(codes[i] << (2 * _BITS)) | (codes[i + 1] << _BITS) | codes[i + 2]
                 for i in range(len(codes) - 2)})


def _blend(query: str, choices: list[str]) -> np.ndarray:
    """Similarity 0..100 of `query` to each choice.

    WRatio alone forgives length too much: "sza good days" scores 95 against
    both "good days" and "days" (one token set contains the other). Blending
    in a fifth of the plain edit-distance ratio keeps WRatio's tolerance for
    word order and partial matches while ranking the closer-length name first.
    """
    w = process.cdist([query], choices, scorer=fuzz.WRatio, dtype=np.float32)[0]
    r = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
    return 0.8 * w + 0.2 * r


class FuzzyIndex:
    """Approximate name search: ``search("tayler swift")`` finds "Taylor Swift".

    ``names`` are indexed by position; ``search`` returns positions into it.
    """

    def __init__(self, names: Sequence[str], shortlist: int = 200) -> None:
        """Index `names` (any sequence of strings; None or empty names never match).

        ``shortlist`` is how many distinct names the n-gram stage hands to
        rapidfuzz; larger is more forgiving of heavy typos and slower.
        """
        self.shortlist = int(shortlist)
        self._name_of_row: np.ndarray | None = None      # row -> distinct name, built on first `score`
        folded = [_folded(n) for n in names]
        unique_of: dict[str, int] = {}
        unique_idx = np.empty(len(folded), dtype=np.int64)
        for row, text in enumerate(folded):
            unique_idx[row] = unique_of.setdefault(text, len(unique_of))
        self._texts: list[str] = list(unique_of)
        self._n_rows = len(folded)

        # owners: distinct name -> the rows that carry it (CSR, rows ascending).
        order = np.argsort(unique_idx, kind="stable")
        self._owner_rows = order.astype(np.int64)
        self._owner_ptr = np.concatenate(
            [[0], np.cumsum(np.bincount(unique_idx, minlength=len(self._texts)))]).astype(np.int64)

        # postings: gram -> distinct names containing it (CSR over sorted gram keys).
        gram_lists = [_gram_keys(t) for t in self._texts]
        lengths = np.fromiter((len(g) for g in gram_lists), dtype=np.int64, count=len(gram_lists))
        flat_keys = np.fromiter((k for g in gram_lists for k in g), dtype=np.int64, count=int(lengths.sum()))
        flat_names = np.repeat(np.arange(len(gram_lists), dtype=np.int64), lengths)
        self._keys, inverse, df = np.unique(flat_keys, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        self._post_names = flat_names[order]
        self._post_ptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        self._finish(df, inverse, flat_names)

    def _finish(self, df: np.ndarray, inverse: np.ndarray, flat_names: np.ndarray) -> None:
        """Derive idf weights and per-name norms from the postings."""
        n = max(len(self._texts), 1)
        # Rare grams ("sza", "yon") identify a name; common ones (" th", "ing") barely do.
        self._idf = np.log1p(n / np.maximum(df, 1)).astype(np.float64)
        sq = np.bincount(flat_names, weights=self._idf[inverse] ** 2, minlength=len(self._texts))
        self._norm = np.sqrt(np.maximum(sq, 1e-12))

    def __len__(self) -> int:
        return self._n_rows

    def _shortlist(self, query: str) -> np.ndarray:
        """Distinct-name ids sharing the most informative 3-grams with `query`, best first."""
        qkeys = np.asarray(_gram_keys(query), dtype=np.int64)
        if qkeys.size == 0 or self._keys.size == 0:
            return np.empty(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._keys, qkeys), self._keys.size - 1)
        pos = pos[self._keys[pos] == qkeys]          # grams no name has are simply ignored
        if pos.size == 0:
            return np.empty(0, dtype=np.int64)
        lengths = self._post_ptr[pos + 1] - self._post_ptr[pos]
        # Grams found in thousands of names (" th", "e ") cost most of the gathering and
        # carry least weight; skip them while the query has enough rarer ones to go on.
        rare = lengths <= max(COMMON_GRAM_MIN_DF, len(self._texts) // 50)
        if rare.sum() >= 2:
            pos, lengths = pos[rare], lengths[rare]
        starts = self._post_ptr[pos]
        # Gather every posting of every query gram without a Python loop.
        offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        hits = self._post_names[np.arange(int(lengths.sum())) + offsets]
        weights = np.repeat(self._idf[pos] ** 2, lengths)
        score = np.bincount(hits, weights=weights, minlength=len(self._texts))
        cand = np.flatnonzero(score)
        score = score[cand] / self._norm[cand]
        if cand.size > self.shortlist:
            top = np.argpartition(-score, self.shortlist - 1)[: self.shortlist]
            cand, score = cand[top], score[top]
        return cand[np.lexsort((cand, -score))]

    def search(self, text: object, k: int = 10, min_score: float = 60.0) -> list[tuple[int, float]]:
        """Up to `k` ``(row, score)`` pairs, score 0..100, best first (ties by row).

        Rows whose names fold to the same string share a score and are all
        returned (in row order) while `k` allows. Any input is accepted: an
        empty or unmatched query gives []. A query must keep at least one
        3-gram of the name intact ("nas" finds "Nas", "naz" does not).
        """
        query = _normalized(text)
        if not query or k <= 0:
            return []
        cand = self._shortlist(query)
        if cand.size == 0:
            return []
        scores = _blend(query, [self._texts[i] for i in cand])
        keep = scores >= min_score
        cand, scores = cand[keep], scores[keep]
        out: list[tuple[int, float]] = []
        for j in np.lexsort((cand, -scores)):
            name_id = cand[j]
            for row in self._owner_rows[self._owner_ptr[name_id]: self._owner_ptr[name_id + 1]]:
                out.append((int(row), float(scores[j])))
                if len(out) >= k:
                    return out
        return out

    def score(self, text: object, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The same 0..100 similarity for arbitrary rows (0 where the name is empty)."""
        rows = np.asarray(rows, dtype=np.int64)
        query = _normalized(text)
        out = np.zeros(rows.size, dtype=np.float32)
        if not query or rows.size == 0:
            return out
        if self._name_of_row is None:
            name_of_row = np.empty(self._n_rows, dtype=np.int64)
            name_of_row[self._owner_rows] = np.repeat(
                np.arange(len(self._texts), dtype=np.int64), np.diff(self._owner_ptr))
            self._name_of_row = name_of_row
        texts = [self._texts[i] for i in self._name_of_row[rows]]
        nonempty = np.array([bool(t) for t in texts])
        if nonempty.any():
            out[nonempty] = _blend(query, [t for t in texts if t])
        return out

    # --- persistence -------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the index to one ``.npz`` file (atomically: written aside, then renamed)."""
        path = Path(path)
        blob = np.frombuffer("\n".join(self._texts).encode("utf-8"), dtype=np.uint8)
        # The temp name ends in ".tmp" (index manifests ignore such files); a file handle
        # stops numpy from appending ".npz" to it.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, format_version=np.int64(_FORMAT_VERSION), shortlist=np.int64(self.shortlist),
                     n_rows=np.int64(self._n_rows), n_texts=np.int64(len(self._texts)), texts=blob,
                     owner_rows=self._owner_rows, owner_ptr=self._owner_ptr, keys=self._keys,
                     post_names=self._post_names, post_ptr=self._post_ptr, idf=self._idf, norm=self._norm)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FuzzyIndex":
        """Read an index written by :meth:`save`; raises ValueError if the file is of another format."""
        with np.load(Path(path), allow_pickle=False) as data:
            if int(data["format_version"]) != _FORMAT_VERSION:
                raise ValueError(f"{path}: fuzzy index format {int(data['format_version'])}, "
                                 f"expected {_FORMAT_VERSION}; rebuild it")
            self = cls.__new__(cls)
            self.shortlist = int(data["shortlist"])
            self._name_of_row = None
            self._n_rows = int(data["n_rows"])
            n_texts = int(data["n_texts"])
            self._texts = data["texts"].tobytes().decode("utf-8").split("\n") if n_texts else []
            for name in ("owner_rows", "owner_ptr", "keys", "post_names", "post_ptr", "idf", "norm"):
                setattr(self, f"_{name}", data[name])
        return self


def _normalized(text: object) -> str:
    """The query's normalized text: a :class:`~ltrr.query.Query` already carries it (normalized
    once, when the search made it; recognised by its fields, since query understanding, which
    ``ltrr.query`` imports, imports this module); any other input is normalized here."""
    normalized, tokens = getattr(text, "text", None), getattr(text, "tokens", None)
    if isinstance(normalized, str) and isinstance(tokens, (list, tuple)):
        return normalized
    return normalize_query(text)
