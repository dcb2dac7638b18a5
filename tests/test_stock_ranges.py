"""Stocks carry sourced ranges (issue 11 item 4): the dataset states low <= value <= high for
every estimated or assumed level, single runs use the central value, a scenario can set a
dataset level in the row's own unit, and an ensemble samples exactly the ranges a scenario
uses."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from oreshock import load_dataset
from oreshock.core.errors import DataFileError, ScenarioError
from oreshock.data.manifest import write_manifest
from oreshock.model.compile import compile_chain
from oreshock.model.network import build_network
from oreshock.model.scenario import Scenario, open_scenario
from oreshock.model.stocks import stock_path, stock_ranges
from tests.conftest import MINI

ROW = "rare_earths,separation,JPN,commercial,2024,3,1,6,months"


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "ds"
    shutil.copytree(MINI, target)
    return target


def _problems_after(folder, new_row: str) -> list[str]:
    path = folder / "stocks.csv"
    path.write_text(path.read_text("utf-8").replace(ROW, new_row, 1), "utf-8")
    write_manifest(folder)
    with pytest.raises(DataFileError) as info:
        load_dataset(folder)
    return [str(p) for p in info.value.problems]


def test_low_above_value_names_file_row_field_and_values(folder):
    """A range that excludes its central value is refused, naming file, row and field."""
    problems = _problems_after(folder, "rare_earths,separation,JPN,commercial,2024,3,4,6,months")
    assert any(
        "stocks.csv, row 2, column 'low'" in p and "expected low <= value (3), found 4" in p
        for p in problems
    ), problems


def test_high_below_value_refused(folder):
    problems = _problems_after(folder, "rare_earths,separation,JPN,commercial,2024,3,1,2,months")
    assert any(
        "column 'high'" in p and "expected high >= value (3), found 2" in p for p in problems
    )


def test_assumed_level_without_range_refused(folder):
    """An assumed level must state its range: the old point guess is not accepted."""
    problems = _problems_after(folder, "rare_earths,separation,JPN,commercial,2024,3,,,months")
    assert any("row 2, column 'low'" in p and "range is required" in p for p in problems)
    assert any("row 2, column 'high'" in p for p in problems)


def test_negative_low_refused(folder):
    problems = _problems_after(folder, "rare_earths,separation,JPN,commercial,2024,3,-1,6,months")
    assert any("row 2, column 'low'" in p for p in problems)


def test_bundled_ranges_hold_their_values():
    """Every bundled estimated or assumed stock has low <= value <= high and a method."""
    stocks = load_dataset().table("stocks")
    ranged = stocks[stocks["status"].isin(["estimated", "assumed"])]
    assert not ranged.empty
    assert (ranged["low"] <= ranged["value"]).all() and (ranged["value"] <= ranged["high"]).all()
    assert ranged["method"].fillna("").str.len().gt(20).all()


def test_japan_rare_earth_levels_follow_the_sources():
    """Japan's rare-earth stocks: magnets 0.5-3.5 months (2025 car-line stoppages), the
    JOGMEC stockpile 0 (no rare earth in the held lists found) up to 60 days."""
    stocks = load_dataset().table("stocks").set_index(["mineral", "stage", "iso3", "holder"])
    magnets = stocks.loc[("rare_earths", "magnets", "JPN", "commercial")]
    assert (magnets["low"], magnets["value"], magnets["high"]) == (0.5, 1.5, 3.5)
    pile = stocks.loc[("rare_earths", "separation", "JPN", "national")]
    assert (pile["low"], pile["value"], pile["high"], pile["unit"]) == (0, 0, 60, "days")


def _scenario(buffers: dict) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "t",
            "start": "2026-01",
            "months": 12,
            "minerals": ["rare_earths"],
            "buffers": buffers,
        }
    )


def test_stock_level_replaces_the_central_value_in_its_unit():
    """buffers.stock_levels sets a dataset row's level in the row's unit (months here); a level
    under the family's id applies to every product with that stage (both magnet grades)."""
    net = build_network()
    levels = {"commercial": {"JPN": {"rare_earths": {"magnets": 3.0}}}}
    for product in ("ndfeb_dytb", "ndfeb_plain"):
        chain = net.chain(product)
        c, s = chain.countries.index("JPN"), chain.stages.index("magnets")
        monthly = chain.consumption[c, s] / 12
        assert monthly > 0
        base = compile_chain(chain, _scenario({}), net)
        assert base.stock0[0, c, s] == pytest.approx(1.5 * monthly)
        set_ = compile_chain(chain, _scenario({"stock_levels": levels}), net)
        assert set_.stock0[0, c, s] == pytest.approx(3.0 * monthly)
        others = np.ones_like(set_.stock0, bool)
        others[0, c, s] = False
        assert np.array_equal(set_.stock0[others], base.stock0[others])


def test_stock_level_without_dataset_row_is_an_error_naming_the_field():
    net = build_network()
    levels = {"commercial": {"JPN": {"ree_ndpr": {"mining": 1.0}}}}
    with pytest.raises(
        ScenarioError, match=r"buffers\.stock_levels\.commercial\.JPN\.ree_ndpr\.mining"
    ):
        compile_chain(net.chain("ree_ndpr"), _scenario({"stock_levels": levels}), net)


def test_family_stock_level_without_dataset_row_names_the_field_written():
    """A level written under the family's id is named by that id, the field the user wrote."""
    net = build_network()
    levels = {"commercial": {"JPN": {"rare_earths": {"mining": 1.0}}}}
    with pytest.raises(
        ScenarioError, match=r"buffers\.stock_levels\.commercial\.JPN\.rare_earths\.mining"
    ):
        compile_chain(net.chain("ree_ndpr"), _scenario({"stock_levels": levels}), net)


def test_national_level_reaches_the_stockpile():
    """The family's national level (days) reaches the stockpile of every separated product."""
    net = build_network()
    pile = [{"holder": "JPN", "stages": ["separation"]}]
    levels = {"national": {"JPN": {"rare_earths": {"separation": 60.0}}}}
    products = [p for p in net.products("rare_earths") if "separation" in net.chain(p).stages]
    assert "ree_ndpr" in products and "ree_dytb" in products
    held = []
    for product in products:
        chain = net.chain(product)
        c, s = chain.countries.index("JPN"), chain.stages.index("separation")
        assert compile_chain(chain, _scenario({"stockpiles": pile}), net).pile0[0, c, s] == 0.0
        inputs = compile_chain(chain, _scenario({"stockpiles": pile, "stock_levels": levels}), net)
        expected = 60 / (365.25 / 12) * chain.consumption[c, s] / 12
        assert inputs.pile0[0, c, s] == pytest.approx(expected)
        held += [product] if inputs.pile0[0, c, s] > 0 else []
    assert "ree_lace" in held  # Japan's separated La/Ce use, the bulk of its oxide demand


def test_ranges_are_those_the_scenario_uses():
    """The stockpile range is sampled only where a stockpile is released; commercial ranges
    wherever commercial stocks are on; triangular on (low, value, high)."""
    net = build_network()
    sf = open_scenario("japan-rare-earths-2026")
    pile = stock_path("national", "JPN", "rare_earths", "separation")
    magnets = stock_path("commercial", "JPN", "rare_earths", "magnets")
    without = stock_ranges(sf.build("reexport-control"), net)
    with_pile = stock_ranges(sf.build("stockpiles"), net)
    assert pile not in without and pile in with_pile
    assert with_pile[pile] == {"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 60.0}
    assert without[magnets] == {"dist": "triangular", "low": 0.5, "mode": 1.5, "high": 3.5}
    off = stock_ranges(_scenario({"commercial_stocks": False}), net)
    assert not any(p[2] == "commercial" for p in off)


def test_stock_level_written_as_a_distribution_is_an_ensemble_parameter(tmp_path):
    """A scenario may write a dataset stock level as a distribution: single runs use its
    central value, and ``oreshock ensemble`` finds it among the uncertain parameters."""
    from oreshock.ensemble.sampling import scenario_parameters

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nstart: 2026-01\nmonths: 12\nminerals: [rare_earths]\nbuffers:\n"
        "  stock_levels:\n    commercial:\n      JPN:\n        rare_earths:\n"
        "          magnets: {dist: triangular, low: 0.5, mode: 3.0, high: 3.5}\n",
        "utf-8",
    )
    sf = open_scenario(str(path))
    level = sf.build(None).buffers.stock_levels["commercial"]["JPN"]["rare_earths"]["magnets"]
    assert level == pytest.approx(3.0)
    names = [p.name for p in scenario_parameters(sf, None)]
    assert names == ["buffers.stock_levels.commercial.JPN.rare_earths.magnets"]
