"""Evaluators: one interface to run batches sequentially, on a local process pool or on Dask.

``Evaluator`` is the seam: a context manager whose ``__enter__`` starts whatever the back-end
needs (nothing, a process pool, a Dask client) and whose ``__exit__`` stops it, with
``imap_unordered(fn, tasks)`` in between, which yields results as they finish while keeping
at most a few tasks in flight, so a 100,000-run ensemble never holds more than a handful of
batches in memory. The sequential evaluator is the reference; the parallel ones sit behind
the same methods and give the same results, in completion order. No chdir, no module
globals: every task carries what it needs.

Worker processes stop with the process that started them, even when it is killed with
SIGKILL and runs no clean-up: each pool worker starts with ``watch_parent``, which asks Linux
to kill it when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) and, on every system,
runs a thread that exits the process once its parent is gone. Dask's local workers already
exit when the pipe from their parent closes; the same watch is installed in each of them as
a worker plugin. Workers of a remote scheduler belong to that cluster and are left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from oreshock.ensemble.sampling import EnsembleError

TRIM = "MALLOC_TRIM_THRESHOLD_"
MMAP = "MALLOC_MMAP_THRESHOLD_"
WORKER_MALLOC = {TRIM: str(1 << 30), MMAP: str(32 << 20)}
"""glibc settings for Dask's worker processes (see ``DaskEvaluator.__enter__``)."""
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5
"""How often a worker checks that its parent is still there (the portable fallback)."""

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Evaluator(Protocol):
    """What ``run_ensemble`` needs from a back-end.

    ``workers`` is how many tasks run at once (known after ``__enter__`` for a remote
    cluster); ``describe`` is the one-line name the CLI reports.
    """

    workers: int

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def imap_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...

    def describe(self) -> str: ...


def _die_with_parent() -> None:
    """Linux: have the kernel send SIGKILL to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def watch_parent(
    parent: int | None = None, *, kernel: bool = True, ignore_sigint: bool = True
) -> None:
    """Make this worker process stop as soon as ``parent`` (default: its parent) is gone.

    Runs once per worker, never per task. ``kernel``: also ask Linux for SIGKILL on the
    parent's death (right only when the parent's thread that started this process lives as
    long as the parent uses it, as in the process pool). ``ignore_sigint``: Ctrl-C in a
    terminal reaches the whole process group; the parent handles it (stops the pool, marks
    the ensemble interrupted), so workers do not die mid-task with a traceback each.
    """
    parent = os.getppid() if parent is None else parent
    if kernel:
        _die_with_parent()
    if os.getppid() != parent:  # the parent died before the kernel watch was set
        os._exit(1)
    threading.Thread(
        target=_watch, args=(parent,), name="oreshock-parent-watch", daemon=True
    ).start()
    if ignore_sigint and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start workers with SIGINT ignored: the disposition survives exec, so Ctrl-C while a
    worker is still importing (before ``watch_parent`` runs) cannot kill it with a
    traceback. A Ctrl-C in this short window (the workers' fork and exec, milliseconds)
    is lost; it is the price of that. Only the main thread can change handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _noop() -> None:
    return None


def _not_started(name: str) -> EnsembleError:
    return EnsembleError(f"{name}: use the evaluator as a context manager (with ...:)")


class SequentialEvaluator:
    """Runs tasks one after another in this process (debugging, tiny ensembles)."""

    workers = 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def imap_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)

    def describe(self) -> str:
        return "sequential"


class PoolEvaluator:
    """A local process pool (spawned processes: safe with DuckDB and threads in the parent)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise EnsembleError(f"--workers must be at least 1 (found {workers})")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=watch_parent,
            initargs=(os.getpid(),),
        )
        # The pool starts a worker for each submission while none is idle: these start all
        # of them now, inside the window where they inherit an ignored SIGINT.
        with _sigint_ignored():
            for _ in range(self.workers):
                self._pool.submit(_noop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc is not None:  # interrupted or failed: do not wait for the batches in flight
            _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)

    def imap_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self._pool
        if pool is None:
            raise _not_started("PoolEvaluator")
        pending: set[Future[R]] = set()
        todo = iter(tasks)
        limit = 2 * self.workers
        while True:
            for task in todo:
                pending.add(pool.submit(fn, task))
                if len(pending) >= limit:
                    break
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def describe(self) -> str:
        return f"process pool ({self.workers} workers)"


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (there is no public way to reach them)."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()


def _parent_watch_plugin(parent: int) -> Any:
    """A Dask worker plugin running ``watch_parent`` in each local worker (whose parent is
    this process: LocalCluster's nannies live here). Without the kernel watch: Dask starts
    workers from a helper thread, and PR_SET_PDEATHSIG fires when that *thread* ends."""
    # Optional extra (dask[distributed]); only reached from DaskEvaluator.__enter__.
    from distributed import WorkerPlugin

    class ParentWatch(WorkerPlugin):
        name = "oreshock-parent-watch"

        def setup(self, worker: Any) -> None:
            watch_parent(parent, kernel=False, ignore_sigint=False)

    return ParentWatch()


class DaskEvaluator:
    """Dask: ``"local"`` starts a LocalCluster of ``workers``; else a scheduler address."""

    def __init__(self, address: str, workers: int = 2, *, processes: bool = True) -> None:
        try:
            # dask[distributed] is the optional `ensemble` extra: checked here, used on enter.
            import distributed  # noqa: F401
        except ImportError:  # pragma: no cover - optional dependency
            raise EnsembleError(
                "--dask needs dask[distributed]: pip install 'oreshock[ensemble]'"
            ) from None
        self.address = address
        self.workers = workers
        self.processes = processes
        self._cluster: Any = None
        self._client: Any = None

    def __enter__(self) -> Self:
        # Optional extra (dask[distributed]), loaded only when a Dask evaluator is used.
        from distributed import Client, LocalCluster

        if self.address == "local":
            # Optional extra, as above; needed only to configure the LocalCluster's workers.
            import dask

            # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand
            # freed memory back at once; the engine's large short-lived arrays then cost a
            # page fault each time and run about 2.5x slower. Workers here keep it. Setting
            # any threshold also stops glibc from raising the mmap threshold as it does by
            # itself (from 128 KiB up to 32 MiB): the engine's arrays, of a few MiB, would
            # each be mapped and unmapped again (40% more CPU per run, measured), so the mmap
            # threshold is set to the 32 MiB a plain process reaches.
            environ = {
                f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_MALLOC.items()
            }
            with dask.config.set(environ):
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address=None,
                )
            self._client = Client(self._cluster)
            if self.processes:
                self._client.register_plugin(_parent_watch_plugin(os.getpid()))
        else:
            try:
                self._client = Client(self.address, timeout="10s")
            except OSError as exc:
                raise EnsembleError(f"cannot reach Dask scheduler {self.address}: {exc}") from None
            self.workers = max(1, len(self._client.scheduler_info()["workers"]))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def imap_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        # Optional extra (dask[distributed]); __enter__ has already imported it.
        from distributed import as_completed

        client = self._client
        if client is None:
            raise _not_started("DaskEvaluator")
        todo = iter(tasks)
        first = [
            client.submit(fn, t, pure=False)
            for _, t in zip(range(2 * self.workers), todo, strict=False)
        ]
        if not first:
            return
        queue = as_completed(first)
        for future in queue:
            result: R = future.result()
            future.release()
            for task in todo:
                queue.add(client.submit(fn, task, pure=False))
                break
            yield result

    def describe(self) -> str:
        return f"dask {self.address} ({self.workers} workers)"


def make_evaluator(workers: int = 1, dask: str | None = None) -> Evaluator:
    """The evaluator the CLI options ask for."""
    if dask:
        return DaskEvaluator(dask, max(workers, 1))
    return SequentialEvaluator() if workers <= 1 else PoolEvaluator(workers)
