"""Where the dataset's countries sit in a table, and the table's money in base-year money.

A country the table lists is itself; an EU member it does not list (and the dataset's
``XEU``) is the table's ``XEU`` where it has one; every other country, and the dataset's
residual ``OTH``, is the table's ``ROW``. A table whose regions are not ISO3 codes (pymrio's
test system) carries its own map.

The table is of one year (2011 for the bundled one) and the run's shortfall of another
(its base year): each region's money is scaled by its nominal GDP in US dollars, base year
over table year (World Bank WDI, ``gdp`` table), so that the industry sizes the losses are
measured against are those of the run's year. ``XEU`` is the EU less the member regions
listed; ``ROW`` is the world less every listed region; a region without GDP in the data
(Taiwan) takes the world's ratio, and the result says so. For a base year past the data's
latest year, that latest year stands in (also said).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreshock.core.i18n import LANGUAGES, t
from oreshock.impact.tables import IOTable, TableError


def note(key: str, **params: object) -> dict[str, str]:
    """A note on how the money was scaled, in both languages (``imp_note_*`` texts)."""
    return {"key": key} | {lang: t(f"imp_note_{key}", lang, **params) for lang in LANGUAGES}


EU_REST = "XEU"
REST = "ROW"
TEST_SYSTEM_REGIONS = {"JPN": "reg1", "USA": "reg2", "DEU": "reg3", "CHN": "reg4", "KOR": "reg5"}


@dataclass(frozen=True)
class RegionMap:
    """Country -> table region, and each region's money scale to the base year."""

    regions: dict[str, str]
    default: str
    scale: np.ndarray
    notes: list[dict[str, str]] = field(default_factory=list)

    def of(self, iso3: str) -> str:
        return self.regions.get(iso3, self.default)


def eu_members(dataset) -> set[str]:
    """The dataset's EU27 members (none when it has no ``eu27`` group): they sit in the
    table's ``XEU`` unless the table lists them."""
    groups = set(dataset.table("groups")["group"])
    return set(dataset.group_members("eu27")) if "eu27" in groups else set()


def region_map(table: IOTable, countries: list[str], eu_members: set[str]) -> dict[str, str]:
    """Each country's region in the table: the user's map where given (``--regions``), else
    by ISO3 code; a table whose regions are not the dataset's codes needs the map."""
    listed = set(table.regions)
    if table.fictional:
        return {c: TEST_SYSTEM_REGIONS.get(c, table.regions[-1]) for c in countries}
    if table.region_aliases:
        return _aliased(table, countries)
    if not listed & set(countries):
        raise TableError(
            f"table {table.name}: its regions ({', '.join(table.regions[:8])} ...) are not the "
            "dataset's ISO3 country codes; expected a --regions FILE with columns iso3,region "
            "(a row * for the countries not listed)"
        )
    out = {}
    for c in countries:
        if c in listed:
            out[c] = c
        elif (c in eu_members or c == EU_REST) and EU_REST in listed:
            out[c] = EU_REST
        else:
            out[c] = REST if REST in listed else table.regions[-1]
    return out


def _aliased(table: IOTable, countries: list[str]) -> dict[str, str]:
    aliases = table.region_aliases
    missing = [c for c in countries if c not in aliases and "*" not in aliases]
    if missing:
        raise TableError(
            f"table {table.name}: the regions file places no region for {', '.join(missing[:8])}; "
            "expected a row for each, or a row * for every country not listed"
        )
    return {c: aliases.get(c, aliases.get("*", "")) for c in countries}


def money_scale(
    table: IOTable, gdp: pd.DataFrame, base_year: int, eu_members: set[str]
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Per region [R]: base-year GDP over table-year GDP, and notes on what stood in."""
    notes: list[dict[str, str]] = []
    if table.year is None or gdp.empty:
        notes.append(note("unscaled"))
        return np.ones(len(table.regions)), notes
    years = sorted(int(y) for y in gdp["year"].unique())
    target = max((y for y in years if y <= base_year), default=None)
    if target is None or table.year not in years:
        notes.append(note("unscaled"))
        return np.ones(len(table.regions)), notes
    if target != base_year:
        notes.append(note("latest_gdp", year=target, base_year=base_year))
    value = {
        (str(r), int(y)): float(v) for r, y, v in gdp[["region", "year", "value"]].itertuples(False)
    }
    world = value[("WLD", target)] / value[("WLD", table.year)]
    scale = []
    for region in table.regions:
        now = _level(region, table, value, target, eu_members)
        then = _level(region, table, value, table.year, eu_members)
        if now is None or then is None or then <= 0:
            named = table.region_names.get(region, {})
            notes.append(
                {"key": "world_ratio"}
                | {
                    lang: t(
                        "imp_note_world_ratio",
                        lang,
                        region=named.get(lang) or region,
                        ratio=f"{world:.2f}",
                    )
                    for lang in LANGUAGES
                }
            )
            scale.append(world)
        else:
            scale.append(now / then)
    return np.array(scale), notes


def _level(
    region: str, table: IOTable, value: dict, year: int, eu_members: set[str]
) -> float | None:
    """A region's GDP in a year: its own, or the EU's or world's less the listed regions."""
    listed = [r for r in table.regions if r not in (EU_REST, REST)]
    if region == EU_REST:
        eu = value.get(("EU27", year))
        inside = sum(value.get((r, year), 0.0) for r in listed if r in eu_members)
        return None if eu is None else eu - inside
    if region == REST:
        world = value.get(("WLD", year))
        if world is None:
            return None
        eu_rest = _level(EU_REST, table, value, year, eu_members) if EU_REST in table.regions else 0
        return world - sum(value.get((r, year), 0.0) for r in listed) - (eu_rest or 0.0)
    return value.get((region, year))
