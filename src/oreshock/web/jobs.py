"""The run queue: runs and plans started through the API, kept in the store, run one at a
time.

One worker thread, so the server keeps answering while a run executes and two runs never
compete for the machine's cores or the results database. Jobs live in the store's ``jobs``
table (``oreshock.store.jobs``): written when submitted, with the validated request, and on
every change of state, so a restart loses none. On start the queue takes over the queued
jobs of a server that died and marks the ones it was running failed ("interrupted by a server
restart"). They are not run again: a run that was going when the server died may be what
killed it, and its result may already be stored, so running it again could loop or store it
twice; the client decides. This process keeps its own jobs in memory too (written through),
so polling them costs no database open.

The queue is bounded (``Settings.max_queued``): the room check and the insert are one
transaction under one lock, counting the jobs in the store. A run is stopped cooperatively
after ``Settings.job_seconds`` or when cancelled: its executor calls ``Control.check``
between minerals and at every allocation pass within one, so it stops there, never in
the middle of saving (a run being saved is finished and stored).

A job has a kind (``store.jobs.KINDS``): a run, a plan (``POST /api/plans``) or an ensemble
(``POST /api/ensembles``), each with its own executor; a plan's executor checks between the
planner's steps, an ensemble's while its command runs (``web.ensembles``). An ensemble's time
limit is ``Settings.ensemble_seconds``, the others' ``Settings.job_seconds``. A job is looked up and
resolved within its kind, so a plan's job id is not taken for a run's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.store.jobs import (
    ENSEMBLE,
    KINDS,
    PENDING,
    PLAN,
    RUN,
    StoredJob,
    count_pending,
    get_job,
    insert_job,
    list_jobs,
    prune_jobs,
    recover_jobs,
    update_job,
)
from oreshock.store.store import Store
from oreshock.web.db import BUSY, Database, RunKept, is_busy
from oreshock.web.settings import Settings

log = logging.getLogger("oreshock.web")

CANCELLED = "cancelled by a client request"
SHUT_DOWN = "interrupted by a server shutdown; submit the run again"
SHORTEN = {
    RUN: "shorten its horizon or its minerals",
    PLAN: "sample fewer controls or plan for fewer members",
    ENSEMBLE: "ask for fewer runs (it resumes from its finished batches when submitted again)",
}
"""What to change in a request that ran past the time limit, per kind of job."""
PROGRESS_EVERY = 1.0
"""Seconds between stored progress updates of a running job (memory has every update)."""
KEEP_IN_MEMORY = 1000
"""Finished jobs kept in memory; older ones are read from the store when asked for."""
KEEP_IN_STORE = 10_000
"""Finished jobs kept in the store (the oldest beyond it are deleted when a server starts;
their runs stay, their job ids then answer 404)."""


class QueueFull(Exception):
    """Too many runs are waiting (the API answers 429 with Retry-After)."""


class NotFinished(Exception):
    """A job's run is not stored yet, so its tables cannot be read (the API answers 409)."""


class NothingToCancel(Exception):
    """The job is finished, or runs on another server (the API answers 409)."""


class JobStopped(Exception):
    """A run was stopped: cancelled, or past its time limit (the job's error says which)."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def _text(when: dt.datetime | None) -> str:
    return when.isoformat()[:19] if when else ""


@dataclass
class Job:
    """A run or plan started through the API, until (and after) it is stored."""

    id: str
    scenario: str
    variant: str | None
    request_json: str
    seed: int
    status: str = "queued"
    progress: float = 0.0
    run_id: str | None = None
    error: str | None = None
    created: str = ""
    kind: str = RUN
    plan_id: str | None = None
    ensemble_id: str | None = None

    @classmethod
    def of(cls, row: StoredJob) -> Job:
        return cls(
            row.job_id,
            row.scenario,
            row.variant,
            row.request_json,
            row.seed,
            row.status,
            row.progress or 0.0,
            row.run_id,
            row.error,
            _text(row.created),
            row.kind,
            row.plan_id,
            row.ensemble_id,
        )

    @property
    def pending(self) -> bool:
        """Still counts against the queue limit."""
        return self.status in PENDING

    @property
    def stored_id(self) -> str | None:
        """The run or plan this job stored (None until it is done)."""
        stored: str | None = getattr(self, KINDS[self.kind])
        return stored

    def public(self) -> dict[str, Any]:
        """What clients see of a job (the route's JSON); a plan's job names its plan too."""
        shown = {
            "id": self.id,
            "kind": self.kind,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "variant": self.variant,
            "status": self.status,
            "progress": round(self.progress, 3),
            "error": self.error,
            "created": self.created,
        }
        if self.kind != RUN:
            shown[KINDS[self.kind]] = self.stored_id
        return shown


class Control:
    """What a running job lets its executor do: report progress, stop when told to, and
    mark the job done in the store block that saves its run or plan."""

    def __init__(
        self,
        job_id: str,
        seconds: float,
        stopped: Callable[[], JobStopped | None],
        report: Callable[[float], None],
        kind: str = RUN,
    ) -> None:
        self.job_id = job_id
        self.kind = kind
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._stopped = stopped
        self._report = report
        self.recorded = False

    def stored(self, store: Store, stored_id: str) -> None:
        """Mark the job done with the id of its run (or plan), in the caller's open store
        right after it is saved: one database turn instead of two, and no window in which a
        restart would find it stored but its job still running."""
        column = KINDS[self.kind]
        update_job(store, self.job_id, status="done", progress=1.0, error=None,
                   **{column: stored_id})  # fmt: skip
        self.recorded = True

    def progress(self, fraction: float) -> None:
        self._report(min(max(fraction, 0.0), 1.0))

    def check(self) -> None:
        """Raise ``JobStopped`` once the job is cancelled or past its time limit."""
        stop = self._stopped()
        if stop is not None:
            raise stop
        if time.monotonic() > self.deadline:
            raise JobStopped(
                f"stopped: the {self.kind} took longer than the limit of {self.seconds:g} s; "
                f"{SHORTEN[self.kind]}",
                "failed",
            )


Execute = Callable[[str, Control], str]
"""Runs a job's validated request (JSON), calling ``Control.check`` often, and
``Control.stored`` in the block that saves the run (or plan); returns the stored id.
OreshockError messages reach the client; other errors are logged, not shown."""
Clean = Callable[[str], str]


def pid_alive(pid: int) -> bool:
    """A process with this id exists on this machine (the owner of a job may be gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class JobQueue:
    """Bounded queue of runs (and plans) over the store's job table and one worker thread."""

    def __init__(
        self,
        db: Database,
        execute: Execute,
        settings: Settings,
        clean: Clean = str,
        *,
        kinds: Mapping[str, Execute] | None = None,
    ) -> None:
        """``execute`` runs the runs; ``kinds`` maps each other kind of job (``plan``) to
        its executor. One worker and one limit serve every kind: they share the machine."""
        self.db = db
        self.settings = settings
        self._executors = {RUN: execute, **(kinds or {})}
        self._clean = clean
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()  # the room check and the insert are one step
        self._todo: queue.Queue[str | None] = queue.Queue()
        self._running: Job | None = None
        self._stop: JobStopped | None = None  # set to stop the running job
        self._stored_at = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def max_queued(self) -> int:
        return self.settings.max_queued

    def start(self) -> None:
        """Start the worker (once); it first takes over what a previous server left."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="oreshock-run", daemon=True)
                self._thread.start()

    def shutdown(self, seconds: float = 5.0) -> None:
        """Stop taking jobs (queued ones stay queued in the store for the next start) and
        stop the running one, waiting up to ``seconds`` for its state to be stored."""
        with self._lock:
            self._stopping.set()
            self._stop = JobStopped(SHUT_DOWN, "failed")
        self._todo.put(None)
        if self._thread is not None:
            self._thread.join(seconds)

    def get(self, job_id: str, kind: str | None = None) -> Job | None:
        """A job of this or an earlier server on the database (of ``kind``, when given)."""
        job = self._jobs.get(job_id)
        if job is None:
            with self.db.read() as store:
                row = get_job(store, job_id)
            job = Job.of(row) if row else None
        return job if job is None or kind in (None, job.kind) else None

    def pending(self, kind: str | None = None) -> list[Job]:
        """Jobs queued or running on this database, oldest first (of ``kind``, when given)."""
        with self.db.read() as store:
            rows = list_jobs(store, PENDING, kind=kind)
        return [self._jobs.get(row.job_id) or Job.of(row) for row in rows]

    def ensure_room(self) -> None:
        """Refuse early, before the caller spends time validating a scenario (this server's
        jobs only; ``submit`` counts the store's)."""
        here = sum(job.pending for job in list(self._jobs.values()))  # a copy: others add
        if here >= self.max_queued:
            raise self._full(here)

    def _full(self, pending: int) -> QueueFull:
        return QueueFull(
            f"{pending} runs are queued or running (the limit is "
            f"{self.max_queued}); try again when some finish"
        )

    def submit(
        self,
        request_json: str,
        scenario: str,
        variant: str | None,
        seed: int,
        kind: str = RUN,
    ) -> Job:
        """Queue an already validated request; answer at once with its job.

        The room check counts the store's pending jobs in the transaction that inserts this
        one, under this queue's lock, so concurrent submissions never pass the limit.
        """
        if kind not in self._executors:
            raise ValueError(f"jobs: no executor for {kind!r} jobs; expected one of "
                             f"{sorted(self._executors)}")  # fmt: skip
        self.start()
        with self._lock:
            self.ensure_room()
            job_id = uuid.uuid4().hex[:12]
            with self.db.write() as store, store.transaction():
                pending = count_pending(store)
                if pending >= self.max_queued:
                    raise self._full(pending)
                row = insert_job(
                    store,
                    job_id,
                    scenario=scenario,
                    variant=variant,
                    request_json=request_json,
                    seed=seed,
                    owner_pid=os.getpid(),
                    kind=kind,
                )
            job = self._jobs[job_id] = Job.of(row)
        self._todo.put(job_id)
        return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, or ask a running one to stop (it stops within a
        mineral's run; ``wait`` for it). A finished job raises ``NothingToCancel``."""
        with self._lock:
            job = self.get(job_id)
            if job is None:
                raise UnknownIdError(f"no job {job_id!r}; see /api/jobs")
            if not job.pending:
                raise NothingToCancel(f"job {job_id} is {job.status}; nothing to cancel")
            if job.status == "queued":
                self._set(job, status="cancelled", error=CANCELLED)
            elif self._running is not None and self._running.id == job_id:
                self._stop = JobStopped(CANCELLED, "cancelled")
            else:  # run by another live server on this database
                raise NothingToCancel(f"job {job_id} runs on another server; cancel it there")
        return job

    def wait(self, job: Job, seconds: float) -> Job:
        """Wait up to ``seconds`` for a job to leave the running state."""
        deadline = time.monotonic() + seconds
        while job.pending and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def resolve(self, stored_or_job: str, kind: str = RUN) -> str:
        """The stored run (or plan) id behind a job id of that kind, or the id itself; the
        job of another kind is refused as unknown, naming where it is."""
        job = self.get(stored_or_job)
        if job is None:
            return stored_or_job
        if job.kind != kind:
            raise UnknownIdError(
                f"no {kind} {stored_or_job!r}: it is the job of a {job.kind}; see "
                f"/api/{job.kind}s/{stored_or_job}"
            )
        if job.stored_id is None:
            raise NotFinished(f"{kind} {stored_or_job} is {job.status}, not finished")
        return job.stored_id

    def _set(self, job: Job, *, stored: bool = False, **changes: Any) -> None:
        """Change a job in memory and in the store (unless already ``stored``). A store
        that refuses is logged, not raised: the worker must live on to run the next job."""
        for name, value in changes.items():
            setattr(job, name, value)
        if stored:
            return
        try:
            with self.db.write() as store:
                update_job(store, job.id, **changes)
        except OreshockError as exc:
            log.warning("job %s: could not store %s: %s", job.id, sorted(changes), exc)
        except Exception:
            log.exception("job %s: could not store %s", job.id, sorted(changes))

    def _report(self, job: Job, fraction: float) -> None:
        job.progress = fraction
        now = time.monotonic()
        if now - self._stored_at >= PROGRESS_EVERY:
            self._stored_at = now
            self._set(job, progress=fraction)

    def _recover(self) -> bool:
        """Take over what a dead server left and forget the oldest finished jobs beyond
        ``KEEP_IN_STORE``; False while the store is busy."""
        with self._lock:  # no submission in between: each job is ours or adopted, once
            try:
                with self.db.write() as store:
                    adopted = recover_jobs(store, os.getpid(), pid_alive, ours=self._jobs)
                    prune_jobs(store, KEEP_IN_STORE)
            except OreshockError as exc:
                log.warning("jobs: cannot recover queued jobs yet: %s", exc)
                return False
            for row in adopted:
                if row.job_id not in self._jobs:
                    self._jobs[row.job_id] = Job.of(row)
                    self._todo.put(row.job_id)
        if adopted:
            log.warning("jobs: resumed %d queued job(s) of a previous server", len(adopted))
        return True

    def _work(self) -> None:
        while not self._recover():
            if self._stopping.wait(self.settings.retry_after):
                return
        while not self._stopping.is_set():
            job_id = self._todo.get()
            if job_id is None:
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if self._stopping.is_set():
                    return
                if job is None or job.status != "queued":
                    continue  # cancelled while it waited
                self._running, self._stop = job, None
                self._set(job, status="running", owner_pid=os.getpid())
            try:
                self._run(job)
            finally:
                self._running = None
                self._forget_old()

    def _run(self, job: Job) -> None:
        self._stored_at = time.monotonic()  # the first progress write after PROGRESS_EVERY
        control = Control(
            job.id,
            self.settings.seconds(job.kind),
            lambda: self._stop,
            lambda f: self._report(job, f),
            job.kind,
        )
        try:
            stored_id = self._executors[job.kind](job.request_json, control)
        except JobStopped as exc:
            self._set(job, status=exc.status, error=str(exc))
        except OreshockError as exc:
            kept = isinstance(exc, RunKept)
            message = str(exc) if kept else BUSY if is_busy(exc) else self._clean(str(exc))
            self._set(job, status="failed", error=message)
        except Exception:  # a bug: the log has the traceback, the client an id to quote
            error_id = uuid.uuid4().hex[:8]
            log.exception("job %s failed (error id %s)", job.id, error_id)
            self._set(job, status="failed", error=f"internal error (id {error_id})")
        else:
            done = {"status": "done", "progress": 1.0, KINDS[job.kind]: stored_id, "error": None}
            self._set(job, stored=control.recorded, **done)

    def _forget_old(self) -> None:
        """Keep memory bounded: finished jobs beyond ``KEEP_IN_MEMORY`` are read from the
        store when asked for."""
        finished = [k for k, j in list(self._jobs.items()) if not j.pending]
        for key in finished[: max(0, len(finished) - KEEP_IN_MEMORY)]:
            del self._jobs[key]
