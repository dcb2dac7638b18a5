"""The results store: one DuckDB database of runs, imports and ensemble indexes."""

from oreshock.store.store import DB_ENV, SCHEMA_VERSION, Store, default_path

__all__ = ["DB_ENV", "SCHEMA_VERSION", "Store", "default_path"]
