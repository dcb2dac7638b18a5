"""UN Comtrade (comtradeplus) CSV exports of final annual HS data.

Published layout (the "Data" download / API CSV with descriptions): ``typeCode, freqCode,
refPeriodId, refYear, refMonth, period, reporterCode, reporterISO, reporterDesc, flowCode,
flowDesc, partnerCode, partnerISO, partnerDesc, partner2Code, ..., cmdCode, cmdDesc, ...,
customsCode, mosCode, motCode, qtyUnitCode, qtyUnitAbbr, qty, isQtyEstimated, ..., netWgt,
isNetWgtEstimated, grossWgt, ..., cifvalue, fobvalue, primaryValue, ...``.

Rules, chosen so one flow is never counted twice:

* imports (``M``) are reported by the importer, exports (``X``) by the exporter; re-exports,
  re-imports and processing flows are ignored;
* partner World (``partnerCode`` 0 / ``partnerISO`` W00) rows are totals and are dropped;
* breakdown rows (second partner, customs procedure, mode of transport or supply other than
  the total) are dropped, leaving the ``C00``/``0`` totals;
* when both sides report a flow the importer's figure is kept (the usual mirror-data choice);
* ``netWgt`` is in kg; when it is missing, ``qty`` is used if its unit is kg.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oreshock.data.loaders.common import (
    Problems,
    hs_codes,
    iso3_or_oth,
    normalise_hs,
    parse_numbers,
    read_csv_text,
    row_numbers,
    sum_trade,
    trade_records,
)

SOURCE_ID = "un_comtrade"
REQUIRED = ["refYear", "reporterISO", "flowCode", "partnerCode", "partnerISO", "cmdCode", "netWgt"]
# Breakdown columns and the value that marks their total in an export.
TOTALS = {"partner2Code": "0", "customsCode": "C00", "motCode": "0", "mosCode": "0"}
WORLD = frozenset({"W00", "WLD"})
TRUE = frozenset({"true", "1", "yes", "y"})


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Trimmed text of an optional column ('' when the export does not have it)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[column].str.strip()


def _flags(frame: pd.DataFrame, column: str) -> pd.Series:
    """Comtrade's True/False flags, exported as text."""
    return _text(frame, column).str.lower().isin(TRUE)


def _select(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep direct import/export totals by real partners for mapped HS6 codes."""
    flow = _text(frame, "flowCode").str.upper()
    keep = flow.isin(["M", "X"])
    keep &= ~_text(frame, "partnerISO").str.upper().isin(WORLD)
    keep &= _text(frame, "partnerCode") != "0"
    keep &= ~_text(frame, "reporterISO").str.upper().isin(WORLD)
    for column, total in TOTALS.items():
        values = _text(frame, column)
        keep &= values.isin(["", total]) | (values.str.upper() == total)
    codes = normalise_hs(_text(frame, "cmdCode"))
    keep &= codes.isin(set(hs_codes().index))
    selected = frame[keep].copy()
    selected["flow"] = flow[keep]
    selected["cmd"] = codes[keep]
    return selected


def _flows(path: Path, rows: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Validate selected rows and orient them as exporter -> importer in tonnes."""
    lines = row_numbers(rows.index)
    ok = pd.Series(True, index=rows.index)
    freq = _text(rows, "freqCode").str.upper()
    not_annual = ~freq.isin(["", "A"])
    for line, text in zip(lines[not_annual], freq[not_annual], strict=True):
        problems.add(path, int(line), "freqCode", "annual data ('A')", text)
    ok &= ~not_annual
    year, missing, bad = parse_numbers(rows["refYear"])
    bad |= missing | (year.notna() & (year % 1 != 0))
    for line, text in zip(lines[bad], rows["refYear"][bad], strict=True):
        problems.add(path, int(line), "refYear", "a year", text)
    ok &= ~bad
    weights: dict[str, pd.Series] = {}
    for column in ("netWgt", "qty"):
        cells = _text(rows, column)
        values, _, bad = parse_numbers(cells)
        negative = values < 0
        if column == "qty":  # only read when netWgt is missing and the unit is kg
            used = ~(weights["netWgt"] > 0) & (_text(rows, "qtyUnitAbbr").str.lower() == "kg")
            bad, negative = bad & used, negative & used
        for line, text in zip(lines[bad], cells[bad], strict=True):
            problems.add(path, int(line), column, "a number of kilograms", text)
        for line, text in zip(lines[negative], cells[negative], strict=True):
            problems.add(path, int(line), column, "a value >= 0", text)
        ok &= ~bad & ~negative
        weights[column] = values
    isos: dict[str, pd.Series] = {}
    for column in ("reporterISO", "partnerISO"):
        iso = _text(rows, column)
        blank = iso == ""
        for line in lines[blank]:
            problems.add(path, int(line), column, "an ISO3 country code", "")
        ok &= ~blank
        isos[column] = iso.map(iso3_or_oth)
    use_net = weights["netWgt"] > 0
    use_qty = ~use_net & (_text(rows, "qtyUnitAbbr").str.lower() == "kg") & (weights["qty"] > 0)
    ok &= use_net | use_qty
    importer_reports = rows["flow"] == "M"
    out = pd.DataFrame(
        {
            "exporter": isos["partnerISO"].where(importer_reports, isos["reporterISO"]),
            "importer": isos["reporterISO"].where(importer_reports, isos["partnerISO"]),
            "year": year,
            "tonnes": weights["netWgt"].where(use_net, weights["qty"]) / 1000.0,
            "estimated": (use_net & _flags(rows, "isNetWgtEstimated"))
            | (use_qty & _flags(rows, "isQtyEstimated")),
            "flow": rows["flow"],
            "cmd": rows["cmd"],
        }
    )
    out["detail"] = [
        " (" + ("netWgt" if net else "qty") + " kg / 1000"
        + ("; weight estimated by UN Comtrade" if est else "")
        + ("; importer-reported M" if flow == "M" else "; exporter-reported X, no importer report")
        + ")"
        for net, est, flow in zip(use_net, out["estimated"], out["flow"], strict=True)
    ]  # fmt: skip
    out = out[ok]
    out["year"] = out["year"].astype("int64")
    return out


def load_comtrade(path: str | Path) -> pd.DataFrame:
    """Read a Comtrade export into oreshock ``trade`` rows (tonnes of the stage basis).

    Raises DataFileError naming file, row and column for missing columns, blank country
    codes, non-annual rows, non-numeric or negative weights among the mapped HS6 rows.
    """
    path = Path(path)
    problems = Problems()
    frame = read_csv_text(path, problems, REQUIRED)
    problems.raise_if_any()
    assert frame is not None
    flows = _flows(path, _select(frame), problems)
    problems.raise_if_any()
    records = trade_records(flows, SOURCE_ID, "UN Comtrade: ", "cmd")
    if records.empty:
        return sum_trade(records)
    records["flow"] = flows["flow"].to_numpy()
    key = ["mineral", "stage", "exporter", "importer", "year"]
    has_import = records.groupby(key)["flow"].transform(lambda f: (f == "M").any())
    records = records[(records["flow"] == "M") | ~has_import]
    return sum_trade(records.drop(columns="flow"))
