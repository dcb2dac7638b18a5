"""Ensembles under faults: kill -9 at random points, SIGTERM, damaged and unindexed batches.

Each test names the defect of issue 10 it pins (numbers as in the ensemble part of it):
1. kill -9 left the pool's worker processes running;
2. the killed ensemble's status stayed "running" for ever;
3. a truncated batch file counted as finished, then crashed ``ensemble``, ``ensembles show``
   and ``ensembles export``;
4. a resumed ensemble must equal an uninterrupted one byte for byte; export is atomic;
5. no orphan process remains after any of these tests.

The processes killed are real ``oreshock ensemble`` commands, each in its own session; what
remains of one is found by its process group in /proc (Linux), so the file is skipped
elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from oreshock.cli.ensemble import register
from oreshock.core.options import get_option
from oreshock.ensemble.runner import (
    DamagedBatchError,
    DamagedBatchWarning,
    EnsembleSpec,
    get_ensemble,
    list_ensembles,
    load_results,
    run_ensemble,
)
from oreshock.ensemble.sampling import EnsembleError
from oreshock.model.scenario import open_scenario
from oreshock.store.store import Store

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

SHIPPED = open_scenario("japan-rare-earths-2026").path
VARIANT = "stockpiles"
RUNS, BATCH = 80, 10  # 8 batches of a 12-month horizon: a kill lands mid-ensemble
DEADLINE = 15.0  # seconds for anything asked to stop


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> str:
    """The flagship scenario cut to 12 months (the same batches, a fifth of the work)."""
    text = Path(SHIPPED).read_text("utf-8").replace("\nmonths: 60\n", "\nmonths: 12\n")
    assert "\nmonths: 12\n" in text
    path = tmp_path_factory.mktemp("scenario") / "japan-12.yaml"
    path.write_text(text, "utf-8")
    return str(path)


def spec_of(scenario: str, runs: int = RUNS, batch: int = BATCH) -> EnsembleSpec:
    return EnsembleSpec(scenario, VARIANT, runs=runs, seed=1, batch_size=batch)


# Processes, from /proc. Each command starts its own session, so its process group holds
# it and every worker it starts, even once they are orphaned (reparented to init).


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def group(pgid: int) -> set[int]:
    """The running processes of process group ``pgid`` (a zombie has stopped)."""
    found = set()
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.add(int(entry.name))
    return found


def pool_workers(pgid: int) -> set[int]:
    """The multiprocessing workers in a process group (not its resource tracker)."""
    found = set()
    for pid in group(pgid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
    return found


def assert_group_stops(pgid: int, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while group(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = group(pgid)
    assert not left, f"{what}: processes {sorted(left)} still run"


@pytest.fixture()
def started() -> Iterator[list[subprocess.Popen]]:
    """Defect 5: every command a test starts, with all it started, has stopped at the end
    (checked, then killed so that a failing test leaves nothing running either)."""
    procs: list[subprocess.Popen] = []
    yield procs
    left = {pid for proc in procs for pid in group(proc.pid)}
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not left, f"processes {sorted(left)} still ran after the test"


def start_cli(
    started: list[subprocess.Popen], scenario: str, root: Path, workers: int, runs: int = RUNS
) -> subprocess.Popen:
    args = [
        *("ensemble", scenario, "--variant", VARIANT, "--runs", str(runs)),
        *("--batch-size", str(BATCH), "--seed", "1", "--workers", str(workers)),
        *("--db", str(root / "db.duckdb"), "--out", str(root / "ens"), "--json"),
    ]
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "stdout", "wb") as out, open(root / "stderr", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oreshock", *args],
            stdout=out,
            stderr=err,
            cwd=root,
            start_new_session=True,
        )
    started.append(proc)
    return proc


def wait_for(predicate, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the command ended first ({proc.returncode})")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def batch_files(root: Path) -> list[Path]:
    return sorted((root / "ens").glob("*/batch-*.parquet"))


def only_ensemble(db: Path) -> dict:
    listed = list_ensembles(db)
    assert len(listed) == 1, listed
    return get_ensemble(str(listed["ensemble_id"].iloc[0]), db)


def test_kill_9_stops_the_pool_workers(scenario, tmp_path, started):
    """Defects 1 and 2: after kill -9 of `oreshock ensemble --workers 2`, every process it
    started stops, and the ensemble shows `interrupted` (list and show), not `running`."""
    proc = start_cli(started, scenario, tmp_path, 2, runs=40 * BATCH)  # killed long before the end
    wait_for(lambda: batch_files(tmp_path), "a first batch", proc)
    wait_for(lambda: len(pool_workers(proc.pid)) == 2, "two workers", proc)
    proc.kill()
    proc.wait()
    assert_group_stops(proc.pid, "workers of the killed ensemble")
    record = only_ensemble(tmp_path / "db.duckdb")
    assert record["status"] == "interrupted"
    assert record["owner_pid"] == proc.pid
    assert set(list_ensembles(tmp_path / "db.duckdb")["status"]) == {"interrupted"}


@pytest.mark.parametrize("how", ["SIGTERM to the command", "Ctrl-C: SIGINT to its group"])
def test_sigterm_and_ctrl_c_write_interrupted_and_stop_the_pool(scenario, tmp_path, started, how):
    """Defect 2: SIGTERM, or Ctrl-C in a terminal (SIGINT to the whole process group),
    stops the pool and writes `interrupted` itself before the command exits (code 130),
    with a line saying how to resume. The signal comes as the first batch file appears,
    when the command is writing the index: DuckDB reports an interrupt inside a query as
    its own error, which must still count as an interrupt, not a failure."""
    proc = start_cli(started, scenario, tmp_path, 2, runs=40 * BATCH)
    wait_for(lambda: batch_files(tmp_path), "a first batch", proc)
    if how.startswith("SIGTERM"):
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(DEADLINE) == 130
    assert_group_stops(proc.pid, "workers after SIGTERM")
    with Store(tmp_path / "db.duckdb", read_only=True) as store:
        status = store.con.execute("SELECT status FROM ensembles").fetchall()
    assert status == [("interrupted",)]  # written by the command, not inferred
    err = (tmp_path / "stderr").read_text()
    assert "run the same command again to resume" in err and "Traceback" not in err


def _set_owner(db: Path, pid: int, host: str | None, beat: str) -> None:
    with Store(db) as store:
        store.con.execute(
            "UPDATE ensembles SET status = 'running', owner_pid = ?, owner_host = "
            "coalesce(?, owner_host), heartbeat = CAST(? AS TIMESTAMP)",
            [pid, host, beat],
        )


def test_running_status_follows_the_owner(scenario, network, tmp_path):
    """Defect 2: `running` only while the owner lives on this host: a dead pid, or a pid
    now held by a process started after the owner's last heartbeat, reads `interrupted`;
    a live owner blocks a second run of the same ensemble instead of racing it."""
    db = tmp_path / "db.duckdb"
    run_ensemble(spec_of(scenario, 8, 4), network=network, db=db, out=tmp_path)
    assert only_ensemble(db)["status"] == "complete"
    now = pd.Timestamp.now("UTC").tz_localize(None).isoformat()
    gone = subprocess.Popen(["true"])
    gone.wait()
    _set_owner(db, gone.pid, None, now)
    assert only_ensemble(db)["status"] == "interrupted"
    _set_owner(db, os.getpid(), None, "2000-01-01 00:00:00")  # this pid, an older owner
    assert only_ensemble(db)["status"] == "interrupted"
    _set_owner(db, os.getpid(), "some-other-host", now)
    assert only_ensemble(db)["status"] == "running"  # cannot be checked from here
    sleeper = subprocess.Popen(["sleep", "30"])
    try:  # its heartbeat after its start, as an owner's always is
        now = pd.Timestamp.now("UTC").tz_localize(None).isoformat()
        _set_owner(db, sleeper.pid, os.uname().nodename, now)
        assert only_ensemble(db)["status"] == "running"
        with pytest.raises(EnsembleError, match=f"being run by process {sleeper.pid}"):
            run_ensemble(spec_of(scenario, 8, 4), network=network, db=db, out=tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert only_ensemble(db)["status"] == "interrupted"


def _cli() -> tuple[typer.Typer, CliRunner]:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app, CliRunner()


def test_damaged_batches_are_refused_then_recomputed(scenario, network, tmp_path):
    """Defect 3: a cut batch file and one with a changed byte are named (never a traceback)
    by `ensembles show`, `ensembles export` and `load_results`, with the command that
    repairs them; resuming recomputes exactly those two, byte for byte; an export that is
    refused leaves the previous export file untouched (defect 4, atomic export)."""
    db = tmp_path / "db.duckdb"
    spec = spec_of(scenario, 12, 4)
    first = run_ensemble(spec, network=network, db=db, out=tmp_path / "ens")
    files = sorted(first.folder.glob("batch-*.parquet"))
    original = [f.read_bytes() for f in files]
    app, runner = _cli()
    export = tmp_path / "runs.parquet"
    assert (
        runner.invoke(
            app, ["ensembles", "export", first.ensemble_id, "--out", str(export), "--db", str(db)]
        ).exit_code
        == 0
    )
    exported = export.read_bytes()
    files[1].write_bytes(original[1][: len(original[1]) // 2])
    changed = bytearray(original[2])
    changed[len(changed) // 2] ^= 0xFF
    files[2].write_bytes(bytes(changed))
    with pytest.raises(DamagedBatchError) as info:
        load_results(first.folder, db=db)
    assert info.value.files == files[1:3]
    with pytest.raises(DamagedBatchError, match="batch-00001"):
        load_results(first.folder)  # without the index: the cut file is still found
    for args in (["show", first.ensemble_id], ["export", first.ensemble_id, "--out", str(export)]):
        res = runner.invoke(app, ["ensembles", *args, "--db", str(db)])
        assert res.exit_code == 2, res.output
        assert str(files[1]) in res.output and str(files[2]) in res.output
        assert "oreshock ensemble" in res.output and "Traceback" not in res.output
    assert export.read_bytes() == exported
    assert not list(tmp_path.glob(".runs.parquet.tmp-*"))
    with pytest.warns(DamagedBatchWarning) as caught:
        resumed = run_ensemble(spec, network=network, db=db, out=tmp_path / "ens")
    assert sorted(str(w.message).split(":")[0] for w in caught) == [str(f) for f in files[1:3]]
    assert resumed.recomputed == files[1:3] and resumed.complete
    assert [f.read_bytes() for f in files] == original
    shown = runner.invoke(app, ["ensembles", "show", first.ensemble_id, "--db", str(db), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["status"] == "complete"


def test_unindexed_batches_are_read_before_they_count(scenario, network, tmp_path):
    """Defect 3: a batch renamed into place by a process killed before it wrote the index
    counts as done only after a full read checks its runs; then it is indexed with its
    sha256. A cut file without an index row is recomputed, with a warning naming it; the
    repair command that the refusal prints resumes the same ensemble, and prints that
    warning as one line."""
    db = tmp_path / "db.duckdb"
    spec = spec_of(scenario, 12, 4)
    first = run_ensemble(spec, network=network, db=db, out=tmp_path / "ens")
    files = sorted(first.folder.glob("batch-*.parquet"))
    original = [f.read_bytes() for f in files]
    with Store(db) as store:
        store.con.execute("DELETE FROM ensemble_batches")
    files[0].write_bytes(original[0][:-10])
    mtime = files[1].stat().st_mtime_ns
    with pytest.warns(DamagedBatchWarning, match="batch-00000"):
        resumed = run_ensemble(spec, network=network, db=db, out=tmp_path / "ens")
    assert resumed.recomputed == [files[0]]
    assert files[1].stat().st_mtime_ns == mtime  # verified and kept, not recomputed
    assert [f.read_bytes() for f in files] == original
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT batch, rows, sha256 FROM ensemble_batches ORDER BY batch"
        ).fetchall()
    assert [(b, r) for b, r, _ in rows] == [(0, 4), (1, 4), (2, 4)]
    assert all(len(sha) == 64 for _, _, sha in rows)
    files[2].write_bytes(b"PAR1")
    with pytest.raises(DamagedBatchError) as info:
        load_results(first.folder, db=db)
    command = shlex.split(str(info.value).rsplit("resume the ensemble: ", 1)[1])
    assert command[:2] == ["oreshock", "ensemble"]
    app, runner = _cli()
    res = runner.invoke(app, [*command[1:], "--workers", "1"])  # the repair, as printed
    assert res.exit_code == 0, res.output
    assert first.ensemble_id in res.output
    assert f"warning: {files[2]}: damaged batch" in res.output
    assert files[2].read_bytes() == original[2]


def kill_point(rng: random.Random, k: int, trials: int) -> tuple[int, float]:
    """Trial ``k``'s kill: after how many batch files, then how long (seconds). Stratified
    over the ensemble's course, from start-up (0 files: imports, planning, registering) to
    its last batch, so a few trials already cover every phase."""
    batches = RUNS // BATCH
    after = int((k + rng.random()) * (batches + 1) / trials)
    return min(after, batches), rng.uniform(0.2, 3.0) if after == 0 else rng.uniform(0, 0.2)


def _reached(root: Path, files: int, proc: subprocess.Popen) -> bool:
    return len(batch_files(root)) >= files or proc.poll() is not None


def test_kill_9_at_random_points_then_resume_equals_uninterrupted(
    scenario, network, tmp_path, started
):
    """Defects 4, 1 and 2: `oreshock ensemble` killed with SIGKILL at `fault_trials` random
    points (see ``kill_point``; the second trial on 2 workers) leaves no process behind, a
    store that opens, an `interrupted` status (once it has registered; `complete` if it had
    finished); resuming gives every batch file byte for byte as an uninterrupted run in
    another folder and database, and the same results frame."""
    ref = run_ensemble(
        spec_of(scenario), network=network, db=tmp_path / "ref.duckdb", out=tmp_path / "ref"
    )
    expected = {f.name: f.read_bytes() for f in ref.folder.glob("batch-*.parquet")}
    assert len(expected) == RUNS // BATCH
    reference = ref.results()
    trials = get_option("fault_trials")
    rng = random.Random(10)
    for k in range(trials):
        root = tmp_path / f"trial-{k}"
        after, delay = kill_point(rng, k, trials)
        where = f"trial {k} (killed {delay:.2f} s after batch file {after})"
        proc = start_cli(started, scenario, root, 2 if k == 1 else 1)
        wait_for(partial(_reached, root, after, proc), where)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(delay)
        proc.kill()
        code = proc.wait()
        assert_group_stops(proc.pid, where)
        db = root / "db.duckdb"
        if db.exists() and len(list_ensembles(db)):  # it got as far as registering
            status = only_ensemble(db)["status"]
            finished = status == "complete" and len(batch_files(root)) == RUNS // BATCH
            assert status == "interrupted" or finished, f"{where}: {status} (exit {code})"
        resumed = run_ensemble(spec_of(scenario), network=network, db=db, out=root / "ens")
        assert resumed.complete, where
        got = {f.name: f.read_bytes() for f in batch_files(root)}
        assert got == expected, f"{where}: batch files differ"
        assert resumed.results().equals(reference), where
        assert not list(resumed.folder.glob(".*tmp*")), f"{where}: temporary files left"
