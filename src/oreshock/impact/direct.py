"""The direct loss: output that the run's end-use shortfall makes impossible, by industry and
month, before any propagation.

For an end use e of a country c in month t, with ``short`` and ``wanted`` tonnes from the run
(``RunResult.end_use_paths``) and the bridge's two figures (``impact.bridge``):

    loss = min(short x output_usd_per_t,  short / wanted x using_share x output / 12)

in US dollars of the run's base year, ``output`` being the annual output of the industry the
end use feeds in c's region of the table, scaled to the base year. The first term is the
output of the units the missing tonnes go into; the second says that a fraction of the
magnets short stops at most that fraction of the output that needs them. Where the bridge
has only one of the two figures, that one alone counts. Summed over end uses (distinct
product lines) and countries of a region, and capped at the industry's output.

A final use short that the bridge does not value (a stage without end uses, or an end use
without a bridge row) is not a silent zero: it is counted in tonnes in ``coverage`` and named
in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oreshock.impact.bridge import Bridge
from oreshock.impact.regions import RegionMap
from oreshock.impact.tables import IOTable, TableError

NOISE = 1e-9  # tonnes below which a shortfall is the engine's floating-point noise


@dataclass
class Direct:
    """Direct output lost [T, n] in table units per month (table-year money), and what the
    bridge valued and did not."""

    loss: np.ndarray
    valued: list[dict] = field(default_factory=list)
    unvalued: list[dict] = field(default_factory=list)


def direct_loss(result, table: IOTable, bridge: Bridge, regions: RegionMap) -> Direct:
    T = len(result.months())
    out = Direct(np.zeros((T, table.size)))
    for country in _short_countries(result):
        region = regions.of(country)
        r = table.regions.index(region)
        money = table.usd_per_unit * regions.scale[r]  # USD of the base year per table unit
        for path in result.end_use_paths(country):
            for k, use in path.uses.iterrows():
                short, wanted = path.short[:, k], path.wanted[:, k]
                tonnes = float(short.sum())
                if tonnes <= NOISE:
                    continue
                link = bridge.link(path.mineral, str(use["sector"]), country)
                entry = {
                    "country": country,
                    "region": region,
                    "mineral": path.mineral,
                    "stage": path.stage,
                    "end_use": str(use["sector"]),
                    "name_en": str(use["name_en"]),
                    "name_ja": str(use["name_ja"]),
                    "tonnes_short": tonnes,
                }
                if link is None:
                    out.unvalued.append(entry | {"reason": "no bridge row"})
                    continue
                j = _industry(table, region, link.io_sector)
                loss_usd = _end_use_loss(short, wanted, link, table.x[j] * money)
                out.loss[:, j] += loss_usd / money
                out.valued.append(
                    entry | {"io_sector": link.io_sector, "direct_loss_usd": float(loss_usd.sum())}
                )
        out.unvalued += _without_end_uses(result, country, region)
    np.minimum(out.loss, table.x[None, :] / 12.0, out=out.loss)
    return out


def _end_use_loss(short: np.ndarray, wanted: np.ndarray, link, annual_output_usd: float):
    """Monthly USD lost to one end use's shortfall (see the module's formula)."""
    caps = []
    if link.output_usd_per_t > 0:
        caps.append(short * link.output_usd_per_t)
    if link.using_share > 0:
        fraction = np.divide(short, wanted, out=np.zeros_like(short), where=wanted > 0)
        caps.append(np.minimum(fraction, 1.0) * link.using_share * annual_output_usd / 12.0)
    return np.minimum.reduce(caps) if len(caps) > 1 else caps[0]


def _industry(table: IOTable, region: str, sector: str) -> int:
    mapped = table.sector_map.get(sector, sector)
    if mapped not in table.sectors:
        raise TableError(
            f"table {table.name}: the bridge's industry {sector!r} does not map to a sector of "
            f"the table; expected one of {', '.join(table.sectors)} (or a sector map for them)"
        )
    return table.index(region, mapped)


def _short_countries(result) -> list[str]:
    """Countries with any shortfall in any chain (the only ones with a direct loss)."""
    countries: set[str] = set()
    for run in result.runs.values():
        short = run.series["shortfall"][:, 0].sum(axis=(0, 2))
        countries |= {c for c, s in zip(run.chain.countries, short, strict=True) if s > NOISE}
    return sorted(countries)


def _without_end_uses(result, country: str, region: str) -> list[dict]:
    """Final use short at stages that have no end-use breakdown (not valued)."""
    rows = []
    for mineral, run in result.runs.items():
        ch = run.chain
        if country not in ch.countries or run.final_use is None:
            continue
        c = ch.countries.index(country)
        broken_down = set(ch.end_uses["stage"]) if not ch.end_uses.empty else set()
        for s, stage in enumerate(ch.stages):
            if stage in broken_down:
                continue
            demand = run.series["demand"][:, 0, c, s]
            short = run.series["shortfall"][:, 0, c, s]
            final = run.final_use[:, 0, c, s]
            ratio = np.divide(short, demand, out=np.zeros_like(short), where=demand > 0)
            tonnes = float((final * ratio).sum())
            if tonnes > NOISE:
                rows.append(
                    {
                        "country": country,
                        "region": region,
                        "mineral": mineral,
                        "stage": stage,
                        "end_use": None,
                        "tonnes_short": tonnes,
                        "reason": "no end-use breakdown",
                    }
                )
    return rows
