"""One results database, many processes: an advisory file lock beside the database.

DuckDB lets one process open a file for writing, and while it does, no other process may
open it at all, not even to read. Two ``oreshock`` commands on one database therefore take
turns: a ``Store`` takes an ``flock`` on the sidecar file ``<db>.lock`` before it connects
(exclusive for a writer, shared for ``read_only=True``) and gives it back when it closes, so
readers share the file, a writer has it alone, and a process that would collide waits for its
turn instead of crashing. The wait is bounded (the ``store_wait`` option, seconds); past it,
``StoreBusyError`` says which database is busy and what to do.

Why ``flock`` on a sidecar and not on the database: DuckDB takes its own POSIX record lock on
the database file, and a lock file that is never written can be created even when the
database itself is read-only. The kernel releases an ``flock`` when its process dies, so a
process killed with ``kill -9`` never leaves a stale lock behind: there is no pid file to
clean up.

A reader never writes, not even the lock file: it locks the sidecar opened read-only when
the sidecar exists, else the database file itself (a read-only folder, or a database no
writer of this version has opened yet). A writer that starts meanwhile is still kept out by
DuckDB's own lock on the file, which ``Store`` retries within the same wait.

Within one process, every ``Store`` on one database shares one lock (DuckDB shares one
database instance per process too); the lock is given back when the last of them closes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from oreshock.core.errors import OreshockError
from oreshock.core.options import get_option

T = TypeVar("T")

FIRST_POLL = 0.01
"""Seconds before the first retry; the pause doubles up to ``LAST_POLL``."""
LAST_POLL = 0.2

FOREIGN_LOCK = "Could not set lock on file"
"""DuckDB's message when another process (one that does not take our lock) holds the file."""


class StoreBusyError(OreshockError):
    """Another process kept the results database for longer than the ``store_wait`` option.

    The message names the file and what to do; it never names the other process (error
    bodies of the HTTP service must not carry process ids).
    """

    def __init__(self, path: Path, waited: float) -> None:
        self.path = path
        self.waited = waited
        super().__init__(
            f"the results database {path} is in use by another oreshock process (waited "
            f"{waited:g} s); retry when it has finished, or wait longer by raising "
            "ORESHOCK_STORE_WAIT (seconds)"
        )


def lock_path(db: Path) -> Path:
    """The sidecar lock file of a database: ``<db>.lock`` beside it."""
    return db.with_name(db.name + ".lock")


@dataclass
class _Held:
    """One process's lock on one database, shared by every Store of that process."""

    fd: int
    shared: bool
    users: int = 1


_held: dict[Path, _Held] = {}
_guard = threading.Lock()
_path_guards: dict[Path, threading.Lock] = {}


def _forget_after_fork() -> None:
    """A forked child does not own its parent's locks: drop them without unlocking.

    (``flock`` locks belong to the open file, which the child shares; unlocking here would
    unlock the parent.)
    """
    global _guard
    for held in _held.values():
        with contextlib.suppress(OSError):
            os.close(held.fd)
    _held.clear()
    _path_guards.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _path_guard(key: Path) -> threading.Lock:
    with _guard:
        return _path_guards.setdefault(key, threading.Lock())


def thread_guard(db: Path) -> threading.Lock:
    """The lock threads of this process take on one database: while taking the file lock,
    and while creating or upgrading the schema (two threads creating the tables of a new
    file at once would conflict in DuckDB)."""
    return _path_guard(Path(os.path.abspath(db)))


def _open_lock_file(db: Path, shared: bool) -> int:
    """A descriptor to lock: a writer's sidecar (created if need be); for a reader, the
    sidecar if it exists, else the database itself, both opened read-only."""
    sidecar = lock_path(db)
    if not shared:
        return os.open(sidecar, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        return os.open(sidecar, os.O_RDONLY)
    except OSError:
        return os.open(db, os.O_RDONLY)


def retry_until(deadline: float, attempt: Callable[[], T | None]) -> T | None:
    """Call ``attempt`` until it returns something or ``deadline`` (monotonic) passes.

    The pauses grow from ``FIRST_POLL`` to ``LAST_POLL`` with a little jitter, so processes
    waiting for one another do not retry in step.
    """
    pause = FIRST_POLL
    while True:
        found = attempt()
        if found is not None:
            return found
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, LAST_POLL)


def _try_flock(fd: int, shared: bool) -> bool | None:
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return None
    return True


class StoreLock:
    """The lock a ``Store`` holds while it is open; ``release`` is safe to call twice."""

    def __init__(self, db: Path, *, shared: bool, wait: float | None = None) -> None:
        """Take the lock, waiting at most ``wait`` seconds (default: the ``store_wait``
        option); raises ``StoreBusyError`` past it."""
        self.db = db
        self.shared = shared
        self.wait: float = get_option("store_wait") if wait is None else wait
        self.deadline = time.monotonic() + self.wait
        self.key = Path(os.path.abspath(db))
        self._released = False
        guard = _path_guard(self.key)
        # another thread of this process may be waiting for the same database: wait with it
        if not guard.acquire(timeout=self.wait):
            raise StoreBusyError(self.db, self.wait)
        try:
            held = _held.get(self.key)
            if held is None:
                _held[self.key] = self._take_new()
            else:
                self._join(held)
        finally:
            guard.release()

    def _take_new(self) -> _Held:
        fd = _open_lock_file(self.db, self.shared)
        if retry_until(self.deadline, lambda: _try_flock(fd, self.shared)) is None:
            os.close(fd)
            raise StoreBusyError(self.db, self.wait)
        return _Held(fd, self.shared)

    def _join(self, held: _Held) -> None:
        """Share this process's lock; a writer turns a shared lock exclusive first."""
        if held.shared and not self.shared:
            if retry_until(self.deadline, lambda: _try_flock(held.fd, False)) is None:
                raise StoreBusyError(self.db, self.wait)
            held.shared = False
        held.users += 1

    def release(self) -> None:
        """Give the lock back when the last Store of this process on the database closes."""
        if self._released:
            return
        self._released = True
        with _path_guard(self.key):
            held = _held.get(self.key)
            if held is None:
                return
            held.users -= 1
            if held.users > 0:
                return
            del _held[self.key]
            try:
                fcntl.flock(held.fd, fcntl.LOCK_UN)  # a forked child may share the file
            finally:
                os.close(held.fd)

    def left(self) -> float:
        """Seconds left of the wait (DuckDB's own lock is retried within the same wait)."""
        return max(0.0, self.deadline - time.monotonic())


def is_foreign_lock(exc: BaseException) -> bool:
    """True for DuckDB's error when another process holds the database file."""
    return FOREIGN_LOCK in str(exc)
