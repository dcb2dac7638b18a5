"""The coverage table: counted from the tables, current in docs/coverage.md, shown by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.data.coverage_table import KINDS, coverage_frame, coverage_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"
RANK = {"reported": 0, "estimated": 1, "assumed": 2}


@pytest.fixture(scope="module")
def frame(dataset):
    return coverage_frame(dataset)


def _best_status_counts(rows, country_column: str) -> dict[str, int]:
    """Countries by best status, counted in pandas, independently of the SQL."""
    rows = rows[rows[country_column] != "WLD"]
    best = rows.groupby(country_column)["status"].agg(lambda s: min(s, key=RANK.__getitem__))
    return {status: int((best == status).sum()) for status in RANK}


@pytest.mark.parametrize(
    ("mineral", "stage"),
    [("gallium", "refining"), ("rare_earths", "magnets"), ("antimony", "refining")],
)
def test_demand_counts_match_the_demand_table(dataset, frame, mineral, stage):
    demand = dataset.table("demand")
    rows = demand[(demand["mineral"] == mineral) & (demand["stage"] == stage)]
    row = frame[(frame["mineral"] == mineral) & (frame["stage"] == stage)].iloc[0]
    assert row["demand_countries"] == rows["iso3"].nunique()
    for status, n in _best_status_counts(rows, "iso3").items():
        assert row[f"demand_{status}"] == n


def test_trade_counts_importers_of_both_tables(dataset, frame):
    trade = dataset.table("trade")
    shares = dataset.table("import_shares")
    pick = [
        t[(t["mineral"] == "germanium") & (t["stage"] == "refining")]["importer"]
        for t in (trade, shares)
    ]
    importers = set(pick[0]) | set(pick[1])
    row = frame[(frame["mineral"] == "germanium") & (frame["stage"] == "refining")].iloc[0]
    assert row["trade_countries"] == len(importers - {"WLD"})


def test_every_stage_has_a_row_and_counts_add_up(dataset, frame):
    stages = dataset.table("stages")
    assert len(frame) == len(stages)
    for kind in KINDS:
        parts = frame[[f"{kind}_reported", f"{kind}_estimated", f"{kind}_assumed"]].sum(axis=1)
        assert (parts == frame[f"{kind}_countries"]).all()


def test_a_mineral_with_production_only_shows_missing_demand(frame):
    row = frame[frame["mineral"] == "tellurium"].iloc[0]
    assert row["production_countries"] > 0
    assert row["demand_countries"] == 0
    assert row["trade_countries"] == 0


def test_docs_page_is_current(dataset):
    assert DOCS.read_text(encoding="utf-8") == coverage_markdown(dataset), (
        "docs/coverage.md is out of date: run `python -m oreshock.data.coverage_table`"
    )


def test_cli_json_and_table():
    runner = CliRunner()
    result = runner.invoke(app, ["data", "coverage", "--mineral", "gallium", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [r["stage"] for r in rows] == ["refining"]
    assert rows[0]["demand"]["countries"] >= 5
    ja = runner.invoke(app, ["data", "coverage", "--mineral", "tellurium", "--lang", "ja"])
    assert ja.exit_code == 0, ja.output
    assert "テルル" in ja.output and "欠落" in ja.output


def test_cli_unknown_mineral_is_an_error():
    result = CliRunner().invoke(app, ["data", "coverage", "--mineral", "galium"])
    assert result.exit_code == 2
    assert "unknown mineral 'galium'" in result.output


def test_demand_share_states_its_coverage(network):
    from oreshock.model.metrics import demand_share

    result = demand_share(network, "g7plus")
    coverage = result["coverage"]
    assert coverage["minerals"] == len(result["by_mineral"])
    assert "tellurium" in coverage["minerals_without_demand_by_country"]
    assert "tellurium" not in result["by_mineral"]
    assert {"JPN", "KOR", "USA"} <= set(coverage["members_named"]["lithium"])
    assert "CHN" in coverage["countries_named"]["lithium"]
    assert "CHN" not in coverage["members_named"]["lithium"]
    assert "first used" in result["measure"]


def test_demand_share_cli_says_what_it_measures():
    result = CliRunner().invoke(
        app, ["metrics", "demand-share", "--group", "g7plus", "--lang", "ja"]
    )
    assert result.exit_code == 0, result.output
    assert "国別需要があるのは" in result.output and "リチウム" in result.output
