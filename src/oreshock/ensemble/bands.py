"""Percentile bands over time: how the spread of an ensemble's shortfall moves month by month.

Each run keeps its monthly shortfall path per outcome cell (``path.shortfall_pct.*`` list
columns of the batch files, see ``ensemble.batching``). The bands are the percentiles across
runs at every month, computed in DuckDB straight from the verified Parquet files (unnested
run x month, grouped by month), so a 100,000-run ensemble never has to fit in memory as one
(runs x months) array. ``quantile_cont`` interpolates linearly between order statistics, as
numpy's default ``percentile`` does (the tests hold the two to 1e-6, the float32 paths'
precision).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from oreshock.ensemble.batching import PATH_PREFIX
from oreshock.ensemble.runner import read_manifest, verify_folder
from oreshock.ensemble.sampling import EnsembleError

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The band edges drawn: the 90% and 50% bands and the median."""


def path_columns(folder: str | Path) -> list[str]:
    """The monthly path columns an ensemble's batch files hold (none for an ensemble run
    before paths were kept, batch format 1)."""
    return [str(c) for c in read_manifest(Path(folder)).get("paths", [])]


def cell_of(column: str) -> str:
    """``path.shortfall_pct.COUNTRY.MINERAL.STAGE`` -> ``COUNTRY.MINERAL.STAGE``."""
    return column.removeprefix(PATH_PREFIX)


def shortfall_bands(
    folder: str | Path,
    *,
    db: str | Path | None = None,
    quantiles: tuple[float, ...] = QUANTILES,
) -> dict[str, pd.DataFrame]:
    """Per outcome cell (``COUNTRY.MINERAL.STAGE``), a frame indexed by month 1..T with one
    column per quantile (``p5``, ``p25``, ...) and ``mean``, of the monthly shortfall in
    percent of demand across runs. Empty when the ensemble kept no monthly paths; an
    ``EnsembleError`` when it has no batch written yet.

    Every batch file is verified first (``verify_folder``), as ``load_results`` does.
    """
    columns = path_columns(folder)
    files = verify_folder(folder, db)
    if not files:
        raise EnsembleError(f"{folder}: no results written yet")
    if not columns:
        return {}
    names = [f"p{round(q * 100):g}" for q in quantiles]
    picks = ", ".join(f"q[{i + 1}] AS {n}" for i, n in enumerate(names))
    bands: dict[str, pd.DataFrame] = {}
    with duckdb.connect() as con:
        for column in columns:
            query = (
                f"SELECT month, {picks}, mean FROM (SELECT month, "
                f"quantile_cont(v, {list(quantiles)}) AS q, avg(v) AS mean FROM ("
                f'SELECT unnest("{column}")::DOUBLE AS v, generate_subscripts("{column}", 1) AS month '
                "FROM read_parquet(?)) GROUP BY month) ORDER BY month"
            )
            frame = con.execute(query, [[str(f) for f in files]]).df()
            bands[cell_of(column)] = frame.set_index("month").astype(float)
    return bands
