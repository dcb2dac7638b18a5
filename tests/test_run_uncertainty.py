"""``oreshock run --uncertainty N`` (issue 11 item 5): months to first shortfall as central
(P5–P95) over the scenario's distributions and the dataset's stock ranges, in the table and
the JSON; off by default so the default run stays fast."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.report.comparison import with_range

runner = CliRunner()
FLAGSHIP = "japan-rare-earths-2026"
STOCK = "buffers.stock_levels.commercial.JPN.rare_earths.magnets"
PILE = "buffers.stock_levels.national.JPN.rare_earths.separation"


def _run(*args: str) -> dict:
    result = runner.invoke(app, ["run", FLAGSHIP, "--months", "24", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _stage(run: dict, product: str, stage: str) -> dict:
    return next(
        r
        for r in run["uncertainty"]["months_to_shortfall"]
        if r["mineral"] == product and r["stage"] == stage
    )


def _products_at(run: dict, stage: str) -> list[str]:
    """The products whose ``stage`` has a row of months to first shortfall."""
    return [r["mineral"] for r in run["uncertainty"]["months_to_shortfall"] if r["stage"] == stage]


def _months(value: int | None) -> float:
    """A month, with never short (null) as later than any month."""
    return float("inf") if value is None else float(value)


def test_default_run_has_no_uncertainty(db_path):
    out = _run("--variant", "reexport-control")
    assert "uncertainty" not in out["runs"][0]


def test_stock_ranges_spread_the_first_magnet_shortfall(db_path):
    """Only stock ranges are uncertain in reexport-control: sampling them (0.5-3.5 months of
    magnets) spreads Japan's first magnet shortfall, and the central run lies inside."""
    out = _run("--variant", "reexport-control", "--uncertainty", "40", "--seed", "3")
    spread = out["runs"][0]["uncertainty"]
    assert spread["samples"] == 40 and spread["seed"] == 3
    assert STOCK in spread["parameters"] and PILE not in spread["parameters"]
    assert sorted(_products_at(out["runs"][0], "magnets")) == ["ndfeb_dytb", "ndfeb_plain"]
    for grade in ("ndfeb_dytb", "ndfeb_plain"):
        magnets = _stage(out["runs"][0], grade, "magnets")
        assert magnets["p5"] < magnets["p95"]
        assert magnets["p5"] <= magnets["central"] <= magnets["p95"]


def test_stockpile_range_is_sampled_where_it_is_released(db_path):
    """The JOGMEC range (0-60 days) is a parameter only of the variant that releases it, and
    a sampled stockpile never brings the first separated-oxide shortfall of any product
    earlier."""
    out = _run("--variant", "stockpiles", "--variant", "reexport-control", "--uncertainty", "30")
    with_pile, without = out["runs"]
    assert PILE in with_pile["uncertainty"]["parameters"]
    oxides = _products_at(with_pile, "separation")
    assert "ree_lace" in oxides and oxides == _products_at(without, "separation")
    for product in oxides:
        held = _months(_stage(with_pile, product, "separation")["p95"])
        assert held >= _months(_stage(without, product, "separation")["p95"]), product


def test_same_seed_same_percentiles(db_path):
    a = _run("--variant", "full-response", "--uncertainty", "12", "--seed", "5")
    b = _run("--variant", "full-response", "--uncertainty", "12", "--seed", "5")
    assert a["runs"][0]["uncertainty"] == b["runs"][0]["uncertainty"]


def test_table_shows_central_and_percentiles(db_path):
    result = runner.invoke(
        app,
        ["run", FLAGSHIP, "--variant", "reexport-control", "--months", "24", "--uncertainty", "10"],
    )
    assert result.exit_code == 0, result.output
    assert "P5–P95" in result.output
    assert with_range(3, (2, None), "en") == "3 (2–never)"


def test_never_short_runs_read_null(db_path):
    """A run never short in the horizon (the baseline) gives null months, not an error."""
    result = runner.invoke(
        app, ["run", "baseline", "--months", "6", "--uncertainty", "4", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["runs"][0]["uncertainty"]["months_to_shortfall"]
    assert rows and all(r["central"] is None and r["p95"] is None for r in rows)
    assert all(r["never_share"] == 1.0 for r in rows)
