"""The results store: runs saved atomically in an embedded DuckDB database.

Every run records its scenario (as resolved JSON), dataset name, version and content hash,
code version and seed, so it can be reproduced. A run's rows are written in one transaction:
a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.options import OPTIONS, get_option
from oreshock.core.serialize import records
from oreshock.core.version import __version__
from oreshock.model.results import RunResult
from oreshock.store.schema import SCHEMA_VERSION, open_schema

DB_ENV = OPTIONS["db_path"].env


def default_path() -> Path:
    """Database file: the ``db_path`` option ($ORESHOCK_DB, else ~/.oreshock/oreshock.duckdb)."""
    path: Path = get_option("db_path")
    return path


class Store:
    """A DuckDB database of runs, their time series, flows and sector outcomes."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        """Open (or create) the database and check its schema version; see ``store.schema``.

        ``read_only`` never writes: a missing, empty or older file is refused with a message
        saying what to do, instead of being created or upgraded.
        """
        self.path = Path(path) if path is not None else default_path()
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise OreshockError(
                f"no results database at {self.path}; run a scenario first (`oreshock run`) "
                "or choose another file with --db or ORESHOCK_DB"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise OreshockError(
                f"cannot open the results database {self.path} (an oreshock store of schema "
                f"version {SCHEMA_VERSION} expected): {exc}"
            ) from exc
        try:
            self.schema_version_found = open_schema(self.con, self.path, read_only=read_only)
        except BaseException:
            self.con.close()
            raise

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: roll back every write if anything fails."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def _insert(self, table: str, df: pd.DataFrame) -> None:
        if df.empty:
            return
        self.con.register("_rows", df)
        cols = ", ".join(f'"{c}"' for c in df.columns)
        self.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _rows')
        self.con.unregister("_rows")

    def save_run(self, result: RunResult, *, sector_countries: list[str] | None = None) -> str:
        """Store a RunResult atomically, with its coverage, and return its id."""
        run_id = uuid.uuid4().hex[:12]
        scenario = result.scenario
        summary = result.summary()
        ts = result.timeseries()
        ts.insert(0, "run_id", run_id)
        flows = result.flows()
        flows.insert(0, "run_id", run_id)
        countries = sector_countries or sorted(
            {c for r in result.runs.values() for c in r.chain.countries}
        )
        sectors = (
            pd.concat([result.sectors(c) for c in countries], ignore_index=True)
            if countries
            else pd.DataFrame()
        )
        with self.transaction():
            self.con.execute(
                "INSERT INTO runs (run_id, created, scenario, variant, scenario_json, "
                "dataset_name, dataset_version, dataset_hash, code_version, seed, months, "
                "start_month, summary_json, coverage_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    scenario.name,
                    scenario.variant,
                    scenario.model_dump_json(),
                    result.network.dataset_name,
                    result.network.dataset_version,
                    result.network.dataset_hash,
                    __version__,
                    int(result.seed),
                    scenario.months,
                    scenario.start,
                    json.dumps(records(summary)),
                    json.dumps(result.coverage.records(), ensure_ascii=False),
                ],
            )
            self._insert("timeseries", ts)
            self._insert("flows", flows)
            if not sectors.empty:
                sectors.insert(0, "run_id", run_id)
                self._insert("sectors", sectors)
        return run_id

    def list_runs(self) -> pd.DataFrame:
        return self.con.execute(
            "SELECT run_id, created, scenario, variant, months, seed, dataset_version, code_version "
            "FROM runs ORDER BY created"
        ).df()

    def run(self, run_id: str) -> dict[str, Any]:
        """A run's record, with its scenario and summary parsed."""
        rows = self.con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df()
        if rows.empty:
            raise UnknownIdError(f"no run {run_id!r} in {self.path}; see `oreshock runs list`")
        record = {str(k): v for k, v in rows.iloc[0].items()}
        record["scenario_json"] = json.loads(record["scenario_json"])
        record["summary"] = json.loads(record.pop("summary_json"))
        coverage = record.pop("coverage_json", None)
        # None: stored before coverage was recorded (schema version 1), so never checked.
        record["coverage"] = json.loads(coverage) if isinstance(coverage, str) else None
        record["created"] = str(record["created"])
        return record

    def timeseries(self, run_id: str) -> pd.DataFrame:
        self.run(run_id)
        return self.con.execute(
            "SELECT month, country, mineral, stage, variable, value FROM timeseries "
            "WHERE run_id = ? ORDER BY mineral, stage, country, variable, month",
            [run_id],
        ).df()

    def flows(self, run_id: str) -> pd.DataFrame:
        self.run(run_id)
        return self.con.execute(
            "SELECT month, mineral, stage, exporter, importer, origin, value FROM flows "
            "WHERE run_id = ? ORDER BY month, mineral, stage, exporter, importer, origin",
            [run_id],
        ).df()

    def sectors(self, run_id: str) -> pd.DataFrame:
        self.run(run_id)
        return self.con.execute(
            "SELECT * EXCLUDE (run_id) FROM sectors WHERE run_id = ?", [run_id]
        ).df()

    def delete_run(self, run_id: str) -> None:
        self.run(run_id)
        with self.transaction():
            for table in ("timeseries", "flows", "sectors", "runs"):
                self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])

    def export_run(self, run_id: str, out: str | Path, *, csv: bool = True) -> list[Path]:
        """Write timeseries and flows as Parquet (and CSV) into ``out``; returns the files."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, df in (("timeseries", self.timeseries(run_id)), ("flows", self.flows(run_id))):
            target = folder / f"{name}.parquet"
            tmp = target.with_suffix(".parquet.tmp")
            df.to_parquet(tmp, index=False)
            tmp.replace(target)
            written.append(target)
            if csv:
                target_csv = folder / f"{name}.csv"
                df.to_csv(target_csv, index=False)
                written.append(target_csv)
        return written

    def save_import(
        self, kind: str, file: str, sha256: str, tables: dict[str, pd.DataFrame]
    ) -> str:
        """Record the rows read from a published file, all or nothing."""
        import_id = uuid.uuid4().hex[:12]
        frames = [
            pd.DataFrame(
                {
                    "import_id": import_id,
                    "table": name,
                    "row_json": df.to_json(orient="records", lines=True).splitlines(),
                }
            )
            for name, df in tables.items()
            if not df.empty
        ]
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        with self.transaction():
            self.con.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    import_id,
                    dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    kind,
                    file,
                    sha256,
                    ",".join(n for n, df in tables.items() if not df.empty),
                    len(rows),
                ],
            )
            self._insert("imported_rows", rows)
        return import_id

    def list_imports(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM imports ORDER BY created").df()
