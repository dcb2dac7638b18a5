"""Input-output tables: the bundled aggregated table, pymrio's test system, or a table a user
has downloaded, read through pymrio into plain arrays.

Why plain arrays: the impact measures are a few matrix products per month, and the engine's
results are arrays too; pymrio does the reading (its savers and the parsers of the
published databases) and the checks here make sure what it read is a table the measures can
use: every industry's output positive or an unused row, no negative intermediate flow, and
the rows and columns balanced.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from oreshock.core.errors import OreshockError, OreshockWarning

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data" / "bundled" / "io"
TEST_SYSTEM = "pymrio-test"
META_FILE = "oreshock.json"
BALANCE_TOLERANCE = 0.02  # largest relative gap between output by row and by column
# pymrio's test system has one manufacturing sector: every industry of the bridge maps to it.
TEST_SECTOR_MAP = {
    s: "manufactoring"
    for s in (
        "transport_equipment", "electrical_optical", "machinery", "metals",
        "other_manufacturing", "petro_chemicals", "minerals_glass", "light_manufacturing",
    )
}  # fmt: skip


class TableError(OreshockError):
    """An input-output table that cannot be read or used; names the file and what was
    expected."""


class TableWarning(OreshockWarning):
    """Something about a table a user should know: fictional, unbalanced or partly mapped."""


@dataclass(frozen=True)
class IOTable:
    """A multi-regional input-output table for one year, in the table's own money unit.

    ``Z`` [n, n] are the intermediate flows from industry i (row) to industry j (column),
    ``final`` [n, R] the final demand for industry i's output by buyer region, ``x`` [n] total
    output and ``value_added`` [n] value added (GDP at basic prices summed over a region's
    industries), all annual. Industries are ordered region-major: ``index(r, s)``.
    """

    name: str
    source: str
    licence: str
    year: int | None
    unit: str
    usd_per_unit: float
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    Z: np.ndarray
    final: np.ndarray
    x: np.ndarray
    value_added: np.ndarray
    sector_names: dict[str, dict[str, str]]
    fictional: bool = False
    sector_map: dict[str, str] = field(default_factory=dict)
    stockable: tuple[str, ...] | None = None
    region_names: dict[str, dict[str, str]] = field(default_factory=dict)
    region_aliases: dict[str, str] = field(default_factory=dict)  # ISO3 (or "*") -> region

    @property
    def size(self) -> int:
        return len(self.regions) * len(self.sectors)

    def index(self, region: str, sector: str) -> int:
        return self.regions.index(region) * len(self.sectors) + self.sectors.index(sector)

    def region_of(self) -> np.ndarray:
        """Region position of each industry [n]."""
        return np.repeat(np.arange(len(self.regions)), len(self.sectors))

    def sector_of(self) -> np.ndarray:
        """Sector position of each industry [n]."""
        return np.tile(np.arange(len(self.sectors)), len(self.regions))

    def gdp(self) -> np.ndarray:
        """Annual value added per region [R], in the table's unit."""
        return np.bincount(self.region_of(), weights=self.value_added, minlength=len(self.regions))

    def sector_name(self, sector: str, lang: str) -> str:
        return self.sector_names.get(sector, {}).get(lang) or sector

    def describe(self) -> dict:
        """What identifies the table in a result: name, source, year, unit, aggregation."""
        return {
            "name": self.name,
            "source": self.source,
            "licence": self.licence,
            "year": self.year,
            "unit": self.unit,
            "usd_per_unit": self.usd_per_unit,
            "regions": list(self.regions),
            "sectors": list(self.sectors),
            "sector_names": {s: self.sector_names.get(s, {}) for s in self.sectors},
            "region_names": self.region_names,
            "fictional": self.fictional,
        }


def bundled_tables() -> list[str]:
    """Names of the tables shipped with the package (folders with a metadata file)."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(p.name for p in BUNDLED_DIR.iterdir() if (p / META_FILE).is_file())


def default_table() -> str:
    tables = bundled_tables()
    return tables[-1] if tables else TEST_SYSTEM


def load_table(
    spec: str | Path | None = None,
    usd_per_unit: float | None = None,
    regions: Path | None = None,
    sectors: Path | None = None,
) -> IOTable:
    """A table by bundled name, ``pymrio-test``, or the path of a table a user has: a folder
    saved by pymrio, or a file of a database pymrio parses (EXIOBASE 3, OECD ICIO, WIOD).

    ``regions`` and ``sectors`` are CSV files that say how the dataset's countries (``iso3,
    region``; a row ``*`` for every country not listed) and the bridge's industries
    (``bridge_sector,table_sector``) sit in a table that does not use their codes."""
    if usd_per_unit is not None and not (math.isfinite(usd_per_unit) and usd_per_unit > 0):
        raise TableError(
            f"--usd-per-unit {usd_per_unit!r}: expected a positive number of US dollars in one "
            "unit of the table"
        )
    table = _load(spec, usd_per_unit)
    if regions is not None:
        table = replace(table, region_aliases=_pairs(regions, "iso3", "region", table.regions))
    if sectors is not None:
        mapped = _pairs(sectors, "bridge_sector", "table_sector", table.sectors)
        table = replace(table, sector_map=mapped)
    return table


def _pairs(path: Path, key: str, value: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """A two-column mapping file, every value a name the table has."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise TableError(f"{path}: not readable as CSV ({exc})") from exc
    if list(frame.columns) != [key, value]:
        raise TableError(f"{path}: columns {list(frame.columns)}; expected exactly {key},{value}")
    out = {}
    for row, (k, v) in enumerate(zip(frame[key], frame[value], strict=True), start=2):
        if v not in allowed:
            raise TableError(
                f"{path}, row {row}, column '{value}': {v!r} is not in the table; expected "
                f"one of {', '.join(allowed[:20])}{' ...' if len(allowed) > 20 else ''}"
            )
        out[k.strip()] = v
    return out


def _load(spec: str | Path | None, usd_per_unit: float | None) -> IOTable:
    name = str(spec) if spec is not None else default_table()
    if name == TEST_SYSTEM:
        return _test_system()
    if name in bundled_tables():
        return _from_folder(BUNDLED_DIR / name, usd_per_unit)
    path = Path(name).expanduser()
    if not path.exists():
        known = ", ".join([*bundled_tables(), TEST_SYSTEM])
        raise TableError(
            f"{name}: no such input-output table; expected a bundled table ({known}) or the "
            "path of a folder saved by pymrio or of an EXIOBASE 3, OECD ICIO or WIOD file"
        )
    if path.is_dir() and (path / "file_parameters.json").is_file():
        return _from_folder(path, usd_per_unit)
    return _parsed(path, usd_per_unit)


def _test_system() -> IOTable:
    import pymrio

    warnings.warn(
        "pymrio's test system is a fictional table (regions reg1-reg6): its figures are not "
        "about any real economy",
        TableWarning,
        stacklevel=3,
    )
    io = pymrio.load_test()
    return _from_pymrio(
        io,
        name=TEST_SYSTEM,
        source="pymrio test system (fictional, for tests)",
        licence="LGPL-3.0 test data shipped with pymrio, read at run time, not bundled",
        year=None,
        usd_per_unit=1e6,
        fictional=True,
        path="pymrio.load_test()",
        sector_map=TEST_SECTOR_MAP,
        stockable=("food", "mining", "manufactoring"),
    )


def _from_folder(path: Path, usd_per_unit: float | None) -> IOTable:
    import pymrio

    meta = _metadata(path)
    try:
        io = pymrio.load_all(path)
    except Exception as exc:  # pymrio raises many kinds; all mean "not a pymrio folder"
        raise TableError(
            f"{path}: pymrio could not read this folder ({type(exc).__name__}: {exc}); "
            "expected a folder written by pymrio's save_all (file_parameters.json, Z, Y)"
        ) from exc
    return _from_pymrio(
        io,
        name=meta.get("name", path.name),
        source=meta.get("source", f"user table at {path}"),
        licence=meta.get("licence", "as stated by the table's publisher"),
        year=meta.get("year"),
        usd_per_unit=usd_per_unit or meta.get("usd_per_unit") or _usd_per_unit(io, path),
        fictional=False,
        path=str(path),
        sector_names=meta.get("sector_names", {}),
        sector_map=meta.get("sector_aliases", {}),
        stockable=tuple(meta["stockable"]) if "stockable" in meta else None,
        region_names=meta.get("region_names", {}),
    )


def _parsed(path: Path, usd_per_unit: float | None) -> IOTable:
    """A downloaded database file, tried with each of pymrio's parsers that fits its name."""
    import pymrio

    lowered = path.name.lower()
    tries = []
    if "exio" in lowered or lowered.startswith("iot_"):
        tries.append(("EXIOBASE 3", pymrio.parse_exiobase3))
    if "icio" in lowered or "oecd" in lowered:
        tries.append(("OECD ICIO", pymrio.parse_oecd))
    if "wiot" in lowered or "wiod" in lowered:
        tries.append(("WIOD", pymrio.parse_wiod))
    if not tries:
        raise TableError(
            f"{path}: not a table oreshock can read; expected a folder saved by pymrio or a "
            "file whose name shows the database (EXIOBASE 3 'IOT_...zip', OECD ICIO "
            "'ICIO...csv/zip', WIOD 'WIOT...')"
        )
    problems = []
    for label, parse in tries:
        try:
            io = parse(path)
        except Exception as exc:  # each parser fails in its own way on a foreign file
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        return _from_pymrio(
            io,
            name=path.stem,
            source=f"{label} file {path}",
            licence="as stated by the table's publisher",
            year=None,
            usd_per_unit=usd_per_unit or _usd_per_unit(io, path),
            fictional=False,
            path=str(path),
        )
    raise TableError(f"{path}: pymrio could not read it: " + "; ".join(problems))


def _metadata(path: Path) -> dict:
    file = path / META_FILE
    if not file.is_file():
        return {}
    try:
        return dict(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise TableError(f"{file}: not readable as JSON ({exc})") from exc


def _usd_per_unit(io, path: Path) -> float:
    """US dollars in one unit of the table, read from its unit text (e.g. 'M.USD', 'Mill
    USD'); a table in another currency needs the rate from the user."""
    units = {str(u) for u in getattr(io, "unit", pd.DataFrame({"unit": []}))["unit"]}
    text = " ".join(sorted(units)) or "no unit"
    if re.search(r"usd|us\$|dollar", text, re.IGNORECASE):
        scale = 1e6 if re.search(r"\bm(ill|io|n)?\b|^m\.|million", text, re.IGNORECASE) else 1.0
        return scale
    raise TableError(
        f"{path}: the table's unit is {text!r}, not US dollars; give the US dollars in one "
        "unit of the table (--usd-per-unit, e.g. 1.08e6 for million euros)"
    )


def _from_pymrio(
    io,
    *,
    name: str,
    source: str,
    licence: str,
    year: int | None,
    usd_per_unit: float,
    fictional: bool,
    path: str,
    sector_names: dict | None = None,
    sector_map: dict[str, str] | None = None,
    stockable: tuple[str, ...] | None = None,
    region_names: dict | None = None,
) -> IOTable:
    if io.Z is None or io.Y is None:
        raise TableError(f"{path}: the table has no intermediate flows (Z) or final demand (Y)")
    regions = tuple(str(r) for r in io.get_regions())
    sectors = tuple(str(s) for s in io.get_sectors())
    order = pd.MultiIndex.from_product([regions, sectors])
    Z = io.Z.reindex(index=order, columns=order).to_numpy(float)
    Y = io.Y.reindex(index=order)
    final = Y.T.groupby(level=0, sort=False).sum().T.reindex(columns=list(regions))
    final_arr = final.fillna(0.0).to_numpy(float)
    x = Z.sum(axis=1) + final_arr.sum(axis=1)
    value_added, primary = _value_added(io, order, Z, x)
    table = IOTable(
        name=name,
        source=source,
        licence=licence,
        year=int(year) if year is not None else None,
        unit=_unit_text(io),
        usd_per_unit=float(usd_per_unit),
        regions=regions,
        sectors=sectors,
        Z=Z,
        final=final_arr,
        x=x,
        value_added=value_added,
        sector_names=sector_names or {},
        fictional=fictional,
        sector_map=sector_map or {},
        stockable=stockable,
        region_names=region_names or {},
    )
    check_table(table, path, primary)
    return table


def _unit_text(io) -> str:
    unit = getattr(io, "unit", None)
    if unit is None or unit.empty:
        return "unknown"
    return str(unit["unit"].iloc[0])


def _value_added(
    io, order: pd.MultiIndex, Z: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Value added per industry and all primary inputs (value added, taxes on products,
    margins): the factor-input rows named value added, else the residual of output after
    intermediate inputs (which then includes taxes on products)."""
    residual = np.maximum(x - Z.sum(axis=0), 0.0)
    ext = getattr(io, "factor_inputs", None)
    F = getattr(ext, "F", None) if ext is not None else None
    if F is not None:
        rows = [r for r in F.index if re.search(r"value.?added", str(r), re.IGNORECASE)]
        if rows:
            F = F.reindex(columns=order).fillna(0.0)
            return F.loc[rows].sum(axis=0).to_numpy(float), F.sum(axis=0).to_numpy(float)
    return residual, residual


def check_table(table: IOTable, path: str, primary: np.ndarray) -> None:
    """Refuse a table the measures cannot use; warn about one that is only unbalanced (its
    output by row, intermediate and final use, against its inputs and primary inputs)."""
    arrays = {"Z": table.Z, "final demand": table.final, "value added": table.value_added}
    for label, arr in arrays.items():
        if not np.all(np.isfinite(arr)):
            raise TableError(f"{path}: {label} holds NaN or infinite values")
    if (table.Z < 0).any():
        i, j = np.argwhere(table.Z < 0)[0]
        raise TableError(
            f"{path}: negative intermediate flow {table.Z[i, j]:g} from {_label(table, i)} to "
            f"{_label(table, j)}; expected flows >= 0"
        )
    if (table.x < 0).any():
        i = int(np.argmin(table.x))
        raise TableError(f"{path}: negative total output of {_label(table, i)}")
    inputs = table.Z.sum(axis=0)
    over = np.flatnonzero(inputs > table.x * (1 + BALANCE_TOLERANCE) + 1e-9)
    if over.size:
        i = int(over[0])
        raise TableError(
            f"{path}: {_label(table, i)} buys {inputs[i]:g} of inputs but produces "
            f"{table.x[i]:g}; expected inputs no larger than output"
        )
    column_side = inputs + primary
    used = table.x > 0
    gap = np.abs(column_side[used] - table.x[used]) / table.x[used]
    if gap.size and gap.max() > BALANCE_TOLERANCE and not table.fictional:
        i = int(np.flatnonzero(used)[np.argmax(gap)])
        warnings.warn(
            f"{path}: output of {_label(table, i)} by row and by column differ by "
            f"{gap.max():.1%}; expected a balanced table (within {BALANCE_TOLERANCE:.0%})",
            TableWarning,
            stacklevel=4,
        )


def _label(table: IOTable, i: int) -> str:
    s = len(table.sectors)
    return f"{table.regions[i // s]}/{table.sectors[i % s]}"
