"""The passages the semantic arm embeds: one short text per entity.

Each entity is embedded once from a short passage (title, subtitle, genre,
mood; for playlists and podcasts the start of their description too): short
passages keep embedding the real catalog to a few minutes on two cores.
A hash of each passage (:func:`passage_key`) is stored with its vector, so a
rebuild after a catalog change re-embeds only passages that changed.
"""
from __future__ import annotations

import hashlib

_DESCRIPTION_CHARS = 160


def passage(entity_type: str, title: str, subtitle: str, genre: str, mood: str, text: str) -> str:
    """The short text an entity is embedded from."""
    parts = [title]
    if subtitle and subtitle != genre:
        parts.append(f"by {subtitle}" if entity_type in ("track", "album") else subtitle)
    parts.extend(p for p in (genre, mood) if p)
    out = ", ".join(p for p in parts if p)
    if entity_type in ("playlist", "podcast", "episode"):
        # `text` is "title subtitle description ...": keep what follows the names.
        rest = text
        for name in (title, subtitle):
            if name and rest.startswith(name):
                rest = rest[len(name):].strip()
        if rest:
            out = f"{out}. {rest[:_DESCRIPTION_CHARS]}"
    return out


def passage_key(text: str) -> int:
    """A stable 63-bit hash of a passage, for reusing embeddings across rebuilds."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def catalog_passages(frame) -> list[str]:
    """The passage of every entity of a catalog's entity frame, in row order."""
    return [passage(*row) for row in zip(frame["entity_type"], frame["title"], frame["subtitle"],
                                         frame["genre"], frame["mood"], frame["text"])]
