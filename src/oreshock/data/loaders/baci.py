"""CEPII BACI yearly bilateral trade files (e.g. ``BACI_HS22_Y2023_V202501.csv``).

Published layout (CEPII BACI documentation): ``t,i,j,k,v,q`` = year, exporter code, importer
code, HS6 product, value in thousand current USD, quantity in metric tons. The archive also
holds ``country_codes_V<version>.csv`` (``country_code,country_name,country_iso2,
country_iso3``) and ``product_codes_HS<rev>_V<version>.csv`` (``code,description``).

Quirks handled: ``q`` may be blank or ``NA`` (the flow is kept out: there is no tonnage),
numbers may carry leading spaces, ``k`` may have lost its leading zero or contain spaces,
and BACI's non-ISO areas (e.g. 490 "Other Asia, nes" = ``S19``) become ``OTH``. Only rows
whose HS6 code is in ``hs_codes.csv`` are read closely, so a 10-million-row file stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from oreshock.data.loaders.common import (
    Problems,
    check_columns,
    check_file_end,
    hs_codes,
    iso3_or_oth,
    normalise_hs,
    parse_numbers,
    read_csv_text,
    row_numbers,
    sum_trade,
    trade_records,
)

SOURCE_ID = "cepii_baci"
DATA_COLUMNS = ["t", "i", "j", "k", "v", "q"]
_NAME = re.compile(r"BACI_(?P<rev>HS\d{2})_Y(?P<year>\d{4})_V(?P<version>\d{6})", re.I)
CHUNK_ROWS = 2_000_000


def find_code_file(data: Path, kind: str) -> Path | None:
    """Find ``country_codes_V*.csv`` / ``product_codes_HS*_V*.csv`` next to a data file.

    The file of the same version and HS revision is preferred: codes change between releases.
    """
    match = _NAME.search(data.name)
    if kind == "country":
        exact = f"country_codes_V{match['version']}.csv" if match else None
        pattern = "country_codes_V*.csv"
    else:
        exact = f"product_codes_{match['rev']}_V{match['version']}.csv" if match else None
        pattern = f"product_codes_{match['rev']}_V*.csv" if match else "product_codes_*.csv"
    if exact and (data.parent / exact).is_file():
        return data.parent / exact
    candidates = sorted(data.parent.glob(pattern))
    return candidates[-1] if candidates else None


def read_country_codes(path: Path, problems: Problems) -> dict[int, str]:
    """BACI numeric country code -> ISO3 (``OTH`` for BACI's non-ISO areas)."""
    frame = read_csv_text(path, problems, ["country_code", "country_iso3"])
    if frame is None or not {"country_code", "country_iso3"} <= set(frame.columns):
        return {}
    codes, _, bad = parse_numbers(frame["country_code"])
    lines = row_numbers(frame.index)
    for line, text in zip(lines[bad], frame["country_code"][bad], strict=True):
        problems.add(path, int(line), "country_code", "an integer country code", text)
    good = ~bad & codes.notna()
    return {
        int(code): iso3_or_oth(iso)
        for code, iso in zip(codes[good], frame["country_iso3"][good], strict=True)
    }


def read_product_codes(path: Path, problems: Problems) -> set[str]:
    """Six-digit HS codes listed in the product file of this HS revision."""
    frame = read_csv_text(path, problems, ["code", "description"])
    if frame is None or "code" not in frame.columns:
        return set()
    return set(normalise_hs(frame["code"]))


def _check_chunk(
    path: Path, chunk: pd.DataFrame, countries: dict[int, str], problems: Problems
) -> pd.DataFrame:
    """Validate the mapped rows of one chunk; return exporter, importer, year, tonnes, k."""
    lines = row_numbers(chunk.index)
    out = pd.DataFrame(index=chunk.index)
    ok = pd.Series(True, index=chunk.index)
    for column in ("t", "i", "j", "v", "q"):
        cells = chunk[column].str.strip()
        values, missing, bad = parse_numbers(cells)
        if column in ("t", "i", "j"):
            bad = bad | missing | (values.notna() & (values % 1 != 0))
        negative = values < 0
        for line, text in zip(lines[bad], cells[bad], strict=True):
            what = "a year" if column == "t" else "a number"
            if column in ("i", "j"):
                what = "an integer country code"
            problems.add(path, int(line), column, what, text)
        for line, text in zip(lines[negative], cells[negative], strict=True):
            problems.add(path, int(line), column, "a value >= 0", text)
        ok &= ~bad & ~negative
        out[column] = values
    for column, role in (("i", "exporter"), ("j", "importer")):
        codes = out[column].where(ok)
        iso = codes.map(lambda c: countries.get(int(c)) if pd.notna(c) else None)
        unknown = ok & iso.isna()
        for line, text in zip(lines[unknown], chunk[column][unknown], strict=True):
            problems.add(path, int(line), column, "a code listed in the country codes file",
                         text.strip())  # fmt: skip
        ok &= ~unknown
        out[role] = iso
    keep = ok & out["q"].notna()
    return pd.DataFrame(
        {
            "exporter": out.loc[keep, "exporter"],
            "importer": out.loc[keep, "importer"],
            "year": out.loc[keep, "t"].astype("int64"),
            "tonnes": out.loc[keep, "q"],
            "k": chunk.loc[keep, "k"],
            "estimated": False,
        }
    )


def _chunks(
    path: Path, reader: Iterator[pd.DataFrame], problems: Problems
) -> Iterator[pd.DataFrame]:
    """The reader's chunks; a row pandas cannot split (a quote never closed, too many
    fields) becomes a problem instead of a traceback."""
    try:
        yield from reader
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.add(path, None, None, "a CSV file of t,i,j,k,v,q rows", str(exc).strip())


def load_baci(
    path: str | Path,
    country_codes: str | Path | None = None,
    product_codes: str | Path | None = None,
) -> pd.DataFrame:
    """Read one BACI yearly file into oreshock ``trade`` rows (tonnes of the stage basis).

    Raises DataFileError naming file, row and column for missing columns, unknown country
    codes, non-numeric or negative numbers among the mapped HS6 rows.
    """
    path = Path(path)
    problems = Problems()
    cc_path = Path(country_codes) if country_codes else find_code_file(path, "country")
    pc_path = Path(product_codes) if product_codes else find_code_file(path, "product")
    if cc_path is None:
        problems.add(path, None, None, "a country_codes_V*.csv file next to the data file",
                     f"none in {path.parent}")  # fmt: skip
        problems.raise_if_any()
    assert cc_path is not None  # raise_if_any raised above
    countries = read_country_codes(cc_path, problems)
    products = read_product_codes(pc_path, problems) if pc_path else None
    if path.is_file():
        check_file_end(path, problems)
    problems.raise_if_any()

    mapped = set(hs_codes().index)
    name = _NAME.search(path.name)
    prefix = f"BACI {name['rev'].upper()} V{name['version']}: " if name else "BACI: "
    parts: list[pd.DataFrame] = []
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False,
                             chunksize=CHUNK_ROWS, encoding="latin-1")  # fmt: skip
    except OSError as exc:
        problems.add(path, None, None, "a readable file", exc.strerror or str(exc))
        problems.raise_if_any()
        raise
    with reader:
        for chunk in _chunks(path, reader, problems):
            chunk = chunk.rename(columns=lambda c: str(c).strip())
            if not check_columns(path, chunk.columns, DATA_COLUMNS, problems):
                break
            chunk["k"] = normalise_hs(chunk["k"])
            chunk = chunk[chunk["k"].isin(mapped)]
            if products is not None:
                unlisted = ~chunk["k"].isin(products)
                for line, code in zip(row_numbers(chunk.index)[unlisted],
                                      chunk["k"][unlisted], strict=True):  # fmt: skip
                    problems.add(path, int(line), "k", "a code in the product codes file", code)
            parts.append(_check_chunk(path, chunk, countries, problems))
    problems.raise_if_any()
    flows = pd.concat(parts) if parts else pd.DataFrame(columns=["k"])
    return sum_trade(trade_records(flows, SOURCE_ID, prefix, "k"))
