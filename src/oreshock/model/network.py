"""The supply chain built from a dataset: countries x stages per mineral, as numpy arrays.

A ``Network`` holds one ``Chain`` per mineral: base-year production, capacity, apparent
consumption, final use, bilateral trade per stage, commercial stocks and national stockpiles.
It does no IO beyond reading the dataset, no solving and no plotting; the simulation, metrics
and optimiser are functions that take a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oreshock.core.errors import UnknownIdError
from oreshock.core.ids import ALL, stage_position
from oreshock.data.balance import BALANCED, latest
from oreshock.data.datasets import Dataset, load_dataset

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Chain:
    """One mineral's chain: arrays indexed [country, stage] or [stage, exporter, importer].

    Quantities are tonnes per year in each stage's unit (stocks in tonnes). ``origin_stage``
    is the stage at which material takes the producing country as its origin; later stages
    inherit the origin of their inputs.
    """

    mineral: str
    stages: tuple[str, ...]
    units: tuple[str, ...]
    yields: np.ndarray
    published_yields: np.ndarray
    countries: tuple[str, ...]
    production: np.ndarray
    capacity: np.ndarray
    consumption: np.ndarray
    final_use: np.ndarray
    trade: np.ndarray
    stocks: np.ndarray
    stockpiles: np.ndarray
    recycling_rate: np.ndarray
    origin_stage: int
    final_use_reported: bool
    end_uses: pd.DataFrame = field(repr=False)
    # The dataset's stock rows of this mineral (holder, iso3, stage, value, low, high, unit),
    # so a scenario can set a level in the row's own unit and an ensemble can sample its range.
    stock_rows: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def imports(self) -> np.ndarray:
        """[country, stage] base-year imports."""
        return self.trade.sum(axis=1).T

    @property
    def exports(self) -> np.ndarray:
        """[country, stage] base-year exports."""
        return self.trade.sum(axis=2).T

    def index(self, iso3: str) -> int:
        try:
            return self.countries.index(iso3)
        except ValueError:
            raise UnknownIdError(
                f"{iso3} is not a node of the {self.mineral} chain; nodes: {', '.join(self.countries)}"
            ) from None

    def stage_mask(self, targets: Sequence[str] | str) -> np.ndarray:
        """(S,) mask of the stages named (every one for ``all``; aliases resolved; ids that
        are no stage of this chain left out: they may name another chain's stage)."""
        mask = np.zeros(len(self.stages), bool)
        if targets == ALL:
            mask[:] = True
            return mask
        for stage in targets:
            position = stage_position(stage, self.stages)
            if position is not None:
                mask[position] = True
        return mask

    def stage_index(self, stage: str) -> int:
        """Position of a stage id (or alias, such as ``refining``) in the chain."""
        position = stage_position(stage, self.stages)
        if position is not None:
            return position
        raise UnknownIdError(
            f"unknown stage {stage!r} of {self.mineral}; expected one of: {', '.join(self.stages)}"
        )

    def balance_residual(self) -> np.ndarray:
        """[country, stage] production + imports - exports - consumption (zero when balanced)."""
        return self.production + self.imports - self.exports - self.consumption


@dataclass(frozen=True)
class Network:
    """Every mineral's chain plus the country groups, tied to the dataset they came from."""

    chains: dict[str, Chain]
    groups: dict[str, tuple[str, ...]]
    dataset_name: str
    dataset_version: str
    dataset_hash: str
    base_year: int

    def chain(self, mineral: str) -> Chain:
        if mineral not in self.chains:
            raise UnknownIdError(
                f"unknown mineral {mineral!r}; expected one of: {', '.join(sorted(self.chains))}"
            )
        return self.chains[mineral]

    def members(self, group: str) -> tuple[str, ...]:
        """Members of a group; an ISO3 code stands for itself."""
        if group in self.groups:
            return self.groups[group]
        code = group.upper()
        if len(code) == 3 and code.isalpha():
            return (code,)
        raise UnknownIdError(f"unknown group {group!r}; expected one of: {', '.join(self.groups)}")


def _matrix(df: pd.DataFrame, countries: list[str], stages: list[str], column: str = "value"):
    out = np.zeros((len(countries), len(stages)))
    ci = {c: i for i, c in enumerate(countries)}
    si = {s: i for i, s in enumerate(stages)}
    for iso3, stage, value in zip(df["iso3"], df["stage"], df[column], strict=True):
        if iso3 in ci and stage in si:
            out[ci[iso3], si[stage]] += float(value)
    return out


def stock_level_tonnes(value: float, unit: str, monthly: float) -> float:
    """A stock level in tonnes: ``days`` or ``months`` of ``monthly`` consumption, or tonnes."""
    if unit == "days":
        return float(value) / DAYS_PER_MONTH * monthly
    if unit == "months":
        return float(value) * monthly
    return float(value)


def _stock_tonnes(stocks: pd.DataFrame, consumption: np.ndarray, countries, stages, holder: str):
    """Stock levels in tonnes: days or months of the holder's consumption, or tonnes."""
    out = np.zeros_like(consumption)
    ci = {c: i for i, c in enumerate(countries)}
    si = {s: i for i, s in enumerate(stages)}
    rows = stocks[stocks["holder"] == holder]
    for iso3, stage, value, unit in zip(
        rows["iso3"], rows["stage"], rows["value"], rows["unit"], strict=True
    ):
        if iso3 not in ci or stage not in si:
            continue
        c, s = ci[iso3], si[stage]
        out[c, s] = stock_level_tonnes(value, unit, consumption[c, s] / 12.0)
    return out


def stock_ceiling(chain: Chain, holder: str) -> np.ndarray:
    """(C, S) tonnes at the top of each dataset stock row's range (its value where no range
    is given): a row whose central level is 0 but may be higher still counts as data."""
    rows = chain.stock_rows
    if rows.empty:
        return chain.stocks if holder == "commercial" else chain.stockpiles
    top = rows.assign(value=rows[["value", "high"]].max(axis=1))
    return _stock_tonnes(top, chain.consumption, chain.countries, chain.stages, holder)


STOCK_COLUMNS = ["holder", "iso3", "stage", "value", "low", "high", "unit"]


def _stock_rows(stocks: pd.DataFrame) -> pd.DataFrame:
    """A mineral's stock rows with the columns compile and the ensemble read (ranges may be
    absent in a dataset written before they existed: then they are empty)."""
    out = stocks.reindex(columns=STOCK_COLUMNS).reset_index(drop=True)
    for col in ("value", "low", "high"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


MIN_NAMED_CONSUMERS = 3


def _demand_by_country_known(demand: pd.DataFrame, mineral: str) -> bool:
    """Final use counts as known by country when the data name at least three consumers
    besides the rest of the world (a China-or-rest split says little about other groups)."""
    rows = demand[(demand["mineral"] == mineral) & (demand["iso3"] != "OTH")]
    return rows["iso3"].nunique() >= MIN_NAMED_CONSUMERS


def implied_yields(production: np.ndarray, consumption: np.ndarray, published: np.ndarray):
    """Yields the base year implies, so the baseline reproduces the data exactly.

    Where the next stage's output divided by the published yield needs more input than the
    world consumed (the data do not close: unrecorded stocks or feed), the yield is raised to
    the one the base-year figures imply; otherwise the published yield stands.
    """
    yields = published.astype(float).copy()
    for s in range(1, len(yields)):
        need = production[:, s].sum() / yields[s]
        used = consumption[:, s - 1].sum()
        if used > 0 and need > used * (1 + 1e-9):
            yields[s] = yields[s] * need / used
    return yields


def build_network(dataset: Dataset | None = None) -> Network:
    """Assemble every mineral's chain from a dataset (the bundled one by default)."""
    ds = dataset or load_dataset()
    year = ds.base_year
    stages_t = ds.table("stages").sort_values(["mineral", "order"])
    production = latest(ds.table("production"), year, ["mineral", "stage"])
    production = production[production["iso3"] != "WLD"]
    capacity = latest(ds.table("capacity"), year, ["mineral", "stage"])
    capacity = capacity[capacity["iso3"] != "WLD"]
    consumption = ds.table("consumption")
    demand = ds.table("demand")
    trade = ds.table("trade")
    trade = trade[trade["method"].fillna("").str.startswith(BALANCED)]
    stocks = latest(ds.table("stocks"), year, ["mineral", "stage", "iso3", "holder"])
    recycling = latest(ds.table("recycling"), year, ["mineral", "iso3"])
    end_uses = latest(ds.table("end_uses"), year, ["mineral", "stage", "iso3"])
    chains: dict[str, Chain] = {}
    for mineral_id, chain_rows in stages_t.groupby("mineral", sort=True):
        mineral = str(mineral_id)
        stages = chain_rows["stage"].tolist()
        made = production[production["mineral"] == mineral]
        used = consumption[consumption["mineral"] == mineral]
        if made.empty:
            continue
        flows = trade[trade["mineral"] == mineral]
        countries = sorted(
            set(made["iso3"]) | set(used["iso3"]) | set(flows["exporter"]) | set(flows["importer"])
        )
        ci = {c: i for i, c in enumerate(countries)}
        si = {s: i for i, s in enumerate(stages)}
        trade_arr = np.zeros((len(stages), len(countries), len(countries)))
        for stage, e, i, v in zip(
            flows["stage"], flows["exporter"], flows["importer"], flows["value"], strict=True
        ):
            trade_arr[si[stage], ci[e], ci[i]] += float(v)
        prod = _matrix(made, countries, stages)
        cap = np.maximum(_matrix(capacity[capacity["mineral"] == mineral], countries, stages), prod)
        cons = _matrix(used, countries, stages)
        published_yields = chain_rows["yield"].to_numpy(float)
        yields = implied_yields(prod, cons, published_yields)
        input_need = np.zeros_like(prod)
        input_need[:, :-1] = prod[:, 1:] / yields[1:]
        fin = cons - input_need
        fin = np.where(fin > 1e-9 * np.maximum(cons, 1.0), fin, 0.0)
        rec = np.zeros(len(countries))
        rec_rows = recycling[recycling["mineral"] == mineral]
        world_rate = rec_rows.loc[rec_rows["iso3"] == "WLD", "rate"]
        if not world_rate.empty:
            rec[:] = float(world_rate.iloc[0])
        for iso3, rate in zip(rec_rows["iso3"], rec_rows["rate"], strict=True):
            if iso3 in ci:
                rec[ci[iso3]] = float(rate)
        st = stocks[stocks["mineral"] == mineral]
        chains[mineral] = Chain(
            mineral=mineral,
            stages=tuple(stages),
            units=tuple(chain_rows["unit"]),
            yields=yields,
            published_yields=published_yields,
            countries=tuple(countries),
            production=prod,
            capacity=cap,
            consumption=cons,
            final_use=fin,
            trade=trade_arr,
            stocks=_stock_tonnes(st, cons, countries, stages, "commercial"),
            stockpiles=_stock_tonnes(st, cons, countries, stages, "national"),
            recycling_rate=rec,
            origin_stage=min(1, len(stages) - 1),
            final_use_reported=_demand_by_country_known(demand, mineral),
            end_uses=end_uses[end_uses["mineral"] == mineral].reset_index(drop=True),
            stock_rows=_stock_rows(st),
        )
    groups_t = ds.table("groups")
    groups = {
        str(g): tuple(sorted(rows["iso3"])) for g, rows in groups_t.groupby("group", sort=True)
    }
    return Network(
        chains=chains,
        groups=groups,
        dataset_name=ds.name,
        dataset_version=ds.version,
        dataset_hash=ds.content_hash,
        base_year=year,
    )


def origin_composition(chain: Chain) -> np.ndarray:
    """[stage, holder, origin] fraction of each country's supply by origin country."""
    n_c, n_s = len(chain.countries), len(chain.stages)
    out = np.zeros((n_s, n_c, n_c))
    eye = np.eye(n_c)
    for s in range(n_s):
        flows = chain.trade[s]
        supply = chain.production[:, s] + flows.sum(axis=0)
        inv = np.divide(1.0, supply, out=np.zeros(n_c), where=supply > 1e-12)
        own = eye if s <= chain.origin_stage else out[s - 1]
        b = (chain.production[:, s] * inv)[:, None] * own
        a = flows.T * inv[:, None]
        out[s] = np.linalg.solve(eye - a, b)
    return out
