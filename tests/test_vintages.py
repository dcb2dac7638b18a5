"""Dataset vintages: the bundled data read as of 2010, and 2010 rows kept out of 2024."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core.errors import ScenarioError, UnknownIdError
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.scenario import load_scenario
from oreshock.model.simulate import simulate
from oreshock.web.app import create_app


@pytest.fixture(scope="module")
def ds2010():
    return load_dataset(base_year=2010)


def test_2010_holds_the_rare_earth_chain_of_2010(ds2010):
    assert ds2010.base_year == 2010 and 2010 in ds2010.vintages
    network = build_network(ds2010)
    assert set(network.products("rare_earths")) >= {"ree_ndpr", "ree_dytb", "ndfeb_dytb"}
    assert "lithium" not in network.chains, "no 2010 lithium rows: not in the vintage"
    mining = ds2010.sql(
        "SELECT value FROM production WHERE mineral = 'rare_earths' AND stage = 'mining' "
        "AND iso3 = 'CHN' AND year = 2010"
    )
    assert mining["value"].tolist() == [130000]


def test_2010_says_what_it_lacks(ds2010):
    messages = " ".join(n.message_en for n in ds2010.notices)
    assert "lithium" in messages and "not in this vintage" in messages
    assert any(n.table == "product_shares" for n in ds2010.notices)
    assert all(n.message_ja for n in ds2010.notices)


def test_2010_rows_do_not_leak_into_2024(dataset):
    """The bundle stores 2010 rows (the 2010 vintage reads them); the 2024 vintage does not,
    even for keys 2024 does not repeat, such as China's 2010 rare-earth flow to the US."""
    for table in ("production", "demand", "trade", "import_shares", "stocks"):
        years = set(dataset.sql(f'SELECT DISTINCT year FROM "{table}"')["year"])
        assert 2010 not in years, f"{table}: 2010 rows read into the 2024 vintage"
    assert not dataset.notices


def test_an_unknown_vintage_is_an_error():
    with pytest.raises(
        UnknownIdError, match=r"no vintage for base year 2015; expected one of \[2010, 2023, 2024\]"
    ):
        load_dataset(base_year=2015)


def test_run_reads_a_vintage_and_says_what_it_lacks(tmp_path):
    from typer.testing import CliRunner

    from oreshock.cli.app import app

    db = str(tmp_path / "runs.duckdb")
    args = ["run", "baseline", "--months", "6", "--country", "JPN", "--db", db]
    result = CliRunner().invoke(app, [*args, "--base-year", "2010"])
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", " ")
    assert "data 2010: " in text and "not in this vintage" in text
    refused = CliRunner().invoke(app, [*args, "--base-year", "2015"])
    assert refused.exit_code == 2
    assert "no vintage for base year 2015" in refused.output


def test_a_scenario_names_its_vintage_and_runs_only_on_it(tmp_path):
    """``base_year:`` in a scenario file picks the vintage for the CLI and the API, and a
    network of another vintage refuses it instead of replaying 2010 on 2024 flows."""
    path = tmp_path / "old.yaml"
    path.write_text("name: old\nmonths: 6\nbase_year: 2010\nminerals: [rare_earths]\n", "utf-8")
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(path), "--json", "--db", str(tmp_path / "r.duckdb")])
    assert ran.exit_code == 0, ran.output
    contradicted = runner.invoke(app, ["run", str(path), "--base-year", "2024"])
    assert contradicted.exit_code != 0
    assert "base_year: 2010" in contradicted.output and "--base-year 2024" in contradicted.output
    with pytest.raises(ScenarioError, match="base_year 2010, but the data are of 2024"):
        simulate(build_network(load_dataset()), load_scenario(path))
    scenario = {"name": "old", "months": 6, "base_year": 2010, "minerals": ["rare_earths"]}
    with TestClient(create_app(tmp_path / "api.duckdb"), base_url="http://localhost") as client:
        job = client.post("/api/runs", json={"scenario": scenario})
        assert job.status_code == 202, job.text
        refused = client.post("/api/runs", json={"scenario": {**scenario, "base_year": 1999}})
        assert refused.status_code == 422 and "base_year" in refused.text


def test_the_2023_vintage_holds_gallium_and_germanium_of_2023():
    """2023 output less China's 2023 exports, 2023 prices; other minerals' missing demand is
    said before any run, and 2024 still reads the 2023 shares no 2024 row replaces."""
    ds = load_dataset(base_year=2023)
    demand = ds.table("demand")
    china = demand[
        (demand["mineral"] == "gallium") & (demand["iso3"] == "CHN") & (demand["year"] <= 2023)
    ]
    assert list(china["year"]) == [2023] and china["value"].iloc[0] == 576250
    net = build_network(ds)
    assert net.chains["germanium"].base_price[1, 0] == 1392  # outside China, USD/kg
    assert any(n.table == "demand" and "antimony" in n.what for n in ds.notices)
    shares = load_dataset().table("import_shares")
    eu = shares[(shares["mineral"] == "gallium") & (shares["importer"] == "XEU")]
    assert set(eu["year"]) == {2023}
