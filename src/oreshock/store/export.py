"""A stored run read back as labelled arrays, and written out as Parquet, CSV, netCDF or Excel.

Every export holds the run's time series, flows, sector outcomes and summary as stored, and
says which run, scenario and dataset they come from and in which units: ``run.json`` beside
the Parquet or CSV tables, the attributes of the netCDF file, the ``readme`` sheet of the
workbook. A damaged run is refused before anything is written, and each file is written whole
or not at all (``core.atomic.write_file``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from openpyxl import Workbook

from oreshock.core.atomic import write_file, write_text
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import t
from oreshock.model.labelled import PRICE_VARIABLES, LabelNames, timeseries_dataset
from oreshock.model.prices import REGION_NAMES
from oreshock.model.record import RECORDED
from oreshock.store.store import Store

FORMATS = {"parquet": ".parquet", "csv": ".csv", "netcdf": ".nc", "xlsx": ".xlsx"}
"""Export format -> file suffix. Parquet and CSV write one file per table into a folder;
netCDF and Excel write one file."""
FOLDER_FORMATS = ("parquet", "csv")
PROVENANCE = (
    "run_id",
    "created",
    "scenario",
    "variant",
    "start_month",
    "months",
    "seed",
    "dataset_name",
    "dataset_version",
    "dataset_hash",
    "code_version",
    "content_hash",
)
EXCEL_ROWS = 1_048_575
"""Rows a worksheet holds below its header row."""


def provenance(record: dict[str, Any]) -> dict[str, Any]:
    """What identifies a stored run, from its record (``Store.run``)."""
    return {k: record.get(k) for k in PROVENANCE}


def stored_dataset(store: Store, run_id: str, names: LabelNames | None = None) -> xr.Dataset:
    """A stored run's time series as labelled arrays (``model.labelled``), with its
    provenance as attributes; refused for a damaged run."""
    store.require_intact(run_id)
    record = store.run(run_id)
    return timeseries_dataset(store.timeseries(run_id), provenance(record), names)


def resolve_format(fmt: str | None, out: Path | None) -> str:
    """The format asked for, else the one ``--out``'s suffix names, else Parquet."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise OreshockError(
                f"unknown export format {fmt!r}; expected one of: {', '.join(FORMATS)}"
            )
        return fmt
    if out is not None:
        for name, suffix in FORMATS.items():
            if out.suffix.lower() == suffix and name not in FOLDER_FORMATS:
                return name
    return "parquet"


def target_path(run_id: str, fmt: str, out: Path | None) -> Path:
    """Where an export goes: ``out``, or ``<run id>`` (a folder of tables) or
    ``<run id>.nc|.xlsx`` in the current folder; an existing folder given for a one-file
    format takes the default name inside it. A path that cannot hold the format is refused."""
    default = Path(run_id if fmt in FOLDER_FORMATS else f"{run_id}{FORMATS[fmt]}")
    if out is None:
        return default
    if fmt in FOLDER_FORMATS:
        if out.exists() and not out.is_dir():
            raise OreshockError(
                f"--out {out} is a file; --format {fmt} writes one file per table into a "
                f"folder: give a folder, e.g. {out.parent / run_id}"
            )
        return out
    if out.is_dir():
        return out / default
    if out.suffix.lower() != FORMATS[fmt]:
        raise OreshockError(
            f"--out {out}: a {fmt} file is named *{FORMATS[fmt]}, found "
            f"{out.suffix or 'no suffix'}; e.g. {out.with_suffix(FORMATS[fmt])}"
        )
    return out


def export_run(
    store: Store,
    run_id: str,
    fmt: str | None,
    out: Path | None = None,
    *,
    lang: str = "en",
    names: LabelNames | None = None,
) -> list[Path]:
    """Write a stored run in ``fmt`` (None: ``resolve_format``) to ``out``
    (``target_path``); returns the files.

    ``lang`` names the columns and fills the name columns of the workbook; the other formats
    keep the column ids, which programs read.
    """
    fmt = resolve_format(fmt, out)
    target = target_path(run_id, fmt, out)
    store.require_intact(run_id)
    record = store.run(run_id)
    tables = {
        "summary": pd.DataFrame(record["summary"]),
        "timeseries": store.timeseries(run_id),
        "flows": store.flows(run_id),
        "sectors": store.sectors(run_id),
        "sector_series": store.sector_series(run_id),
    }
    names = names if names is not None else LabelNames.read()
    try:
        if fmt in FOLDER_FORMATS:
            return _write_folder(target, fmt, tables, record)
        if fmt == "netcdf":
            data = timeseries_dataset(tables["timeseries"], provenance(record), names)
            return [write_file(target, _netcdf_writer(data, tables))]
        return [write_file(target, _excel_writer(tables, record, names, lang))]
    except OSError as exc:
        raise OreshockError(
            f"cannot write the export of run {run_id} to {target}: {exc.strerror or exc}"
        ) from None


def units() -> list[dict[str, str]]:
    """Each recorded variable with its unit and meaning in both languages."""
    return [
        {
            "variable": r.name,
            "unit": r.unit,
            "meaning_en": r.description,
            "meaning_ja": t(f"lr_var_{r.name}", "ja"),
        }
        for r in RECORDED
        if r.name != "flow"
    ] + END_USE_UNITS


END_USE_UNITS = [
    {"variable": "sector_series.wanted", "unit": "t/month",
     "meaning_en": "what the end use wants of the stage's product",
     "meaning_ja": "その用途が求める量（その段階の製品）"},
    {"variable": "sector_series.short", "unit": "t/month",
     "meaning_en": "what the end use wants and does not get",
     "meaning_ja": "その用途が求めて得られない量"},
]  # fmt: skip
"""The units of the end-use series (``sector_series``), beside the recorded variables'."""


def _write_folder(
    folder: Path, fmt: str, tables: dict[str, pd.DataFrame], record: dict[str, Any]
) -> list[Path]:
    """One file per table and ``run.json`` (provenance and units) in ``folder``."""
    written = []
    for name, df in tables.items():
        written.append(write_file(folder / f"{name}{FORMATS[fmt]}", _table_writer(df, fmt)))
    meta = {**provenance(record), "units": units(), "tables": list(tables)}
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str) + "\n"
    written.append(write_text(folder / "run.json", text))
    return written


def _table_writer(df: pd.DataFrame, fmt: str) -> Callable[[Path], None]:
    """Fill a temporary file with ``df`` as Parquet or CSV."""

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)

    return write


def _netcdf_writer(data: xr.Dataset, tables: dict[str, pd.DataFrame]) -> Callable[[Path], None]:
    """The labelled time series at the root, each other table as a group of columns along
    one ``row`` dimension (``xr.open_dataset(path, group="flows")``)."""

    def write(tmp: Path) -> None:
        packed = {name: {"zlib": True, "complevel": 4} for name in data.data_vars}
        data.to_netcdf(tmp, engine="h5netcdf", encoding=packed)
        for name in ("summary", "flows", "sectors", "sector_series"):
            _table_dataset(tables[name]).to_netcdf(tmp, mode="a", group=name, engine="h5netcdf")

    return write


def _table_dataset(df: pd.DataFrame) -> xr.Dataset:
    """A table as 1-D variables along ``row``: a column of numbers with gaps (None) as
    floats with NaN, a column of texts as texts (a gap: empty), as netCDF holds them."""
    plain = df.reset_index(drop=True).copy()
    for column in plain.columns:
        series = plain[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            continue
        if pd.api.types.is_numeric_dtype(series.dtype) or _numbers(series):
            plain[column] = pd.to_numeric(series, errors="coerce").astype("float64")
        else:
            plain[column] = ["" if pd.isna(v) else str(v) for v in series]
    plain.index.name = "row"
    return xr.Dataset.from_dataframe(plain)


def _numbers(series: pd.Series) -> bool:
    """Whether every value present is a number (a column of None too)."""
    present = series.dropna()
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present)


def _excel_writer(
    tables: dict[str, pd.DataFrame], record: dict[str, Any], names: LabelNames, lang: str
) -> Callable[[Path], None]:
    """A ``readme`` sheet (the run, its scenario and dataset, the units), then one sheet per
    table with names beside the ids and headers in ``lang``."""
    for name, df in tables.items():
        if len(df) > EXCEL_ROWS:
            raise OreshockError(
                f"the {name} table of run {record['run_id']} has {len(df):,} rows, more than "
                f"a worksheet holds ({EXCEL_ROWS:,}); export it with --format parquet, csv "
                "or netcdf"
            )

    def write(tmp: Path) -> None:
        book = Workbook(write_only=True)  # rows streamed: several times faster for big tables
        _sheet(book, "readme", _readme(record, lang))
        for name, df in _sheets(tables).items():
            sheet = _named(df, names, lang)
            sheet.columns = [_header(c, lang) for c in sheet.columns]
            _sheet(book, name, sheet)
        book.save(tmp)

    return write


def _sheets(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The workbook's tables: the time series one column per variable (a tenth of the
    cells of the tidy table, and how a spreadsheet reads), its prices on their own sheet
    (by price region, not country)."""
    ts = tables["timeseries"]
    is_price = ts["variable"].isin(PRICE_VARIABLES)
    nodes = _wide(ts[~is_price], "country")
    prices = _wide(ts[is_price].rename(columns={"country": "region"}), "region")
    return {
        "summary": tables["summary"],
        "timeseries": nodes,
        "prices": prices,
        "flows": tables["flows"],
        "sectors": tables["sectors"],
        "sector_series": tables["sector_series"],
    }


def _wide(frame: pd.DataFrame, place: str) -> pd.DataFrame:
    """Tidy rows as one row per month, place, chain and stage, one column per variable in
    ``RECORDED`` order."""
    keys = ["month", place, "mineral", "stage"]
    wide = frame.pivot_table(index=keys, columns="variable", values="value", aggfunc="first")
    order = [r.name for r in RECORDED if r.name in wide.columns]
    wide = wide[order].reset_index()
    wide.columns.name = None
    return wide.sort_values(["mineral", "stage", place, "month"], ignore_index=True)


def _sheet(book: Workbook, name: str, df: pd.DataFrame) -> None:
    """One worksheet: the header row, then the rows (missing values left empty)."""
    sheet = book.create_sheet(name)
    sheet.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        sheet.append([_cell(v) for v in row])


def _cell(value: Any) -> Any:
    """A value a worksheet cell takes: dates as dates, missing values empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _readme(record: dict[str, Any], lang: str) -> pd.DataFrame:
    """The readme sheet: one row per fact of the run, then the unit of each variable."""
    rows = [(t(f"lr_meta_{k}", lang), _text(record.get(k))) for k in PROVENANCE]
    rows.append(("", ""))
    rows += [
        (u["variable"], f"{u['unit']}: {u['meaning_ja' if lang == 'ja' else 'meaning_en']}")
        for u in units()
    ]
    return pd.DataFrame(rows, columns=[t("lr_col_item", lang), t("lr_col_detail", lang)])


def _named(df: pd.DataFrame, names: LabelNames, lang: str) -> pd.DataFrame:
    """``df`` with the name (in ``lang``) of each country, chain and stage beside its id."""
    found = df.copy()
    countries, minerals = names.country(lang), names.mineral(lang)
    stages = names.stage(f"name_{lang}")
    for column in ("country", "exporter", "importer"):
        if column in found.columns:
            _insert_after(found, column, found[column].map(lambda c: countries.get(c, c)))
    if "region" in found.columns:
        regions = {r: n[lang] for r, n in REGION_NAMES.items()}
        _insert_after(found, "region", found["region"].map(lambda r: regions.get(r, r)))
    if "stage" in found.columns and "mineral" in found.columns:
        labels = [
            stages.get((m, s), s) for m, s in zip(found["mineral"], found["stage"], strict=True)
        ]
        _insert_after(found, "stage", pd.Series(labels, index=found.index))
    if "mineral" in found.columns:
        _insert_after(found, "mineral", found["mineral"].map(lambda m: minerals.get(m, m)))
    return found


def _insert_after(df: pd.DataFrame, column: str, values: pd.Series) -> None:
    df.insert(list(df.columns).index(column) + 1, f"{column}_name", values)


def _header(column: str, lang: str) -> str:
    """A column's heading in ``lang``: its i18n text (a variable's with its unit), else its
    id."""
    unit = {r.name: r.unit for r in RECORDED}.get(column)
    if unit is not None:
        return f"{t(f'lr_var_{column}', lang)} ({unit})"
    key = f"lr_col_{column}"
    text = t(key, lang)
    return column if text == key else text


def _text(value: Any) -> str:
    return "" if value is None else str(value)
