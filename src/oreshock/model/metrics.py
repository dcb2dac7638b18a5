"""Dependency metrics: concentration, origin-traced exposure, import reliance, supply risk.

Pure functions over a dataset or network. Shares are fractions of the world total. Formulas:

- Shares are fractions of the published world total (USGS rounds it, so they may add up to
  slightly more than 1). HHI = sum of squared producer shares (0..1). The residual ``OTH`` (many small producers) is
  left out of HHI and top-n, so they are not overstated by treating it as one producer.
- Net import reliance (USGS) = (imports - exports) / apparent consumption, base year, no
  stock change; 0 with ``net_exporter`` set when negative.
- Exposure: the composition of a country's supply (production + imports) by origin, where
  origin is the country that produced the material at the chain's origin stage (first
  processing stage, mining before it). Solved per stage from (I - A) Q = B, A[c,e] =
  flow e->c / supply c, B = own production by origin / supply c.
- Supply risk, EU-CRM style (Blengini et al. 2017): SR = (HHI_global * IR/2 + HHI_sourcing *
  (1 - IR/2)) * (1 - EoL_RIR) * SI. Governance (WGI) and trade-restriction weights and the
  substitution index SI are not in the dataset and are neutral (1), except that a country's
  own production counts as risk-free in its sourcing HHI; HHI is on 0..1, so SR is on 0..1
  instead of the EU's 0..10 scale.
- Group demand share: the group's final use of a mineral over the world's, every stage
  converted to first-stage equivalent tonnes through the chain's yields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

import numpy as np
import pandas as pd

from oreshock.core.errors import UnknownIdError
from oreshock.data.balance import latest
from oreshock.data.datasets import Dataset
from oreshock.model.network import Chain, Network, origin_composition

RESIDUAL = "OTH"
CHINA = "CHN"


def hhi(shares: np.ndarray | list[float]) -> float:
    """Herfindahl-Hirschman index of shares given as fractions (0..1)."""
    arr = np.asarray(shares, dtype=float)
    return float(np.sum(arr * arr))


def top_share(shares: np.ndarray | list[float], n: int) -> float:
    """Combined share of the ``n`` largest."""
    arr = np.sort(np.asarray(shares, dtype=float))[::-1]
    return float(arr[:n].sum())


@dataclass(frozen=True)
class Concentration:
    mineral: str
    stage: str
    year: int
    hhi: float
    top1_share: float
    top3_share: float
    china_share: float
    shares: dict[str, float]
    sources: list[dict[str, str]]

    def to_dict(self) -> dict:
        return asdict(self)


def concentration(ds: Dataset, mineral: str, stage: str, year: int | None = None) -> Concentration:
    """Producer shares of world output at a stage, with HHI and top-n shares."""
    stage = ds.resolve_stage(mineral, stage)
    rows = ds.sql("SELECT * FROM production WHERE mineral = ? AND stage = ?", [mineral, stage])
    rows = latest(rows, year or ds.base_year, ["mineral", "stage"])
    if rows.empty:
        raise UnknownIdError(
            f"no production data for {mineral}/{stage} up to {year or ds.base_year}"
        )
    world_row = rows[rows["iso3"] == "WLD"]
    parts = rows[rows["iso3"] != "WLD"]
    # Shares of the world total as published (USGS rounds it, so shares may add up to a
    # little more than 1); the sum of countries when no total is published.
    world = (
        float(world_row["value"].iloc[0]) if not world_row.empty else float(parts["value"].sum())
    )
    shares = {c: float(v) / world for c, v in zip(parts["iso3"], parts["value"], strict=True)}
    named = np.array([v for c, v in shares.items() if c != RESIDUAL])
    used = rows["source_id"].unique().tolist()
    sources = ds.sql(
        "SELECT source_id, title, url FROM sources WHERE list_contains(?, source_id)", [used]
    )
    return Concentration(
        mineral=mineral,
        stage=stage,
        year=int(rows["year"].iloc[0]),
        hhi=hhi(named),
        top1_share=top_share(named, 1),
        top3_share=top_share(named, 3),
        china_share=shares.get(CHINA, 0.0),
        shares=dict(sorted(shares.items(), key=lambda kv: -kv[1])),
        sources=cast(list[dict[str, str]], sources.to_dict("records")),
    )


@dataclass(frozen=True)
class Exposure:
    country: str
    mineral: str
    stage: str
    origin: str
    direct_share: float
    indirect_share: float
    total_share: float

    def to_dict(self) -> dict:
        return asdict(self)


def _origin_tonnes(chain: Chain, country: str, s: int, origin: str) -> tuple[float, float, float]:
    """(supply, tonnes from ``origin`` shipped directly, tonnes of ``origin`` in all) of one
    country at stage s of a chain."""
    if country not in chain.countries:
        return 0.0, 0.0, 0.0
    c = chain.index(country)
    supply = float(chain.production[c, s] + chain.trade[s][:, c].sum())
    if origin not in chain.countries or supply <= 0:
        return supply, 0.0, 0.0
    comp = origin_composition(chain)[s]
    o = chain.index(origin)
    total = float(comp[c, o]) * supply
    direct = float(chain.trade[s][o, c] * comp[o, o]) if o != c else float(chain.production[c, s])
    return supply, direct, total


def exposure(network: Network, country: str, mineral: str, stage: str, origin: str) -> Exposure:
    """Share of a country's supply at a stage that originates in ``origin``, direct or via
    others. For a family (``rare_earths``) the tonnes of its products at that stage add up."""
    country, origin = country.upper(), origin.upper()
    chains = [network.chain(m) for m in network.products(mineral)] or [network.chain(mineral)]
    chains = [ch for ch in chains if ch.stage_mask([stage]).any()] or [chains[0]]
    supply = direct = total = 0.0
    for chain in chains:
        part = _origin_tonnes(chain, country, chain.stage_index(stage), origin)
        supply, direct, total = supply + part[0], direct + part[1], total + part[2]
    if not any(country in ch.countries for ch in chains):
        chains[0].index(country)  # an unknown node is an error, not a zero share
    total_share = total / supply if supply > 0 else 0.0
    direct_share = direct / supply if supply > 0 else 0.0
    return Exposure(
        country=country,
        mineral=mineral,
        stage=chains[0].stages[chains[0].stage_index(stage)],
        origin=origin,
        direct_share=direct_share,
        indirect_share=max(total_share - direct_share, 0.0),
        total_share=total_share,
    )


def net_import_reliance(chain: Chain) -> np.ndarray:
    """[country, stage] (imports - exports) / consumption, USGS definition (negative = exporter)."""
    net = chain.imports - chain.exports
    return np.divide(net, chain.consumption, out=np.zeros_like(net), where=chain.consumption > 0)


def supply_risk(chain: Chain) -> np.ndarray:
    """[country, stage] EU-CRM-style supply-risk index on 0..1 (see module docstring)."""
    world = chain.production.sum(axis=0)
    named = np.array([c != RESIDUAL for c in chain.countries])
    global_shares = np.divide(
        chain.production, world, out=np.zeros_like(chain.production), where=world > 0
    )
    hhi_global = np.sum((global_shares * named[:, None]) ** 2, axis=0)
    n_c, n_s = chain.production.shape
    out = np.zeros((n_c, n_s))
    reliance = np.clip(net_import_reliance(chain), 0.0, 1.0)
    for s in range(n_s):
        sourcing = chain.trade[s].T + np.diag(chain.production[:, s])
        supply = sourcing.sum(axis=1)
        mix = np.divide(
            sourcing, supply[:, None], out=np.zeros_like(sourcing), where=supply[:, None] > 0
        )
        foreign = named[None, :] & ~np.eye(n_c, dtype=bool)
        hhi_sourcing = np.sum((mix * foreign) ** 2, axis=1)
        ir = reliance[:, s]
        out[:, s] = (hhi_global[s] * ir / 2 + hhi_sourcing * (1 - ir / 2)) * (
            1 - chain.recycling_rate
        )
    return out


def dependency_table(network: Network, mineral: str) -> pd.DataFrame:
    """Per stage x country: production share, China-origin share of supply, reliance, risk
    (for a family, one block per product)."""
    if mineral in network.families:
        return pd.concat(
            [dependency_table(network, p) for p in network.products(mineral)], ignore_index=True
        )
    chain = network.chain(mineral)
    comp = origin_composition(chain)
    reliance = net_import_reliance(chain)
    risk = supply_risk(chain)
    world = chain.production.sum(axis=0)
    china = chain.countries.index(CHINA) if CHINA in chain.countries else None
    rows = []
    for s, stage in enumerate(chain.stages):
        for c, iso3 in enumerate(chain.countries):
            rows.append(
                {
                    "mineral": mineral,
                    "stage": stage,
                    "country": iso3,
                    "production_share": chain.production[c, s] / world[s] if world[s] else 0.0,
                    "consumption": chain.consumption[c, s],
                    "net_import_reliance": reliance[c, s],
                    "china_origin_share": comp[s, c, china] if china is not None else 0.0,
                    "supply_risk": risk[c, s],
                }
            )
    return pd.DataFrame(rows)


def first_stage_equivalent(chain: Chain) -> np.ndarray:
    """Tonnes of first-stage material per tonne at each stage (inverse cumulative yields)."""
    yields = np.nan_to_num(chain.yields.copy(), nan=1.0)
    yields[0] = 1.0
    return 1.0 / np.cumprod(yields)


def _first_stage_factor(network: Network, chain: Chain) -> np.ndarray:
    """(S,) first-stage tonnes per tonne at each stage; a recipe stage counts the first-stage
    tonnes of its inputs (a tonne of NdFeB as the REO in its NdPr and Dy/Tb metal)."""
    if not chain.recipe:
        return first_stage_equivalent(chain)
    factor = 0.0
    for item in chain.recipe:
        if item.mineral in network.chains:
            source = network.chains[item.mineral]
            factor += (
                item.quantity * first_stage_equivalent(source)[source.stages.index(item.stage)]
            )
    return np.full(len(chain.stages), factor or 1.0)


def first_use_tonnes(network: Network, mineral: str) -> dict[str, pd.DataFrame]:
    """Final use of a mineral or family where it is first used, in first-stage tonnes: per
    product (the mineral itself for one without products) a frame of countries x stages.

    Both bases of the group demand share rest on these tonnes: the first-use basis sums them
    by country, the embodied one (``impact.embodied``) follows them into final goods.
    """
    frames = {}
    for m in network.products(mineral) or (mineral,):
        chain = network.chain(m)
        weighted = chain.final_use * _first_stage_factor(network, chain)[None, :]
        frames[m] = pd.DataFrame(weighted, index=list(chain.countries), columns=list(chain.stages))
    return frames


def _final_use_split(network: Network, mineral: str, members: set[str]) -> tuple[float, float]:
    """(inside the group, world) final use of a mineral or family, in first-stage tonnes."""
    inside = world = 0.0
    for frame in first_use_tonnes(network, mineral).values():
        weighted = np.ascontiguousarray(frame.to_numpy())  # C order: the same sums as before
        world += float(weighted.sum())
        inside += float(weighted[[c in members for c in frame.index]].sum())
    return inside, world


def demand_share(network: Network, group: str, mineral: str | None = None) -> dict:
    """A group's share of world final use, for one mineral (or family: its products in one
    first-stage tonnage) or averaged over minerals with data (a family counted once)."""
    members = set(network.members(group))
    if mineral:
        minerals = [mineral]
    else:
        reported = [ch for _, ch in sorted(network.chains.items()) if ch.final_use_reported]
        minerals = list(dict.fromkeys(ch.family or ch.mineral for ch in reported))
    per_mineral = {}
    for m in minerals:
        inside, world = _final_use_split(network, m, members)
        per_mineral[m] = inside / world if world > 0 else 0.0
    share = float(np.mean(list(per_mineral.values()))) if per_mineral else 0.0
    return {
        "group": group,
        "mineral": mineral,
        "share": share,
        "by_mineral": per_mineral,
        "measure": DEMAND_SHARE_MEASURE,
        "coverage": _demand_coverage(network, minerals, members),
    }


DEMAND_SHARE_MEASURE = (
    "final use of each mineral's refined or finished products where it is first used "
    "(the country whose plants take the material), in first-stage tonnes; not demand "
    "embodied in imported final goods"
)


def _demand_coverage(network: Network, minerals: list[str], members: set[str]) -> dict:
    """What the share rests on: the countries named in each mineral's final use (the rest
    sits in OTH) and the minerals left out for want of demand by country."""
    named: dict[str, list[str]] = {}
    for m in minerals:
        codes: set[str] = set()
        for product in network.products(m) or (m,):
            chain = network.chain(product)
            used = chain.final_use.sum(axis=1) > 0
            codes |= {c for c, u in zip(chain.countries, used, strict=True) if u}
        named[m] = sorted(codes - {"OTH", "WLD"})
    counted = set(minerals)
    without = sorted({ch.family or ch.mineral for ch in network.chains.values()} - counted - {None})
    return {
        "minerals": len(minerals),
        "countries_named": named,
        "members_named": {m: sorted(set(codes) & members) for m, codes in named.items()},
        "minerals_without_demand_by_country": without,
    }
