"""The on-disk examples file (``examples.bin``): its format, and reading and writing it safely.

``examples.bin`` is a header followed by records; each record is
``<payload length, crc32>`` then a payload of ``<id length, rows, columns>``,
the search id and the zlib-compressed float32 features, labels and display
positions (0: not in the shown list). Files of the first format (no
positions) are read with positions unknown and rewritten. A crash mid-append
leaves a short or mis-checksummed last record; loading keeps every intact
record before it and cuts the file back to them.
"""
from __future__ import annotations

import json
import logging
import mmap
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from ltrr.rank.features import FEATURE_NAMES
from ltrr.rank.labels import MAX_LABEL

log = logging.getLogger(__name__)

MAX_ROWS_PER_SEARCH = 10_000

_MAGIC = b"LTRREX02"                  # records carry display positions
_MAGIC_V1 = b"LTRREX01"               # the first format: no positions
_HEAD = struct.Struct("<II")          # payload length, crc32(payload)
_REC = struct.Struct("<HII")          # search id bytes, rows, columns
_MAX_PAYLOAD = 64 << 20


def check_example(search_id: str, X: np.ndarray, labels: np.ndarray,
                   positions: np.ndarray | None = None) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(search_id, str) or not search_id or len(search_id.encode()) > 0xFFFF:
        raise ValueError("search_id must be a non-empty string of at most 65535 bytes")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(labels, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES) or not 1 <= X.shape[0] <= MAX_ROWS_PER_SEARCH:
        raise ValueError(f"features must have shape (n, {len(FEATURE_NAMES)}) with 1 <= n <= "
                         f"{MAX_ROWS_PER_SEARCH}; got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},) to match the features; got {y.shape}")
    if not np.all(np.isfinite(y)) or (y < 0).any() or (y > MAX_LABEL).any():
        raise ValueError(f"labels must be finite numbers between 0 and {MAX_LABEL}")
    pos = np.zeros(X.shape[0], np.float32) if positions is None else np.asarray(positions, dtype=np.float32)
    if pos.shape != (X.shape[0],) or not np.all(np.isfinite(pos)) or (pos < 0).any() or (pos != np.rint(pos)).any():
        raise ValueError(f"positions must be {X.shape[0]} whole numbers >= 0 (1-based display rank, 0 = not shown)")
    return search_id, np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0), y, pos


def encode_record(sid: str, X: np.ndarray, y: np.ndarray, pos: np.ndarray) -> bytes:
    sid_bytes = sid.encode()
    body = zlib.compress(b"".join(np.ascontiguousarray(a, "<f4").tobytes() for a in (X, y, pos)), 1)
    payload = _REC.pack(len(sid_bytes), X.shape[0], X.shape[1]) + sid_bytes + body
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def write_header(path: Path, names: list[str] = FEATURE_NAMES) -> None:
    names_json = json.dumps(list(names)).encode()
    with open(path, "wb") as fh:
        fh.write(_MAGIC + _HEAD.pack(len(names_json), zlib.crc32(names_json)) + names_json)
        fh.flush()
        os.fsync(fh.fileno())


Record = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def read_examples(path: Path) -> Iterator[Record]:
    """Every intact record, one at a time: the file is mapped, not read whole, and each record is
    decompressed only when its turn comes, so that opening holds one record besides what the
    ranker keeps (at most ``max_sessions``), however long the file has grown. A damaged tail is
    cut off, a file written for other features or in the first format is rewritten (columns mapped
    by name, new features 0; positions unknown), an unreadable one is moved aside."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return
    damaged: list[int] = []          # where a damaged record starts (cut once the file is unmapped)
    names: list[str] | None = None
    records: list[Record] | None = None   # a file in another layout: read whole, then rewritten
    with fh:
        size = os.fstat(fh.fileno()).st_size
        # An empty file cannot be mapped; the header check refuses it anyway.
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            names, offset, version = _parse_header(data)
            if names is not None:
                intact = _records(path, data, offset, names, version, damaged)
                if names == FEATURE_NAMES and version == 2:
                    yield from intact
                else:
                    records = list(intact)      # rewritten below: the file's records in another layout
        finally:
            if isinstance(data, mmap.mmap):
                data.close()
    if names is None:
        _move_aside(path)
    elif damaged:
        _truncate(path, damaged[0])
    if names is not None and records is not None:
        _rewrite(path, names, records)
        yield from records


def _records(path: Path, data, offset: int, names: list[str], version: int, damaged: list[int]) -> Iterator[Record]:
    """The records of ``data`` from ``offset``, in file order; a damaged one ends them (its offset
    is appended to ``damaged``)."""
    n = 0
    while offset < len(data):
        parsed = _parse_record(data, offset, len(names), with_positions=version == 2)
        if parsed is None:
            log.warning("%s: damaged record at byte %d; keeping the %d intact records before it", path, offset, n)
            damaged.append(offset)
            return
        sid, X, y, pos, offset = parsed
        n += 1
        yield sid, X, y, pos


def _move_aside(path: Path) -> None:
    """An examples file with no valid header: kept aside under another name, not loaded."""
    aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
    log.warning("%s has no valid header; moving it to %s and starting with no examples", path, aside.name)
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("could not move %s aside: %s", path, exc)


def _rewrite(path: Path, names: list[str], records: list[Record]) -> None:
    """Rewrite a file of other features or of the first format for the current features, in place
    (``records`` are mapped by feature name here)."""
    records[:] = [(sid, _remap(X, names), y, pos) for sid, X, y, pos in records]
    log.warning("%s was written for other features or in an older format; its %d records were "
                "mapped by feature name", path, len(records))
    try:
        tmp = path.with_name(path.name + ".tmp")
        write_header(tmp)
        with open(tmp, "ab") as fh:
            fh.write(b"".join(encode_record(*record) for record in records))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not rewrite %s for the current features: %s", path, exc)


def _truncate(path: Path, offset: int) -> None:
    """Cut a damaged tail so that the next append follows the last intact record."""
    try:
        with open(path, "r+b") as fh:
            fh.truncate(offset)
    except OSError as exc:
        log.warning("could not cut the damaged tail of %s: %s", path, exc)


def _parse_header(data: bytes) -> tuple[list[str] | None, int, int]:
    """(feature names, offset of the first record, format version 1 or 2); names None when invalid."""
    start = len(_MAGIC) + _HEAD.size
    magic = data[: len(_MAGIC)]
    if len(data) < start or magic not in (_MAGIC, _MAGIC_V1):
        return None, 0, 0
    version = 2 if magic == _MAGIC else 1
    size, crc = _HEAD.unpack_from(data, len(_MAGIC))
    raw = data[start: start + size]
    if len(raw) != size or zlib.crc32(raw) != crc:
        return None, 0, 0
    try:
        names = json.loads(raw)
    except ValueError:
        return None, 0, 0
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return None, 0, 0
    return names, start + size, version


def _parse_record(data: bytes, offset: int, n_cols: int, with_positions: bool = True):
    """(search_id, X, labels, positions, next offset), or None when the record is short or damaged."""
    if offset + _HEAD.size > len(data):
        return None
    size, crc = _HEAD.unpack_from(data, offset)
    start = offset + _HEAD.size
    payload = data[start: start + size]
    if size > _MAX_PAYLOAD or len(payload) != size or zlib.crc32(payload) != crc or size < _REC.size:
        return None
    sid_len, n_rows, cols = _REC.unpack_from(payload)
    if cols != n_cols or not 1 <= n_rows <= MAX_ROWS_PER_SEARCH:
        return None
    expected = 4 * n_rows * (cols + 1 + int(with_positions))
    try:
        sid = payload[_REC.size: _REC.size + sid_len].decode()
        # max_length bounds the output: a crafted record cannot decompress into gigabytes.
        inflater = zlib.decompressobj()
        body = inflater.decompress(payload[_REC.size + sid_len:], expected)
    except (UnicodeDecodeError, zlib.error):
        return None
    if len(body) != expected or inflater.unconsumed_tail or not sid:
        return None
    values = np.frombuffer(body, dtype="<f4")
    X = values[: n_rows * cols].reshape(n_rows, cols).astype(np.float32)
    y = values[n_rows * cols: n_rows * (cols + 1)].astype(np.float32)
    pos = values[n_rows * (cols + 1):].astype(np.float32) if with_positions else np.zeros(n_rows, np.float32)
    if not all(np.all(np.isfinite(a)) for a in (X, y, pos)) or (y < 0).any() or (pos < 0).any():
        return None
    return sid, X, y, pos, start + size


def _remap(X: np.ndarray, names: list[str]) -> np.ndarray:
    """Columns of X (named ``names``) placed in FEATURE_NAMES order; unknown ones dropped, new ones 0."""
    out = np.zeros((X.shape[0], len(FEATURE_NAMES)), dtype=np.float32)
    index = {n: i for i, n in enumerate(names)}
    for j, name in enumerate(FEATURE_NAMES):
        if name in index:
            out[:, j] = X[:, index[name]]
    return out
