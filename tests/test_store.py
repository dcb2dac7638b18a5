"""The results store: atomic saves, listing, export checked by an independent reader, and
the schema version checked (and upgraded or refused) on open."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.ensemble import runner
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.export import export_run
from oreshock.store.schema import SCHEMA_VERSION, TABLES, found_version, open_schema, table_names
from oreshock.store.store import Store, run_rows


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
        self.coverage = inner.coverage

    def summary(self, *a):
        return self.inner.summary(*a)

    def timeseries(self):
        return self.inner.timeseries()

    def sectors(self, c):
        return self.inner.sectors(c)

    def sector_series(self, c):
        return self.inner.sector_series(c)

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
    """Check the Parquet files with plain DuckDB, not with the engine's code (the price rows
    are by price region, not country, and take no part in the balance)."""
    with Store(tmp_path / "r.duckdb") as store:
        run_id = store.save_run(controlled)
        for fmt in ("parquet", "csv"):  # both into one folder
            export_run(store, run_id, fmt, tmp_path / "out")
    ts = tmp_path / "out" / "timeseries.parquet"
    flows = tmp_path / "out" / "flows.parquet"
    con = duckdb.connect()
    columns = con.execute(f"DESCRIBE SELECT * FROM '{ts}'").df()["column_name"].tolist()
    assert columns == ["month", "country", "mineral", "stage", "variable", "value"]
    wide = con.execute(
        f"""
        PIVOT (SELECT * FROM '{ts}' WHERE variable NOT IN ('price', 'price_index'))
        ON variable USING sum(value)
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


# The schema version, checked on open ------------------------------------------------------

# The tables exactly as the store created them before it checked its version: one statement
# after another, outside a transaction, then the version row in a separate statement. A file
# interrupted before that last statement is the version-0 file migrated below.
UNVERSIONED_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario VARCHAR, variant VARCHAR,
    scenario_json VARCHAR, dataset_name VARCHAR, dataset_version VARCHAR, dataset_hash VARCHAR,
    code_version VARCHAR, seed BIGINT, months INTEGER, start_month VARCHAR, summary_json VARCHAR
);
CREATE TABLE IF NOT EXISTS timeseries (
    run_id VARCHAR, month DATE, country VARCHAR, mineral VARCHAR, stage VARCHAR,
    variable VARCHAR, value DOUBLE
);
CREATE TABLE IF NOT EXISTS flows (
    run_id VARCHAR, month DATE, mineral VARCHAR, stage VARCHAR, exporter VARCHAR,
    importer VARCHAR, origin VARCHAR, value DOUBLE
);
CREATE TABLE IF NOT EXISTS sectors (
    run_id VARCHAR, country VARCHAR, mineral VARCHAR, stage VARCHAR, sector VARCHAR,
    name_en VARCHAR, name_ja VARCHAR, share_of_stage_use DOUBLE,
    months_to_shortfall INTEGER, peak_shortfall_pct DOUBLE, cumulative_shortfall_pct DOUBLE
);
CREATE TABLE IF NOT EXISTS imports (
    import_id VARCHAR PRIMARY KEY, created TIMESTAMP, kind VARCHAR, file VARCHAR,
    sha256 VARCHAR, tables VARCHAR, rows INTEGER
);
CREATE TABLE IF NOT EXISTS imported_rows (
    import_id VARCHAR, "table" VARCHAR, row_json VARCHAR
);
INSERT INTO runs (run_id, scenario, scenario_json, summary_json)
    VALUES ('old000000001', 'japan-rare-earths-2026', '{}', '[]');
"""


def _version(path: Path) -> str | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_names(con)
    finally:
        con.close()


def _snapshot(folder: Path, *, lock: bool = True) -> dict[str, bytes]:
    """Every file in the folder, so a test can say that nothing was written.

    ``lock=False`` leaves out the empty lock file a writer creates beside the database
    (``store.locking``) before it finds out that it will not write.
    """
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if lock or not p.name.endswith(".duckdb.lock")
    }


def _make(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    return path


def test_fresh_file_gets_every_table_and_the_version(tmp_path):
    path = tmp_path / "new.duckdb"
    with Store(path) as store:
        assert store.schema_version_found == SCHEMA_VERSION
    assert _tables(path) == set(TABLES)
    assert _version(path) == str(SCHEMA_VERSION)
    assert {"runs", "timeseries", "flows", "sectors", "imports", "imported_rows"} <= set(TABLES)
    assert {"ensembles", "ensemble_batches"} <= set(TABLES)


def test_read_only_open_never_writes(controlled, tmp_path):
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(OreshockError, match=re.escape(f"no results database at {missing}")):
        Store(missing, read_only=True)
    assert not missing.exists()
    path = tmp_path / "r.duckdb"
    with Store(path) as store:
        run_id = store.save_run(controlled)
    before = _snapshot(tmp_path)
    with Store(path, read_only=True) as store:
        assert store.list_runs()["run_id"].tolist() == [run_id]
    assert _snapshot(tmp_path) == before


def test_version_0_file_is_migrated_in_place(tmp_path):
    """A store interrupted before it recorded its version: meta empty, no ensemble tables."""
    path = _make(tmp_path / "old.duckdb", UNVERSIONED_DDL)
    assert _version(path) is None and "ensembles" not in _tables(path)
    before = _snapshot(tmp_path)
    with pytest.raises(OreshockError) as info:
        Store(path, read_only=True)
    message = str(info.value)
    assert (
        str(path) in message and "version 0" in message and f"version {SCHEMA_VERSION}" in message
    )
    assert "oreshock runs list" in message
    assert _snapshot(tmp_path) == before, "a read-only open must not upgrade"
    with Store(path) as store:
        assert store.schema_version_found == 0
        assert store.list_runs()["run_id"].tolist() == ["old000000001"]
    assert _version(path) == str(SCHEMA_VERSION)
    assert _tables(path) == set(TABLES)


def test_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    with Store(path):
        pass
    newer = SCHEMA_VERSION + 1
    _make(path, f"UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'")
    before = _snapshot(tmp_path)
    for read_only in (False, True):
        with pytest.raises(OreshockError) as info:
            Store(path, read_only=read_only)
        message = str(info.value)
        assert str(path) in message
        assert f"version {newer}" in message and f"version {SCHEMA_VERSION}" in message
        assert "upgrade oreshock" in message
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("CREATE TABLE measurements (id INTEGER, value DOUBLE)", "measurements"),
        (
            "CREATE TABLE meta (key VARCHAR, value VARCHAR); "
            "INSERT INTO meta VALUES ('schema_version', 'one')",
            "'one'",
        ),
    ],
)
def test_other_databases_are_refused(tmp_path, sql, found):
    path = _make(tmp_path / "other.duckdb", sql)
    before = _snapshot(tmp_path)
    with pytest.raises(OreshockError, match="is not an oreshock results store") as info:
        Store(path)
    assert str(path) in str(info.value) and found in str(info.value)
    assert f"version {SCHEMA_VERSION}" in str(info.value)
    assert _snapshot(tmp_path, lock=False) == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n" * 100, "utf-8")
    for read_only in (False, True):
        with pytest.raises(OreshockError, match="cannot open the results database") as info:
            Store(path, read_only=read_only)
        assert str(path) in str(info.value)
    assert path.read_text("utf-8") == "not a database\n" * 100


def test_current_version_file_without_ensemble_tables_gets_them(tmp_path):
    """Before the schema lived in one place, the ensemble tables came with the first ensemble."""
    path = _make(
        tmp_path / "current.duckdb",
        UNVERSIONED_DDL
        + "ALTER TABLE runs ADD COLUMN coverage_json VARCHAR;"
        + "ALTER TABLE runs ADD COLUMN label VARCHAR;"
        + f"INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');",
    )
    with Store(path, read_only=True) as store:
        assert store.list_runs()["run_id"].tolist() == ["old000000001"]
    assert "ensembles" not in _tables(path)
    with Store(path):
        pass
    assert _tables(path) == set(TABLES)


# The tables exactly as schema version 1 defined them (before runs recorded their coverage).
V1_DDL = (
    UNVERSIONED_DDL
    + """
CREATE TABLE IF NOT EXISTS ensembles (
    ensemble_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario VARCHAR, variant VARCHAR,
    runs BIGINT, seed BIGINT, method VARCHAR, target VARCHAR, batch_size INTEGER,
    batches INTEGER, batches_done INTEGER, status VARCHAR, seconds DOUBLE, folder VARCHAR,
    parameters_json VARCHAR, outcomes_json VARCHAR, dataset_hash VARCHAR, code_version VARCHAR
);
CREATE TABLE IF NOT EXISTS ensemble_batches (
    ensemble_id VARCHAR, batch INTEGER, first_run BIGINT, rows INTEGER, file VARCHAR,
    seconds DOUBLE, PRIMARY KEY (ensemble_id, batch)
);
INSERT INTO meta VALUES ('schema_version', '1');
"""
)


def test_version_1_file_is_migrated_keeping_its_runs(controlled, tmp_path):
    """Version 2 stores each run's coverage and version 3 its content hash; runs stored
    before keep every row, with no coverage claimed for them (never checked is not the same
    as fully covered) and no hash (never hashed is not the same as intact)."""
    path = _make(tmp_path / "v1.duckdb", V1_DDL)
    con = duckdb.connect(str(path))
    old_rows = con.execute("SELECT * FROM runs").fetchall()
    con.close()
    before = _snapshot(tmp_path)
    with pytest.raises(OreshockError, match=f"version 1, older than version {SCHEMA_VERSION}"):
        Store(path, read_only=True)
    assert _snapshot(tmp_path) == before, "a read-only open must not upgrade"
    with Store(path) as store:
        assert store.schema_version_found == 1
        assert store.list_runs()["run_id"].tolist() == ["old000000001"]
        old = store.run("old000000001")
        assert old["coverage"] is None and old["summary"] == []
        new_id = store.save_run(controlled)
        assert store.run(new_id)["coverage"] == controlled.coverage.records()
    assert _version(path) == str(SCHEMA_VERSION)
    assert _tables(path) == set(TABLES)
    con = duckdb.connect(str(path), read_only=True)
    try:
        kept = con.execute(
            "SELECT * EXCLUDE (coverage_json, content_hash, label) FROM runs "
            "WHERE run_id = 'old000000001'"
        ).fetchall()
    finally:
        con.close()
    assert kept == old_rows


def _add_note(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE runs ADD COLUMN note VARCHAR DEFAULT 'none'")


def _half_done(con: duckdb.DuckDBPyConnection) -> None:
    _add_note(con)
    con.execute("UPDATE runs SET note = 'x'")
    raise RuntimeError("disk on fire")


def test_migrations_run_in_order_and_each_is_all_or_nothing(controlled, tmp_path):
    """A synthetic next version (runs gain a note column) exercises the mechanism itself."""
    path = tmp_path / "r.duckdb"
    with Store(path) as store:
        run_id = store.save_run(controlled)
    now, nxt = SCHEMA_VERSION, SCHEMA_VERSION + 1
    con = duckdb.connect(str(path))
    try:
        with pytest.raises(OreshockError, match=rf"version {now} to {nxt}.*disk on fire") as info:
            open_schema(con, path, read_only=False, version=nxt, migrations={now: _half_done})
        assert str(path) in str(info.value)
        assert found_version(con, path) == now
        assert "note" not in con.execute("SELECT * FROM runs").df().columns
        with pytest.raises(OreshockError, match=f"no upgrade from version {nxt} to {nxt + 1}"):
            open_schema(con, path, read_only=False, version=nxt + 1, migrations={now: _add_note})
        assert found_version(con, path) == now
        assert (
            open_schema(con, path, read_only=False, version=nxt, migrations={now: _add_note}) == now
        )
        assert found_version(con, path) == nxt
        rows = con.execute("SELECT run_id, note FROM runs").fetchall()
        assert rows == [(run_id, "none")]
    finally:
        con.close()


def test_table_definitions_live_only_in_the_schema_module():
    src = Path(__file__).resolve().parents[1] / "src" / "oreshock"
    holders = sorted(
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "CREATE TABLE" in p.read_text("utf-8").upper()
    )
    assert holders == ["store/schema.py"]
    assert not hasattr(runner, "DDL")


def test_the_runs_of_one_command_are_saved_all_or_none(controlled, tmp_path):
    """The variants of one `oreshock run` are one result: when the last cannot be written
    (here: an id that exists already), none of them is stored."""
    path = tmp_path / "runs.duckdb"
    with Store(path) as store:
        taken = store.save_run(controlled)
        batch = [run_rows(controlled), run_rows(controlled, run_id=taken)]
        with pytest.raises(duckdb.Error):
            store.save_many(batch)
        assert store.list_runs()["run_id"].tolist() == [taken]
        assert store.save_many(batch[:1]) == [batch[0].run_id]
