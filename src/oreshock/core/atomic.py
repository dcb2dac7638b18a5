"""Writing files and folders so that a crash leaves the old content or the new, never half.

Every command that writes a file or a folder a user keeps (dataset folders, exports,
reports, ensemble manifests) goes through these two functions:

- ``write_file(path, write)``: ``write`` fills a temporary file beside ``path``, which is
  flushed to disk and renamed over ``path`` (a rename within one folder is atomic on POSIX).
- ``replace_folder(target, is_ours)``: the caller fills a temporary folder beside
  ``target``; on success it takes ``target``'s place. An existing ``target`` is replaced only
  when it is empty or ``is_ours(target)`` says the tool made it (a dataset folder has its
  ``dataset.toml``); anything else is refused before a byte is written, so the tool never
  deletes what it did not create.

The folder swap is one exchange of the two names where Linux offers it
(``renameat2(RENAME_EXCHANGE)``), so ``target`` never goes missing. Elsewhere it is two
renames: the old folder moves aside to ``.<name>.old-<token>``, the new one moves in, then the
old one is removed; a crash between the two leaves no ``target`` but a complete old folder
beside it, which ``recover_folder`` (called on every ``replace_folder``) puts back. Temporary
folders of a crashed write carry a marker file until the swap is done, so only folders this
module made are ever cleaned up.

Two processes replacing one target at once must take turns (``data.extend`` holds a lock):
``recover_folder`` would take the other's live temporary folder for a crashed one.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from oreshock.core.errors import OreshockError

MARKER = ".oreshock-partial"
"""File inside a temporary folder: says the folder is this module's and may be removed."""


def _fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it over ``path`` at once."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(target.parent)
    return target


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in blocks (batch files and recovery folders record
    it when written and check it before they trust a file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_text(path: str | Path, text: str) -> Path:
    """``write_file`` for a text file in UTF-8."""
    return write_file(path, lambda tmp: tmp.write_text(text, "utf-8"))


def _siblings(target: Path, kind: str) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.{kind}-*"))


def recover_folder(target: Path) -> None:
    """Undo what a crashed ``replace_folder`` left: put a moved-aside folder back, drop
    temporary folders that carry the marker."""
    if target.exists():
        (target / MARKER).unlink(missing_ok=True)  # a swap that ended before its last step
    olds = _siblings(target, "old")
    if olds and not target.exists():
        os.replace(olds[-1], target)
        (target / MARKER).unlink(missing_ok=True)
        olds = olds[:-1]
    for old in olds:
        if (old / MARKER).exists() or target.exists():
            shutil.rmtree(old, ignore_errors=True)
    for tmp in _siblings(target, "tmp"):
        if (tmp / MARKER).exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_replaceable(target: Path, is_ours: Callable[[Path], bool], what: str) -> None:
    """Refuse a target that exists and is neither empty nor one of ours."""
    if not target.exists():
        return
    if not target.is_dir():
        raise OreshockError(f"{target} is a file, not a folder; choose a folder for {what}")
    if any(target.iterdir()) and not is_ours(target):
        raise OreshockError(
            f"{target} is not empty and is not {what}; choose an empty or new folder "
            "(nothing was written or deleted)"
        )


@contextlib.contextmanager
def replace_folder(
    target: str | Path, is_ours: Callable[[Path], bool], what: str = "an oreshock folder"
) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it becomes ``target``, on error it goes.

    ``what`` names the kind of folder in the refusal (e.g. "a dataset folder").
    """
    folder = Path(target)
    folder.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(folder)
    check_replaceable(folder, is_ours, what)
    token = uuid.uuid4().hex[:8]
    tmp = folder.with_name(f".{folder.name}.tmp-{token}")
    tmp.mkdir()
    (tmp / MARKER).touch()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if folder.exists() and _exchange(tmp, folder):
        # ``tmp`` now holds the old content, marked (see ``_mark``), so a crash leaves only
        # what ``recover_folder`` removes.
        (folder / MARKER).unlink(missing_ok=True)
        _fsync_folder(folder.parent)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = folder.with_name(f".{folder.name}.old-{token}")
    if folder.exists():
        os.replace(folder, old)
        (old / MARKER).touch()  # from here on the old content may be removed
    os.replace(tmp, folder)
    (folder / MARKER).unlink(missing_ok=True)
    _fsync_folder(folder.parent)
    shutil.rmtree(old, ignore_errors=True)


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _exchange(new: Path, target: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``), so ``target``
    never goes missing; False where the system or file system cannot, and the caller falls
    back to two renames. The old content is marked first: whichever name it ends under after
    a crash, ``recover_folder`` knows it may go."""
    libc = _libc()
    if libc is None:
        return False
    (target / MARKER).touch()
    done = libc.renameat2(
        AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(target), RENAME_EXCHANGE
    )
    if done != 0:
        (target / MARKER).unlink(missing_ok=True)
        return False
    return True


def _libc() -> Any:
    """The C library, when it has ``renameat2`` (glibc 2.28 and later); else None."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "renameat2") else None
    except OSError:
        return None
