"""What the loaders of published files share: problem collection, tolerant CSV reading,
number and code parsing, the schema's column order and the HS-code mapping.

Kept apart from ``oreshock.data.loaders`` so each loader imports these helpers without
importing the package that re-exports the loaders (no import cycle).
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from oreshock.core.errors import DataFileError, Problem
from oreshock.data.validate import check_csv_shape

HERE = Path(__file__).resolve().parent
SCHEMA_CSV = HERE.parent / "schema" / "tables.csv"
MAX_PROBLEMS = 500
MISSING = frozenset({"", "na", "n/a", "nan", "null"})
_ISO3 = re.compile(r"[A-Z]{3}")
SNIFF_BYTES = 1 << 16
# What users give instead of the CSV text: the leading bytes of each, and what to do.
NOT_TEXT = (
    (b"PK\x03\x04", "a ZIP archive (a zipped download or an .xlsx workbook); unpack it, or "
     "save the sheet as CSV, and import the .csv file"),
    (b"\x1f\x8b", "a gzip-compressed file; decompress it and import the .csv file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; unpack it and import the .csv file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook; save the sheet as CSV (UTF-8)"),
    (b"%PDF", "a PDF document; download the CSV release instead"),
    (b"\xff\xfe", "UTF-16 text; save it as CSV in UTF-8"),
    (b"\xfe\xff", "UTF-16 text; save it as CSV in UTF-8"),
)  # fmt: skip
# Headers that identify each kind of published file, to tell a user who gave the wrong one.
_BACI_HINT = "import the BACI_*.csv data file beside it with `oreshock data import baci FILE`"
LAYOUTS = (
    (frozenset({"COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS"}), "a USGS MCS world data file",
     "import it with `oreshock data import usgs FILE`"),
    (frozenset({"Source", "Country", "Type"}), "a USGS MCS per-commodity world file",
     "import it with `oreshock data import usgs FILE`"),
    (frozenset({"Section", "Commodity", "Statistics", "Statistics_detail"}),
     "a USGS MCS commodities data file", "import it with `oreshock data import usgs FILE`"),
    (frozenset({"t", "i", "j", "k", "v", "q"}), "a CEPII BACI trade file",
     "import it with `oreshock data import baci FILE`"),
    (frozenset({"refYear", "reporterISO", "flowCode", "cmdCode"}), "a UN Comtrade export",
     "import it with `oreshock data import comtrade FILE`"),
    (frozenset({"country_code", "country_iso3"}), "a BACI country codes file", _BACI_HINT),
    (frozenset({"code", "description"}), "a BACI product codes file", _BACI_HINT),
)  # fmt: skip


class Problems:
    """Collects every problem of one file so the user sees them all in a single error."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(
        self,
        path: str | Path,
        row: int | None,
        column: str | None,
        expected: str,
        found: object = None,
    ) -> None:
        """Record one problem; ``found`` is the offending text as it appears in the file."""
        if len(self.items) >= MAX_PROBLEMS:
            self.dropped += 1
            return
        found_text = None if found is None else str(found)
        message = f"expected {expected}"
        if found_text is not None:
            message += f", found {found_text!r}"
        self.items.append(Problem(str(path), row, column, message, expected, found_text))

    def extend(self, problems: list[Problem]) -> None:
        """Record problems already worded (file structure, totals)."""
        for problem in problems:
            if len(self.items) >= MAX_PROBLEMS:
                self.dropped += 1
            else:
                self.items.append(problem)

    def raise_if_any(self) -> None:
        """Raise one DataFileError listing everything collected so far."""
        if not self.items:
            return
        items = list(self.items)
        if self.dropped:
            first = items[0]
            items.append(Problem(first.path, None, None, f"... and {self.dropped} more problems"))
        raise DataFileError(items)


def decode(raw: bytes) -> str:
    """Decode a download: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    USGS and Comtrade files have been published in all three; guessing wrong would turn
    "Côte d’Ivoire" into an unknown country, so the strict decoders are tried first.
    """
    raw_body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw_body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw_body.decode("latin-1")


def not_text(head: bytes) -> str | None:
    """What the first bytes of a file show it to be when it is not CSV text, else None.

    Without this, a zipped download or a workbook decodes as Latin-1 and is refused with
    field counts that tell the user nothing.
    """
    for magic, what in NOT_TEXT:
        if head.startswith(magic):
            return what
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"binary data (a NUL byte at byte {nul}), not text; export the table as CSV"
    return None


def check_text(path: Path, head: bytes, problems: Problems) -> bool:
    """Report a file whose first bytes show it is not CSV text; True when it is text."""
    what = not_text(head)
    if what is not None:
        message = f"expected a CSV text file, found {what}"
        problems.extend([Problem(str(path), None, None, message, "a CSV text file", what)])
    return what is None


def read_csv_text(path: Path, problems: Problems, required: list[str]) -> pd.DataFrame | None:
    """Read a whole CSV as strings, header cells trimmed; report missing required columns.

    Everything stays text so that quirks like "W", "1,200" or "NA" reach the caller intact.
    A file cut short (a row with fewer fields than the header, a quote never closed, a last
    line without its line break) or holding no data rows is refused: pandas would pad the
    cut row with blanks and import its last figure cut short.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(path, None, None, "a readable file", exc.strerror or str(exc))
        return None
    if not check_text(path, raw[:SNIFF_BYTES], problems):
        return None
    text = decode(raw)
    shape = check_csv_shape(path, text, cut_last_line=True, extra_blank_ok=True)
    if shape:
        problems.extend(shape)
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            index_col=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.add(path, None, None, "a CSV file", str(exc).strip())
        return None
    if frame.empty:
        problems.add(path, 2, None, "data rows after the header", "none")
        return None
    frame = frame.rename(columns=lambda c: " ".join(str(c).split()))
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:") or not c]
    frame = frame.drop(columns=[c for c in unnamed if (frame[c].str.strip() == "").all()])
    check_columns(path, frame.columns, required, problems)
    return frame


def check_file_end(path: Path, problems: Problems, chunk: int = 1 << 20) -> None:
    """Refuse a large file whose last row is cut: read only its first and last lines.

    For files too large to scan in Python (BACI has ten million rows): the last line must
    end with a line break and have the header's number of fields.
    """
    try:
        with path.open("rb") as handle:
            if not check_text(path, handle.read(SNIFF_BYTES), problems):
                return
            handle.seek(0)
            header = handle.readline()
            size = path.stat().st_size
            lines = 0
            handle.seek(0)
            while block := handle.read(chunk):
                lines += block.count(b"\n")
            handle.seek(max(0, size - chunk))
            tail = handle.read()
    except OSError as exc:
        problems.add(path, None, None, "a readable file", exc.strerror or str(exc))
        return
    if not header.strip() and not tail.strip():
        problems.extend(
            [Problem(str(path), None, None, "the file is empty; expected a header row")]
        )
        return
    last = tail.splitlines(keepends=True)[-1] if tail.strip() else b""
    if not last or last == tail == header:
        if not header.strip() or size == len(header):
            problems.add(path, 2, None, "data rows after the header", "none")
        return
    complete = last.endswith((b"\n", b"\r"))
    row = lines + (0 if complete else 1)
    found = check_csv_shape(path, decode(header + last), cut_last_line=True)
    problems.extend([Problem(p.path, row if p.row else None, p.column, p.message,
                             p.expected, p.found) for p in found])  # fmt: skip


def check_columns(path: Path, columns: pd.Index, required: list[str], problems: Problems) -> bool:
    """Report each required column missing from the header (row 1); True when all present.

    When the header is that of another kind of published file, that is said first: the
    missing columns alone do not tell the user they chose the wrong command.
    """
    header = ",".join(columns)
    missing = [c for c in required if c not in columns]
    if missing:
        problems.extend(wrong_kind(path, set(columns), set(required)))
    for column in missing:
        problems.add(path, 1, column, f"a column named {column!r}", f"header {header}")
    return not missing


def wrong_kind(path: Path, columns: set[str], required: set[str]) -> list[Problem]:
    """A problem saying the file is another kind of published file, when its header shows it."""
    wanted = next((name for names, name, _ in LAYOUTS if names <= required), "the file asked for")
    for names, name, hint in LAYOUTS:
        if names <= columns and not names <= required:
            message = f"the header is that of {name}, not of {wanted}; {hint}"
            return [Problem(str(path), 1, None, message, wanted, name)]
    return []


def row_numbers(index: pd.Index) -> pd.Series:
    """Spreadsheet row numbers of data rows: the header is row 1, the first data row is 2."""
    return pd.Series(index.to_numpy() + 2, index=index)


def parse_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse trimmed cells as floats; return (values, missing mask, non-numeric mask)."""
    clean = text.str.strip()
    missing = clean.str.lower().isin(MISSING)
    values = pd.to_numeric(clean.where(~missing), errors="coerce").astype("float64")
    bad = ~missing & values.isna()
    return values, missing, bad


def normalise_hs(codes: pd.Series) -> pd.Series:
    """Normalise HS6 codes: drop spaces, restore leading zeros lost by spreadsheet round trips."""
    clean = codes.str.replace(r"\s+", "", regex=True)
    digits = clean.str.fullmatch(r"\d{1,6}").fillna(False)
    return clean.where(~digits, clean.str.zfill(6))


def iso3_or_oth(code: str) -> str:
    """Keep real ISO alpha-3 codes; fold non-ISO areas ("S19", "_X", "X1") into OTH."""
    code = code.strip().upper()
    return code if _ISO3.fullmatch(code) else "OTH"


@cache
def schema_columns(table: str) -> tuple[str, ...]:
    """Column order of ``table`` as declared in ``schema/tables.csv``."""
    schema = pd.read_csv(SCHEMA_CSV, dtype=str, keep_default_na=False)
    columns = tuple(schema.loc[schema["table"] == table, "column"])
    if not columns:
        raise KeyError(f"table {table!r} is not declared in {SCHEMA_CSV}")
    return columns


def to_schema(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Select, order and type the columns of ``table`` so every loader returns the same shape."""
    columns = list(schema_columns(table))
    out = frame.reindex(columns=columns).reset_index(drop=True)
    for column in columns:
        if column == "year":
            out[column] = out[column].astype("int64")
        elif column == "value":
            out[column] = out[column].astype("float64")
        else:
            out[column] = out[column].astype("str").where(out[column].notna(), None)
    return out


@cache
def hs_codes() -> pd.DataFrame:
    """The HS6 -> (mineral, stage, unit, factor) table, indexed by six-digit code."""
    table = pd.read_csv(HERE / "hs_codes.csv", dtype=str, keep_default_na=False)
    table["hs6"] = normalise_hs(table["hs6"])
    table["factor"] = table["factor"].astype("float64")
    return table.set_index("hs6")


def trade_records(
    frame: pd.DataFrame, source_id: str, method_prefix: str, hs_column: str
) -> pd.DataFrame:
    """Turn rows with exporter, importer, year, tonnes and an HS code into trade rows.

    Factors marked ``assumed`` in hs_codes.csv make the flow ``estimated``: the tonnage
    itself is reported, but its conversion to the stage basis rests on an assumption.
    """
    if frame.empty:
        return pd.DataFrame()
    hs = hs_codes()
    rules = hs.loc[frame[hs_column]]
    out = pd.DataFrame(
        {
            "mineral": rules["mineral"].to_numpy(),
            "stage": rules["stage"].to_numpy(),
            "exporter": frame["exporter"].to_numpy(),
            "importer": frame["importer"].to_numpy(),
            "year": frame["year"].to_numpy(),
            "value": frame["tonnes"].to_numpy() * rules["factor"].to_numpy(),
            "unit": rules["unit"].to_numpy(),
            "estimated": (rules["status"] == "assumed").to_numpy() | frame["estimated"].to_numpy(),
            "source_id": source_id,
        }
    )
    factor_text = [
        f"{f:g}" + (" (assumed factor, see hs_codes.csv)" if s == "assumed" else "")
        for f, s in zip(rules["factor"], rules["status"], strict=True)
    ]
    detail = frame["detail"].to_numpy() if "detail" in frame else [""] * len(frame)
    out["method"] = [
        f"{method_prefix}HS {code} quantity x {factor}{extra}"
        for code, factor, extra in zip(frame[hs_column], factor_text, detail, strict=True)
    ]
    return out


def sum_trade(records: pd.DataFrame) -> pd.DataFrame:
    """Sum flows that share a key (several HS codes feed one stage) into schema trade rows."""
    key = ["mineral", "stage", "exporter", "importer", "year", "unit", "source_id"]
    if records.empty:
        return to_schema("trade", pd.DataFrame(columns=[*key, "value", "status", "method"]))
    records = records[records["exporter"] != records["importer"]]
    grouped = records.groupby(key, sort=True, dropna=False).agg(
        value=("value", "sum"),
        estimated=("estimated", "any"),
        method=("method", lambda m: "; ".join(sorted(set(m)))),
    )
    grouped = grouped.reset_index()
    grouped["status"] = grouped["estimated"].map({True: "estimated", False: "reported"})
    return to_schema("trade", grouped)
