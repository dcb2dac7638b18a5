"""The impact layer: tables read through pymrio, the bridge, and what every measure must hold
(zero without shortfall, monotone in the shortfall, never above output, value added summing
to the GDP loss), on the bundled table and on pymrio's test system."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oreshock.cli import app
from oreshock.core.errors import DataFileError
from oreshock.impact import dynamic, propagation
from oreshock.impact.assessment import METHODS, assess
from oreshock.impact.bridge import Bridge
from oreshock.impact.tables import TableError, TableWarning, load_table
from oreshock.model.simulate import simulate
from oreshock.model.variants import run_variants

runner = CliRunner()
FLAGSHIP = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def table():
    return load_table()


@pytest.fixture(scope="module")
def test_system():
    with pytest.warns(TableWarning, match="fictional"):
        return load_table("pymrio-test")


@pytest.fixture(scope="module")
def flagship(network):
    return run_variants(FLAGSHIP, network, variants=["no-response", "full-response"], months=36)


def _direct(table, share: float, months: int = 24, start: int = 2, stop: int = 14):
    """A direct loss of ``share`` of one manufacturing industry's output for some months."""
    d = np.zeros((months, table.size))
    j = table.index(table.regions[1], table.sectors[2])
    d[start:stop, j] = share * table.x[j] / 12.0
    return d


# --- tables ---------------------------------------------------------------------------------


def test_bundled_table_is_real_and_sourced(table):
    assert table.name == "wiod2011_agg11" and table.year == 2011 and not table.fictional
    assert "CC BY 4.0" in table.licence and "World Input-Output Database" in table.source
    assert {"JPN", "USA", "DEU", "CHN", "KOR", "XEU", "ROW"} <= set(table.regions)
    gdp = dict(zip(table.regions, table.gdp() / 1e6, strict=True))  # trillion USD of 2011
    assert 5.0 < gdp["JPN"] < 6.5 and 14.0 < gdp["USA"] < 16.0  # WDI: 6.2 and 15.6 (2011)
    assert (table.Z >= 0).all() and (table.x > 0).all()


def test_a_missing_table_names_what_was_expected(tmp_path):
    with pytest.raises(TableError, match="no such input-output table; expected a bundled"):
        load_table(tmp_path / "nowhere")
    bad = tmp_path / "tables.zip"
    bad.write_text("not a table")
    with pytest.raises(TableError, match="file whose name shows the database"):
        load_table(bad)


def test_a_folder_pymrio_cannot_read_is_an_error_naming_it(tmp_path, table):
    folder = tmp_path / "broken"
    shutil.copytree(load_table.__globals__["BUNDLED_DIR"] / table.name, folder)
    (folder / "Z.txt").write_text("garbage\n")
    with pytest.raises(TableError, match=str(folder)):
        load_table(folder)


def test_a_table_not_in_dollars_needs_the_rate(tmp_path, table):
    folder = tmp_path / "eur"
    shutil.copytree(load_table.__globals__["BUNDLED_DIR"] / table.name, folder)
    (folder / "oreshock.json").unlink()
    unit = (folder / "unit.txt").read_text().replace("M.USD", "M.EUR")
    (folder / "unit.txt").write_text(unit)
    with pytest.raises(TableError, match="--usd-per-unit"):
        load_table(folder)
    assert load_table(folder, usd_per_unit=1.1e6).usd_per_unit == 1.1e6
    for rate in (0.0, float("inf"), float("nan")):
        with pytest.raises(TableError, match="expected a positive number"):
            load_table(folder, usd_per_unit=rate)


# --- the measures ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["table", "test_system"])
def test_no_shortfall_no_loss_and_losses_bounded(which, request):
    t = request.getfixturevalue(which)
    zero = np.zeros((12, t.size))
    for measure in (propagation.backward, propagation.forward, dynamic.simulate):
        assert measure(t, zero).sum() == 0.0
    d = _direct(t, 0.8)
    for measure in (propagation.backward, propagation.forward, dynamic.simulate):
        lost = measure(t, d)
        assert (lost >= 0).all() and (lost <= t.x[None, :] / 12 * (1 + 1e-12)).all()
        assert lost.sum() >= d.sum() * (1 - 1e-12)  # never less than the direct loss


@pytest.mark.parametrize("which", ["table", "test_system"])
def test_more_shortfall_never_lowers_the_loss(which, request):
    t = request.getfixturevalue(which)
    previous = {name: -1.0 for name in ("backward", "forward", "dynamic")}
    for share in (0.1, 0.3, 0.6, 1.0):
        d = _direct(t, share)
        found = {
            "backward": propagation.backward(t, d),
            "forward": propagation.forward(t, d),
            "dynamic": dynamic.simulate(t, d),
        }
        for name, lost in found.items():
            by_region = np.bincount(t.region_of(), weights=lost.sum(axis=0))
            assert lost.sum() >= previous[name] - 1e-6, (name, share)
            previous[name] = lost.sum()
            assert (by_region >= 0).all()


def test_dynamic_losses_end_after_the_shock_as_stocks_rebuild(table):
    d = _direct(table, 0.5, months=36, start=2, stop=8)
    lost = dynamic.simulate(table, d).sum(axis=1)
    assert lost[:2].sum() == 0.0 and lost[3] > 0
    assert lost[-1] < 1e-6 * lost.max()  # recovered well before the horizon ends


def test_dynamic_parameters_are_checked(table):
    with pytest.raises(ValueError, match="psi"):
        dynamic.simulate(table, _direct(table, 0.5), dynamic.Dynamics(psi=0.0))


# --- a run's impact -------------------------------------------------------------------------


def test_flagship_impact_holds_the_accounting(flagship, dataset, table):
    for result in flagship:
        impact = assess(result, dataset, table)
        assert set(impact.losses) == set(METHODS)
        for method in METHODS:
            va = impact.value_added_loss_usd(method)
            countries = impact.countries(method)
            assert sum(c["value_added_loss_usd"] for c in countries) == pytest.approx(va.sum())
            for c in countries:
                assert sum(s["value_added_loss_usd"] for s in c["sectors"]) == pytest.approx(
                    c["value_added_loss_usd"]
                )
                assert 0 <= c["gdp_loss_pct_horizon"] <= c["gdp_loss_pct_worst_quarter"] + 1e-12
            output = impact.output_loss_usd(method)
            monthly_output = impact.table.x * impact._money() / 12
            assert (output <= monthly_output[None, :] * (1 + 1e-9)).all()
        japan = impact.countries()[0]
        assert japan["country"] == "JPN" and japan["gdp_loss_pct_horizon"] > 0.1
        assert impact.coverage()["tonnes_short_not_valued"] > 0  # said, not dropped


def test_responses_lower_the_loss(flagship, dataset, table):
    none, full = (assess(r, dataset, table).countries()[0] for r in flagship)
    assert full["value_added_loss_usd"] < none["value_added_loss_usd"]


def test_baseline_has_no_impact(network, dataset, table):
    from oreshock.model.scenario import open_scenario

    base = open_scenario("baseline").build(None, {("months",): 12})
    impact = assess(simulate(network, base), dataset, table)
    assert all(loss.sum() == 0.0 for loss in impact.losses.values())
    assert impact.countries() == []


def test_the_test_system_maps_every_bridge_industry(flagship, dataset, test_system):
    impact = assess(flagship[0], dataset, test_system)
    assert impact.countries()[0]["country"] == "reg1"  # Japan's stand-in


# --- the bridge -----------------------------------------------------------------------------


def test_bridge_rows_are_checked(dataset):
    rows = dataset.table("impact_bridge")
    bridge = Bridge.from_table(rows)
    link = bridge.link("ndfeb_dytb", "ev_motors", "JPN")
    assert link is not None and link.using_share == pytest.approx(0.475)
    assert link.output_usd_per_t == pytest.approx(32.5e6)  # the world's row fills it in
    bad = rows.copy()
    bad.loc[bad["quantity"] == "using_share", "value"] = 1.5
    with pytest.raises(DataFileError, match="share of output"):
        Bridge.from_table(bad)
    two = pd.concat([rows, rows.iloc[[0]].assign(io_sector="services")])
    with pytest.raises(DataFileError, match="two industries"):
        Bridge.from_table(two)


# --- the command line -----------------------------------------------------------------------


def test_impact_command_stores_and_prints(db_path):
    made = runner.invoke(app, ["run", FLAGSHIP, "--variant", "no-response", "--months", "24",
                               "--impact", "--json"])  # fmt: skip
    assert made.exit_code == 0, made.output
    run = json.loads(made.output)["runs"][0]
    assert run["impact"]["countries"][0]["country"] == "JPN"
    keys = {"country", "gdp_loss_pct_horizon", "gdp_loss_pct_worst_quarter",
            "value_added_loss_usd", "sectors"}  # fmt: skip
    assert keys <= set(run["impact"]["countries"][0])
    shown = runner.invoke(app, ["impact", run["run_id"], "--method", "leontief", "--json"])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output)
    assert record["run_id"] == run["run_id"] and record["method"] == "leontief"
    assert record["countries"][0]["value_added_loss_usd"] >= (
        run["impact"]["countries"][0]["value_added_loss_usd"] * 0.5
    )
    text = runner.invoke(app, ["impact", run["run_id"], "--lang", "ja"])
    assert text.exit_code == 0 and "日本" in text.output and "輸送用機械" in text.output


def test_impact_command_refuses_bad_input(db_path):
    assert runner.invoke(app, ["impact", "nope"]).exit_code != 0
    made = runner.invoke(app, ["run", FLAGSHIP, "--variant", "no-response", "--months", "12",
                               "--json"])  # fmt: skip
    run_id = json.loads(made.output)["runs"][0]["run_id"]
    wrong = runner.invoke(app, ["impact", run_id, "--method", "magic"])
    assert wrong.exit_code == 2 and "expected one of" in wrong.output
    missing = runner.invoke(app, ["impact", run_id, "--table", "/nowhere/table"])
    assert missing.exit_code != 0 and "no such input-output table" in missing.output


def test_a_version_4_store_is_upgraded_and_keeps_its_runs(tmp_path, flagship, dataset):
    """Version 5 adds the impact tables; a version-4 file keeps its runs and takes impacts."""
    import duckdb

    from oreshock.store.impacts import get_impact, save_impact
    from oreshock.store.schema import SCHEMA_VERSION
    from oreshock.store.store import Store

    path = tmp_path / "v4.duckdb"
    with Store(path) as store:
        run_id = store.save_run(flagship[0])
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE impacts")
    con.execute("DROP TABLE impact_series")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as store:
        assert store.schema_version_found == 4 and SCHEMA_VERSION >= 5
        assert store.list_runs()["run_id"].tolist() == [run_id]
        found = assess(flagship[0], dataset, load_table())
        save_impact(store, run_id, found.stored_record(run_id), found.tidy())
        assert get_impact(store, run_id)["countries"][0]["country"] == "JPN"
        store.delete_run(run_id)
        rows = store.con.execute("SELECT count(*) FROM impact_series").fetchone()
        assert rows is not None and rows[0] == 0  # the run's impact goes with it


@pytest.mark.filterwarnings("default")
def test_a_table_of_other_codes_needs_region_and_sector_maps(tmp_path, flagship, dataset):
    """A user's table (pymrio's test system saved as a folder): regions reg1-reg6 and its own
    industries; without maps it is an error naming what to give, with them it is used."""
    import pymrio

    folder = tmp_path / "mine"
    pymrio.load_test().save_all(folder)
    with pytest.warns(TableWarning, match="expected a balanced table"):
        load_table(folder)  # the test system's value added does not close its columns
    warnings.simplefilter("ignore", TableWarning)
    with pytest.raises(TableError, match="not the dataset's ISO3 country codes"):
        assess(flagship[0], dataset, load_table(folder))
    regions = tmp_path / "regions.csv"
    regions.write_text("iso3,region\nJPN,reg1\n*,reg6\n")
    with pytest.raises(TableError, match="does not map to a sector of the table"):
        assess(flagship[0], dataset, load_table(folder, regions=regions))
    sectors = tmp_path / "sectors.csv"
    bridge = sorted({link.io_sector for link in Bridge.from_table(
        dataset.table("impact_bridge")).links.values()})  # fmt: skip
    sectors.write_text(
        "bridge_sector,table_sector\n" + "".join(f"{s},manufactoring\n" for s in bridge)
    )
    found = assess(flagship[0], dataset, load_table(folder, regions=regions, sectors=sectors))
    assert found.countries()[0]["country"] == "reg1"
    bad = tmp_path / "bad.csv"
    bad.write_text("iso3,region\nJPN,atlantis\n")
    with pytest.raises(TableError, match="row 2, column 'region': 'atlantis' is not in the table"):
        load_table(folder, regions=bad)


def test_a_run_the_bridge_cannot_value_is_refused(network, dataset, table):
    from oreshock.impact.assessment import ImpactError

    antimony = run_variants("antimony-2024", network, variants=["licensing"], months=12)[0]
    with pytest.raises(ImpactError, match="no end use of antimony has a row in impact_bridge"):
        assess(antimony, dataset, table)
