"""Datasets: the data model (``schema/``), the bundled tables, loaders of published files,
validation and the derived tables (consumption at every stage, balanced trade).

Importing from ``oreshock.data`` gives the dataset itself; the modules hold the parts.
"""

from oreshock.data.datasets import (
    Dataset,
    bundled_path,
    content_hash,
    load_dataset,
    read_tables,
    typed,
)

__all__ = ["Dataset", "bundled_path", "content_hash", "load_dataset", "read_tables", "typed"]
