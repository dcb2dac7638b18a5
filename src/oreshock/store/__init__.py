"""The results store: one DuckDB database of runs, imports and ensemble indexes.

``schema`` defines every table and the schema version, checked and upgraded on open.
"""

from oreshock.store.schema import SCHEMA_VERSION, TABLES
from oreshock.store.store import DB_ENV, Store, default_path

__all__ = ["DB_ENV", "SCHEMA_VERSION", "TABLES", "Store", "default_path"]
