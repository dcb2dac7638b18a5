"""The end-use -> industry bridge: what a tonne short of a mineral product costs the
industry that needs it, and how far that industry depends on it.

Two figures per end use, each from the dataset's ``impact_bridge`` table with its source:

- ``output_usd_per_t``: the output (USD of the bridge's price year) of the units a tonne of
  the product goes into, i.e. unit value / content per unit (an EV's price over its kilograms
  of NdFeB). A missing magnet stops the unit (fixed proportions, no substitution in the run).
- ``using_share``: the share of the industry's output made of units that need it at all (cars
  with a traction motor among all motor vehicles), so a shortfall can never stop more output
  than depends on it.

A country's own row is used where the table has one, else the world's (``WLD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from oreshock.core.errors import DataFileError, Problem

QUANTITIES = ("output_usd_per_t", "using_share")


@dataclass(frozen=True)
class Link:
    """How one end use of one mineral product reaches an industry."""

    mineral: str
    stage: str
    end_use: str
    io_sector: str
    output_usd_per_t: float
    using_share: float
    low: float
    high: float
    price_year: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Bridge:
    """Links by (mineral, end use) and country (``WLD`` where the country has none)."""

    links: dict[tuple[str, str, str], Link] = field(default_factory=dict)

    def link(self, mineral: str, end_use: str, country: str) -> Link | None:
        return self.links.get((mineral, end_use, country)) or self.links.get(
            (mineral, end_use, "WLD")
        )

    def sectors(self) -> set[str]:
        return {k.io_sector for k in self.links.values()}

    def covers(self, mineral: str) -> bool:
        return any(m == mineral for m, _, _ in self.links)

    def records(self) -> list[dict]:
        return [
            {
                "mineral": k.mineral,
                "stage": k.stage,
                "end_use": k.end_use,
                "iso3": iso3,
                "io_sector": k.io_sector,
                "output_usd_per_t": k.output_usd_per_t,
                "using_share": k.using_share,
                "sources": list(k.sources),
            }
            for (_, _, iso3), k in sorted(self.links.items())
        ]

    @classmethod
    def from_table(cls, table: pd.DataFrame, path: str = "impact_bridge.csv") -> Bridge:
        """One link per end use and country from its rows: at most one of each quantity, one
        industry, and a using share no larger than 1; a country's row that gives only one
        quantity takes the other from the world's row."""
        unknown = sorted(set(table["quantity"]) - set(QUANTITIES))
        if unknown:
            raise DataFileError(
                [Problem(path, None, "quantity", f"unknown quantity {unknown}", str(QUANTITIES))]
            )
        rows: dict[tuple[str, str, str], dict[str, pd.Series]] = {}
        for _, row in table.iterrows():
            key = (str(row["mineral"]), str(row["end_use"]), str(row["iso3"]))
            rows.setdefault(key, {})[str(row["quantity"])] = row
        links = {}
        for key in sorted(rows):
            mineral, end_use, _ = key
            given = rows.get((mineral, end_use, "WLD"), {}) | rows[key]
            _check_link(path, key, given)
            value, share = given.get("output_usd_per_t"), given.get("using_share")
            first = next(iter(given.values()))
            links[key] = Link(
                mineral=mineral,
                stage=str(first["stage"]),
                end_use=end_use,
                io_sector=str(first["io_sector"]),
                output_usd_per_t=float(value["value"]) if value is not None else 0.0,
                using_share=float(share["value"]) if share is not None else 0.0,
                low=float(value["low"]) if value is not None else float("nan"),
                high=float(value["high"]) if value is not None else float("nan"),
                price_year=int(first["year"]),
                sources=tuple(sorted({str(r["source_id"]) for r in given.values()})),
            )
        return cls(links)


def _check_link(path: str, key: tuple[str, str, str], given: dict[str, pd.Series]) -> None:
    mineral, end_use, iso3 = key
    where = f"{mineral}/{end_use} ({iso3})"
    sectors = {str(r["io_sector"]) for r in given.values()}
    if len(sectors) > 1:
        raise DataFileError(
            [Problem(path, None, "io_sector", f"{where} feeds two industries {sorted(sectors)}")]
        )
    share = given.get("using_share")
    if share is not None and not 0 < float(share["value"]) <= 1:
        raise DataFileError(
            [
                Problem(
                    path,
                    None,
                    "value",
                    f"{where}: using_share must be a share of output",
                    "a number in (0, 1]",
                    str(share["value"]),
                )
            ]
        )
