"""A group's share of world demand embodied in final goods, counted where the goods are bought.

The first-use basis (``model.metrics.demand_share``) counts a mineral where its refined or
finished products are first used: the country whose plants take it. Most magnets and
batteries are made in China, so China's share is large there even when the cars, phones and
turbines are bought elsewhere. The embodied basis follows the same tonnes through an
input-output table into final goods:

1. The tonnes: each mineral's final use by country in first-stage tonnes
   (``model.metrics.first_use_tonnes``, the tonnes the first-use basis sums). A family
   (``rare_earths``) counts its products in one tonnage, as on the first-use basis.
2. Where they go in: each country's tonnes sit in its table region
   (``impact.regions.region_map``; the dataset's ``OTH`` and unlisted countries are the
   table's rest of the world) and in the industries that first use the mineral: through
   the end uses of the stage (``end_uses``) and the industry each end use feeds
   (``impact_bridge``), else through the mineral's first-use industries
   (``first_use_sectors``). Tonnes that reach no industry of the table (an end use without a
   bridge row, a stage without an end-use split, an industry the table lacks) are spread
   over the region's industries in the proportions of the mineral's placed use; the
   coverage names them and gives the share placed.
3. Intensity and embodiment: ``m_j = t_j / x_j`` tonnes per unit of output of industry j;
   use embodied in the final demand of buyer region b is
   ``E_b = sum_{j,i} m_j L_ji Y_ib``, with ``L = (I - A)^-1`` and ``A = Z x^-1``. Summed
   over buyers, ``E`` gives back every tonne placed (``L Y 1 = x``). Final demand is brought
   to the base year by each buyer region's nominal GDP, base year over table year
   (``impact.regions.money_scale``); the table's structure ``A`` stays that of its year, and
   output is recomputed as ``x = L Y``.
4. The group's share: its regions' embodied use over the world's. A region only partly in
   the group (``XEU`` for a group with some EU members) counts with its members' share of
   the region's GDP where the data give GDP for every country in it, else their share by
   count of the dataset's countries in it; the coverage says which.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oreshock.core.errors import OreshockError
from oreshock.impact.bridge import Bridge
from oreshock.impact.propagation import leontief_inverse
from oreshock.impact.regions import EU_REST, REST, eu_members, money_scale, note, region_map
from oreshock.impact.tables import IOTable, load_table
from oreshock.model.metrics import demand_share, first_use_tonnes
from oreshock.model.network import Network

FIRST_USE = "first-use"
EMBODIED = "embodied"
BASES = (FIRST_USE, EMBODIED)
EMBODIED_MEASURE = (
    "final use of each mineral in first-stage tonnes, placed in the industries that first "
    "use it and followed through the input-output table into final goods, counted where "
    "those goods are bought (households, governments and investment of each region)"
)
NOISE = 1e-12


class EmbodiedError(OreshockError):
    """A demand share that cannot be measured as asked: names what was expected."""


@dataclass(frozen=True)
class Embodied:
    """One mineral's world use as embodied in each region's final demand."""

    mineral: str
    regions: tuple[str, ...]
    by_region: np.ndarray  # [R] first-stage tonnes embodied in each buyer region's final demand
    total: float  # world first-use tonnes of the mineral
    placed: float  # of which placed in named industries of the table (before spreading)
    unplaced: list[dict] = field(default_factory=list)

    @property
    def placed_share(self) -> float:
        return self.placed / self.total if self.total > 0 else 0.0


def demand_share_by_basis(
    network: Network,
    dataset,
    group: str,
    mineral: str | None = None,
    basis: str = FIRST_USE,
    table: str | Path | IOTable | None = None,
) -> dict:
    """``model.metrics.demand_share`` on the first-use basis (the default, unchanged) or the
    embodied one, with ``basis`` (and, embodied, ``table``) in the result."""
    if basis not in BASES:
        raise EmbodiedError(f"unknown basis {basis!r}; expected one of: {', '.join(BASES)}")
    if basis == FIRST_USE:
        if table is not None:
            raise EmbodiedError(
                "an input-output table applies to the embodied basis only; expected "
                f"basis {EMBODIED!r} with a table, or no table"
            )
        return {**demand_share(network, group, mineral), "basis": FIRST_USE}
    io = table if isinstance(table, IOTable) else load_table(table)
    return embodied_share(network, dataset, io, group, mineral)


def embodied_share(
    network: Network, dataset, table: IOTable, group: str, mineral: str | None = None
) -> dict:
    """A group's share of world use embodied in final goods, for one mineral or the mean over
    the minerals the first-use basis counts (those covered by the table's industries)."""
    first = demand_share(network, group, mineral)  # checks group and mineral, picks minerals
    members = set(network.members(group))
    universe = country_universe(network, dataset, members, table)
    mapping = region_map(table, sorted(universe), eu_members(dataset))
    weights, partial = region_weights(table, mapping, members, universe, dataset)
    solved = _Solved.of(table, dataset)
    by_mineral: dict[str, float] = {}
    placed: dict[str, float] = {}
    unplaced: dict[str, list[dict]] = {}
    not_covered: dict[str, str] = {}
    for m in first["by_mineral"]:
        use = embodied_use(network, dataset, table, m, mapping, solved)
        world = float(use.by_region.sum())
        if world <= NOISE:
            not_covered[m] = (
                f"no industry of table {table.name} takes its first use: no end use with an "
                "impact_bridge row and no first_use_sectors rows"
            )
            continue
        by_mineral[m] = float(weights @ use.by_region) / world
        placed[m] = use.placed_share
        if use.unplaced:
            unplaced[m] = use.unplaced
    if mineral and mineral in not_covered:
        raise EmbodiedError(
            f"{mineral}: {not_covered[mineral]}; expected rows for {mineral} in "
            "first_use_sectors.csv (or end uses of its products with impact_bridge rows)"
        )
    share = float(np.mean(list(by_mineral.values()))) if by_mineral else 0.0
    coverage = {
        **first["coverage"],
        "minerals": len(by_mineral),
        "minerals_covered": list(by_mineral),
        "minerals_not_covered": not_covered,
        "placed_in_industries": placed,
        "unplaced": unplaced,
        "member_regions": {r: float(w) for r, w in zip(table.regions, weights, strict=True) if w},
        "partial_regions": partial,
        "notes": solved.notes,
    }
    return {
        "group": group,
        "mineral": mineral,
        "share": share,
        "by_mineral": by_mineral,
        "measure": EMBODIED_MEASURE,
        "basis": EMBODIED,
        "table": {"name": table.name, "year": table.year, "fictional": table.fictional},
        "coverage": coverage,
        "share_of_world_final_demand": float(weights @ solved.final_by_region)
        / float(solved.final_by_region.sum()),
    }


@dataclass(frozen=True)
class _Solved:
    """The table brought to the base year: the share of each industry's output that each
    buyer region's final demand calls for, ``(L Y)_jb / x_j`` [n, R]."""

    fractions: np.ndarray
    usable: np.ndarray  # [n] industries with output (the only ones tonnes can sit in)
    notes: list[dict[str, str]]  # each {key, en, ja} (impact.regions.note)
    final_by_region: np.ndarray  # [R] each buyer region's final demand, base-year money

    @classmethod
    def of(cls, table: IOTable, dataset) -> _Solved:
        eu = eu_members(dataset)
        scale, notes = money_scale(table, dataset.table("gdp"), dataset.base_year, eu)
        L = leontief_inverse(table)
        LY = L @ (table.final * scale[None, :])
        x = LY.sum(axis=1)
        usable = x > NOISE * max(float(np.abs(x).max()), 1.0)
        fractions = np.divide(LY, x[:, None], out=np.zeros_like(LY), where=usable[:, None])
        if any(s != 1.0 for s in scale):
            notes = [note("embodied_final_demand"), *notes]
        final = (table.final * scale[None, :]).sum(axis=0)
        return cls(fractions, usable, notes, final)


def embodied_use(
    network: Network,
    dataset,
    table: IOTable,
    mineral: str,
    mapping: dict[str, str] | None = None,
    solved: _Solved | None = None,
) -> Embodied:
    """One mineral's (or family's) first-use tonnes as embodied in each region's final
    demand (module docstring, steps 1-3)."""
    frames = first_use_tonnes(network, mineral)
    if mapping is None:
        countries = sorted({c for f in frames.values() for c in f.index})
        mapping = region_map(table, countries, eu_members(dataset))
    solved = solved or _Solved.of(table, dataset)
    tonnes, rest, placed, total, unplaced = _place(network, dataset, table, frames, mapping, solved)
    tonnes = tonnes + _spread(table, tonnes, rest, solved.usable)
    return Embodied(
        mineral=mineral,
        regions=table.regions,
        by_region=tonnes @ solved.fractions,
        total=total,
        placed=placed,
        unplaced=_unplaced_records(unplaced, total),
    )


def region_weights(
    table: IOTable,
    mapping: dict[str, str],
    members: set[str],
    universe: set[str],
    dataset,
) -> tuple[np.ndarray, list[dict]]:
    """Per table region [R], the part of it that is in the group (1, 0 or in between), and
    the regions only partly in it: by GDP where the dataset gives every country of the
    region, else by count of the dataset's countries mapped to it."""
    inside: dict[str, list[str]] = defaultdict(list)
    of: dict[str, list[str]] = defaultdict(list)
    for c in sorted(universe):
        of[mapping[c]].append(c)
        if c in members:
            inside[mapping[c]].append(c)
    gdp = _gdp(dataset)
    weights = np.zeros(len(table.regions))
    partial = []
    for r, region in enumerate(table.regions):
        ins, all_ = inside.get(region, []), of.get(region, [])
        if not ins:
            continue
        if len(ins) == len(all_):
            weights[r] = 1.0
            continue
        if all(c in gdp for c in all_):
            weights[r] = sum(gdp[c] for c in ins) / sum(gdp[c] for c in all_)
            by = "gdp"
        else:
            weights[r] = len(ins) / len(all_)
            by = "count"
        partial.append(
            {
                "region": region,
                "weight": float(weights[r]),
                "by": by,
                "members": ins,
                "countries": len(all_),
            }
        )
    return weights, partial


def _place(
    network: Network,
    dataset,
    table: IOTable,
    frames: dict[str, pd.DataFrame],
    mapping: dict[str, str],
    solved: _Solved,
) -> tuple[np.ndarray, np.ndarray, float, float, dict[tuple, float]]:
    """Tonnes by industry [n], tonnes not placed by region [R], and what was not placed."""
    bridge = Bridge.from_table(dataset.table("impact_bridge"))
    sectors = _first_use_sectors(dataset)
    tonnes = np.zeros(table.size)
    rest = np.zeros(len(table.regions))
    unplaced: dict[tuple, float] = defaultdict(float)
    placed = total = 0.0
    for product, frame in frames.items():
        chain = network.chain(product)
        for stage in frame.columns:
            for iso3, t in frame[stage].items():
                if t <= 0:
                    continue
                total += float(t)
                region = mapping[str(iso3)]
                r = table.regions.index(region)
                for sector, share, why in _split(chain, stage, str(iso3), bridge, sectors):
                    part = float(t) * share
                    j = None
                    if sector is not None:
                        j = _industry(table, region, sector)
                        if j is None:
                            why = f"industry {sector} is not a sector of table {table.name}"
                        elif not solved.usable[j]:
                            j, why = None, f"industry {sector} of {region} has no output"
                    if j is None:
                        rest[r] += part
                        unplaced[(product, stage, why)] += part
                    else:
                        tonnes[j] += part
                        placed += part
    return tonnes, rest, placed, total, unplaced


def _split(
    chain, stage: str, iso3: str, bridge: Bridge, sectors: dict[str, list[tuple[str, float]]]
) -> list[tuple[str | None, float, str]]:
    """(industry or None, share, why not placed) of one stage's final use in one country:
    its end uses with a bridge row, then the first-use industries of the mineral (or its
    family) for the rest, else nothing."""
    out: list[tuple[str | None, float, str]] = []
    left = 1.0
    rows = chain.end_uses[chain.end_uses["stage"] == stage] if not chain.end_uses.empty else None
    if rows is not None and not rows.empty:
        own = rows[rows["iso3"] == iso3]
        rows = own if not own.empty else rows[rows["iso3"] == "WLD"]
        shares = rows["share"].astype(float)
        scale = 1.0 / max(float(shares.sum()), 1.0)  # end uses may sum to a little over 1
        for sector, share in zip(rows["sector"], shares, strict=True):
            link = bridge.link(chain.mineral, str(sector), iso3)
            why = f"end use {sector} has no impact_bridge row"
            out.append((link.io_sector if link else None, share * scale, why))
            left -= share * scale
    if left > NOISE:
        split = sectors.get(chain.mineral) or sectors.get(chain.family or "", [])
        if split:
            out += [(s, left * share, "") for s, share in split]
        else:
            why = "no end-use split or first_use_sectors rows for this stage"
            out.append((None, left, why))
    return out


def _spread(table: IOTable, tonnes: np.ndarray, rest: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Tonnes not placed, spread over each region's industries in the proportions of the
    mineral's placed use (world mix by sector), among the industries with output."""
    n_s = len(table.sectors)
    mix = tonnes.reshape(len(table.regions), n_s).sum(axis=0)
    add = np.zeros_like(tonnes)
    if mix.sum() <= 0:
        return add
    for r in np.flatnonzero(rest > 0):
        w = mix * usable[r * n_s : (r + 1) * n_s]
        if w.sum() > 0:
            add[r * n_s : (r + 1) * n_s] = rest[r] * w / w.sum()
    return add


def _industry(table: IOTable, region: str, sector: str) -> int | None:
    mapped = table.sector_map.get(sector, sector)
    return table.index(region, mapped) if mapped in table.sectors else None


def _unplaced_records(unplaced: dict[tuple, float], total: float) -> list[dict]:
    return [
        {"product": p, "stage": s, "share_of_use": v / total if total > 0 else 0.0, "reason": why}
        for (p, s, why), v in sorted(unplaced.items(), key=lambda kv: -kv[1])
        if v > NOISE * max(total, 1.0)
    ]


def _first_use_sectors(dataset) -> dict[str, list[tuple[str, float]]]:
    if "first_use_sectors" not in dataset.tables():
        return {}
    df = dataset.table("first_use_sectors")
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for mineral, sector, share in zip(df["mineral"], df["io_sector"], df["share"], strict=True):
        out[str(mineral)].append((str(sector), float(share)))
    return dict(out)


def country_universe(
    network: Network, dataset, members: set[str], table: IOTable | None = None
) -> set[str]:
    """Every country code a region may hold: the dataset's, the chains', the group's and the
    countries a real table lists (Taiwan is a region of the bundled table, not a country of
    the dataset), so that groups splitting it between them split every region."""
    codes = set(dataset.table("countries")["iso3"]) | members
    for chain in network.chains.values():
        codes |= set(chain.countries)
    if table is not None and not table.fictional:
        codes |= set(table.regions) - {EU_REST, REST}
    return codes - {"WLD"}


def _gdp(dataset) -> dict[str, float]:
    """Each country's nominal GDP in the latest year the data hold for it, up to the base
    year (countries only, not the EU or the world)."""
    df = dataset.table("gdp") if "gdp" in dataset.tables() else pd.DataFrame()
    if df.empty:
        return {}
    df = df[df["year"] <= dataset.base_year]
    if df.empty:
        return {}
    year = int(df["year"].max())
    rows = df[df["year"] == year]
    return {str(r): float(v) for r, v in zip(rows["region"], rows["value"], strict=True)}
