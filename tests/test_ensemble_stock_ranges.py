"""``oreshock ensemble`` samples the dataset's stock ranges the scenario uses, as
``oreshock run --uncertainty`` does: on by default, off with ``--no-stock-ranges``, never over a
level the scenario sets itself, and the stored parameters say which came from the dataset."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from oreshock.cli.ensemble import register
from oreshock.ensemble.runner import (
    DATASET_STOCK_RANGE,
    EnsembleSpec,
    get_ensemble,
    plan_ensemble,
    resume_command,
    run_ensemble,
)
from oreshock.ensemble.sampling import ParameterError
from oreshock.model.network import Network
from oreshock.model.stocks import STOCK_LEVELS

FLAGSHIP = "japan-rare-earths-2026"
PREFIX = ".".join(STOCK_LEVELS) + "."
MAGNETS = PREFIX + "commercial.JPN.rare_earths.magnets"


def _dataset_ranges(network: Network) -> dict[str, tuple[float, float, float]]:
    """{parameter name: (low, value, high)} read straight from the family's stock rows, which
    every rare-earth product carries (the same range in each: one level per family row)."""
    ranges: dict[str, tuple[float, float, float]] = {}
    for product in network.products("rare_earths"):
        for r in network.chain(product).stock_rows.itertuples(index=False):
            name = f"{PREFIX}{r.holder}.{r.iso3}.rare_earths.{r.stage}"
            assert ranges.setdefault(name, (r.low, r.value, r.high)) == (r.low, r.value, r.high)
    return ranges


def _stock_names(plan) -> list[str]:
    return [p.name for p in plan.parameters if p.name.startswith(PREFIX)]


def test_flagship_ensemble_samples_stock_ranges_inside_the_dataset_ranges(network, tmp_path):
    spec = EnsembleSpec(FLAGSHIP, "g7plus-sharing", runs=8, seed=2, batch_size=8)
    plan = plan_ensemble(spec, network=network, out=tmp_path)
    ranges = _dataset_ranges(network)
    stocks = _stock_names(plan)
    assert MAGNETS in stocks
    assert "responses.sharing[0].share" in [p.name for p in plan.parameters]
    assert set(plan.dataset_parameters) == set(stocks)
    names = [p.name for p in plan.parameters]
    for name in stocks:
        low, value, high = ranges[name]
        param = plan.parameters[names.index(name)]
        assert param.about == DATASET_STOCK_RANGE
        assert param.spec == {"dist": "triangular", "low": low, "mode": value, "high": high}
        column = plan.values[:, names.index(name)]
        assert column.min() >= low and column.max() <= high
        assert column.min() < column.max()  # sampled, not held at the central value


def test_stored_parameters_say_which_came_from_the_dataset(network, tmp_path):
    db = tmp_path / "db.duckdb"
    spec = EnsembleSpec(FLAGSHIP, "g7plus-sharing", runs=8, seed=2, batch_size=8)
    done = run_ensemble(spec, network=network, db=db, out=tmp_path / "ens")
    stored = get_ensemble(done.ensemble_id, db)["parameters"]
    assert stored[MAGNETS]["source"] == "dataset"
    assert stored["responses.sharing[0].share"]["source"] == "scenario"
    manifest = json.loads((done.folder / "ensemble.json").read_text("utf-8"))
    assert manifest["parameters"] == stored
    frame = done.results()
    low, _, high = _dataset_ranges(network)[MAGNETS]
    assert frame[MAGNETS].between(low, high).all() and frame[MAGNETS].nunique() == 8


def test_no_stock_ranges_samples_only_the_scenario(network, tmp_path):
    on = plan_ensemble(EnsembleSpec(FLAGSHIP, "g7plus-sharing", runs=8), network=network)
    off = plan_ensemble(
        EnsembleSpec(FLAGSHIP, "g7plus-sharing", runs=8, stock_ranges=False), network=network
    )
    assert _stock_names(off) == [] and off.dataset_parameters == ()
    assert [p.name for p in off.parameters] == ["responses.sharing[0].share"]
    assert on.ensemble_id != off.ensemble_id  # different samples, different ensembles


def test_stock_ranges_alone_make_an_ensemble(network):
    """no-response writes no distribution; its stock ranges are still uncertain, and with
    them turned off there is nothing to sample."""
    plan = plan_ensemble(EnsembleSpec(FLAGSHIP, "no-response", runs=8), network=network)
    assert plan.parameters and set(_stock_names(plan)) == {p.name for p in plan.parameters}
    with pytest.raises(ParameterError, match="no uncertain parameters"):
        plan_ensemble(
            EnsembleSpec(FLAGSHIP, "no-response", runs=8, stock_ranges=False), network=network
        )


SCENARIO = """\
name: fixed-magnets
start: 2026-01
months: 12
minerals: [rare_earths]
buffers:
  stock_levels:
    commercial:
      JPN:
        rare_earths:
          magnets: 3.0
          metal: {dist: uniform, low: 1.0, high: 1.2}
"""


def test_a_level_the_scenario_sets_is_not_overridden(network, tmp_path):
    path = tmp_path / "fixed.yaml"
    path.write_text(SCENARIO, "utf-8")
    plan = plan_ensemble(EnsembleSpec(str(path), runs=8, seed=4), network=network)
    names = [p.name for p in plan.parameters]
    metal = PREFIX + "commercial.JPN.rare_earths.metal"
    assert MAGNETS not in names  # fixed at 3.0 by the scenario: not sampled
    assert metal in names and metal not in plan.dataset_parameters  # the scenario's range wins
    assert plan.parameters[names.index(metal)].spec == {"dist": "uniform", "low": 1.0, "high": 1.2}
    column = plan.values[:, names.index(metal)]
    assert column.min() >= 1.0 and column.max() <= 1.2
    assert PREFIX + "commercial.JPN.rare_earths.separation" in plan.dataset_parameters


def test_cli_no_stock_ranges(tmp_path, db_path):
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    args = ["ensemble", FLAGSHIP, "--variant", "g7plus-sharing", "--runs", "8", "--workers", "1"]
    args += ["--out", str(tmp_path), "--json"]
    runner = CliRunner()
    on = runner.invoke(app, args)
    off = runner.invoke(app, [*args, "--no-stock-ranges"])
    assert on.exit_code == 0 and off.exit_code == 0, on.output + off.output
    sources = {p["name"]: p["source"] for p in json.loads(on.stdout)["parameters"]}
    assert sources[MAGNETS] == "dataset"
    assert sources["responses.sharing[0].share"] == "scenario"
    assert [p["name"] for p in json.loads(off.stdout)["parameters"]] == [
        "responses.sharing[0].share"
    ]
    assert "--no-stock-ranges" in resume_command(json.loads(off.stdout)["folder"])
    assert "--no-stock-ranges" not in resume_command(json.loads(on.stdout)["folder"])
