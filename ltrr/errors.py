"""Errors ltrr raises on purpose. Each carries a message meant for people."""
from __future__ import annotations


class LtrrError(Exception):
    """Base class: a clear, user-facing problem (bad input, missing file, locked state)."""


class FeedbackError(LtrrError):
    """Feedback that cannot be applied: unknown response, entity not shown, bad action."""


class StateError(LtrrError):
    """A state folder that is locked by another process, corrupt or from an unknown version."""


class CatalogImportError(Exception):
    """The input file cannot be imported at all (missing, empty, binary,
    truncated, or without a recognisable title column). The message is one
    line meant for the user."""
