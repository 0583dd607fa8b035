"""The music catalog: DuckDB schema, synthetic generator, importers."""
from ltrr.catalog.schema import ENTITY_TYPES, create_schema
from ltrr.catalog.store import Catalog, CatalogError, EntityTable

__all__ = ["Catalog", "CatalogError", "EntityTable", "ENTITY_TYPES", "create_schema"]
