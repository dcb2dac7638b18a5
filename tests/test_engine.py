"""The engine's seams: shock compilers, the allocation rule, the record table, month sums."""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pytest

from oreshock.core.ids import stage_position
from oreshock.core.months import add_months, month_index, month_labels
from oreshock.core.options import set_options
from oreshock.model import scenario as scenario_module
from oreshock.model.allocation import Allocation, allocate_by_gap
from oreshock.model.compile import SHOCK_COMPILERS
from oreshock.model.prices import REGIONS
from oreshock.model.record import RECORDED, VARIABLES
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate

DOCS = Path(__file__).resolve().parents[1] / "docs"


def shock_types() -> set[str]:
    union = typing.get_args(scenario_module.Shock)[0]
    return {cls.model_fields["type"].default for cls in typing.get_args(union)}


def test_every_shock_type_has_one_compiler():
    assert shock_types() == set(SHOCK_COMPILERS)


def test_recorded_variables_are_what_the_time_series_holds(network):
    """Node variables by country; the price index by price region everywhere, and the USD
    price where the dataset has a base price (rare earths, lithium, ... do)."""
    result = simulate(network, open_scenario("baseline").build(None))
    table = result.timeseries()
    assert set(table["variable"]) == {
        r.name for r in RECORDED if r.name != "flow" and not r.only_when_used
    }
    prices = table[table["variable"].isin(["price", "price_index"])]
    assert set(prices["country"]) == set(REGIONS)
    nodes = table[table["variable"].isin(VARIABLES)]
    assert not set(nodes["country"]) & {"ROW"}


def test_model_doc_lists_every_recorded_variable():
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    missing = [r.name for r in RECORDED if f"`{r.name}`" not in text]
    assert not missing, f"docs/model.md does not describe: {missing}"


def _japan_short(result) -> float:
    summary = result.summary(["JPN"])
    return float(summary["cumulative_shortfall_pct"].sum())


def test_allocation_rule_is_one_seam(network):
    """Every allocation goes through the rule passed in: a delegating rule changes nothing,
    a rule that allocates nothing removes the help of sharing and rerouting."""
    scenario = open_scenario("japan-rare-earths-2026").build("full-response")
    calls = []

    def counting(*args, **kwargs) -> Allocation:
        calls.append(1)
        return allocate_by_gap(*args, **kwargs)

    def nothing(pool, gap, pairs, pass_origin, offdiag, cap=None) -> Allocation:
        B, O, C = pool.shape
        zero = np.zeros((B, O, C, C))
        return Allocation(zero, np.zeros((B, O, C)), np.zeros((B, C)), np.zeros((B, C, C)))

    with set_options(kernels="numpy"):  # the numpy rules, which a rule passed in replaces
        default = simulate(network, scenario, record_flows=False)
    counted = simulate(network, scenario, record_flows=False, allocate=counting)
    starved = simulate(network, scenario, record_flows=False, allocate=nothing)
    assert calls, "the engine never called the allocation rule"
    for product in network.products("rare_earths"):
        np.testing.assert_array_equal(
            default.runs[product].series["shortfall"], counted.runs[product].series["shortfall"]
        )
    assert _japan_short(starved) > _japan_short(default) + 1.0


@pytest.mark.parametrize(
    ("start", "month", "offset"),
    [("2026-01", "2026-01", 0), ("2026-11", "2027-02", 3), ("2026-03", "2025-12", -3)],
)
def test_month_arithmetic(start, month, offset):
    assert month_index(start, month) == offset
    assert add_months(start, offset) == month


def test_month_labels_cross_the_year_end():
    assert month_labels("2026-11", 3) == ["2026-11-01", "2026-12-01", "2027-01-01"]


def test_refining_alias_names_the_first_processing_stage():
    assert stage_position("refining", ["mining", "refined"]) == 1
    assert stage_position("refining", ["mining"]) is None
    assert stage_position("mining", ["mining", "refined"]) == 0


def test_labelled_arrays_hold_the_same_numbers_as_the_table(network):
    result = simulate(network, open_scenario("japan-rare-earths-2026").build("reexport-control"))
    data = result.to_xarray("ree_ndpr")
    assert data["shortfall"].dims == ("month", "country", "stage")
    assert data["stock"].attrs["units"] == "t"
    table = result.timeseries()
    row = table[
        (table["variable"] == "shortfall")
        & (table["country"] == "JPN")
        & (table["mineral"] == "ree_ndpr")
        & (table["stage"] == "metal")
    ].reset_index(drop=True)
    np.testing.assert_array_equal(
        data["shortfall"].sel(country="JPN", stage="metal").to_numpy(), row["value"].to_numpy()
    )
    assert data["price_index"].dims == ("month", "region", "stage")
    assert data["price"].attrs["units"] == "USD/kg"
    usd = data["price"].sel(region="ROW", stage="metal").to_numpy()
    np.testing.assert_allclose(usd, data["price_index"].sel(region="ROW", stage="metal") * 62.73)
    with pytest.raises(KeyError, match="no 'copper' chain"):
        result.to_xarray("copper")
