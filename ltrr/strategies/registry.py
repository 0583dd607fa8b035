"""The arms ltrr knows. Adding an arm: one module with a Strategy subclass, one line here.

Entries are import paths so that opening the engine imports only the arms it uses
(the semantic arm pulls in torch).
"""
from __future__ import annotations

import importlib

from ltrr.strategies.base import Strategy

ARMS: dict[str, str] = {
    "lexical": "ltrr.strategies.lexical:LexicalStrategy",
    "fuzzy": "ltrr.strategies.fuzzy:FuzzyStrategy",
    "structured": "ltrr.strategies.structured:StructuredStrategy",
    "semantic": "ltrr.strategies.semantic:SemanticStrategy",
    "memory": "ltrr.strategies.memory:MemoryStrategy",
    "popular": "ltrr.strategies.popular:PopularStrategy",
    "fresh": "ltrr.strategies.fresh:FreshStrategy",
    "related": "ltrr.strategies.related:RelatedStrategy",
    "discover": "ltrr.strategies.discover:DiscoverStrategy",
    "themed": "ltrr.strategies.themed:ThemedStrategy",
}


def arm_names() -> list[str]:
    """Every registered arm, in registration order."""
    return list(ARMS)


def arm_class(name: str) -> type[Strategy]:
    """The Strategy subclass registered under `name`."""
    try:
        module_name, cls_name = ARMS[name].split(":")
    except KeyError:
        raise KeyError(f"unknown arm {name!r}; known arms: {', '.join(ARMS)}") from None
    return getattr(importlib.import_module(module_name), cls_name)
