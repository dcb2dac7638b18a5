"""Dataset vintages: the same tables read as of an earlier base year.

A dataset holds rows of several years; the manifest's ``vintages`` lists the base years it
is built to be read at (``base_year`` always among them). Read at base year B, every table
gives each key its latest row not after B (``balance.latest``), so a 2010 vintage is the 2010
rows, not a copy of the dataset. Two rules make an earlier vintage honest:

- a mineral without production in or before B is not in the vintage (its chain, demand,
  trade and stocks are dropped, and ``notices`` says so): a run that names it is told the
  mineral is unknown, instead of running on later tonnages;
- rows of a vintage at least five years earlier (in or before its year) are not read by a
  later one for the tables of quantities (production, demand, trade, import shares, stocks,
  capacity, prices), so a 2010 flow the 2024 data do not repeat does not leak into 2024,
  while the 2024 vintage still reads a 2023 share that no 2024 row replaces;
- structural shares that change slowly and were published only later (the element split of
  rare-earth output, the end-use split, recycling rates) are carried back from their earliest
  year and each carried key is listed in ``notices``, so a report can say which figures of
  the run are not of its base year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

Tables = dict[str, pd.DataFrame]

# Tables whose rows may be carried back to an earlier base year, with their keys (less year).
CARRIED: dict[str, list[str]] = {
    "product_shares": ["family", "product", "stage", "iso3", "measure"],
    "end_uses": ["mineral", "stage", "sector", "iso3"],
    "recycling": ["mineral", "iso3"],
}


# Tables of quantities: each vintage reads only its own years.
QUANTITIES = ("production", "demand", "trade", "import_shares", "stocks", "capacity", "prices")


# A vintage this many years or more before another describes another market (2010 against
# 2024): the later one does not read its rows of quantities. A vintage a year or two back
# (2023 against 2024) is the same market, and its rows are the latest evidence where the
# later year has none.
STALE_YEARS = 5


def previous_vintage(vintages: list[int], base_year: int) -> int | None:
    """The newest vintage at least ``STALE_YEARS`` before ``base_year``: rows in or before
    its year are not read at ``base_year`` (None: every earlier row is read)."""
    earlier = [v for v in vintages if v <= base_year - STALE_YEARS]
    return max(earlier) if earlier else None


def without_earlier_vintages(tables: Tables, floor: int | None) -> Tables:
    """The tables of quantities without the rows of earlier vintages (year <= floor)."""
    if floor is None:
        return tables
    out = dict(tables)
    for name in QUANTITIES:
        if name in out:
            df = out[name]
            out[name] = df[df["year"] > floor].reset_index(drop=True)
    return out


@dataclass(frozen=True)
class VintageNotice:
    """One thing a vintage does not hold as of its base year."""

    table: str
    what: str
    message_en: str
    message_ja: str


def covered_minerals(tables: Tables, base_year: int) -> set[str]:
    """Minerals (and products of covered families) with production in or before the year."""
    production = tables["production"]
    have = set(production.loc[production["year"] <= base_year, "mineral"])
    minerals = tables["minerals"]
    families = minerals.set_index("mineral")["family"].fillna("")
    return {m for m in minerals["mineral"] if m in have or families.get(m, "") in have}


def _drop_uncovered(tables: Tables, keep: set[str]) -> Tables:
    out = {}
    for name, df in tables.items():
        if "mineral" in df.columns:
            df = df[df["mineral"].isin(keep)]
        if name == "product_shares":
            df = df[df["family"].isin(keep)]
        if name == "recipes":
            df = df[df["product"].isin(keep) & df["input"].isin(keep)]
        out[name] = df.reset_index(drop=True)
    return out


def _carry_back(
    df: pd.DataFrame, keys: list[str], base_year: int
) -> tuple[pd.DataFrame, list[str]]:
    """Rows of keys with nothing in or before ``base_year``: their earliest year, re-dated."""
    if df.empty:
        return df, []
    has_old = df[df["year"] <= base_year].groupby(keys).size()
    later = df[df["year"] > base_year]
    earliest = later.groupby(keys)["year"].transform("min")
    first = later[later["year"] == earliest]
    missing = first.set_index(keys).index.difference(has_old.index)
    carried = first.set_index(keys).loc[missing].reset_index()
    years = sorted({int(y) for y in carried["year"]})
    carried = carried.assign(year=base_year)[df.columns]
    return pd.concat([df, carried], ignore_index=True), [str(y) for y in years]


def _without_demand(tables: Tables, base_year: int) -> list[VintageNotice]:
    """Minerals the vintage holds production of but no demand: their runs can only say "not
    covered", which the notice says before any run does."""
    demand = tables["demand"]
    have = set(demand.loc[demand["year"] <= base_year, "mineral"])
    families = tables["minerals"].set_index("mineral")["family"].fillna("")
    produced = set(tables["production"]["mineral"])
    lacking = sorted(
        m for m in produced if m not in have and not ({m} | {families.get(m, "")}) & have
    )
    if not lacking:
        return []
    names = ", ".join(lacking)
    return [
        VintageNotice(
            "demand",
            names,
            f"{len(lacking)} minerals have production but no demand in or before {base_year} "
            f"in this vintage (runs on them say not covered): {names}",
            f"{len(lacking)}鉱物はこの基準年に{base_year}年以前の生産はあるが需要のデータがない"
            f"（実行結果は「対象外」となる）: {names}",
        )
    ]


def select_vintage(tables: Tables, base_year: int) -> tuple[Tables, list[VintageNotice]]:
    """The tables as a vintage of ``base_year`` reads them, and what it had to say."""
    keep = covered_minerals(tables, base_year)
    dropped = sorted(set(tables["minerals"]["mineral"]) - keep)
    notices = []
    if dropped:
        notices.append(
            VintageNotice(
                "production",
                ", ".join(dropped),
                f"{len(dropped)} minerals have no production in or before {base_year} and "
                f"are not in this vintage: {', '.join(dropped)}",
                f"{len(dropped)}鉱物は{base_year}年以前の生産データがなく、この基準年には"
                f"含まれない: {', '.join(dropped)}",
            )
        )
    tables = _drop_uncovered(tables, keep)
    notices += _without_demand(tables, base_year)
    for name, keys in CARRIED.items():
        if name not in tables:
            continue
        tables[name], years = _carry_back(tables[name], keys, base_year)
        if years:
            notices.append(
                VintageNotice(
                    name,
                    "/".join(years),
                    f"{name}: rows of {'/'.join(years)} applied to {base_year} (nothing "
                    f"earlier is published)",
                    f"{name}: {base_year}年以前のデータがないため{'/'.join(years)}年の値を適用",
                )
            )
    return tables, notices
