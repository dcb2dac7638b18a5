"""The results store under faults and concurrency (issue 10, defects 1 and 3, and the
must-holds): real processes on one database take turns and lose nothing, ``kill -9`` at any
point leaves a store that opens with every run intact and no stale lock, a busy database is
reported without a process id, and a run is verified after it is written.

Repeat counts come from the ``fault_trials`` option (ORESHOCK_FAULT_TRIALS, default 5).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from oreshock.core.errors import OreshockError
from oreshock.core.options import get_option
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store import integrity
from oreshock.store.locking import StoreBusyError, lock_path
from oreshock.store.schema import create_schema, table_names
from oreshock.store.store import RunRows, Store, new_run_id, run_rows
from oreshock.testing.faults import write_drill

MINI = Path(__file__).parent / "data" / "mini_dataset"
TRIALS: int = get_option("fault_trials")

WRITER = """\
import json, sys, time
from pathlib import Path
from oreshock import build_network, load_dataset
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store

folder, rounds, per_round, data, scenario = sys.argv[1:6]
result = simulate(build_network(load_dataset(data)), open_scenario(scenario).build("one"))
print(json.dumps({"ready": True}), flush=True)
for r in range(int(rounds)):
    go = Path(folder) / f"go-{r}"
    while not go.exists():
        time.sleep(0.002)
    for _ in range(int(per_round)):
        try:
            with Store(Path(folder) / f"round-{r}.duckdb") as store:
                report = {"round": r, "saved": store.save_run(result)}
        except Exception as exc:
            report = {"round": r, "lost": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(report), flush=True)
"""
"""A process that saves runs through ``Store`` as fast as it can, started once and told
when to start each round, so the rounds overlap without paying the import each time. A save
that raises is reported as a lost run."""


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    return write_drill(tmp_path, "fault-drill")


@pytest.fixture(scope="module")
def small_rows(mini_network):
    scenario = open_scenario("baseline").build(None, {("months",): 3})
    return run_rows(simulate(mini_network, scenario))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, HOME=str(tmp_path / "home"), **extra)
    env.pop("ORESHOCK_DB", None)
    return env


def _check_intact(db: Path) -> dict[str, str]:
    """The store opens for writing, every run matches its hash, nothing is half-written."""
    with Store(db, wait=5) as store:
        statuses = store.run_statuses()
        for table in integrity.HASHED:
            orphans = store.con.execute(
                f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)"
            ).fetchone()
            assert orphans == (0,), f"rows of {table} without a run: {orphans}"
        empty = store.con.execute(
            "SELECT count(*) FROM runs WHERE run_id NOT IN (SELECT run_id FROM timeseries)"
        ).fetchone()
        assert empty == (0,), "a run without its time series"
    assert set(statuses.values()) <= {integrity.OK}, statuses
    return statuses


def _start_writers(tmp_path: Path, count: int, rounds: int, per_round: int, scenario: Path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, "utf-8")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(tmp_path),
                str(rounds),
                str(per_round),
                str(MINI),
                str(scenario),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline()) == {"ready": True}, proc.stderr
    return procs


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_writers_lose_no_run(tmp_path, scenario_file, writers):
    """Defect 1: several processes saving at once used to crash all but one (DuckDB lets one
    process open a file); now each waits its turn and every run is stored: ``fault_trials``
    rounds, each on a fresh database, every process saving two runs back to back."""
    per_round = 2
    started = time.monotonic()
    procs = _start_writers(tmp_path, writers, TRIALS, per_round, scenario_file)
    for r in range(TRIALS):
        (tmp_path / f"go-{r}").touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reports += [json.loads(line) for line in out.splitlines()]
    lost = [x["lost"] for x in reports if "lost" in x]
    assert not lost, f"{len(lost)} runs lost: {lost[0]}"
    for r in range(TRIALS):
        saved = {x["saved"] for x in reports if x["round"] == r}
        assert len(saved) == writers * per_round
        assert set(_check_intact(tmp_path / f"round-{r}.duckdb")) == saved
    elapsed = time.monotonic() - started
    print(
        f"{writers} writers x {TRIALS} rounds x {per_round} runs: "
        f"{writers * TRIALS * per_round} written, {len(lost)} lost, {elapsed:.1f} s"
    )


def test_concurrent_cli_runs_store_every_run(tmp_path, scenario_file):
    """Defect 1 with the real command: two ``oreshock run`` at once on one database (the
    issue measured the second one crashing, its runs lost, in 8 of 8 trials): both exit 0,
    every run stored and intact."""
    db = tmp_path / "shared.duckdb"
    cmd = [sys.executable, "-m", "oreshock", "run", str(scenario_file), "--data", str(MINI)]
    procs = [
        subprocess.Popen(
            [*cmd, "--db", str(db), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        for _ in range(2)
    ]
    ids = set()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids |= {r["run_id"] for r in json.loads(out)["runs"]}
    assert len(ids) == 6
    assert set(_check_intact(db)) == ids


def _lock_is_free(db: Path) -> bool:
    """Take the writer's lock directly, without waiting: True when nobody holds it."""
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases the lock taken above
    return True


def _watch_lock(db: Path, proc: subprocess.Popen, deadline: float, *, taken: bool) -> bool:
    """Wait until the database's lock is taken (or free again); False if the process ends
    first or the deadline passes."""
    while time.monotonic() < deadline and proc.poll() is None:
        if (lock_path(db).exists() and not _lock_is_free(db)) == taken:
            return True
        time.sleep(0.001)
    return False


def _wait_for_the_save(db: Path, proc: subprocess.Popen, deadline: float) -> bool:
    """``oreshock run`` holds the database twice: to check --db before computing, then to
    save. True once the second has begun."""
    return all(_watch_lock(db, proc, deadline, taken=taken) for taken in (True, False, True))


def test_kill_9_at_random_points_leaves_an_intact_store(tmp_path, scenario_file):
    """Must-hold: ``kill -9`` of ``oreshock run`` at a random point of its life (every other
    trial while it saves, its lock on the database taken). Afterwards the store opens for
    writing at once, every stored run matches its hash, no half-written run exists, and the
    killed process's lock is gone (the kernel releases an flock when its holder dies)."""
    db = tmp_path / "killed.duckdb"
    cmd = [sys.executable, "-m", "oreshock", "run", str(scenario_file), "--data", str(MINI)]
    cmd += ["--db", str(db), "--json"]
    started = time.monotonic()
    first = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert first.returncode == 0, first.stderr
    lifetime = time.monotonic() - started
    rng = random.Random(10)
    during_save = 0
    for trial in range(TRIALS):
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(tmp_path)
        )
        if trial % 2:
            if _wait_for_the_save(db, proc, time.monotonic() + 3 * lifetime + 10):
                during_save += 1
                time.sleep(rng.uniform(0, 0.05))
        else:
            time.sleep(rng.uniform(0, lifetime))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _lock_is_free(db), "a killed writer left its lock behind"
        stored = _check_intact(db)
        assert len(stored) >= 3
    with Store(db, wait=1) as store:  # the next writer is not blocked either
        store.save_rows(run_rows_copy(store, next(iter(stored))))
    print(
        f"kill -9: {TRIALS} trials ({during_save} during the save), "
        f"{len(_check_intact(db))} runs intact, {time.monotonic() - started:.1f} s"
    )


def run_rows_copy(store: Store, run_id: str) -> RunRows:
    """A stored run's rows under a new id, to show that a writer can save after the kills."""
    record = store.run(run_id)
    fields = {c: record[c] for c in ("scenario", "variant", "dataset_name", "dataset_version")}
    row = {
        **fields,
        "run_id": new_run_id(),
        "created": record["created"],
        "scenario_json": json.dumps(record["scenario_json"]),
        "dataset_hash": record["dataset_hash"],
        "code_version": record["code_version"],
        "seed": int(record["seed"]),
        "months": int(record["months"]),
        "start_month": record["start_month"],
        "summary_json": json.dumps(record["summary"]),
        "coverage_json": json.dumps(record["coverage"]),
    }
    return RunRows(row, store.timeseries(run_id), store.flows(run_id), store.sectors(run_id))


HOLDER = """\
import sys, time
from oreshock.store.store import Store
with Store(sys.argv[1], read_only=sys.argv[2] == "read"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _hold(tmp_path: Path, db: Path, mode: str) -> subprocess.Popen:
    """Another process holding the database (``write`` or ``read``) until told to stop."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n", proc.stderr
    return proc


def _release(proc: subprocess.Popen) -> None:
    proc.communicate("\n", timeout=30)


def test_busy_database_waits_then_says_so_without_a_pid(tmp_path, small_rows):
    """Defect 1: past ``store_wait`` the error names the file and what to do, never the
    other process's id; within the wait, the writer simply gets its turn."""
    db = tmp_path / "busy.duckdb"
    with Store(db):
        pass
    holder = _hold(tmp_path, db, "write")
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusyError) as info:
            Store(db, wait=0.3)
        assert 0.3 <= time.monotonic() - started < 5
        with pytest.raises(StoreBusyError):
            Store(db, read_only=True, wait=0.3)  # a writer keeps readers out too
    finally:
        _release(holder)
    message = str(info.value)
    assert str(db) in message and "another oreshock process" in message
    assert "ORESHOCK_STORE_WAIT" in message
    assert str(holder.pid) not in message and "pid" not in message.lower()
    with Store(db, wait=1) as store:
        store.save_rows(small_rows)


def test_readers_share_the_database(tmp_path, small_rows):
    """Readers in two processes at once; a writer waits for both."""
    db = tmp_path / "shared.duckdb"
    with Store(db) as store:
        store.save_rows(small_rows)
    reader = _hold(tmp_path, db, "read")
    try:
        with Store(db, read_only=True, wait=1) as store:
            assert store.list_runs()["run_id"].tolist() == [small_rows.run_id]
        with pytest.raises(StoreBusyError):
            Store(db, wait=0.2)
    finally:
        _release(reader)


FOREIGN = """\
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_duckdb_lock_of_a_foreign_process_is_waited_for(tmp_path, small_rows):
    """A process that opens the file with plain DuckDB (no oreshock lock): the store retries
    DuckDB's own lock error within the same wait, and past it says busy without the pid that
    DuckDB's message carries."""
    db = tmp_path / "foreign.duckdb"
    with Store(db) as store:
        store.save_rows(small_rows)
    hold = [sys.executable, "-c", FOREIGN, str(db)]
    proc = subprocess.Popen([*hold, "30"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    try:
        with pytest.raises(StoreBusyError) as info:
            Store(db, read_only=True, wait=0.3)
        assert str(proc.pid) not in str(info.value)
    finally:
        proc.kill()
        proc.wait()
    proc = subprocess.Popen([*hold, "0.5"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    started = time.monotonic()
    with Store(db, wait=20) as store:  # gets its turn when the foreign process lets go
        assert store.list_runs()["run_id"].tolist() == [small_rows.run_id]
    assert time.monotonic() - started < 20
    proc.wait(timeout=30)


def test_one_process_shares_its_lock_between_stores(tmp_path, small_rows):
    """Stores of one process on one database share the lock (no waiting on oneself), and the
    lock is given back only when the last one closes."""
    db = tmp_path / "nested.duckdb"
    outer = Store(db, wait=0.2)
    with Store(db, wait=0.2) as inner:
        inner.save_rows(small_rows)
    assert not _lock_is_free(db), "the outer store still holds the database"
    outer.close()
    outer.close()  # closing twice is harmless
    assert _lock_is_free(db)


def test_a_run_is_hashed_as_stored_and_checked_after_commit(tmp_path, small_rows, monkeypatch):
    """Defect 3: the content hash describes the rows as the database holds them, is written
    in the same transaction, and a run that reads back differently after the commit is
    deleted and reported (the read-back is made to differ: a disk that lies cannot be had)."""
    db = tmp_path / "hashed.duckdb"
    with Store(db) as store:
        run_id = store.save_rows(small_rows)
        stored = store.run(run_id)["content_hash"]
        assert stored == integrity.content_hash(store.con, run_id)
        assert len(stored) == 64 and store.check_run(run_id) == integrity.OK
        calls = []
        real = integrity.content_hash

        def read_back_differs(con: duckdb.DuckDBPyConnection, rid: str) -> str:
            calls.append(rid)
            return real(con, rid) if len(calls) == 1 else "0" * 64

        monkeypatch.setattr(integrity, "content_hash", read_back_differs)
        other = run_rows_copy(store, run_id)
        with pytest.raises(OreshockError, match="does not read back as written") as info:
            store.save_rows(other)
        assert other.run_id in str(info.value) and str(db) in str(info.value)
        monkeypatch.undo()
        assert store.list_runs()["run_id"].tolist() == [run_id]
        for table in integrity.HASHED:
            left = store.con.execute(
                f"SELECT count(*) FROM {table} WHERE run_id = ?", [other.run_id]
            ).fetchone()
            assert left == (0,)


def test_hash_is_independent_of_row_order_and_sees_every_change(tmp_path, small_rows):
    """The serialisation sorts rows and encodes values exactly: the same rows inserted in
    another order hash the same; a changed value, a deleted row, a NULL, a -0.0 for 0.0
    where it matters are seen (only -0.0 vs 0.0 is deliberately the same)."""
    db = tmp_path / "order.duckdb"
    shuffled = run_rows_copy_of(small_rows)
    shuffled.timeseries = shuffled.timeseries.sample(frac=1.0, random_state=3)
    with Store(db) as store:
        a = store.save_rows(small_rows)
        b = store.save_rows(shuffled)
        assert store.run(a)["content_hash"] == store.run(b)["content_hash"]
        base = integrity.content_hash(store.con, b)
        con = store.con
        edits = [
            "UPDATE timeseries SET value = value + 1e-9 WHERE run_id = $id AND value > 1",
            "UPDATE timeseries SET value = NULL WHERE run_id = $id AND value > 1",
            "DELETE FROM flows WHERE run_id = $id",
        ]
        for sql in edits:
            con.execute("BEGIN TRANSACTION")
            con.execute(sql, {"id": b})
            assert integrity.content_hash(con, b) != base, sql
            assert store.check_run(b) == integrity.DAMAGED
            con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "UPDATE timeseries SET value = -0.0 WHERE run_id = $id AND value = 0", {"id": b}
        )
        assert integrity.content_hash(con, b) == base
        con.execute("ROLLBACK")


def run_rows_copy_of(rows: RunRows) -> RunRows:
    return RunRows(
        {**rows.record, "run_id": new_run_id()},
        rows.timeseries.copy(),
        rows.flows.copy(),
        rows.sectors.copy(),
    )


def test_hashed_columns_are_the_schema_columns():
    """Every stored column of the three tables is in the hash, so none can change unseen."""
    con = duckdb.connect()
    create_schema(con)
    assert set(integrity.HASHED) <= table_names(con)
    for table in integrity.HASHED:
        stored = [
            name
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "ORDER BY column_index",
                [table],
            ).fetchall()
        ]
        assert set(integrity.columns(table)) == set(stored) - {"run_id"}, table
        doubles = {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "AND data_type = 'DOUBLE'",
                [table],
            ).fetchall()
        }
        assert doubles == integrity.DOUBLES & set(integrity.columns(table))
    con.close()


def test_threads_of_one_process_share_a_new_database(tmp_path, small_rows):
    """The HTTP service saves from several threads: on a new file they used to race to
    create the schema (DuckDB's write-write conflict); now every save lands."""
    db = tmp_path / "threads.duckdb"
    errors: list[str] = []
    saved: list[str] = []

    def work() -> None:
        for _ in range(3):
            try:
                with Store(db, wait=30) as store:
                    saved.append(store.save_rows(run_rows_copy_of(small_rows)))
            except Exception as exc:  # reported below: a lost run fails the test
                errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(saved) == 12
    assert set(_check_intact(db)) == set(saved)
