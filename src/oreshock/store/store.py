"""The results store: runs saved atomically in an embedded DuckDB database.

Every run records its scenario (as resolved JSON), dataset name, version and content hash,
code version and seed, so it can be reproduced. A run's rows are written in one transaction
that also records their content hash (``store.integrity``), read back and checked after the
commit: a failure leaves nothing half-written, and a run that does not read back as written
is removed and reported.

Several processes share one database by taking turns (``store.locking``): a ``Store`` holds
the database's lock from ``__init__`` to ``close``, so keep ``with Store(...)`` blocks short
and open ``read_only=True`` to read. A damaged file is found on open and never written into.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
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
from oreshock.store import integrity
from oreshock.store.integrity import DamagedRunError, DamagedStoreError, first_line
from oreshock.store.locking import (
    StoreBusyError,
    StoreLock,
    is_foreign_lock,
    retry_until,
    thread_guard,
)
from oreshock.store.schema import SCHEMA_VERSION, OlderStoreError, create_schema, open_schema

DB_ENV = OPTIONS["db_path"].env

RECORD_COLUMNS = (
    "run_id",
    "created",
    "scenario",
    "variant",
    "scenario_json",
    "dataset_name",
    "dataset_version",
    "dataset_hash",
    "code_version",
    "seed",
    "months",
    "start_month",
    "summary_json",
    "coverage_json",
    "label",
)
"""The columns of a run's row in ``runs`` that describe it (``content_hash`` is the store's).
A record kept before runs had labels (a recovery folder) has no ``label``: it is stored NULL."""
LABEL_MAX = 200
"""Most characters in a run's label."""

DAMAGE_ERRORS = (
    duckdb.IOException,
    duckdb.SerializationException,
    duckdb.InternalException,
    duckdb.FatalException,
)
"""What DuckDB raises when a query reaches a block that is missing or not what it wrote."""

PROBE_WAIT = 0.5
"""Seconds ``check_target`` waits for the lock: a busy database is fine, the save waits."""


def default_path() -> Path:
    """Database file: the ``db_path`` option ($ORESHOCK_DB, else ~/.oreshock/oreshock.duckdb)."""
    path: Path = get_option("db_path")
    return path


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class RunRows:
    """A run as the store writes it: its row in ``runs`` and its rows of the three tables.

    The same rows go into a database (``Store.save_rows``) or, when that fails, into a
    recovery folder (``store.recovery``), from which they are saved later unchanged.
    """

    record: dict[str, Any]
    timeseries: pd.DataFrame
    flows: pd.DataFrame
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)
    sector_series: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def run_id(self) -> str:
        return str(self.record["run_id"])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "timeseries": self.timeseries,
            "flows": self.flows,
            "sectors": self.sectors,
            "sector_series": self.sector_series,
        }


def check_label(label: str | None) -> str | None:
    """A run's label as stored: stripped, None when empty; refused when too long or when it
    holds a control character (it is printed in tables and pages)."""
    if label is None or not label.strip():
        return None
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise OreshockError(f"label: {len(label)} characters; expected at most {LABEL_MAX}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        raise OreshockError("label: holds a control character (a tab or line break); expected "
                            "one line of text")  # fmt: skip
    return label


def run_rows(
    result: RunResult,
    *,
    sector_countries: list[str] | None = None,
    run_id: str | None = None,
    label: str | None = None,
) -> RunRows:
    """The rows that store ``result``: its provenance, label, time series, flows, and its
    end-use sectors (summaries, and tonnes wanted and short by month)."""
    scenario = result.scenario
    countries = sector_countries or sorted(
        {c for r in result.runs.values() for c in r.chain.countries}
    )
    sectors = _joined([result.sectors(c) for c in countries])
    sector_series = _joined([result.sector_series(c) for c in countries])
    record = {
        "run_id": run_id or new_run_id(),
        "created": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "scenario": scenario.name,
        "variant": scenario.variant,
        "scenario_json": scenario.model_dump_json(),
        "dataset_name": result.network.dataset_name,
        "dataset_version": result.network.dataset_version,
        "dataset_hash": result.network.dataset_hash,
        "code_version": __version__,
        "seed": int(result.seed),
        "months": scenario.months,
        "start_month": scenario.start,
        "summary_json": json.dumps(records(result.summary())),
        "coverage_json": json.dumps(result.coverage.records(), ensure_ascii=False),
        "label": check_label(label),
    }
    return RunRows(record, result.timeseries(), result.flows(), sectors, sector_series)


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def check_target(path: str | Path | None = None) -> Path:
    """Refuse now a database a save would refuse later: a folder, a folder that cannot be
    written, a file that is not a store, a damaged store. Returns the path.

    Commands that compute before they save call this first, so a bad ``--db`` costs no
    computing. A database busy with another process passes: the save waits its turn.
    """
    target = Path(path) if path is not None else default_path()
    if target.is_dir():
        raise OreshockError(
            f"--db {target} is a folder; give a database file, e.g. {target / 'oreshock.duckdb'}"
        )
    try:
        with Store(target, wait=min(PROBE_WAIT, get_option("store_wait"))):
            pass
    except StoreBusyError:
        pass
    return target


def open_read(path: str | Path | None = None, *, wait: float | None = None) -> Store:
    """``Store(path, read_only=True)``, after upgrading a file that an older oreshock wrote.

    A read-only open never writes, so every command that only reads would refuse such a
    file until something wrote to it; those commands open the store here, which upgrades it
    once (a write open, each migration all or nothing: ``store.schema``) and opens it again
    read-only. A file that cannot be upgraded is refused with both reasons.
    """
    try:
        return Store(path, read_only=True, wait=wait)
    except OlderStoreError as older:
        try:
            Store(path, wait=wait).close()
        except OreshockError as exc:
            raise OreshockError(f"{older}; upgrading it failed: {exc}") from None
    return Store(path, read_only=True, wait=wait)


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    if df.empty:
        return
    con.register("_rows", df)
    cols = ", ".join(f'"{c}"' for c in df.columns)
    con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _rows')
    con.unregister("_rows")


def _write_rows(con: duckdb.DuckDBPyConnection, rows: RunRows) -> str:
    """Insert a run's tables, hash them as stored, then insert its row with the hash.

    The caller holds the transaction; the run's row comes last, so a run is listed only
    together with its hash and its rows.
    """
    for table, df in rows.tables().items():
        if not df.empty:
            keyed = df.copy(deep=False)
            keyed.insert(0, "run_id", rows.run_id)
            _insert(con, table, keyed)
    digest = integrity.content_hash(con, rows.run_id)
    names = [*RECORD_COLUMNS, "content_hash"]
    con.execute(
        f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [rows.record.get(c) for c in RECORD_COLUMNS] + [digest],
    )
    return digest


def expected_hash(rows: RunRows) -> str:
    """The content hash ``rows`` get when stored: written into a database in memory.

    A recovery folder records it, so a run restored from the folder later is checked
    against what was computed, not only against what the folder holds.
    """
    con = duckdb.connect()
    try:
        create_schema(con)
        return _write_rows(con, rows)
    finally:
        con.close()


def parse_since(text: str | None, name: str = "--since") -> dt.date | None:
    """A list filter's date, YYYY-MM-DD; refused naming the option and the form expected."""
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise OreshockError(
            f"{name} {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-01-31"
        ) from None


def run_filters(
    scenario: str | None, label: str | None, since: dt.datetime | dt.date | None
) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of ``Store.list_runs``'s filters."""
    where: list[str] = []
    args: list[Any] = []
    if scenario:
        where.append("scenario = ?")
        args.append(scenario)
    if label:
        where.append("contains(lower(coalesce(label, '')), ?)")
        args.append(label.lower())
    if since is not None:
        start = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
        where.append("created >= ?")
        args.append(start.replace(tzinfo=None))
    return ("WHERE " + " AND ".join(where)) if where else "", args


class Store:
    """A DuckDB database of runs, their time series, flows and sector outcomes."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        wait: float | None = None,
    ) -> None:
        """Open (or create) the database and check its schema version; see ``store.schema``.

        ``read_only`` never writes: a missing, empty or older file is refused with a message
        saying what to do, instead of being created or upgraded. The database's lock
        (``store.locking``) is taken first, waiting at most ``wait`` seconds (default: the
        ``store_wait`` option). A damaged file (``integrity.check_file``) is refused for
        writing; read-only, it opens with its problems in ``damage``, so the runs that can
        still be read can be listed and exported.
        """
        self.path = Path(path) if path is not None else default_path()
        self.read_only = read_only
        self._closed = False
        if read_only and not self.path.exists():
            raise OreshockError(
                f"no results database at {self.path}; run a scenario first (`oreshock run`) "
                "or choose another file with --db or ORESHOCK_DB"
            )
        if not read_only:
            self._make_folder()
        self.lock = self._take_lock(wait)
        try:
            self.con = self._connect()
        except BaseException:
            self.lock.release()
            raise
        try:
            self.damage = integrity.check_file(self.con, self.path)
            if self.damage and not read_only:
                raise DamagedStoreError(self.path, self.damage)
            with thread_guard(self.path):
                self.schema_version_found = open_schema(self.con, self.path, read_only=read_only)
        except BaseException:
            self.close()
            raise

    def _make_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OreshockError(
                f"cannot create the folder {self.path.parent} for the results database "
                f"{self.path}: {exc.strerror or exc}; choose another file with --db or "
                "ORESHOCK_DB"
            ) from None

    def _take_lock(self, wait: float | None) -> StoreLock:
        try:
            return StoreLock(self.path, shared=self.read_only, wait=wait)
        except OSError as exc:
            if self.read_only:
                raise OreshockError(
                    f"cannot read the results database {self.path}: {exc.strerror or exc}"
                ) from None
            raise OreshockError(
                f"cannot write in {self.path.parent} (the folder of the results database "
                f"{self.path}): {exc.strerror or exc}; a database that takes runs needs a "
                "writable folder; choose another file with --db or ORESHOCK_DB"
            ) from None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Connect, retrying within the lock's wait while a process that does not take our
        lock (an older oreshock, the duckdb shell) holds the file."""

        def attempt() -> duckdb.DuckDBPyConnection | None:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as exc:
                if is_foreign_lock(exc):
                    return None
                raise OreshockError(
                    f"cannot open the results database {self.path} (an oreshock store of "
                    f"schema version {SCHEMA_VERSION} expected): {first_line(exc)}"
                ) from None

        con = retry_until(self.lock.deadline, attempt)
        if con is None:
            raise StoreBusyError(self.path, self.lock.wait)
        return con

    def close(self) -> None:
        """Close the connection, then give the lock back (in that order, so the next
        process finds the file free)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.con.close()
        finally:
            self.lock.release()

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
            # a failed commit or a fatal error may have ended the transaction already
            with suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        """A read that fails on a damaged file becomes a message naming file and what."""
        try:
            yield
        except DAMAGE_ERRORS as exc:
            raise OreshockError(
                f"cannot read {what} from the results database {self.path}: the file is "
                f"damaged ({first_line(exc)}); see `oreshock runs list --db {self.path}`"
            ) from None

    def _insert(self, table: str, df: pd.DataFrame) -> None:
        _insert(self.con, table, df)

    def save_run(self, result: RunResult, *, sector_countries: list[str] | None = None) -> str:
        """Store a RunResult atomically, with its coverage and content hash; returns its id."""
        return self.save_rows(run_rows(result, sector_countries=sector_countries))

    def save_rows(self, rows: RunRows) -> str:
        """Write a run's rows in one transaction with their content hash, then check them.

        The hash is computed from the rows as the database holds them, inside the
        transaction; after the commit the run is read back and hashed again. A run that does
        not read back as written is deleted and an ``OreshockError`` says so.
        """
        return self.save_many([rows])[0]

    def save_many(self, runs: list[RunRows]) -> list[str]:
        """Write several runs in one transaction (all of them or none), then check each.

        The variants of one command are one result: a kill during the save leaves all of
        them stored or none, never some.
        """
        if self.read_only:
            raise OreshockError(f"{self.path} was opened read-only; a run cannot be saved")
        with self.transaction():
            digests = [_write_rows(self.con, rows) for rows in runs]
        for rows, digest in zip(runs, digests, strict=True):
            self._verify_saved(rows.run_id, digest)
        return [rows.run_id for rows in runs]

    def _verify_saved(self, run_id: str, digest: str) -> None:
        try:
            found = integrity.content_hash(self.con, run_id)
        except duckdb.Error as exc:
            found = f"unreadable ({first_line(exc)})"
        if found == digest:
            return
        with suppress(duckdb.Error):
            self._delete(run_id)
        raise OreshockError(
            f"run {run_id} was written to {self.path} but does not read back as written "
            f"(content hash {digest[:16]}, read back {found[:16]}); it was removed. The disk "
            "or the database file may be failing"
        )

    def list_runs(
        self,
        *,
        check: bool = False,
        scenario: str | None = None,
        label: str | None = None,
        since: dt.datetime | dt.date | None = None,
    ) -> pd.DataFrame:
        """Every run, oldest first, with its horizon (``months``) and label; only those of
        ``scenario``, whose label contains ``label`` (any case) and stored on or after
        ``since`` (UTC), when given. ``check`` adds a ``content`` column (``run_statuses``)."""
        where, args = run_filters(scenario, label, since)
        with self._reading("the list of runs"):
            df = self.con.execute(
                "SELECT run_id, created, scenario, variant, label, months, seed, "
                f"dataset_version, code_version FROM runs {where} ORDER BY created",
                args,
            ).df()
        if check:
            statuses = self.run_statuses()
            df["content"] = [statuses[r] for r in df["run_id"]]
        return df

    def run_statuses(self) -> dict[str, str]:
        """Run id -> ``ok``, ``damaged``, ``unreadable`` or ``never hashed``
        (``store.integrity``): every run's stored content hashed again and compared."""
        with self._reading("the list of runs"):
            rows = self.con.execute("SELECT run_id, content_hash FROM runs").fetchall()
        return {rid: integrity.run_status(self.con, rid, stored) for rid, stored in rows}

    def check_run(self, run_id: str) -> str:
        """One run's status, as ``run_statuses``; raises for an unknown id."""
        return integrity.run_status(self.con, run_id, self.run(run_id)["content_hash"])

    def require_intact(self, run_id: str) -> str:
        """Raise ``DamagedRunError`` for a damaged or unreadable run; returns its status.

        A run stored before runs were hashed passes (``never hashed``): it cannot be checked.
        """
        status = self.check_run(run_id)
        if status in (integrity.DAMAGED, integrity.UNREADABLE):
            raise DamagedRunError(self.path, run_id, status)
        return status

    def run(self, run_id: str) -> dict[str, Any]:
        """A run's record, with its scenario and summary parsed."""
        with self._reading(f"run {run_id}"):
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
        # None: stored before runs were hashed (schema version 3), so never checked.
        hashed = record.get("content_hash")
        record["content_hash"] = hashed if isinstance(hashed, str) else None
        return record

    def _rows(self, run_id: str, what: str, sql: str) -> pd.DataFrame:
        self.run(run_id)
        with self._reading(f"the {what} of run {run_id}"):
            return self.con.execute(sql, [run_id]).df()

    def timeseries(self, run_id: str) -> pd.DataFrame:
        return self._rows(
            run_id,
            "time series",
            "SELECT month, country, mineral, stage, variable, value FROM timeseries "
            "WHERE run_id = ? ORDER BY mineral, stage, country, variable, month",
        )

    def flows(self, run_id: str) -> pd.DataFrame:
        return self._rows(
            run_id,
            "flows",
            "SELECT month, mineral, stage, exporter, importer, origin, value FROM flows "
            "WHERE run_id = ? ORDER BY month, mineral, stage, exporter, importer, origin",
        )

    def sectors(self, run_id: str) -> pd.DataFrame:
        return self._rows(
            run_id, "sectors", "SELECT * EXCLUDE (run_id) FROM sectors WHERE run_id = ?"
        )

    def sector_series(self, run_id: str) -> pd.DataFrame:
        """Each end-use sector's tonnes wanted and short by month (none for a run stored
        before store schema 7)."""
        return self._rows(
            run_id,
            "end-use series",
            "SELECT month, country, mineral, stage, sector, wanted, short FROM sector_series "
            "WHERE run_id = ? ORDER BY country, mineral, stage, sector, month",
        )

    def differences(self, stored: str, new: str) -> list[integrity.TableDifference]:
        """The tables in which two runs differ, each compared row by row."""
        with self._reading(f"runs {stored} and {new}"):
            return integrity.differences(self.con, stored, new)

    def delete_run(self, run_id: str) -> None:
        self.run(run_id)
        self._delete(run_id)

    def _delete(self, run_id: str) -> None:
        with self.transaction():
            for table in ("timeseries", "flows", "sectors", "sector_series", "impact_series",
                          "impacts", "runs"):  # fmt: skip
                self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])

    def save_import(
        self, kind: str, file: str, sha256: str, tables: dict[str, pd.DataFrame]
    ) -> str:
        """Record the rows read from a published file, all or nothing."""
        import_id = new_run_id()
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
