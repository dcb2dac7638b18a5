"""Atomic file and folder writes (``core.atomic``): old content or new, never half."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oreshock.core import atomic
from oreshock.core.errors import OreshockError


def _ours(path: Path) -> bool:
    return (path / "dataset.toml").exists()


def _fill(folder: Path, version: str) -> None:
    (folder / "dataset.toml").write_text(version)
    (folder / "table.csv").write_text(f"a,b\n{version},1\n")


def _beside(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir())


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_replace_folder_swaps_whole_folders(tmp_path, monkeypatch, exchange):
    """Both ways of swapping leave exactly the new folder, without marker or leftovers."""
    if not exchange:
        monkeypatch.setattr(atomic, "_libc", lambda: None)
    elif atomic._libc() is None:
        pytest.skip("this system has no renameat2")
    target = tmp_path / "ds"
    for version in ("v1", "v2", "v3"):
        with atomic.replace_folder(target, _ours, "a dataset folder") as tmp:
            _fill(tmp, version)
            assert not target.exists() or (target / "dataset.toml").read_text() != version
    assert _beside(target) == ["ds"]
    assert sorted(os.listdir(target)) == ["dataset.toml", "table.csv"]
    assert (target / "dataset.toml").read_text() == "v3"


def test_a_failed_write_leaves_the_old_folder(tmp_path):
    target = tmp_path / "ds"
    with atomic.replace_folder(target, _ours) as tmp:
        _fill(tmp, "v1")
    with pytest.raises(RuntimeError), atomic.replace_folder(target, _ours) as tmp:
        _fill(tmp, "v2")
        raise RuntimeError("disk full")
    assert _beside(target) == ["ds"] and (target / "dataset.toml").read_text() == "v1"


def test_a_folder_that_is_not_ours_is_refused_untouched(tmp_path):
    """The defect of `data import --into`: a non-empty folder that is not a dataset was
    emptied; now it is refused before anything is written."""
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    refused = pytest.raises(OreshockError, match="not empty and is not a dataset folder")
    with refused, atomic.replace_folder(target, _ours, "a dataset folder"):
        pytest.fail("must not be reached")
    assert os.listdir(target) == ["thesis.tex"] and _beside(target) == ["mine"]


def test_a_crash_between_the_two_renames_is_undone(tmp_path):
    """The state a kill leaves between moving the old folder aside and moving the new one
    in: no target, the old folder beside it, a marked temporary one. The next replace puts
    the old folder back (then replaces it), and removes the temporary one."""
    target = tmp_path / "ds"
    old = tmp_path / ".ds.old-deadbeef"
    old.mkdir()
    _fill(old, "v1")
    (old / atomic.MARKER).touch()
    half = tmp_path / ".ds.tmp-deadbeef"
    half.mkdir()
    (half / atomic.MARKER).touch()
    atomic.recover_folder(target)
    assert _beside(target) == ["ds"]
    assert sorted(os.listdir(target)) == ["dataset.toml", "table.csv"]


def test_a_crash_after_the_swap_leaves_no_marker_behind(tmp_path):
    """Killed after the new folder moved in but before its marker went: the marker is
    removed and the old content, marked, is cleaned up; an unmarked folder is never."""
    target = tmp_path / "ds"
    target.mkdir()
    _fill(target, "v2")
    (target / atomic.MARKER).touch()
    stale = tmp_path / ".ds.tmp-cafecafe"
    stale.mkdir()
    _fill(stale, "v1")
    (stale / atomic.MARKER).touch()
    someone_elses = tmp_path / ".ds.tmp-notours"
    someone_elses.mkdir()
    atomic.recover_folder(target)
    assert _beside(target) == [".ds.tmp-notours", "ds"]
    assert not (target / atomic.MARKER).exists()
    shutil.rmtree(someone_elses)


def test_write_file_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "report.html"
    atomic.write_text(path, "old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic.write_file(path, broken)
    assert path.read_text() == "old" and _beside(path) == ["report.html"]
    atomic.write_text(path, "new")
    assert path.read_text() == "new" and _beside(path) == ["report.html"]
