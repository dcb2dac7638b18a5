"""Test helpers shipped with the package: assertions and hypothesis strategies.

``random_network`` builds a small balanced network from random production and final use,
through the same derivation (consumption, RAS trade) as the bundled dataset, so property
tests exercise the real code path without files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreshock.data.balance import derive_tables
from oreshock.data.datasets import typed
from oreshock.data.schema import column_names, table_schema
from oreshock.model.network import Network, build_network
from oreshock.model.results import RunResult

SOURCE = "test"


@dataclass
class InMemoryDataset:
    """A dataset held as DataFrames, with the attributes ``build_network`` reads."""

    tables: dict[str, pd.DataFrame]
    base_year: int = 2024
    name: str = "in-memory"
    version: str = "test"
    content_hash: str = "0" * 64

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    raw = pd.DataFrame(rows, columns=column_names(table)).astype(object).fillna("").astype(str)
    return typed(table, raw)


def network_from_arrays(
    countries: list[str],
    production: np.ndarray,
    final_use: np.ndarray,
    yields: list[float],
    *,
    stocks_months: float = 2.0,
    pile_days: float = 0.0,
    groups: dict[str, list[str]] | None = None,
) -> Network:
    """A one-mineral network ('testium') from [country, stage] production and final use."""
    n_s = production.shape[1]
    stages = [f"s{k}" for k in range(n_s)]
    rows: dict[str, list[dict[str, object]]] = {name: [] for name in table_schema()}
    rows["sources"].append(
        {"source_id": SOURCE, "title": "t", "publisher": "t", "url": "t", "year": "2024"}
    )
    rows["minerals"].append({"mineral": "testium", "name_en": "T", "name_ja": "T", "basis": "t"})
    for k, st in enumerate(stages):
        rows["stages"].append(
            {
                "mineral": "testium",
                "stage": st,
                "order": k,
                "unit": "t",
                "yield": "" if k == 0 else yields[k],
                "name_en": st,
                "name_ja": st,
                "status": "assumed",
                "source_id": SOURCE,
                "method": "test",
            }
        )
    for c, iso3 in enumerate(countries):
        rows["countries"].append({"iso3": iso3, "name_en": iso3, "name_ja": iso3})
        for k, st in enumerate(stages):
            common = {
                "mineral": "testium",
                "stage": st,
                "iso3": iso3,
                "year": 2024,
                "unit": "t",
                "status": "reported",
                "source_id": SOURCE,
                "method": "",
            }
            if production[c, k] > 0:
                rows["production"].append({**common, "value": production[c, k]})
            if final_use[c, k] > 0:
                rows["demand"].append({**common, "value": final_use[c, k]})
            if stocks_months > 0:
                rows["stocks"].append(
                    {
                        **common,
                        "holder": "commercial",
                        "value": stocks_months,
                        "unit": "months",
                        "status": "assumed",
                        "method": "test",
                    }
                )
            if pile_days > 0:
                rows["stocks"].append(
                    {
                        **common,
                        "holder": "national",
                        "value": pile_days,
                        "unit": "days",
                        "status": "assumed",
                        "method": "test",
                    }
                )
    for group, members in (groups or {}).items():
        for iso3 in members:
            rows["groups"].append(
                {
                    "group": group,
                    "iso3": iso3,
                    "name_en": group,
                    "name_ja": group,
                    "source_id": SOURCE,
                }
            )
    tables = {name: _frame(name, r) for name, r in rows.items() if name != "consumption"}
    tables.update(derive_tables(tables, 2024))
    return build_network(InMemoryDataset(tables))  # type: ignore[arg-type]


def assert_mass_balance(result: RunResult, rtol: float = 1e-9) -> None:
    """Per node and month: change in stock + stockpile = production + imports - exports - use
    + net transfer from joint stockpiles (zero over each pool).

    Also: world exports = world imports + change in material in transit.
    """
    for mineral, run in result.runs.items():
        s = run.series
        held = s["stock"] + s["stockpile"]
        start = run.inputs.stock0[None] + run.inputs.pile0[None] + run.inputs.joint0[None]
        previous = np.concatenate([start, held[:-1]], axis=0)
        lhs = held - previous
        rhs = (
            s["production"]
            + s["imports"]
            - s["exports"]
            - s["consumption"]
            + s["stockpile_transfer"]
        )
        scale = max(float(np.abs(s["production"]).max()), 1.0)
        err = float(np.abs(lhs - rhs).max())
        assert err <= rtol * scale * 100, f"{mineral}: node balance off by {err}"
        transit = s["in_transit"].sum(axis=2)
        d_transit = np.diff(np.concatenate([np.zeros_like(transit[:1]), transit]), axis=0)
        world = s["exports"].sum(axis=2) - s["imports"].sum(axis=2) - d_transit
        assert float(np.abs(world).max()) <= rtol * scale * 100, f"{mineral}: trade balance off"
        pooled = float(np.abs(s["stockpile_transfer"].sum(axis=2)).max())
        assert pooled <= rtol * scale * 100, f"{mineral}: joint stockpile transfers off"


def assert_no_negative(result: RunResult, atol: float = 1e-9) -> None:
    """No negative flow, stock, consumption or shortfall anywhere."""
    for mineral, run in result.runs.items():
        for name, arr in run.series.items():
            if name == "stockpile_transfer":  # net: a member storing a part for others gives
                continue
            worst = float(arr.min())
            assert worst >= -atol * max(1.0, float(np.abs(arr).max())), (
                f"{mineral}.{name} < 0: {worst}"
            )
        if run.flows is not None:
            assert float(run.flows.min()) >= -atol, f"{mineral} flows < 0"
