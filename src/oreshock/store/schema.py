"""Every table of the results store, its schema version, and how an older file is upgraded.

This module is the one place that knows the layout of a results database: the store and the
ensemble index both write to the tables defined here, and nothing else issues DDL.

On open (``open_schema``):

1. A new file (no tables, or an empty meta table) gets the current schema and
   ``meta.schema_version``, in one transaction.
2. A file whose ``meta.schema_version`` is older is upgraded by the registered migrations,
   version N to N + 1, each in one transaction that also records the new version; a failing
   step rolls back and leaves the file at version N.
3. A file at the current version gets any table it lacks (stores written before the ensemble
   tables were defined here only have them once an ensemble ran).
4. A newer version than this code knows, or a database that is not an oreshock store, is
   refused with an error naming the file, the version found and the version expected.

A read-only open never writes: it refuses an empty file, and an older one with
``OlderStoreError``, saying how to upgrade it (the commands that only read open the store
through ``store.open_read``, which upgrades such a file once before it reads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb

from oreshock.core.errors import OreshockError

SCHEMA_VERSION = 7
"""Version of the layout below; raise it together with a migration from the previous one."""

TABLES: dict[str, str] = {
    "meta": "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "runs": """CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    created TIMESTAMP,
    scenario VARCHAR,
    variant VARCHAR,
    scenario_json VARCHAR,
    dataset_name VARCHAR,
    dataset_version VARCHAR,
    dataset_hash VARCHAR,
    code_version VARCHAR,
    seed BIGINT,
    months INTEGER,
    start_month VARCHAR,
    summary_json VARCHAR,
    coverage_json VARCHAR,
    content_hash VARCHAR,
    label VARCHAR
)""",
    "timeseries": """CREATE TABLE IF NOT EXISTS timeseries (
    run_id VARCHAR, month DATE, country VARCHAR, mineral VARCHAR, stage VARCHAR,
    variable VARCHAR, value DOUBLE
)""",
    "flows": """CREATE TABLE IF NOT EXISTS flows (
    run_id VARCHAR, month DATE, mineral VARCHAR, stage VARCHAR, exporter VARCHAR,
    importer VARCHAR, origin VARCHAR, value DOUBLE
)""",
    "sectors": """CREATE TABLE IF NOT EXISTS sectors (
    run_id VARCHAR, country VARCHAR, mineral VARCHAR, stage VARCHAR, sector VARCHAR,
    name_en VARCHAR, name_ja VARCHAR, share_of_stage_use DOUBLE,
    months_to_shortfall INTEGER, peak_shortfall_pct DOUBLE, cumulative_shortfall_pct DOUBLE
)""",
    "sector_series": """CREATE TABLE IF NOT EXISTS sector_series (
    run_id VARCHAR, month DATE, country VARCHAR, mineral VARCHAR, stage VARCHAR,
    sector VARCHAR, wanted DOUBLE, short DOUBLE
)""",
    "imports": """CREATE TABLE IF NOT EXISTS imports (
    import_id VARCHAR PRIMARY KEY, created TIMESTAMP, kind VARCHAR, file VARCHAR,
    sha256 VARCHAR, tables VARCHAR, rows INTEGER
)""",
    "imported_rows": """CREATE TABLE IF NOT EXISTS imported_rows (
    import_id VARCHAR, "table" VARCHAR, row_json VARCHAR
)""",
    "ensembles": """CREATE TABLE IF NOT EXISTS ensembles (
    ensemble_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario VARCHAR, variant VARCHAR,
    runs BIGINT, seed BIGINT, method VARCHAR, target VARCHAR, batch_size INTEGER,
    batches INTEGER, batches_done INTEGER, status VARCHAR, seconds DOUBLE, folder VARCHAR,
    parameters_json VARCHAR, outcomes_json VARCHAR, dataset_hash VARCHAR, code_version VARCHAR,
    owner_pid BIGINT, owner_host VARCHAR, heartbeat TIMESTAMP
)""",
    "ensemble_batches": """CREATE TABLE IF NOT EXISTS ensemble_batches (
    ensemble_id VARCHAR, batch INTEGER, first_run BIGINT, rows INTEGER, file VARCHAR,
    seconds DOUBLE, sha256 VARCHAR, PRIMARY KEY (ensemble_id, batch)
)""",
    "jobs": """CREATE TABLE IF NOT EXISTS jobs (
    job_id VARCHAR PRIMARY KEY, created TIMESTAMP, updated TIMESTAMP, scenario VARCHAR,
    variant VARCHAR, request_json VARCHAR, seed BIGINT, status VARCHAR, progress DOUBLE,
    run_id VARCHAR, error VARCHAR, owner_pid BIGINT, kind VARCHAR, plan_id VARCHAR,
    ensemble_id VARCHAR
)""",
    "plans": """CREATE TABLE IF NOT EXISTS plans (
    plan_id VARCHAR PRIMARY KEY, created TIMESTAMP, scenario VARCHAR, variant VARCHAR,
    coalition VARCHAR, seed BIGINT, cap DOUBLE, risk VARCHAR, scenarios INTEGER,
    total_cost_usd DOUBLE, scenario_json VARCHAR, dataset_name VARCHAR, dataset_version VARCHAR,
    dataset_hash VARCHAR, code_version VARCHAR, record_json VARCHAR, content_hash VARCHAR
)""",
    "impacts": """CREATE TABLE IF NOT EXISTS impacts (
    run_id VARCHAR, table_name VARCHAR, created TIMESTAMP, code_version VARCHAR,
    record_json VARCHAR, content_hash VARCHAR, PRIMARY KEY (run_id, table_name)
)""",
    "impact_series": """CREATE TABLE IF NOT EXISTS impact_series (
    run_id VARCHAR, table_name VARCHAR, month DATE, country VARCHAR, sector VARCHAR,
    method VARCHAR, output_loss_usd DOUBLE, value_added_loss_usd DOUBLE
)""",
}
"""Table name -> its CREATE statement, at ``SCHEMA_VERSION``."""


class OlderStoreError(OreshockError):
    """A file an older oreshock wrote, opened read-only: it must be upgraded (opened for
    writing once) before this code reads it."""


Migration = Callable[[duckdb.DuckDBPyConnection], None]
"""Upgrades an open database by one version; runs inside the transaction the caller holds."""

MIGRATIONS: dict[int, Migration] = {}
"""Version N -> the function that upgrades a version-N file to N + 1."""

UNVERSIONED = 0
"""The version of a file that has oreshock's run tables but no ``meta.schema_version``."""


def migration(from_version: int) -> Callable[[Migration], Migration]:
    """Register ``func`` as the upgrade from ``from_version`` to ``from_version + 1``."""

    def register(func: Migration) -> Migration:
        if from_version in MIGRATIONS:
            raise ValueError(f"a migration from schema version {from_version} already exists")
        MIGRATIONS[from_version] = func
        return func

    return register


@migration(UNVERSIONED)
def _record_version(con: duckdb.DuckDBPyConnection) -> None:
    """Version 0 -> 1: a store with the run tables but no ``meta.schema_version``.

    The store before version 1 was checked created its tables and recorded the version in
    separate statements outside a transaction, so an interruption between them left such a
    file; it also lacks the ensemble tables unless an ensemble ran. Version 1 adds every
    missing table; the caller records the version.
    """
    for ddl in TABLES.values():
        con.execute(ddl)


@migration(1)
def _add_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """Version 1 -> 2: runs record their coverage (``model.coverage``) in ``coverage_json``.

    Runs stored before have NULL there: their coverage was never checked, which is not the
    same as a run whose data covered every shock (an empty list).
    """
    if "coverage_json" not in _columns(con, "runs"):
        con.execute("ALTER TABLE runs ADD COLUMN coverage_json VARCHAR")


@migration(2)
def _add_integrity_and_jobs(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2 -> 3: content hashes, ensemble owners and the service's jobs.

    - ``runs.content_hash``: sha256 of a run's stored time series, flows and sectors, written
      in the transaction that stores them, so a damaged or edited run is found on read and
      ``runs rerun`` compares whole results. Runs stored before have NULL (never hashed).
    - ``ensembles.owner_pid``, ``owner_host``, ``heartbeat``: which process runs an ensemble
      and when it last reported, so a killed one is shown ``interrupted``, not ``running``.
    - ``ensemble_batches.sha256``: the checksum of each batch file, checked before it counts.
    - ``jobs``: runs queued through the HTTP service, so a restart loses none of them.
    """
    columns = {
        "runs": [("content_hash", "VARCHAR")],
        "ensembles": [
            ("owner_pid", "BIGINT"),
            ("owner_host", "VARCHAR"),
            ("heartbeat", "TIMESTAMP"),
        ],
        "ensemble_batches": [("sha256", "VARCHAR")],
    }
    tables = table_names(con)
    for table, added in columns.items():
        if table not in tables:
            con.execute(TABLES[table])
            continue
        have = _columns(con, table)
        for name, kind in added:
            if name not in have:
                con.execute(f'ALTER TABLE "{table}" ADD COLUMN {name} {kind}')
    con.execute(TABLES["jobs"])


@migration(3)
def _add_plans(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3 -> 4: plans (``oreshock plan``, ``POST /api/plans``) and the jobs that make them.

    - ``plans``: one row per plan, with its provenance, the figures ``plans list`` shows, its
      record as JSON (its items, stockpiles and plants, included: the planner adds fields to
      them, which a table of fixed columns would drop) and a content hash (``store.plans``).
    - ``jobs.kind`` (``run`` or ``plan``) and ``jobs.plan_id``: a job of the service makes a
      run or a plan. Jobs stored before have NULL there and are runs.
    """
    con.execute(TABLES["plans"])
    if "jobs" not in table_names(con):
        con.execute(TABLES["jobs"])
        return
    have = _columns(con, "jobs")
    for name in ("kind", "plan_id"):
        if name not in have:
            con.execute(f"ALTER TABLE jobs ADD COLUMN {name} VARCHAR")


@migration(4)
def _add_impacts(con: duckdb.DuckDBPyConnection) -> None:
    """Version 4 -> 5: the impact of a run on output and GDP (``oreshock impact``,
    ``run --impact``): one row per run and input-output table in ``impacts`` (its record as
    JSON with a content hash, ``store.impacts``) and its monthly losses by country, industry
    and measure in ``impact_series``."""
    con.execute(TABLES["impacts"])
    con.execute(TABLES["impact_series"])


@migration(5)
def _add_labels_and_ensemble_jobs(con: duckdb.DuckDBPyConnection) -> None:
    """Version 5 -> 6: a run's label and the service's ensemble jobs.

    - ``runs.label``: an optional text a person gives a run (``oreshock run --label``,
      ``"label"`` of ``POST /api/runs``) to find it again in lists; runs stored before have
      NULL (no label).
    - ``jobs.ensemble_id``: a job of the service may run an ensemble (``POST /api/ensembles``,
      kind ``ensemble``) and names it there when done.
    """
    for table, name in (("runs", "label"), ("jobs", "ensemble_id")):
        if table not in table_names(con):
            con.execute(TABLES[table])
        elif name not in _columns(con, table):
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} VARCHAR")


@migration(6)
def _add_sector_series(con: duckdb.DuckDBPyConnection) -> None:
    """Version 6 -> 7: ``sector_series``, each end-use sector's monthly tonnes wanted and
    short, so pages and reports draw shortfall by end use over time. Runs stored before
    have none (their pages say so); their content hashes are unchanged, since the hash
    counts this table only for runs that hold rows in it (``store.integrity``)."""
    con.execute(TABLES["sector_series"])


def create_schema(con: duckdb.DuckDBPyConnection, version: int = SCHEMA_VERSION) -> None:
    """Create every table and record ``version``; the caller holds the transaction."""
    for ddl in TABLES.values():
        con.execute(ddl)
    _set_version(con, version)


def _set_version(con: duckdb.DuckDBPyConnection, version: int) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main'"
    ).fetchall()
    return {name for (name,) in rows}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?",
        [table],
    ).fetchall()
    return {name for (name,) in rows}


def _not_a_store(path: Path, why: str) -> OreshockError:
    return OreshockError(
        f"{path} is not an oreshock results store ({why}); expected schema version "
        f"{SCHEMA_VERSION}. Choose another file with --db or ORESHOCK_DB."
    )


def found_version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The schema version of an open database; None when it holds nothing of a store yet.

    Raises when the database holds tables but is not an oreshock store.
    """
    tables = table_names(con)
    row = None
    if "meta" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None:
        try:
            return int(row[0])
        except (TypeError, ValueError):
            raise _not_a_store(path, f"its schema_version is {row[0]!r}, not a number") from None
    if "runs" in tables and {"run_id", "scenario_json"} <= _columns(con, "runs"):
        return UNVERSIONED
    if tables <= {"meta"} and not _has_rows(con, tables):
        return None
    names = ", ".join(sorted(tables))
    raise _not_a_store(path, f"it has tables {names} but no schema_version in a meta table")


def _has_rows(con: duckdb.DuckDBPyConnection, tables: set[str]) -> bool:
    return any(con.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)


def open_schema(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    read_only: bool,
    version: int = SCHEMA_VERSION,
    migrations: Mapping[int, Migration] = MIGRATIONS,
) -> int:
    """Bring an open database to ``version`` (or refuse it); returns the version it had.

    ``version`` and ``migrations`` default to this code's; tests pass others to exercise the
    mechanism on a synthetic future version.
    """
    found = found_version(con, path)
    if found is None:
        if read_only:
            raise OreshockError(
                f"{path} has no oreshock tables yet (no schema version found, version "
                f"{version} expected); run a scenario first (`oreshock run`) to create them"
            )
        _in_transaction(con, path, lambda: create_schema(con, version), "creating the schema")
        return version
    if found > version:
        raise OreshockError(
            f"{path} has results store schema version {found}, newer than version {version} "
            "that this oreshock reads; upgrade oreshock to open it, or choose another file "
            "with --db or ORESHOCK_DB"
        )
    if found < version:
        if read_only:
            raise OlderStoreError(
                f"{path} has results store schema version {found}, older than version "
                f"{version} that this oreshock reads, and was opened read-only; open it once "
                f"for writing to upgrade it, e.g. `oreshock runs list --db {path}`"
            )
        gaps = [step for step in range(found, version) if step not in migrations]
        if gaps:
            raise OreshockError(
                f"{path} has results store schema version {found}, older than version "
                f"{version} that this oreshock reads, and there is no upgrade from version "
                f"{gaps[0]} to {gaps[0] + 1}; open it with the oreshock that wrote it and "
                "export its runs (`oreshock runs export`)"
            )
        for step in range(found, version):
            upgrade = migrations[step]

            def apply(upgrade: Migration = upgrade, target: int = step + 1) -> None:
                upgrade(con)
                _set_version(con, target)

            _in_transaction(
                con,
                path,
                apply,
                f"upgrading it from schema version {step} to {step + 1} (left at {step})",
            )
        return found
    if not read_only:
        missing = [ddl for name, ddl in TABLES.items() if name not in table_names(con)]
        if missing:

            def add() -> None:
                for ddl in missing:
                    con.execute(ddl)

            _in_transaction(con, path, add, "adding the tables it lacks")
    return found


def _in_transaction(
    con: duckdb.DuckDBPyConnection, path: Path, work: Callable[[], object], what: str
) -> None:
    """Run ``work`` all or nothing; a database error becomes one naming the file and step."""
    con.execute("BEGIN TRANSACTION")
    try:
        work()
    except Exception as exc:
        con.execute("ROLLBACK")
        raise OreshockError(f"{path}: {what} failed: {exc}") from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
