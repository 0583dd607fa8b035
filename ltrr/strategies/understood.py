"""Arms that read the query's understanding and the catalog's entity attributes, and may build
on other arms the engine has open (``discover`` fuses them; ``themed`` reads the semantic arm)."""
from __future__ import annotations

from typing import Callable, ClassVar

from ltrr.errors import LtrrError
from ltrr.strategies.base import ArmResources, Strategy
from ltrr.strategies.structured import EntityAttributes
from ltrr.understanding import QueryUnderstander


class UnderstoodStrategy(Strategy):
    """An arm over query understanding and entity attributes that may read other open arms."""

    index_names: ClassVar[tuple[str, ...]] = ("entity_attrs", "qu")

    def __init__(self, catalog, attrs: EntityAttributes, understander: QueryUnderstander,
                 arm_opener: Callable[[str], Strategy] | None = None) -> None:
        self.catalog = catalog
        self.attrs = attrs
        self.understander = understander
        self._arm_opener = arm_opener
        self._ids = catalog.entities.ids

    @classmethod
    def open(cls, resources: ArmResources) -> "UnderstoodStrategy":
        catalog = resources.catalog
        return cls(catalog, EntityAttributes.open(catalog, resources.progress),
                   QueryUnderstander.open(catalog, resources.progress), resources.arm)

    def other_arm(self, name: str) -> Strategy | None:
        """Another open arm of the engine, or None (not open yet, not in this engine, standalone)."""
        if self._arm_opener is None:
            return None
        try:
            return self._arm_opener(name)
        except (LtrrError, KeyError):
            return None
