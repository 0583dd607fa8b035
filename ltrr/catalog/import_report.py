"""The report of one import: what it read, kept, repaired and built.

Every step of an import counts its problems here by reason (a field set to
NULL, a row dropped, a line re-decoded) and its merges (rows that repeat a
track or a playlist membership), so that nothing is lost silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportReport:
    """What an import read, kept, repaired and built."""

    source: Path
    dest: Path
    layout: str
    encoding: str
    mapping: dict[str, str]
    rows_read: int = 0
    rows_imported: int = 0
    issues: dict[str, int] = field(default_factory=dict)     # reason -> rows affected
    merged: dict[str, int] = field(default_factory=dict)     # duplicates folded together
    entities: dict[str, int] = field(default_factory=dict)   # entity type -> count
    memberships: int = 0                                     # playlist_tracks rows

    @property
    def rows_dropped(self) -> int:
        """Rows read but not imported, whatever the reason."""
        return self.rows_read - self.rows_imported

    def count(self, reason: str, n: int) -> None:
        """Add `n` rows to `reason` (zero counts are not recorded)."""
        if n:
            self.issues[reason] = self.issues.get(reason, 0) + int(n)

    def summary(self) -> str:
        """A few human-readable lines for the CLI."""
        lines = [
            f"imported {self.source} -> {self.dest}",
            f"  layout {self.layout}, encoding {self.encoding}",
            f"  rows read {self.rows_read:,}, imported {self.rows_imported:,}, dropped {self.rows_dropped:,}",
            "  entities: " + ", ".join(f"{t} {n:,}" for t, n in self.entities.items()),
            f"  playlist memberships: {self.memberships:,}",
        ]
        for reason, n in sorted(self.merged.items()):
            lines.append(f"  merged: {reason}: {n:,}")
        if self.issues:
            lines.append("  problems:")
            lines += [f"    {reason}: {n:,} rows" for reason, n in sorted(self.issues.items())]
        else:
            lines.append("  problems: none")
        return "\n".join(lines)

    __str__ = summary
