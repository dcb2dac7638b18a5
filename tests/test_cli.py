"""The CLI contract other tools rely on: JSON shapes and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from oreshock.cli import backtest as cli_backtest
from oreshock.cli import data as cli_data
from oreshock.cli import ensemble as cli_ensemble
from oreshock.cli import impact as cli_impact
from oreshock.cli import metrics as cli_metrics
from oreshock.cli import plan as cli_plan
from oreshock.cli import plans as cli_plans
from oreshock.cli import run as cli_run
from oreshock.cli import runs as cli_runs
from oreshock.cli import scenarios as cli_scenarios
from oreshock.cli import web as cli_web
from oreshock.cli.app import app

runner = CliRunner()


def run_json(*args: str) -> dict | list:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_concentration_json():
    out = run_json("metrics", "concentration", "--mineral", "rare_earths", "--stage", "mining")
    assert set(out) == {
        "mineral",
        "stage",
        "year",
        "hhi",
        "top1_share",
        "top3_share",
        "shares",
        "sources",
    }
    assert out["shares"]["CHN"] == pytest.approx(0.69, abs=0.01)
    assert 0 < out["hhi"] <= 1
    assert sum(out["shares"].values()) == pytest.approx(1.0, abs=0.02)


def test_exposure_json():
    out = run_json(
        "metrics",
        "exposure",
        "--country",
        "JPN",
        "--mineral",
        "rare_earths",
        "--stage",
        "metal",
        "--origin",
        "CHN",
    )
    assert set(out) == {
        "country",
        "mineral",
        "stage",
        "origin",
        "direct_share",
        "indirect_share",
        "total_share",
    }
    assert out["total_share"] == pytest.approx(out["direct_share"] + out["indirect_share"])


def test_demand_share_json():
    out = run_json("metrics", "demand-share", "--group", "g7plus", "--mineral", "lithium")
    assert out["group"] == "g7plus" and out["mineral"] == "lithium"
    assert 0 <= out["share"] <= 1


def test_data_show_minerals_lists_ids():
    out = run_json("data", "show", "minerals")
    ids = {row["mineral"] for row in out}
    assert {"rare_earths", "lithium", "cobalt", "nickel", "graphite", "copper"} <= ids


def test_run_json_and_runs_commands(db_path, tmp_path):
    out = run_json(
        "run", "japan-rare-earths-2026", "--variant", "reexport-control", "--months", "24"
    )
    assert [r["variant"] for r in out["runs"]] == ["reexport-control"]
    row = next(
        r for r in out["runs"][0]["summary"] if r["country"] == "JPN" and r["stage"] == "magnets"
    )
    assert set(row) == {
        "country",
        "mineral",
        "stage",
        "months_to_shortfall",
        "peak_shortfall_pct",
        "cumulative_shortfall_pct",
    }
    assert isinstance(row["months_to_shortfall"], int)
    run_id = out["runs"][0]["run_id"]
    listed = run_json("runs", "list")
    assert [r["run_id"] for r in listed] == [run_id]
    result = runner.invoke(app, ["runs", "export", run_id, "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "timeseries.parquet").exists() and (
        tmp_path / "x" / "flows.parquet"
    ).exists()
    assert runner.invoke(app, ["runs", "delete", run_id]).exit_code == 0


def test_flagship_table_answers_the_claim(db_path):
    """One table per rare-earth product Japan uses, each naming its own end uses, then the
    claim once per variant over all of them."""
    result = runner.invoke(app, ["run", "japan-rare-earths-2026", "--months", "12"])
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", " ")
    assert result.output.count("in six months Japan can make nothing") == 1
    for variant in (
        "no-response",
        "reexport-control",
        "heavy-elements-control",
        "stockpiles",
        "g7plus-sharing",
        "full-response",
    ):
        assert variant in result.output
        assert f"  {variant}: does not hold" in result.output  # magnets still come from stock
    for product in ("NdFeB magnets, high-coercivity grades", "Lanthanum and cerium", "Yttrium"):
        assert f"Japan · {product}" in text
    assert result.output.count("Months to shortfall") == 8  # every product Japan uses
    assert result.output.count("Per stage: months from the start") == 1  # one caption


def test_flagship_json_reports_japan_per_product_and_stage(db_path):
    out = run_json("run", "japan-rare-earths-2026", "--variant", "no-response", "--months", "12")
    japan = [r for r in out["runs"][0]["summary"] if r["country"] == "JPN"]
    keys = [(r["mineral"], r["stage"]) for r in japan]
    assert len(keys) == len(set(keys))
    assert {m for m, _ in keys} == {
        "ndfeb_dytb",
        "ndfeb_plain",
        "ree_dytb",
        "ree_lace",
        "ree_ndpr",
        "ree_other",
        "ree_sm",
        "ree_y",
    }
    assert ("ndfeb_dytb", "magnets") in keys and ("ree_lace", "separation") in keys
    assert not any(m == "rare_earths" for m, _ in keys)
    # Prices by region: the ban on Japan lifts the price of Japan's magnets outside China,
    # while blocked supply piles up inside China and the price there does not rise.
    prices = {(p["mineral"], p["stage"], p["region"]): p for p in out["runs"][0]["prices"]}
    outside = prices[("ndfeb_dytb", "magnets", "ROW")]
    inside = prices[("ndfeb_dytb", "magnets", "CHN")]
    assert outside["base_usd_kg"] == 66.75 and outside["peak_usd_kg"] > outside["base_usd_kg"]
    assert inside["final_index"] <= 1.0 < outside["peak_index"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["metrics", "concentration", "--mineral", "unobtainium", "--stage", "mining"],
            "unknown mineral 'unobtainium'",
        ),
        (
            ["metrics", "concentration", "--mineral", "lithium", "--stage", "magnets"],
            "unknown stage 'magnets' of lithium",
        ),
        (
            [
                "metrics",
                "exposure",
                "--country",
                "XXX",
                "--mineral",
                "rare_earths",
                "--stage",
                "metal",
            ],
            "XXX is not a node",
        ),
        (["metrics", "demand-share", "--group", "nato-ish"], "unknown group 'nato-ish'"),
        (["run", "no-such-scenario"], "not a shipped name"),
        (["run", "japan-rare-earths-2026", "--variant", "nope"], "unknown variant 'nope'"),
        (["runs", "show", "deadbeef"], "no run 'deadbeef'"),
        (["data", "import", "usgs", "/nonexistent.csv"], "no such file"),
    ],
)
def test_bad_arguments_get_clear_errors(args, message, db_path):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ") or message in (result.stderr or "")


def test_months_out_of_range_rejected(db_path):
    result = runner.invoke(app, ["run", "baseline", "--months", "0"])
    assert result.exit_code == 2


FIXTURE = "tests/data/loaders/MCS2025_World_Data_slice.csv"


def test_data_import_extends_a_dataset_atomically(db_path, tmp_path):
    target = tmp_path / "mydata"
    out = run_json("data", "import", "usgs", FIXTURE, "--into", str(target))
    assert out["rows"]["production"] > 0 and out["merged"]["production"] > 0
    shares = run_json(
        "metrics",
        "concentration",
        "--mineral",
        "rare_earths",
        "--stage",
        "mining",
        "--data",
        str(target),
    )
    assert shares["shares"]["CHN"] == pytest.approx(270000 / 390000, abs=1e-6)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    bad = tmp_path / "bad.csv"
    text = Path(FIXTURE).read_text("utf-8-sig").replace("270000", "-5", 1)
    bad.write_text(text, "utf-8")
    result = runner.invoke(app, ["data", "import", "usgs", str(bad), "--into", str(target)])
    assert result.exit_code == 2
    assert "bad.csv, row 29, column 'PROD_EST_ 2024': expected a value >= 0" in result.output
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    listed = {p.name for p in tmp_path.iterdir()}
    # the store's lock file is empty and stays (see store.locking)
    assert listed == {"mydata", "bad.csv", "results.duckdb", "results.duckdb.lock"}


def test_runs_show_and_compare(db_path):
    out = run_json(
        "run",
        "japan-rare-earths-2026",
        "--variant",
        "no-response",
        "--variant",
        "reexport-control",
        "--months",
        "12",
    )
    a, b = (r["run_id"] for r in out["runs"])
    shown = run_json("runs", "show", a)
    assert shown["variant"] == "no-response" and shown["months"] == 12
    assert shown["scenario_json"]["shocks"][0]["exporter"] == "CHN"
    compared = run_json("runs", "compare", a, b, "--country", "JPN")
    assert {row["run"].split()[0] for row in compared} == {a, b}


def test_dependency_and_japanese_tables():
    rows = run_json("metrics", "dependency", "--mineral", "rare_earths", "--country", "JPN")
    assert {r["stage"] for r in rows} == {"mining", "separation", "metal", "magnets"}
    result = runner.invoke(
        app,
        ["metrics", "concentration", "--mineral", "lithium", "--stage", "refining", "--lang", "ja"],
    )
    assert result.exit_code == 0 and "首位シェア" in result.output
    bad = runner.invoke(
        app,
        ["metrics", "concentration", "--mineral", "lithium", "--stage", "refining", "--lang", "fr"],
    )
    assert bad.exit_code == 2 and "expected one of en, ja" in bad.output


def test_run_a_scenario_file(db_path, tmp_path):
    path = tmp_path / "outage.yaml"
    path.write_text(
        "name: malaysia-outage\nmonths: 36\nminerals: [rare_earths]\n"
        "shocks:\n  - type: outage\n    country: MYS\n    stages: [separation]\n"
        "    share: 1.0\n    start: 2026-03\n",
        "utf-8",
    )
    out = run_json("run", str(path), "--country", "JPN")
    assert [r["variant"] for r in out["runs"]] == ["base"]
    rows = {(r["country"], r["mineral"], r["stage"]): r for r in out["runs"][0]["summary"]}
    # Malaysia uses no separated oxide itself
    assert not [k for k in rows if k[0] == "MYS" and k[2] == "separation"]
    # Japan buys little of its separated oxide from Lynas: two months of stock last about
    # two years, or the product is never short
    oxides = {
        k[1]: r["months_to_shortfall"]
        for k, r in rows.items()
        if k[0] == "JPN" and k[2] == "separation"
    }
    assert oxides["ree_lace"] > 12
    assert all(m is None or m > 12 for m in oxides.values())
    # but its NdPr metal is made in Vietnam from Lynas oxide: short within half a year
    assert rows[("JPN", "ree_ndpr", "metal")]["months_to_shortfall"] <= 6


def test_rerun_reproduces_a_stored_run(db_path):
    out = run_json("run", "japan-rare-earths-2026", "--variant", "full-response", "--months", "12")
    run_id = out["runs"][0]["run_id"]
    again = run_json("runs", "rerun", run_id)
    assert again["rerun_of"] == run_id and again["identical"] is True
    other = runner.invoke(app, ["runs", "rerun", run_id, "--data", "tests/data/mini_dataset"])
    assert other.exit_code == 2
    assert "pass --data with the dataset it used" in other.output.replace("\n", " ")


def test_help_lists_commands_then_groups_in_a_fixed_order():
    root = typer.main.get_command(app)
    assert list(root.commands) == [
        "report",
        "serve",
        "ensemble",
        "backtest",
        "plan",
        "run",
        "impact",
        "scenarios",
        "data",
        "metrics",
        "runs",
        "ensembles",
        "plans",
    ]


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (cli_data, {"data"}),
        (cli_metrics, {"metrics"}),
        (cli_runs, {"runs"}),
        (cli_run, {"run"}),
        (cli_scenarios, {"scenarios"}),
        (cli_web, {"report", "serve"}),
        (cli_ensemble, {"ensemble", "ensembles"}),
        (cli_backtest, {"backtest"}),
        (cli_plan, {"plan"}),
        (cli_plans, {"plans"}),
        (cli_impact, {"impact"}),
    ],
)
def test_each_command_group_registers_itself(module, names):
    """A group module adds exactly its own commands to any app, so it stands alone."""
    alone = typer.Typer()
    alone.callback()(lambda: None)  # a callback keeps a one-command app a group
    module.register(alone)
    assert set(typer.main.get_command(alone).commands) == names


@pytest.mark.parametrize(
    ("lang", "title", "magnets"),
    [
        ("en", "Prices, USD/kg", "NdFeB"),
        ("ja", "価格（ドル/kg）", "ネオジム磁石"),
    ],
)
def test_run_prints_the_prices_in_the_language(db_path, lang, title, magnets):
    result = runner.invoke(
        app,
        ["run", "japan-rare-earths-2026", "--variant", "no-response", "--months", "12",
         "--lang", lang, "--db", str(db_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    block = result.stdout.split(title, 1)[1]
    assert magnets in block and "66.75" in block  # the 2024 base price of Dy/Tb magnets
