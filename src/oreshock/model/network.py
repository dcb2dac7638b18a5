"""The supply chain built from a dataset: countries x stages per mineral, as numpy arrays.

A ``Network`` holds one ``Chain`` per mineral: base-year production, capacity, apparent
consumption, final use, bilateral trade per stage, commercial stocks and national stockpiles.
It does no IO beyond reading the dataset, no solving and no plotting; the simulation, metrics
and optimiser are functions that take a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from oreshock.core.errors import UnknownIdError
from oreshock.core.ids import ALL, stage_position
from oreshock.data.balance import BALANCED, latest
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.model.prices import base_prices

if TYPE_CHECKING:
    from oreshock.model.scenario import Scenario

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class RecipeInput:
    """One input of a recipe stage: ``quantity`` tonnes of ``mineral`` at ``stage`` per tonne
    of output. ``published`` is the dataset's quantity; ``quantity`` may be lower where the
    base year's data do not hold enough of the input (the quantity the base year implies).
    The output takes the origin of the ``principal`` input."""

    mineral: str
    stage: str
    quantity: float
    published: float
    principal: bool


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
    # A product of a family (an element group of ``rare_earths``, a magnet grade): the family's
    # id, the chemical elements it carries, and (C, S) its share of the family's output at each
    # node and stage, so a project or rule written for the family can be split among products.
    family: str = ""
    elements: tuple[str, ...] = ()
    family_share: np.ndarray | None = field(repr=False, default=None)
    # What the first stage consumes per tonne of output from other chains (a recipe), if any.
    recipe: tuple[RecipeInput, ...] = ()
    # (R, S) base-year price in USD/kg by price region and stage (``model.prices``), NaN where
    # the dataset has none.
    base_price: np.ndarray | None = field(repr=False, default=None)

    def named_by(self, targets: Sequence[str] | str) -> bool:
        """Whether a ``minerals:`` list (or ``all``) names this chain or its family."""
        return targets == ALL or self.mineral in targets or bool(self.family in targets)

    def carries(self, elements: Sequence[str] | str) -> bool:
        """Whether the chain carries any of ``elements`` (every chain for ``all``)."""
        return elements == ALL or bool(set(self.elements) & set(elements))

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

    @cached_property
    def national_ceiling(self) -> np.ndarray:
        """``stock_ceiling(self, "national")``, computed once: coverage asks it on every run."""
        return stock_ceiling(self, "national")

    @cached_property
    def stock_units(self) -> dict[tuple[str, str, str], str]:
        """(holder, iso3, stage) -> unit of the first dataset stock row of that key, computed
        once: an ensemble compiles a scenario's stock levels for every sample."""
        units: dict[tuple[str, str, str], str] = {}
        rows = self.stock_rows
        if rows.empty:
            return units
        columns = (rows[c].astype(str) for c in ("holder", "iso3", "stage", "unit"))
        for holder, iso3, stage, unit in zip(*columns, strict=True):
            units.setdefault((holder, iso3, stage), unit)
        return units


@dataclass(frozen=True)
class Network:
    """Every mineral's chain plus the country groups, tied to the dataset they came from."""

    chains: dict[str, Chain]
    groups: dict[str, tuple[str, ...]]
    dataset_name: str
    dataset_version: str
    dataset_hash: str
    base_year: int
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def products(self, mineral: str) -> tuple[str, ...]:
        """The chains a mineral id stands for: a family's products, or the chain itself."""
        if mineral in self.families:
            return self.families[mineral]
        return (mineral,) if mineral in self.chains else ()

    def covered(self, scenario: Scenario) -> list[str]:
        """The chains a scenario runs (a family named in ``minerals:`` runs its products)."""
        return scenario.chains_covered(self.chains, self.families)

    def chain(self, mineral: str) -> Chain:
        if mineral in self.families:
            raise UnknownIdError(
                f"{mineral} is run as its products; name one of: {', '.join(self.families[mineral])}"
            )
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


def _minerals_info(ds: Dataset) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Each mineral's family ('' for none) and elements, from ``minerals`` (columns optional)."""
    table = ds.table("minerals")
    family = {str(m): "" for m in table["mineral"]}
    elements: dict[str, tuple[str, ...]] = {m: () for m in family}
    if "family" in table:
        family.update(
            {str(m): str(f or "") for m, f in zip(table["mineral"], table["family"], strict=True)}
        )
    if "elements" in table:
        elements.update(
            {
                str(m): tuple(str(e or "").split())
                for m, e in zip(table["mineral"], table["elements"], strict=True)
            }
        )
    return family, elements


def _recipes(ds: Dataset) -> dict[str, list[dict]]:
    """Recipe rows by product (empty when the dataset has no ``recipes`` table)."""
    held = ds.tables() if callable(ds.tables) else ds.tables  # a Dataset, or tables in memory
    if "recipes" not in held:
        return {}
    out: dict[str, list[dict]] = {}
    for row in ds.table("recipes").to_dict("records"):
        out.setdefault(str(row["product"]), []).append(row)
    return out


def _chain_parts(ds: Dataset, mineral: str, chain_rows: pd.DataFrame, tables: dict) -> dict | None:
    """The arrays of one mineral's chain before recipes are applied (None without output)."""
    stages = chain_rows["stage"].tolist()
    made = tables["production"][tables["production"]["mineral"] == mineral]
    used = tables["consumption"][tables["consumption"]["mineral"] == mineral]
    if made.empty:
        return None
    flows = tables["trade"][tables["trade"]["mineral"] == mineral]
    countries = sorted(
        set(made["iso3"]) | set(used["iso3"]) | set(flows["exporter"]) | set(flows["importer"])
    )
    return {
        "stages": stages,
        "chain_rows": chain_rows,
        "countries": countries,
        "made": made,
        "used": used,
        "flows": flows,
    }


def _pad(parts: dict, countries: list[str]) -> None:
    """Give a chain every country of the chains it is linked to by recipes (zero rows), so
    linked chains share one country axis and origins pass between them unchanged."""
    parts["countries"] = sorted(set(parts["countries"]) | set(countries))


def _linked_groups(recipes: dict[str, list[dict]], minerals: set[str]) -> list[set[str]]:
    """Sets of chains joined by recipes (connected components over product -> input)."""
    groups: list[set[str]] = []
    for product, rows in recipes.items():
        members = {product} | {str(r["input"]) for r in rows}
        members &= minerals
        if len(members) < 2:
            continue
        touching = [g for g in groups if g & members]
        for g in touching:
            groups.remove(g)
            members |= g
        groups.append(members)
    return groups


def _arrays(parts: dict, mineral: str, tables: dict) -> dict:
    """Production, capacity, consumption and trade arrays of one chain on its country axis."""
    countries, stages = parts["countries"], parts["stages"]
    ci = {c: i for i, c in enumerate(countries)}
    si = {s: i for i, s in enumerate(stages)}
    trade_arr = np.zeros((len(stages), len(countries), len(countries)))
    flows = parts["flows"]
    for stage, e, i, v in zip(
        flows["stage"], flows["exporter"], flows["importer"], flows["value"], strict=True
    ):
        trade_arr[si[stage], ci[e], ci[i]] += float(v)
    prod = _matrix(parts["made"], countries, stages)
    capacity = tables["capacity"]
    cap = np.maximum(_matrix(capacity[capacity["mineral"] == mineral], countries, stages), prod)
    return {
        "trade": trade_arr,
        "production": prod,
        "capacity": cap,
        "consumption": _matrix(parts["used"], countries, stages),
    }


def _recipe_inputs(
    product: str, rows: list[dict], arrays: dict[str, dict], stages: dict[str, list[str]]
) -> tuple[RecipeInput, ...]:
    """A product's recipe, each quantity lowered where the world's base-year consumption of
    the input is less than the product's output needs (the data do not close otherwise)."""
    out = []
    made = arrays[product]["production"][:, 0].sum()
    for row in rows:
        source = str(row["input"])
        published = float(row["quantity"])
        quantity = published
        if source in arrays and made > 0:
            s = stages[source].index(str(row["input_stage"]))
            used = arrays[source]["consumption"][:, s].sum()
            quantity = min(published, used / made)
        principal = str(row.get("principal", "")).strip().lower() in ("yes", "true", "1")
        out.append(RecipeInput(source, str(row["input_stage"]), quantity, published, principal))
    return tuple(out)


def _recipe_needs(
    chains: dict[str, tuple[RecipeInput, ...]],
    arrays: dict[str, dict],
    stages: dict[str, list[str]],
    countries: dict[str, list[str]],
) -> dict[str, np.ndarray]:
    """(C, S) tonnes a year of each chain's output that other chains' recipes consume."""
    needs = {m: np.zeros_like(a["production"]) for m, a in arrays.items()}
    for product, recipe in chains.items():
        out = arrays[product]["production"][:, 0]
        for item in recipe:
            if item.mineral not in arrays:
                continue
            s = stages[item.mineral].index(item.stage)
            index = {c: i for i, c in enumerate(countries[item.mineral])}
            for c, iso3 in enumerate(countries[product]):
                if out[c] > 0 and iso3 in index:
                    needs[item.mineral][index[iso3], s] += out[c] * item.quantity
    return needs


def _family_share(mineral: str, family: str, parts: dict, tables: dict) -> np.ndarray | None:
    """(C, S) this product's share of its family's output at each node and stage (the world
    share where the node makes none of the family's output)."""
    if not family:
        return None
    production = tables["production"]
    countries, stages = parts["countries"], parts["stages"]
    own = _matrix(production[production["mineral"] == mineral], countries, stages)
    whole = _matrix(production[production["mineral"] == family], countries, stages)
    world = np.divide(
        own.sum(axis=0), whole.sum(axis=0), out=np.zeros(len(stages)), where=whole.sum(axis=0) > 0
    )
    return np.where(
        whole > 0, np.divide(own, whole, out=np.zeros_like(own), where=whole > 0), world
    )


def build_network(dataset: Dataset | None = None) -> Network:
    """Assemble every mineral's chain from a dataset (the bundled one by default).

    A family with products in the dataset (``rare_earths`` and its element groups and magnet
    grades) is run as its products, not as a chain of its own. Chains joined by recipes share
    one country axis, and the part of an input's consumption that recipes take is input to
    another chain, not final use.
    """
    ds = dataset or load_dataset()
    year = ds.base_year
    stages_t = ds.table("stages").sort_values(["mineral", "order"])
    production = latest(ds.table("production"), year, ["mineral", "stage"])
    capacity = latest(ds.table("capacity"), year, ["mineral", "stage"])
    trade = ds.table("trade")
    tables = {
        "production": production[production["iso3"] != "WLD"],
        "capacity": capacity[capacity["iso3"] != "WLD"],
        "consumption": ds.table("consumption"),
        "trade": trade[trade["method"].fillna("").str.startswith(BALANCED)],
    }
    demand = ds.table("demand")
    stocks = latest(ds.table("stocks"), year, ["mineral", "stage", "iso3", "holder"])
    recycling = latest(ds.table("recycling"), year, ["mineral", "iso3"])
    end_uses = latest(ds.table("end_uses"), year, ["mineral", "stage", "iso3"])
    prices = latest(ds.table("prices"), year, ["mineral", "stage", "region"])
    family_of, elements_of = _minerals_info(ds)
    families_with_products = {f for f in family_of.values() if f}
    parts: dict[str, dict] = {}
    for mineral_id, chain_rows in stages_t.groupby("mineral", sort=True):
        mineral = str(mineral_id)
        if mineral in families_with_products:
            continue
        found = _chain_parts(ds, mineral, chain_rows, tables)
        if found is not None:
            parts[mineral] = found
    recipes = {p: r for p, r in _recipes(ds).items() if p in parts}
    for group in _linked_groups(recipes, set(parts)):
        union = sorted({c for m in group for c in parts[m]["countries"]})
        for m in group:
            _pad(parts[m], union)
    arrays = {m: _arrays(p, m, tables) for m, p in parts.items()}
    stages_of = {m: p["stages"] for m, p in parts.items()}
    countries_of = {m: p["countries"] for m, p in parts.items()}
    recipe_of = {p: _recipe_inputs(p, rows, arrays, stages_of) for p, rows in recipes.items()}
    needs = _recipe_needs(recipe_of, arrays, stages_of, countries_of)
    chains: dict[str, Chain] = {}
    for mineral, p in parts.items():
        a = arrays[mineral]
        countries, stages, chain_rows = p["countries"], p["stages"], p["chain_rows"]
        prod, cons = a["production"], a["consumption"]
        published_yields = chain_rows["yield"].to_numpy(float)
        yields = implied_yields(prod, cons, published_yields)
        input_need = np.zeros_like(prod)
        input_need[:, :-1] = prod[:, 1:] / yields[1:]
        fin = cons - input_need - needs[mineral]
        fin = np.where(fin > 1e-9 * np.maximum(cons, 1.0), fin, 0.0)
        ci = {c: i for i, c in enumerate(countries)}
        rec = np.zeros(len(countries))
        rec_rows = recycling[recycling["mineral"] == mineral]
        world_rate = rec_rows.loc[rec_rows["iso3"] == "WLD", "rate"]
        if not world_rate.empty:
            rec[:] = float(world_rate.iloc[0])
        for iso3, rate in zip(rec_rows["iso3"], rec_rows["rate"], strict=True):
            if iso3 in ci:
                rec[ci[iso3]] = float(rate)
        st = stocks[stocks["mineral"] == mineral]
        family = family_of.get(mineral, "")
        chains[mineral] = Chain(
            mineral=mineral,
            stages=tuple(stages),
            units=tuple(chain_rows["unit"]),
            yields=yields,
            published_yields=published_yields,
            countries=tuple(countries),
            production=prod,
            capacity=a["capacity"],
            consumption=cons,
            final_use=fin,
            trade=a["trade"],
            stocks=_stock_tonnes(st, cons, countries, stages, "commercial"),
            stockpiles=_stock_tonnes(st, cons, countries, stages, "national"),
            recycling_rate=rec,
            # A recipe stage takes the origin of its principal input, not of its maker.
            origin_stage=-1 if mineral in recipe_of else min(1, len(stages) - 1),
            final_use_reported=_demand_by_country_known(demand, mineral),
            end_uses=end_uses[end_uses["mineral"] == mineral].reset_index(drop=True),
            stock_rows=_stock_rows(st),
            family=family,
            elements=elements_of.get(mineral, ()),
            family_share=_family_share(mineral, family, p, tables),
            recipe=recipe_of.get(mineral, ()),
            base_price=base_prices(prices, mineral, tuple(stages)),
        )
    groups_t = ds.table("groups")
    groups = {
        str(g): tuple(sorted(rows["iso3"])) for g, rows in groups_t.groupby("group", sort=True)
    }
    families: dict[str, tuple[str, ...]] = {}
    for mineral, chain in chains.items():
        if chain.family:
            families.setdefault(chain.family, ())
            families[chain.family] += (mineral,)
    return Network(
        chains=chains,
        groups=groups,
        dataset_name=ds.name,
        dataset_version=ds.version,
        dataset_hash=ds.content_hash,
        base_year=year,
        families=families,
    )


def origin_composition(chain: Chain, feed: np.ndarray | None = None) -> np.ndarray:
    """[stage, holder, origin] fraction of each country's supply by origin country.

    ``feed`` ([holder, origin]) is the origin mix of a recipe stage's principal input: the
    first stage of a chain made by recipe takes it, where other first stages take their
    producer as origin."""
    n_c, n_s = len(chain.countries), len(chain.stages)
    out = np.zeros((n_s, n_c, n_c))
    eye = np.eye(n_c)
    for s in range(n_s):
        flows = chain.trade[s]
        supply = chain.production[:, s] + flows.sum(axis=0)
        inv = np.divide(1.0, supply, out=np.zeros(n_c), where=supply > 1e-12)
        if s <= chain.origin_stage:
            own = eye
        elif s == 0:
            own = eye if feed is None else feed
        else:
            own = out[s - 1]
        b = (chain.production[:, s] * inv)[:, None] * own
        a = flows.T * inv[:, None]
        out[s] = np.linalg.solve(eye - a, b)
    return out
