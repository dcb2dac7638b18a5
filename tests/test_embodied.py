"""The group demand share on the embodied basis (``impact.embodied``): use embodied in final
goods, counted where they are bought, beside the first-use basis it must leave unchanged."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core.errors import DataFileError
from oreshock.data.datasets import bundled_path, load_dataset
from oreshock.data.manifest import write_manifest
from oreshock.impact import embodied
from oreshock.impact.embodied import (
    EmbodiedError,
    country_universe,
    demand_share_by_basis,
    embodied_share,
    embodied_use,
    region_weights,
)
from oreshock.impact.regions import money_scale, region_map
from oreshock.impact.tables import TableError, TableWarning, load_table
from oreshock.model import metrics
from oreshock.model.network import Network
from oreshock.web.app import create_app

runner = CliRunner()
GROUPS = ("g7", "g7plus", "eu27", "quad", "JPN", "CHN")


@pytest.fixture(scope="module")
def wiod():
    return load_table()


@pytest.fixture(scope="module")
def fictional():
    with pytest.warns(TableWarning, match="fictional"):
        return load_table("pymrio-test")


def _minerals(network: Network) -> list[str]:
    return list(metrics.demand_share(network, "g7plus")["by_mineral"])


@pytest.mark.parametrize("which", ["wiod", "fictional"])
def test_shares_are_fractions(request, network, dataset, which):
    table = request.getfixturevalue(which)
    for group in GROUPS:
        result = embodied_share(network, dataset, table, group)
        assert result["basis"] == "embodied" and result["table"]["name"] == table.name
        assert 0.0 <= result["share"] <= 1.0
        assert result["by_mineral"], group
        for m, share in result["by_mineral"].items():
            assert 0.0 <= share <= 1.0, (group, m, share)
            assert 0.0 < result["coverage"]["placed_in_industries"][m] <= 1.0 + 1e-12


@pytest.mark.parametrize("which", ["wiod", "fictional"])
def test_a_partition_of_all_regions_sums_to_one(request, network, dataset, which):
    """Shares of groups that split every country between them (splitting the table's rest of
    the world and its EU rest too, so partly held regions are counted) add up to 1."""
    table = request.getfixturevalue(which)
    universe = country_universe(network, dataset, set(), table)
    eu = set(dataset.group_members("eu27"))
    mapping = region_map(table, sorted(universe), eu)
    parts: list[set[str]] = []
    for region in table.regions:
        inside = sorted(c for c in universe if mapping[c] == region)
        half = len(inside) // 2
        parts += [set(inside[:half]), set(inside[half:])] if half else [set(inside)]
    assert set().union(*parts) == universe and sum(len(p) for p in parts) == len(universe)
    for mineral in _minerals(network):
        use = embodied_use(network, dataset, table, mineral, mapping)
        world = use.by_region.sum()
        total = 0.0
        for part in parts:
            weights, _ = region_weights(table, mapping, part, universe, dataset)
            total += float(weights @ use.by_region) / world
        assert total == pytest.approx(1.0, abs=1e-9), mineral


def test_embodied_use_is_intensity_times_leontief_times_final_demand(network, dataset, wiod):
    """E_b = sum_j,i m_j L_ji Y_ib, with m_j = t_j / x_j, written out once by hand, and the
    world's embodied use is every tonne of first use."""
    eu = set(dataset.group_members("eu27"))
    scale, _ = money_scale(wiod, dataset.table("gdp"), dataset.base_year, eu)
    Y = wiod.final * scale[None, :]
    A = wiod.Z / wiod.x[None, :]
    L = np.linalg.inv(np.eye(wiod.size) - A)
    x = L @ Y.sum(axis=1)
    use = embodied_use(network, dataset, wiod, "lithium")
    # lithium's tonnes by industry: each country's in its region, split by first_use_sectors
    frames = metrics.first_use_tonnes(network, "lithium")
    countries = sorted({c for f in frames.values() for c in f.index})
    mapping = region_map(wiod, countries, eu)
    shares = dataset.table("first_use_sectors").query("mineral == 'lithium'")
    t = np.zeros(wiod.size)
    for frame in frames.values():
        for iso3, tonnes in frame.sum(axis=1).items():
            for sector, share in zip(shares["io_sector"], shares["share"], strict=True):
                t[wiod.index(mapping[iso3], sector)] += tonnes * share
    m = t / x
    by_hand = m @ L @ Y
    np.testing.assert_allclose(use.by_region, by_hand, rtol=1e-9)
    assert use.by_region.sum() == pytest.approx(use.total, rel=1e-9)
    assert use.placed_share == pytest.approx(1.0)


def _old_split(network: Network, mineral: str, members: set[str]) -> tuple[float, float]:
    """The first-use basis as written before the embodied one existed."""
    inside = world = 0.0
    for m in network.products(mineral) or (mineral,):
        chain = network.chain(m)
        weighted = chain.final_use * metrics._first_stage_factor(network, chain)[None, :]
        world += float(weighted.sum())
        inside += float(weighted[[c in members for c in chain.countries]].sum())
    return inside, world


def test_first_use_basis_is_unchanged(network, dataset):
    for group in GROUPS:
        members = set(network.members(group))
        result = metrics.demand_share(network, group)
        for m, share in result["by_mineral"].items():
            inside, world = _old_split(network, m, members)
            assert share == (inside / world if world > 0 else 0.0), (group, m)
        assert result["share"] == float(np.mean(list(result["by_mineral"].values())))
        assert set(result) == {"group", "mineral", "share", "by_mineral", "measure", "coverage"}
        by_basis = demand_share_by_basis(network, dataset, group)
        assert by_basis == {**result, "basis": "first-use"}


def test_rare_earths_say_what_they_could_not_place(network, dataset, wiod):
    result = embodied_share(network, dataset, wiod, "g7plus", "rare_earths")
    coverage = result["coverage"]
    assert 0.0 < coverage["placed_in_industries"]["rare_earths"] < 1.0
    reasons = {r["reason"] for r in coverage["unplaced"]["rare_earths"]}
    assert "end use other_direct has no impact_bridge row" in reasons
    unplaced = sum(r["share_of_use"] for r in coverage["unplaced"]["rare_earths"])
    assert unplaced == pytest.approx(1.0 - coverage["placed_in_industries"]["rare_earths"])
    assert coverage["partial_regions"] == []  # g7plus holds every country of its regions
    assert coverage["member_regions"]["XEU"] == 1.0 and "CHN" not in coverage["member_regions"]


def test_partly_held_region_is_counted_by_count_and_said(network, dataset, fictional):
    result = embodied_share(network, dataset, fictional, "g7")
    partial = {p["region"]: p for p in result["coverage"]["partial_regions"]}
    rest = fictional.regions[-1]
    assert set(partial) == {rest}
    assert partial[rest]["by"] == "count"
    assert set(partial[rest]["members"]) == {"CAN", "FRA", "GBR", "ITA"}
    assert partial[rest]["weight"] == pytest.approx(4 / partial[rest]["countries"])
    assert result["table"]["fictional"] is True


def test_unknown_basis_is_a_clear_error(network, dataset):
    with pytest.raises(EmbodiedError, match="unknown basis 'footprint'; expected one of: "):
        demand_share_by_basis(network, dataset, "g7plus", basis="footprint")


def test_a_table_with_the_first_use_basis_is_refused(network, dataset):
    with pytest.raises(EmbodiedError, match="embodied basis only"):
        demand_share_by_basis(network, dataset, "g7plus", table="wiod2011_agg11")


def test_a_missing_table_path_is_a_clear_error(network, dataset, tmp_path):
    missing = tmp_path / "no_such_table"
    with pytest.raises(TableError, match="no such input-output table; expected a bundled"):
        demand_share_by_basis(network, dataset, "g7plus", basis="embodied", table=missing)


def test_a_mineral_no_industry_takes_is_a_clear_error(network, dataset, wiod):
    with pytest.raises(EmbodiedError, match=r"expected rows for smco in first_use_sectors\.csv"):
        embodied_share(network, dataset, wiod, "g7plus", "smco")


def test_first_use_shares_must_sum_to_one(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(bundled_path(), folder)
    file = folder / "first_use_sectors.csv"
    text = file.read_text("utf-8")
    assert "lithium,electrical_optical,0.87," in text
    file.write_text(
        text.replace("lithium,electrical_optical,0.87,", "lithium,electrical_optical,0.8,")
    )
    write_manifest(folder)
    with pytest.raises(DataFileError) as caught:
        load_dataset(folder)
    problems = [p for p in caught.value.problems if p.path.endswith("first_use_sectors.csv")]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.column == "share" and problem.row == 2
    assert "lithium's first use sum to 0.9300; expected 1 (within 0.01)" in problem.message


def test_cli_embodied_json():
    result = runner.invoke(
        app, ["metrics", "demand-share", "--group", "g7plus", "--basis", "embodied", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["basis"] == "embodied"
    assert out["table"] == {"name": "wiod2011_agg11", "year": 2011, "fictional": False}
    assert 0.0 <= out["share"] <= 1.0
    assert set(out["by_mineral"]) == set(out["coverage"]["placed_in_industries"])
    assert out["coverage"]["minerals_not_covered"] == {}


def test_cli_first_use_json_says_its_basis():
    result = runner.invoke(app, ["metrics", "demand-share", "--group", "g7plus", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["basis"] == "first-use"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_cli_embodied_text(lang):
    args = ["metrics", "demand-share", "--group", "g7plus", "--mineral", "rare_earths"]
    result = runner.invoke(app, [*args, "--basis", "embodied", "--lang", lang])
    assert result.exit_code == 0, result.output
    text = result.stdout.replace("\n", "")  # the terminal wraps long lines anywhere
    assert ("体化" if lang == "ja" else "embodied in the final goods") in text
    assert "wiod2011_agg11" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--basis", "footprint"],
            "unknown basis 'footprint'; expected one of: first-use, embodied",
        ),
        (["--basis", "embodied", "--table", "/no/such/table"], "no such input-output table"),
        (["--table", "wiod2011_agg11"], "embodied basis only"),
    ],
)
def test_cli_bad_basis_or_table(extra, message):
    result = runner.invoke(app, ["metrics", "demand-share", "--group", "g7plus", *extra])
    assert result.exit_code == 2
    assert message in result.output


def test_api_basis_and_table(tmp_path):
    with TestClient(create_app(tmp_path / "r.duckdb"), base_url="http://localhost") as client:
        route = "/api/metrics/demand-share"
        default = client.get(route, params={"group": "g7plus"}).json()
        assert default["basis"] == "first-use"
        body = client.get(route, params={"group": "g7plus", "basis": "embodied"}).json()
        assert body["basis"] == "embodied" and 0.0 <= body["share"] <= 1.0
        test = client.get(
            route, params={"group": "g7", "basis": "embodied", "table": "pymrio-test"}
        ).json()
        assert test["table"]["fictional"] is True
        bad = client.get(route, params={"group": "g7", "basis": "embodied", "table": "etc"})
        assert bad.status_code == 404 and "expected one of" in bad.json()["detail"]
        assert client.get(route, params={"group": "g7", "basis": "x"}).status_code == 422


def test_measure_names_the_basis():
    assert "bought" in embodied.EMBODIED_MEASURE
    assert "not demand embodied" in metrics.DEMAND_SHARE_MEASURE
