"""The commands around the results store under faults (issue 10, defects 2 and 4 to 7):
bad ``--db`` and ``--seed`` refused before computing, runs that cannot be saved kept and
recovered, damaged runs and files found and refused, read-only commands that need no write
access, and ``runs rerun`` comparing whole results.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from oreshock.cli import run as cli_run
from oreshock.cli.app import app
from oreshock.cli.common import NOT_SAVED_EXIT
from oreshock.model.scenario import open_scenario
from oreshock.model.simulate import simulate
from oreshock.store import recovery
from oreshock.store.integrity import DamagedStoreError
from oreshock.store.store import Store, new_run_id, run_rows
from oreshock.testing.faults import write_drill

MINI = str(Path(__file__).parent / "data" / "mini_dataset")
runner = CliRunner()


@pytest.fixture()
def scenario_file(tmp_path: Path) -> str:
    return str(write_drill(tmp_path, "store-drill"))


@pytest.fixture()
def no_computing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records whether ``run`` started computing: a bad option must be refused before."""
    started: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        started.append("computed")
        raise AssertionError("computing started")

    monkeypatch.setattr(cli_run, "run_variants", refuse)
    return started


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run(scenario: str, db: Path, *extra: str) -> dict:
    result = runner.invoke(
        app, ["run", scenario, "--data", MINI, "--db", str(db), "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _sql(db: Path, *statements: str) -> None:
    """Edit the database behind the store's back, as damage would."""
    con = duckdb.connect(str(db))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("seed", "expected"),
    [("9223372036854775808", "9223372036854775807"), ("-1", "greater than or equal to 0")],
)
def test_seed_out_of_range_is_refused_when_parsed(
    db_path, scenario_file, no_computing, seed, expected
):
    """Defect 2: ``--seed 9223372036854775808`` crashed after computing every variant (seeds
    are stored as BIGINT); now it is a usage error before anything runs or is created."""
    result = runner.invoke(app, ["run", scenario_file, "--data", MINI, "--seed", seed])
    assert result.exit_code == 2
    assert "--seed" in result.output and expected in _one_line(result.output)
    assert not no_computing and not db_path.exists()


def _not_a_store(path: Path) -> Path:
    _sql(path, "CREATE TABLE measurements (id INTEGER, value DOUBLE)")
    return path


BAD_DBS = {
    "a folder": (lambda tmp: _mkdir(tmp / "folder"), "is a folder"),
    "inside a file": (
        lambda tmp: _file(tmp / "notes.txt") / "r.duckdb",
        "cannot create the folder",
    ),
    "not a database": (lambda tmp: _file(tmp / "notes.duckdb"), "cannot open the results database"),
    "not a store": (lambda tmp: _not_a_store(tmp / "other.duckdb"), "is not an oreshock results"),
}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _file(path: Path) -> Path:
    path.write_text("not a database\n" * 100, "utf-8")
    return path


@pytest.mark.parametrize("case", sorted(BAD_DBS))
def test_bad_db_is_refused_before_computing(tmp_path, scenario_file, no_computing, case):
    """Defect 2: a bad ``--db`` was found only when saving, after computing every variant
    (and its results were lost); now it is a clear error at once, exit 2."""
    make, message = BAD_DBS[case]
    db = make(tmp_path)
    result = runner.invoke(app, ["run", scenario_file, "--data", MINI, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert message in _one_line(result.output) and str(db) in result.output
    assert "Traceback" not in result.output
    assert not no_computing


HOLDER = """\
import sys
from oreshock.store.store import Store
with Store(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture()
def busy(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A database another process keeps open for writing until ``release()`` is called."""
    db = tmp_path / "busy.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"

    def release() -> None:
        if proc.returncode is None:
            proc.communicate("\n", timeout=30)

    try:
        yield db, release
    finally:
        release()


def test_runs_that_cannot_be_saved_are_kept_and_recovered(busy, scenario_file, monkeypatch):
    """Defect 2: a save that fails (here: the database stays busy past ``store_wait``) keeps
    the computed runs in a recovery folder beside the database, says where and how to load
    them, and exits non-zero; once the database is free, ``runs recover`` stores them."""
    db, release = busy
    monkeypatch.setenv("ORESHOCK_STORE_WAIT", "0.3")
    result = runner.invoke(app, ["run", scenario_file, "--data", MINI, "--db", str(db), "--json"])
    assert result.exit_code == NOT_SAVED_EXIT, result.output
    report = json.loads(result.stdout)
    kept = report["kept"]
    folder = Path(kept["folder"])
    assert folder.parent == db.parent / "recovery" and (folder / "recovery.json").is_file()
    assert [r["run_id"] for r in report["runs"]] == [None, None, None]
    assert len(kept["runs"]) == 3 and "in use by another oreshock process" in kept["error"]
    message = _one_line(result.stderr)
    assert "3 of 3 runs could not be saved" in message and str(folder) in message
    assert f"oreshock runs recover {folder} --db {db}" in message
    release()
    restored = runner.invoke(app, ["runs", "recover", str(folder), "--db", str(db), "--json"])
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["runs"] == dict.fromkeys(kept["runs"], "saved")
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    assert {(r["run_id"], r["content"]) for r in json.loads(listed.stdout)} == {
        (rid, "ok") for rid in kept["runs"]
    }


def test_recover_stores_kept_runs_once(tmp_path, scenario_file, mini_network):
    """``runs recover FOLDER --db DB`` stores a recovery folder's runs with their ids and
    checks them against the hash recorded when they were kept; again, it stores nothing."""
    db = tmp_path / "r.duckdb"
    result = simulate(mini_network, open_scenario(scenario_file).build("one"))
    rows = [run_rows(result), run_rows(result)]
    folder = recovery.keep(rows, db, "the disk was full")
    first = runner.invoke(app, ["runs", "recover", str(folder), "--db", str(db), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["runs"] == {r.run_id: "saved" for r in rows}
    again = runner.invoke(app, ["runs", "recover", str(folder), "--db", str(db), "--json"])
    assert json.loads(again.stdout)["runs"] == {r.run_id: "already stored" for r in rows}
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    assert {(r["run_id"], r["content"]) for r in json.loads(listed.stdout)} == {
        (r.run_id, "ok") for r in rows
    }
    damaged = next(folder.glob("*-timeseries.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:-10])
    refused = runner.invoke(app, ["runs", "recover", str(folder), "--db", str(tmp_path / "n")])
    assert refused.exit_code == 2 and "does not match its sha256" in _one_line(refused.output)


def test_recovery_goes_to_the_home_folder_when_beside_the_db_is_not_writable(
    tmp_path, scenario_file, monkeypatch, mini_network
):
    """Beside the database first; when that cannot be written, ``~/.oreshock/recovery``."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "recovery").write_text("a file where the folder would go", "utf-8")
    rows = [run_rows(simulate(mini_network, open_scenario(scenario_file).build("two")))]
    folder = recovery.keep(rows, tmp_path / "r.duckdb", "read-only folder")
    assert folder.parent == tmp_path / "home" / ".oreshock" / "recovery"
    assert [k.rows.run_id for k in recovery.read(folder)] == [rows[0].run_id]


def test_list_marks_damaged_runs_and_show_export_refuse_them(tmp_path, scenario_file):
    """Defect 4: a run whose stored numbers changed, or lost rows, is marked ``damaged`` by
    ``runs list`` (with a warning naming it) and refused by ``show`` and ``export``."""
    db = tmp_path / "r.duckdb"
    a, b, c = (r["run_id"] for r in _run(scenario_file, db)["runs"])
    _sql(
        db,
        f"UPDATE timeseries SET value = value * 2 WHERE run_id = '{a}'",
        f"DELETE FROM flows WHERE run_id = '{b}'",
    )
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    assert listed.exit_code == 0, listed.output
    content = {r["run_id"]: r["content"] for r in json.loads(listed.stdout)}
    assert content == {a: "damaged", b: "damaged", c: "ok"}
    warning = _one_line(listed.stderr)
    assert "2 of 3 runs" in warning and a in warning and b in warning and c not in warning
    for args in (["show", a], ["export", a, "--out", str(tmp_path / "out")], ["compare", c, b]):
        refused = runner.invoke(app, ["runs", *args, "--db", str(db)])
        assert refused.exit_code == 2, refused.output
        assert "is damaged" in _one_line(refused.output) and "Traceback" not in refused.output
    assert not (tmp_path / "out").exists()
    shown = runner.invoke(app, ["runs", "show", c, "--db", str(db)])
    assert shown.exit_code == 0 and "content: ok" in shown.output


def test_half_truncated_database_is_found_and_never_written_into(
    tmp_path, mini_network, no_computing
):
    """Defect 4: a database cut to half its size listed 40 runs (39 unreadable) and took new
    ones. Now opening it for writing is refused naming the file, ``runs list`` says it is
    damaged and which runs can still be read, ``run`` refuses at once, and the file is left
    exactly as it was."""
    db = tmp_path / "cut.duckdb"
    rows = run_rows(simulate(mini_network, open_scenario("baseline").build(None)))
    with Store(db) as store:
        for _ in range(40):
            rows.record["run_id"] = new_run_id()
            store.save_rows(rows)
    os.truncate(db, db.stat().st_size // 2)
    before = _sha(db)
    with pytest.raises(DamagedStoreError) as info:
        Store(db)
    assert str(db) in str(info.value) and "will not write into it" in str(info.value)
    with Store(db, read_only=True) as store:
        assert store.damage
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    said = _one_line(listed.output)
    assert str(db) in said and "damaged" in said
    if listed.exit_code == 0:
        content = [r["content"] for r in json.loads(listed.stdout)]
        assert len(content) == 40 and content.count("ok") < 40
        assert "export the runs marked ok" in said
    else:
        assert listed.exit_code == 2 and "Traceback" not in listed.output
    ran = runner.invoke(app, ["run", "baseline", "--data", MINI, "--db", str(db)])
    assert ran.exit_code == 2 and "is damaged" in _one_line(ran.output)
    assert not no_computing, "refused before computing"
    assert _sha(db) == before
    assert not (tmp_path / "recovery").exists()


def test_rerun_compares_the_whole_time_series_and_flows(tmp_path, scenario_file):
    """Defect 6: with the stored time series doubled and every flow deleted, ``runs rerun``
    said "identical" (it compared summaries). Now it compares every table by content hash,
    says which differ and by how much, and that the stored run is damaged."""
    db = tmp_path / "r.duckdb"
    run_id = _run(scenario_file, db, "--variant", "one")["runs"][0]["run_id"]
    same = runner.invoke(app, ["runs", "rerun", run_id, "--data", MINI, "--db", str(db), "--json"])
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["identical"] is True
    _sql(
        db,
        f"UPDATE timeseries SET value = value * 2 WHERE run_id = '{run_id}'",
        f"DELETE FROM flows WHERE run_id = '{run_id}'",
    )
    args = ["runs", "rerun", run_id, "--data", MINI, "--db", str(db)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["identical"] is False and report["stored_content"] == "damaged"
    diffs = {d["table"]: d for d in report["differences"]}
    assert set(diffs) == {"timeseries", "flows"}
    assert diffs["timeseries"]["changed"] > 0 and diffs["timeseries"]["largest"] > 0
    assert diffs["flows"]["rows_a"] == 0 and diffs["flows"]["only_b"] > 0
    text = runner.invoke(app, args)
    said = _one_line(text.output)
    assert text.exit_code == 1 and "DIFFERENT" in said and "is damaged" in said
    assert "largest difference" in said and "flows: 0 rows stored" not in said


def test_runs_stored_before_hashing_are_never_hashed_and_compared_in_full(db_path):
    """Defect 7: a run of schema version 2 or older has no content hash: it is shown as
    ``never hashed`` (not damaged), shown and exported, and ``runs rerun`` still compares
    its time series, flows and sectors in full."""
    out = runner.invoke(
        app, ["run", "japan-rare-earths-2026", "--variant", "full-response", "--months", "6"]
    )
    assert out.exit_code == 0, out.output
    with Store(db_path, read_only=True) as store:
        (run_id,) = store.list_runs()["run_id"]
    _sql(db_path, "UPDATE runs SET content_hash = NULL")
    listed = runner.invoke(app, ["runs", "list", "--json"])
    assert [r["content"] for r in json.loads(listed.stdout)] == ["never hashed"]
    assert "warning" not in listed.stderr
    shown = runner.invoke(app, ["runs", "show", run_id])
    assert shown.exit_code == 0 and "content: never hashed" in shown.output
    again = runner.invoke(app, ["runs", "rerun", run_id, "--json"])
    report = json.loads(again.stdout)
    assert again.exit_code == 0 and report["identical"] is True
    assert report["stored_content"] == "never hashed"
    _sql(db_path, f"UPDATE sectors SET peak_shortfall_pct = 99 WHERE run_id = '{run_id}'")
    changed = runner.invoke(app, ["runs", "rerun", run_id, "--json"])
    report = json.loads(changed.stdout)
    assert changed.exit_code == 1 and [d["table"] for d in report["differences"]] == ["sectors"]
    assert report["stored_content"] == "never hashed"


NOBODY = 65534


@pytest.fixture()
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's own is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="oreshock-ro-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


READER = """\
import json, sys
from typer.testing import CliRunner
from oreshock.cli.app import app
done = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args)
    done.append({"code": result.exit_code, "stderr": result.stderr})
print(json.dumps(done))
"""
"""Runs several commands in one process (one start-up), each as ``oreshock`` would."""


def _as_reader(commands: list[list[str]], home: Path) -> list[dict]:
    """Run ``oreshock`` commands as a user who cannot write the database's folder: as
    ``nobody`` when the tests run as root (root writes anywhere), else as ourselves."""
    cmd = [sys.executable, "-c", READER, json.dumps(commands)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot become a user without rights")
        cmd = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    env = dict(os.environ, HOME=str(home))
    env.pop("ORESHOCK_DB", None)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("lock_file", [True, False], ids=["lock-file", "no-lock-file"])
def test_read_only_commands_need_no_write_access(shared_tmp, scenario_file, lock_file):
    """Defect 5: ``runs list|show|export`` opened the database for writing, so a read-only
    location gave a traceback. Now they open it read-only and take a shared lock without
    creating anything: the lock file opened read-only, or without one the database itself.
    A command that writes (``runs delete``, ``run``) says clearly, at once, that it cannot."""
    folder = shared_tmp / "ro"
    folder.mkdir()
    db = folder / "r.duckdb"
    run_id = _run(scenario_file, db, "--variant", "one")["runs"][0]["run_id"]
    if not lock_file:
        (folder / "r.duckdb.lock").unlink()
    out = shared_tmp / "out"
    out.mkdir()
    out.chmod(0o777)
    db.chmod(0o444)
    folder.chmod(0o555)
    before = {p.name: _sha(p) for p in folder.iterdir()}
    *reads, delete, ran = _as_reader(
        [
            ["runs", "list", "--db", str(db), "--json"],
            ["runs", "show", run_id, "--db", str(db)],
            ["runs", "export", run_id, "--out", str(out / "x"), "--db", str(db)],
            ["runs", "delete", run_id, "--db", str(db)],
            ["run", "baseline", "--data", MINI, "--db", str(db)],
        ],
        out,
    )
    for done in reads:
        assert done["code"] == 0, done["stderr"]
    assert (out / "x" / "timeseries.parquet").is_file()
    for done in (delete, ran):  # refused before anything is computed or written
        assert done["code"] == 2 and str(db) in done["stderr"]
        assert "cannot write in" in _one_line(done["stderr"])
    assert {p.name: _sha(p) for p in folder.iterdir()} == before, "a read wrote a file"


def test_a_missing_database_lists_no_runs_without_creating_it(tmp_path):
    """A read-only command never creates the database it was pointed at."""
    db = tmp_path / "none.duckdb"
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    shown = runner.invoke(app, ["runs", "show", "abc", "--db", str(db)])
    assert shown.exit_code == 2 and "no run 'abc'" in shown.output
    assert not db.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["a folder", "not a store"])
def test_ensemble_refuses_a_bad_db_and_seed_before_computing(tmp_path, monkeypatch, case):
    """Defect 2, for ensembles: a bad ``--db`` or a seed beyond BIGINT crashed after every
    batch had been computed; now both are refused before anything runs."""
    from oreshock.ensemble import runner as ensemble_runner

    started: list[object] = []
    monkeypatch.setattr(ensemble_runner, "plan_ensemble", lambda *a, **k: started.append(a))
    make, message = BAD_DBS[case]
    db = make(tmp_path)
    args = ["ensemble", "japan-rare-earths-2026", "--runs", "10", "--workers", "1"]
    refused = runner.invoke(app, [*args, "--db", str(db)])
    assert refused.exit_code == 2 and message in _one_line(refused.output)
    too_big = runner.invoke(app, [*args, "--seed", "9223372036854775808"])
    assert too_big.exit_code == 2 and "--seed" in too_big.output
    assert not started
