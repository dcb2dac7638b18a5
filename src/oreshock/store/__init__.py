"""The results store: one DuckDB database of runs, imports and ensemble indexes.

``schema`` defines every table and the schema version, checked and upgraded on open;
``locking`` lets several processes share one database by taking turns; ``integrity`` hashes
each run's content and checks the file on open; ``recovery`` keeps runs whose save failed.
"""

from oreshock.store.integrity import DamagedRunError, DamagedStoreError
from oreshock.store.locking import StoreBusyError
from oreshock.store.schema import SCHEMA_VERSION, TABLES
from oreshock.store.store import DB_ENV, RunRows, Store, check_target, default_path

__all__ = [
    "DB_ENV",
    "SCHEMA_VERSION",
    "TABLES",
    "DamagedRunError",
    "DamagedStoreError",
    "RunRows",
    "Store",
    "StoreBusyError",
    "check_target",
    "default_path",
]
