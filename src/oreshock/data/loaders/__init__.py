"""Loaders for published bulk files: USGS MCS world data, CEPII BACI and UN Comtrade exports.

Each loader reads the file exactly as its publisher ships it, so users never hand-edit a
download. Every problem in a file is collected and raised together in one
:class:`~oreshock.core.errors.DataFileError`, because fixing one cell per run is painful. Rows
come back in oreshock's table schema (``schema/tables.csv``).

The mappings the loaders need (USGS commodities, country names, HS codes) are CSV files next
to this module, so they can be reviewed and corrected without reading code.
"""

from __future__ import annotations

from oreshock.data.loaders.baci import load_baci
from oreshock.data.loaders.comtrade import load_comtrade
from oreshock.data.loaders.usgs import load_usgs

__all__ = ["load_baci", "load_comtrade", "load_usgs"]
