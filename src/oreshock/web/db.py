"""The results database as the service uses it: one short ``Store`` block per operation.

DuckDB refuses a second connection to one file with another configuration in the same
process (read-only beside read-write), so the blocks of this process go through one
readers-writer lock: reads (read-only) share it, a write has it alone, and a waiting write
goes before new reads, so a stream of large reads cannot starve the run queue. Other
processes (the CLI) are kept apart by the store itself. A store
held by another process past the store's wait is "busy": the API answers 503 with
``Retry-After`` and a plain message, and a job's error says so without the file or the pid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from oreshock.core.errors import OreshockError
from oreshock.store.locking import StoreBusyError
from oreshock.store.store import Store

BUSY = "the results database is in use by another process; try again shortly"
_LOCK_WORDS = ("Could not set lock on file", "Conflicting lock")


def is_busy(exc: BaseException) -> bool:
    """Another process holds the database: the store's ``StoreBusyError`` (its file lock
    timed out), or DuckDB's own lock conflict if one ever gets through."""
    if isinstance(exc, StoreBusy | StoreBusyError):
        return True
    seen: BaseException | None = exc
    while seen is not None:
        if any(word in str(seen) for word in _LOCK_WORDS):
            return True
        seen = seen.__cause__
    return False


class StoreBusy(OreshockError):
    """The database is busy (the API answers 503 with Retry-After); names no file or pid."""

    def __init__(self) -> None:
        super().__init__(BUSY)


class ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers. Not re-entrant."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class ServerBusy(OreshockError):
    """Too much of one kind of work at once (the API answers 503 with Retry-After)."""


class RunKept(OreshockError):
    """A computed run could not be saved and was kept in a recovery folder on the server
    (``store.recovery``); the message gives its id, the server's log the folder."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"the run was computed but could not be saved to the results database, so it was "
            f"kept as run {run_id} in a recovery folder on the server (its log names the "
            "folder; `oreshock runs recover` stores it)"
        )


class Database:
    """Opens the service's results database for one operation at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = ReadWriteLock()
        self._ready = False

    @contextmanager
    def _open(self, read_only: bool) -> Iterator[Store]:
        with self.lock.reading() if read_only else self.lock.writing():
            try:
                store = Store(self.path, read_only=read_only)
            except OreshockError as exc:
                if is_busy(exc):
                    raise StoreBusy() from exc
                raise
            with store:
                yield store

    def write(self) -> AbstractContextManager[Store]:
        """The store open for writing (creating the file on first use)."""
        return self._open(read_only=False)

    def read(self) -> AbstractContextManager[Store]:
        """The store open read-only. The first read of this process opens it for writing
        once, which creates a missing file and upgrades one an older oreshock wrote, so reads
        find every table."""
        if not self._ready or not self.path.exists():
            self._prepare()
        return self._open(read_only=True)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """The read lock alone, for code that opens the store itself, read-only (the
        ensemble index, through ``store.open_read``); the file is created or upgraded first,
        as ``read`` does."""
        if not self._ready or not self.path.exists():
            self._prepare()
        with self.lock.reading():
            yield

    def _prepare(self) -> None:
        """Create or upgrade the file (a write open); a busy one is tried again on the next
        read. One that cannot be written (damaged, a read-only folder) is left to the
        read-only open, which reads what it can or says why it cannot."""
        try:
            with self._open(read_only=False):
                pass
        except StoreBusy:
            raise
        except OreshockError:
            pass
        self._ready = True
