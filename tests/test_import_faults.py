"""Faults a user meets when importing published files (issue 10, Build item 2).

Each test names the defect of issue 10 it pins; all of them failed on the main branch before
``oreshock.data.extend`` wrote dataset folders through ``core.atomic.replace_folder``, unless
the docstring says it is a guard. The kill -9 test runs the real command in a real process
and kills it at random points; its repeat count is the ``fault_trials`` option.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core import atomic
from oreshock.core.atomic import recover_folder
from oreshock.core.options import get_option
from oreshock.data.datasets import bundled_path, load_dataset
from oreshock.data.extend import SwapError, extending
from oreshock.data.loaders import load_usgs
from oreshock.store.store import Store

LOADERS = Path(__file__).parent / "data" / "loaders"
USGS = LOADERS / "MCS2025_World_Data_slice.csv"
BACI = LOADERS / "baci" / "BACI_HS22_Y2023_V202501.csv"
COMTRADE = LOADERS / "comtrade_TradeData_2023_HS22.csv"
runner = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Hidden entries named after ``folder`` beside it: temporary or moved-aside folders."""
    return sorted(p.name for p in folder.parent.glob(f".{folder.name}*"))


def bundled_copy(folder: Path) -> Path:
    """A dataset folder holding the bundled dataset, as a user's existing dataset."""
    shutil.copytree(bundled_path(), folder)
    return folder


def import_cli(kind: str, file: Path, into: Path, db: Path):
    """Run ``oreshock data import`` in this process (no kill needed)."""
    args = ["data", "import", kind, str(file), "--into", str(into), "--db", str(db)]
    return runner.invoke(app, args)


# --- defect 1: a folder that is not a dataset folder ------------------------------------


def test_import_refuses_a_folder_that_is_not_a_dataset_folder(tmp_path):
    """Defect 1: `data import usgs FILE --into DIR` on a folder without dataset.toml deleted
    everything in it and exited 0. Now: exit 2, the folder named, nothing written or deleted
    (not even the results database)."""
    mine = tmp_path / "mine"
    (mine / "photos").mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me", "utf-8")
    (mine / "photos" / "a.jpg").write_bytes(b"\xff\xd8 not a dataset")
    before = snapshot(mine)
    result = import_cli("usgs", USGS, mine, tmp_path / "results.duckdb")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{mine} is not empty and is not a dataset folder" in message
    assert "nothing was written or deleted" in message
    assert snapshot(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_import_refuses_a_file_as_the_target(tmp_path):
    """Defect 1: `--into` naming a file is refused with its name; the file is kept."""
    target = tmp_path / "data.csv"
    target.write_text("a,b\n1,2\n", "utf-8")
    result = import_cli("usgs", USGS, target, tmp_path / "results.duckdb")
    assert result.exit_code == 2, result.output
    assert f"{target} is a file, not a folder" in " ".join(result.output.split())
    assert target.read_text("utf-8") == "a,b\n1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_import_keeps_what_a_user_put_in_a_dataset_folder(tmp_path):
    """Defect 1 (never delete what the tool did not create): a README and a folder of notes
    that a user keeps in a dataset folder survive an import into it (before, the folder was
    rebuilt from its tables and manifest only)."""
    data = bundled_copy(tmp_path / "data")
    (data / "README.md").write_text("my notes on this dataset\n", "utf-8")
    (data / "notes").mkdir()
    (data / "notes" / "2025.txt").write_text("checked by hand\n", "utf-8")
    result = import_cli("usgs", USGS, data, tmp_path / "results.duckdb")
    assert result.exit_code == 0, result.output
    assert (data / "README.md").read_text("utf-8") == "my notes on this dataset\n"
    assert (data / "notes" / "2025.txt").read_text("utf-8") == "checked by hand\n"
    assert (data / "production.csv").read_bytes() != (
        bundled_path() / "production.csv"
    ).read_bytes()
    assert leftovers(data) == []


def test_import_into_an_empty_folder_builds_on_the_bundled_dataset(tmp_path):
    """Guard for defect 1: an empty folder may be the target (a new one too, in the other
    tests); it becomes the bundled dataset extended with the file, which validates."""
    target = tmp_path / "empty"
    target.mkdir()
    result = import_cli("usgs", USGS, target, tmp_path / "results.duckdb")
    assert result.exit_code == 0, result.output
    china = load_dataset(target).sql(
        "SELECT value FROM production WHERE mineral = 'rare_earths' AND stage = 'mining' "
        "AND iso3 = 'CHN' AND year = 2024"
    )
    assert list(china["value"]) == [270000.0]
    assert leftovers(target) == []


# --- defect 2: the order of the folder swap and the store record -------------------------


def test_a_store_that_cannot_record_leaves_the_folder_as_it_was(tmp_path):
    """Defect 2: the folder was extended before the import was recorded, so a store that
    could not record it (here a file that is not a database) left an extended folder with no
    record of where its rows came from. Now the record comes before the swap."""
    data = bundled_copy(tmp_path / "data")
    before = snapshot(data)
    bad_db = tmp_path / "results.duckdb"
    bad_db.write_bytes(b"this is not a DuckDB database\n" * 200)
    result = import_cli("usgs", USGS, data, bad_db)
    assert result.exit_code == 2, result.output
    assert str(bad_db) in " ".join(result.output.split())
    assert snapshot(data) == before
    assert leftovers(data) == []


def test_a_failed_swap_leaves_the_old_folder_and_says_so(tmp_path, monkeypatch):
    """Defect 2 ("if the swap fails, say so"): the rename that moves the old folder aside
    fails (its name is taken by a folder that is not empty); the error says the folder is as
    it was, and it is, with no temporary folder left. The swap in two renames is the one
    where systems without ``renameat2`` can fail half-way, so the test takes it."""
    monkeypatch.setattr(atomic, "_libc", lambda: None)
    data = bundled_copy(tmp_path / "data")
    before = snapshot(data)
    tables = load_usgs(USGS)
    refused = pytest.raises(SwapError, match=r"could not be moved into place.*as it was")
    with refused, extending(data, tables, str(USGS)) as staged:
        token = staged.folder.name.rsplit("-", 1)[1]
        blocker = data.with_name(f".{data.name}.old-{token}")
        (blocker / "taken").mkdir(parents=True)
    assert snapshot(data) == before
    assert leftovers(data) == []


def test_failed_import_names_the_target_files_not_a_temporary_folder(tmp_path):
    """Defect 1/2: a dataset that does not validate after the merge (here a country the
    dataset does not list) is refused with problems naming the target's files (the temporary
    folder is gone when the user reads them) and saying nothing was written."""
    text = USGS.read_text("utf-8").replace("Rare earths,Burma,", "Rare earths,Afghanistan,")
    other = tmp_path / "MCS2025_World_Data.csv"
    other.write_text(text, "utf-8")
    data = bundled_copy(tmp_path / "data")
    before = snapshot(data)
    result = import_cli("usgs", other, data, tmp_path / "results.duckdb")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{data / 'production.csv'}, row" in message
    assert "'AFG'" in message
    assert "does not validate; nothing was written" in message
    assert ".tmp-" not in message
    assert snapshot(data) == before and leftovers(data) == []


def test_files_of_sources_the_dataset_does_not_list_can_be_imported(tmp_path):
    """Imports a user meets first: every row cites a source listed in sources.csv, so a BACI
    or Comtrade file, or the next USGS edition, was refused against the bundled dataset
    ("unknown source 'cepii_baci'"). Now the import adds the source, naming the file and
    asking for its address and licence; the dataset validates and holds the rows."""
    data = tmp_path / "data"
    for kind, file in (("baci", BACI), ("comtrade", COMTRADE)):
        result = import_cli(kind, file, data, tmp_path / "results.duckdb")
        assert result.exit_code == 0, result.output
    dataset = load_dataset(data)
    sources = dataset.table("sources").set_index("source_id")
    assert sources.loc["cepii_baci", "publisher"] == "CEPII"
    assert sources.loc["un_comtrade", "url"] == COMTRADE.name
    assert "give its published address and licence" in sources.loc["cepii_baci", "note"]
    trade = dataset.table("trade")
    assert set(trade["source_id"]) >= {"cepii_baci", "un_comtrade"}


def test_a_folder_that_no_longer_matches_its_manifest_is_not_extended(tmp_path):
    """Nothing written over damage: a dataset folder whose production.csv lost its last rows
    (cut at a line break, so every row is well formed) was extended and given a new
    manifest, recording the loss as intended. Now it is refused, naming the file."""
    data = bundled_copy(tmp_path / "data")
    production = data / "production.csv"
    lines = production.read_bytes().splitlines(keepends=True)
    production.write_bytes(b"".join(lines[:-5]))
    before = snapshot(data)
    result = import_cli("usgs", USGS, data, tmp_path / "results.duckdb")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{production}: contents differ from the sha256 in dataset.toml" in message
    assert "does not match its manifest" in message and "nothing was written" in message
    assert snapshot(data) == before and leftovers(data) == []


def test_a_busy_store_leaves_the_folder_as_it_was(tmp_path):
    """Defect 2: while another process holds the results database, the import waits
    (store_wait), then gives up with the store's message; the folder was extended before
    the store was asked, now it is left as it was."""
    data = bundled_copy(tmp_path / "data")
    before = snapshot(data)
    db = tmp_path / "results.duckdb"
    env = {**os.environ, "ORESHOCK_STORE_WAIT": "0.5"}
    with Store(db):  # held by this process until the import has given up
        proc = subprocess.run(
            _command(data, db), capture_output=True, text=True, env=env, timeout=300, check=False
        )
    assert proc.returncode == 2, proc.stderr
    assert str(db) in " ".join(proc.stderr.split())
    assert snapshot(data) == before and leftovers(data) == []


def _block(path: Path, commodity: str, old: str, new: str) -> Path:
    """The fixture's header and one commodity's rows, with one figure changed to mark it."""
    lines = USGS.read_text("utf-8").splitlines(keepends=True)
    rows = [line for line in lines[1:] if line.startswith(f"MCS2025,{commodity},")]
    text = "".join([lines[0], *rows])
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")
    return path


def test_two_imports_into_one_folder_at_once_keep_both(tmp_path):
    """Nothing lost under load (issue 10): two imports into one folder at the same time each
    read the old folder and the last swap dropped the other's rows. Now they take turns (a
    lock on the folder's parent), so both files' rows are in the folder."""
    data = bundled_copy(tmp_path / "data")
    rare = _block(tmp_path / "rare.csv", "Rare earths", "255000,270000,", "255000,270001,")
    antimony = _block(tmp_path / "sb.csv", "Antimony", "62300,60000,", "62300,60001,")
    db = tmp_path / "results.duckdb"
    procs = [
        subprocess.Popen(
            _command(data, db, file), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for file in (rare, antimony)
    ]
    errors = [proc.communicate(timeout=300)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    production = load_dataset(data).table("production")
    china_2024 = production[(production["iso3"] == "CHN") & (production["year"] == 2024)]
    values = dict(zip(china_2024["mineral"], china_2024["value"], strict=False))
    assert (values["rare_earths"], values["antimony"]) == (270001.0, 60001.0)
    assert leftovers(data) == []


def test_an_import_that_cannot_take_its_turn_changes_nothing(tmp_path, monkeypatch):
    """The turn's wait is bounded: while another import holds the folder's parent (here this
    test, through its own flock), the import gives up after store_wait seconds, names the
    folder and changes nothing."""
    data = bundled_copy(tmp_path / "data")
    before = snapshot(data)
    monkeypatch.setenv("ORESHOCK_STORE_WAIT", "0.3")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = import_cli("usgs", USGS, data, tmp_path / "results.duckdb")
    finally:
        os.close(fd)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{data}: another oreshock import into {tmp_path} was still running" in message
    assert snapshot(data) == before and leftovers(data) == []


def test_a_link_to_a_dataset_folder_stays_a_link(tmp_path):
    """Defect 1 (never delete what the tool did not create): `--into LINK` replaced the link
    by a folder; now the folder it points to is extended and the link kept."""
    real = bundled_copy(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = import_cli("usgs", USGS, link, tmp_path / "results.duckdb")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "production.csv").read_bytes() != (
        bundled_path() / "production.csv"
    ).read_bytes()
    assert leftovers(real) == [] and leftovers(link) == []


def test_the_bundled_dataset_is_not_a_target(tmp_path):
    """Defect 1: the dataset shipped inside the package is refused as `--into`."""
    before = snapshot(bundled_path())
    result = import_cli("usgs", USGS, bundled_path(), tmp_path / "results.duckdb")
    assert result.exit_code == 2, result.output
    assert "is the dataset shipped with oreshock" in " ".join(result.output.split())
    assert snapshot(bundled_path()) == before


# --- defect 5: files a user gives by mistake ---------------------------------------------


def _zip(path: Path) -> Path:
    out = path / "MCS2025_World_Data.zip"
    with zipfile.ZipFile(out, "w") as archive:
        archive.write(USGS, USGS.name)
    return out


def _gzip(path: Path) -> Path:
    out = path / "MCS2025_World_Data.csv.gz"
    out.write_bytes(gzip.compress(USGS.read_bytes()))
    return out


def _utf16(path: Path) -> Path:
    out = path / "comtrade_utf16.csv"
    out.write_bytes(COMTRADE.read_text("utf-8-sig").encode("utf-16"))
    return out


def _nul(path: Path) -> Path:
    out = path / "sheet.csv"
    out.write_bytes(USGS.read_bytes()[:200] + b"\x00\x00\x00\x01\x02")
    return out


def _baci_folder(path: Path, data: bytes) -> Path:
    folder = path / "baci"
    shutil.copytree(BACI.parent, folder)
    (folder / BACI.name).write_bytes(data)
    return folder / BACI.name


def _empty(path: Path) -> Path:
    out = path / "MCS2025_World_Data.csv"
    out.write_bytes(b"")
    return out


def _cut(path: Path) -> Path:
    out = path / "MCS2025_World_Data.csv"
    out.write_bytes(USGS.read_bytes()[:1000])
    return out


BAD_FILES = {
    # name: (kind, how to make the file, what the message says)
    "zip archive": ("usgs", _zip, "expected a CSV text file, found a ZIP archive"),
    "gzip file": ("usgs", _gzip, "found a gzip-compressed file; decompress it"),
    "utf-16 text": ("comtrade", _utf16, "found UTF-16 text; save it as CSV in UTF-8"),
    "binary bytes": ("usgs", _nul, "found binary data (a NUL byte at byte 200)"),
    "gzip baci": ("baci", lambda p: _baci_folder(p, gzip.compress(BACI.read_bytes())),
                  "found a gzip-compressed file"),
    "empty baci": ("baci", lambda p: _baci_folder(p, b""), "the file is empty; expected a header"),
    "baci as usgs": ("usgs", lambda p: BACI, "the header is that of a CEPII BACI trade file, "
                     "not of a USGS MCS world data file; import it with `oreshock data import baci"),
    "usgs as comtrade": ("comtrade", lambda p: USGS, "the header is that of a USGS MCS world "
                         "data file, not of a UN Comtrade export"),
    "usgs as baci": ("baci", lambda p: _baci_folder(p, USGS.read_bytes()),
                     "the header is that of a USGS MCS world data file, not of a CEPII BACI"),
    "empty usgs (guard)": ("usgs", _empty, "the file is empty; expected a header row"),
    "cut usgs (guard)": ("usgs", _cut, "the line is cut short"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_files_given_by_mistake_are_named_and_nothing_is_written(tmp_path, case):
    """Defect 5: an archive, a workbook-like binary, UTF-16 text or a file of another kind
    was refused, if at all, with field counts ("row has 2 fields; expected the header's 1"),
    "no data rows" or a cut last line, or only by missing columns, which do not say the user
    chose the wrong command. Now the message names the file and what it is; exit 2; neither
    the dataset folder nor the results database is created. Empty and cut files are guards
    (refused clearly before too)."""
    kind, make, expected = BAD_FILES[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    file = make(inputs)
    target, db = tmp_path / "data", tmp_path / "results.duckdb"
    result = import_cli(kind, file, target, db)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert str(file) in message
    assert expected in message
    assert "Traceback" not in result.output
    assert not target.exists() and not db.exists()


# --- update_manifest ---------------------------------------------------------------------


def test_update_manifest_refuses_an_unreadable_manifest_and_keeps_it(tmp_path):
    """Defect 4: `python -m oreshock.data.update_manifest FOLDER` on a dataset.toml that is
    not UTF-8 ended in a traceback; now one line naming the folder, exit 1, the file kept."""
    data = bundled_copy(tmp_path / "data")
    manifest = data / "dataset.toml"
    manifest.write_bytes(b'name = "caf\xe9"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "oreshock.data.update_manifest", str(data)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f"{data}: cannot rewrite dataset.toml" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert manifest.read_bytes() == b'name = "caf\xe9"\n'
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(".")) == []


# --- defect 3: kill -9 at random points --------------------------------------------------


def _command(target: Path, db: Path, file: Path = USGS) -> list[str]:
    """`oreshock data import usgs FILE --into TARGET --db DB` in a process of its own."""
    return [sys.executable, "-m", "oreshock", "data", "import", "usgs", str(file),
            "--into", str(target), "--db", str(db)]  # fmt: skip


def _staging_seen(target: Path) -> bool:
    """Whether a hidden folder named after the target (the new dataset being written) exists."""
    return any(target.parent.glob(f".{target.name}*"))


def _run(target: Path, db: Path, kill_at: float | None = None, after_staging: bool = False):
    """Start the import; kill -9 it ``kill_at`` seconds after start (or after its temporary
    folder appears). Returns (exit code, seconds run, seconds from start to the temporary
    folder's appearance or None)."""
    start = time.monotonic()
    proc = subprocess.Popen(_command(target, db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    staged_at = None
    while proc.poll() is None:
        now = time.monotonic() - start
        if staged_at is None and _staging_seen(target):
            staged_at = now
        base = staged_at if after_staging else 0.0
        if kill_at is not None and base is not None and now >= base + kill_at:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    stderr = proc.communicate(timeout=120)[1]
    if proc.returncode != -signal.SIGKILL and proc.returncode != 0:
        pytest.fail(f"import failed: {stderr.decode(errors='replace')}")
    return proc.returncode, time.monotonic() - start, staged_at


def _records(db: Path, sha: str) -> int:
    """How many imports of the file the store holds; opening it is part of the check."""
    with Store(db, read_only=True) as store:
        imports = store.list_imports()
    return int((imports["sha256"] == sha).sum())


def test_kill_9_during_import_leaves_old_or_new_dataset(tmp_path):
    """Defect 3: kill -9 at random points of `oreshock data import usgs FILE --into DIR`.

    The command's lifetime is measured first (uninterrupted run, which also gives the new
    dataset). Each trial starts from the old dataset and kills the process after a random
    delay: every other trial anywhere in its lifetime, the others within the part after
    its temporary folder appears (writing, validating, recording, swapping), where a crash could
    leave a half-written folder. Afterwards the folder is the old dataset or the new one,
    byte for byte (a folder missing between the two renames of the swap must have its old
    copy beside it, which recover_folder puts back); it is new only if the store recorded the
    import; the store opens. The next successful import leaves no temporary folder behind,
    and the dataset it leaves passes load_dataset (manifest hashes included).
    """
    trials = int(get_option("fault_trials"))
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    source = bundled_copy(tmp_path / "old")
    old = snapshot(source)
    target, db = tmp_path / "work" / "data", tmp_path / "results.duckdb"
    shutil.copytree(source, target)
    code, lifetime, staged_at = _run(target, db)
    assert code == 0 and staged_at is not None
    new = snapshot(target)
    assert new != old
    sha = hashlib.sha256(USGS.read_bytes()).hexdigest()
    outcomes: list[str] = []
    for trial in range(trials):
        after_staging = trial % 2 == 1
        window = lifetime - staged_at if after_staging else lifetime
        delay = rng.uniform(0, window)
        shutil.rmtree(target)
        shutil.copytree(source, target)
        records = _records(db, sha)
        code, _, _ = _run(target, db, kill_at=delay, after_staging=after_staging)
        where = f"seed {seed}, trial {trial}, kill after {delay:.3f} s"
        if not target.exists():
            assert any(".data.old-" in name for name in leftovers(target)), where
            recover_folder(target)
            outcomes.append("between renames")
        state = snapshot(target)
        assert state in (old, new), f"{where}: the folder is neither the old nor the new dataset"
        if state == new:
            assert _records(db, sha) == records + 1, f"{where}: new folder, import not recorded"
        outcomes.append("completed" if code == 0 else "new" if state == new else "old")
    code, _, _ = _run(target, db)
    assert code == 0
    assert snapshot(target) == new
    assert leftovers(target) == []
    load_dataset(target)
    print(f"kill -9 trials (seed {seed}, lifetime {lifetime:.2f} s): {outcomes}")
