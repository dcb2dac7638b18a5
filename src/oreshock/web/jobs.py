"""The run queue: runs started through the API execute one at a time in a background thread.

One worker thread, so the server keeps answering while a run executes and two runs never
compete for the machine's cores or the results database. The queue is bounded, so a client
that keeps posting gets told to wait instead of piling up work. Job states are kept in
memory: they describe what this server process is doing, and stored runs outlive them.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from oreshock.model.scenario import Scenario

MAX_QUEUED = 8
Progress = Callable[[float], None]
Execute = Callable[[Scenario, int, Progress], str]
"""Runs a scenario with a seed, reporting progress in [0, 1]; returns the stored run id."""


class QueueFull(Exception):
    """Too many runs are waiting (the API answers 429)."""


class NotFinished(Exception):
    """A job's run is not stored yet, so its tables cannot be read (the API answers 409)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()[:19]


@dataclass
class Job:
    """A run started through the API, until (and after) it is stored."""

    id: str
    scenario: str
    variant: str | None
    status: str = "queued"
    progress: float = 0.0
    run_id: str | None = None
    error: str | None = None
    created: str = field(default_factory=_now)

    @property
    def pending(self) -> bool:
        """Still counts against the queue limit."""
        return self.status in ("queued", "running")

    def advance(self, progress: float) -> None:
        """Progress callback handed to the executor, so it need not know about jobs."""
        self.progress = progress

    def public(self) -> dict[str, Any]:
        """What clients see of a job (the route's JSON)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "variant": self.variant,
            "status": self.status,
            "progress": round(self.progress, 3),
            "error": self.error,
            "created": self.created,
        }


class JobQueue:
    """Bounded queue of runs with their states, over a one-thread pool."""

    def __init__(self, execute: Execute, max_queued: int = MAX_QUEUED) -> None:
        self._execute = execute
        self.max_queued = max_queued
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()  # the room check and the insert are one step
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oreshock-run")

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job of this process, oldest first."""
        return list(self._jobs.values())

    def ensure_room(self) -> None:
        """Refuse early, before the caller spends time validating a scenario."""
        pending = sum(job.pending for job in self.all())
        if pending >= self.max_queued:
            raise QueueFull(f"{pending} runs are waiting; try again when some finish")

    def submit(self, scenario: Scenario, seed: int) -> Job:
        """Queue an already validated scenario; answer at once with its job."""
        with self._lock:
            self.ensure_room()
            job = Job(uuid.uuid4().hex[:12], scenario.name, scenario.variant)
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, scenario, seed)
        return job

    def resolve(self, run_or_job: str) -> str:
        """The stored run id behind a job id (or the run id itself)."""
        job = self._jobs.get(run_or_job)
        if job is None:
            return run_or_job
        if job.run_id is None:
            raise NotFinished(f"run {run_or_job} is {job.status}, not finished")
        return job.run_id

    def shutdown(self) -> None:
        """Drop queued runs when the server stops; a running one ends with the process."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, scenario: Scenario, seed: int) -> None:
        job.status = "running"
        try:
            job.run_id = self._execute(scenario, seed, job.advance)
        except Exception as exc:  # reported to the client through the job's status
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}"
            return
        job.progress = 1.0
        job.status = "done"
