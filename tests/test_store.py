"""The results store: atomic saves, listing, export checked by an independent reader."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from oreshock.core.errors import UnknownIdError
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store


@pytest.fixture(scope="module")
def controlled(network):
    scenario = open_scenario("japan-rare-earths-2026").build("full-response")
    return simulate(network, scenario)


def test_save_list_show_delete(controlled, tmp_path):
    with Store(tmp_path / "r.duckdb") as store:
        run_id = store.save_run(controlled)
        assert store.list_runs()["run_id"].tolist() == [run_id]
        record = store.run(run_id)
        assert record["variant"] == "full-response"
        assert record["dataset_hash"] == controlled.network.dataset_hash
        assert record["scenario_json"]["responses"]["sharing"][0]["group"] == "g7plus"
        assert record["summary"] == controlled.summary_records()
        assert not store.sectors(run_id).empty
        store.delete_run(run_id)
        assert store.list_runs().empty
        with pytest.raises(UnknownIdError, match="no run"):
            store.run(run_id)


class BrokenResult:
    """A result whose flows cannot be stored: the save must leave nothing behind."""

    def __init__(self, inner):
        self.inner = inner
        self.scenario = inner.scenario
        self.network = inner.network
        self.seed = inner.seed
        self.runs = inner.runs

    def summary(self, *a):
        return self.inner.summary(*a)

    def timeseries(self):
        return self.inner.timeseries()

    def sectors(self, c):
        return self.inner.sectors(c)

    def flows(self):
        flows = self.inner.flows()
        flows["value"] = "not a number"
        return flows


def test_failed_save_writes_nothing(controlled, tmp_path):
    with Store(tmp_path / "r.duckdb") as store:
        kept = store.save_run(controlled)
        with pytest.raises(duckdb.Error):
            store.save_run(BrokenResult(controlled))
        assert store.list_runs()["run_id"].tolist() == [kept]
        counts = store.con.execute("SELECT count(DISTINCT run_id) FROM timeseries").fetchone()[0]
        assert counts == 1


def test_export_passes_balance_identities(controlled, tmp_path):
    """Check the Parquet files with plain DuckDB, not with the engine's code."""
    with Store(tmp_path / "r.duckdb") as store:
        run_id = store.save_run(controlled)
        store.export_run(run_id, tmp_path / "out")
    ts = tmp_path / "out" / "timeseries.parquet"
    flows = tmp_path / "out" / "flows.parquet"
    con = duckdb.connect()
    columns = con.execute(f"DESCRIBE SELECT * FROM '{ts}'").df()["column_name"].tolist()
    assert columns == ["month", "country", "mineral", "stage", "variable", "value"]
    wide = con.execute(
        f"""
        PIVOT (SELECT * FROM '{ts}') ON variable USING sum(value)
        GROUP BY month, country, mineral, stage ORDER BY country, mineral, stage, month
        """
    ).df()
    wide["held"] = wide["stock"] + wide["stockpile"]
    wide["change"] = wide.groupby(["country", "mineral", "stage"])["held"].diff()
    rest = wide.dropna(subset=["change"])
    expected = rest["production"] + rest["imports"] - rest["exports"] - rest["consumption"]
    scale = max(wide["production"].abs().max(), 1.0)
    assert (rest["change"] - expected).abs().max() <= 1e-6 * scale
    assert (wide["shortfall"] - (wide["demand"] - wide["consumption"])).abs().max() <= 1e-6 * scale
    assert (
        (wide[["production", "imports", "exports", "consumption", "stock", "stockpile"]] >= -1e-9)
        .all()
        .all()
    )
    world = wide.groupby(["mineral", "stage", "month"])[["exports", "imports", "in_transit"]].sum()
    world["transit_change"] = (
        world.groupby(["mineral", "stage"])["in_transit"].diff().fillna(world["in_transit"])
    )
    gap = world["exports"] - world["imports"] - world["transit_change"]
    assert gap.abs().max() <= 1e-6 * scale
    shipped = con.execute(
        f"SELECT month, mineral, stage, exporter AS country, sum(value) AS exports FROM '{flows}' GROUP BY ALL"
    ).df()
    merged = wide.merge(
        shipped, on=["month", "mineral", "stage", "country"], how="left", suffixes=("", "_flows")
    )
    merged["exports_flows"] = merged["exports_flows"].fillna(0.0)
    assert (merged["exports"] - merged["exports_flows"]).abs().max() <= 1e-6 * scale
    origins = con.execute(f"SELECT DISTINCT origin FROM '{flows}'").df()["origin"]
    assert "CHN" in set(origins)
    assert (
        pd.read_csv(tmp_path / "out" / "flows.csv").shape[0]
        == con.execute(f"SELECT count(*) FROM '{flows}'").fetchone()[0]
    )
