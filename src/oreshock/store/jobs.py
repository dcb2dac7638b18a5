"""The service's job table: runs and plans queued through the HTTP API, kept so a restart
loses none.

A job is written when it is submitted (with the validated request as JSON), updated when it
starts, as it progresses (the caller throttles), and when it ends. Every function takes an
open ``Store`` and does one short statement or transaction, so callers keep their store
blocks short. The table itself is defined in ``store.schema`` (``jobs``, schema version 3;
``kind`` and ``plan_id`` since version 4, ``ensemble_id`` since version 6).

Kinds (``KINDS``): a ``run`` job stores a run and names it in ``run_id``, a ``plan`` job
stores a plan and names it in ``plan_id``, an ``ensemble`` job runs an ensemble (its batches
under the store's ``ensembles/`` folder, indexed in ``ensembles``) and names it in
``ensemble_id``. Jobs stored before plans were kept have no kind
and are runs.

States: ``queued`` and ``running`` count against the queue limit (``PENDING``); ``done``,
``failed`` and ``cancelled`` are final (a failed or cancelled job says why in ``error``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from oreshock.store.store import Store

PENDING = ("queued", "running")
"""States that still count against the queue limit."""
FINAL = ("done", "failed", "cancelled")
INTERRUPTED = "interrupted by a server restart; submit the run again"
"""The error of a job that was running when the server that ran it died."""

RUN = "run"
PLAN = "plan"
ENSEMBLE = "ensemble"
KINDS = {RUN: "run_id", PLAN: "plan_id", ENSEMBLE: "ensemble_id"}
"""Kind of job -> the column naming what a finished job of that kind stored."""

_UPDATABLE = frozenset(
    {"status", "progress", "run_id", "plan_id", "ensemble_id", "error", "owner_pid"}
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StoredJob:
    """One row of the ``jobs`` table."""

    job_id: str
    created: dt.datetime
    updated: dt.datetime
    scenario: str
    variant: str | None
    request_json: str
    seed: int
    status: str
    progress: float
    run_id: str | None
    error: str | None
    owner_pid: int | None
    kind: str = RUN
    plan_id: str | None = None
    ensemble_id: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING


_COLUMNS = ", ".join(f.name for f in fields(StoredJob))


def _job(row: tuple[Any, ...]) -> StoredJob:
    job = StoredJob(*row)
    return job if job.kind else replace(job, kind=RUN)  # stored before jobs had a kind


def count_pending(store: Store) -> int:
    """Jobs queued or running, by any server on this database."""
    row = store.con.execute(
        "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
    ).fetchone()
    return int(row[0]) if row else 0


def insert_job(
    store: Store,
    job_id: str,
    *,
    scenario: str,
    variant: str | None,
    request_json: str,
    seed: int,
    owner_pid: int,
    kind: str = RUN,
) -> StoredJob:
    """Write a new queued job; the caller checked the queue limit in the same transaction."""
    if kind not in KINDS:
        raise ValueError(f"jobs: unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    now = _now()
    job = StoredJob(
        job_id,
        now,
        now,
        scenario,
        variant,
        request_json,
        seed,
        "queued",
        0.0,
        None,
        None,
        owner_pid,
        kind,
    )
    placeholders = ", ".join("?" for _ in fields(StoredJob))
    store.con.execute(
        f"INSERT INTO jobs ({_COLUMNS}) VALUES ({placeholders})",
        [getattr(job, f.name) for f in fields(StoredJob)],
    )
    return job


def get_job(store: Store, job_id: str) -> StoredJob | None:
    row = store.con.execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", [job_id]).fetchone()
    return _job(row) if row else None


def list_jobs(
    store: Store,
    statuses: Iterable[str] = (),
    *,
    limit: int | None = None,
    kind: str | None = None,
) -> list[StoredJob]:
    """Jobs in the given states (every state when none is given), oldest first; only those
    of ``kind`` when it is given."""
    wanted: list[str] = list(statuses)
    where = [f"status IN ({', '.join('?' for _ in wanted)})"] if wanted else []
    if kind is not None:
        where.append("coalesce(kind, 'run') = ?")
        wanted.append(kind)
    sql = f"SELECT {_COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created, job_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_job(row) for row in store.con.execute(sql, wanted).fetchall()]


def update_job(store: Store, job_id: str, **changes: Any) -> None:
    """Set some of status, progress, run_id, plan_id, ensemble_id, error, owner_pid, and the
    time of the change."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"jobs: cannot update {sorted(unknown)}; expected {sorted(_UPDATABLE)}")
    names = list(changes)
    sets = ", ".join(f"{name} = ?" for name in names)
    store.con.execute(
        f"UPDATE jobs SET {sets}, updated = ? WHERE job_id = ?",
        [changes[n] for n in names] + [_now(), job_id],
    )


def prune_jobs(store: Store, keep: int) -> int:
    """Delete the oldest finished jobs beyond the newest ``keep``; returns how many. Their
    runs stay; their job ids then answer as unknown."""
    row = store.con.execute(
        "SELECT count(*) FROM jobs WHERE status NOT IN ('queued', 'running')"
    ).fetchone()
    extra = (int(row[0]) if row else 0) - keep
    if extra <= 0:
        return 0
    store.con.execute(
        "DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs WHERE status NOT IN "
        f"('queued', 'running') ORDER BY updated, job_id LIMIT {int(extra)})"
    )
    return extra


def recover_jobs(
    store: Store, pid: int, is_alive: Callable[[int], bool], ours: Iterable[str] = ()
) -> list[StoredJob]:
    """After a restart: fail the jobs a dead server was running, adopt its queued ones.

    A running job whose owner process is gone (or is this process, which did not start it:
    a restarted container often reuses the pid) is marked failed with ``INTERRUPTED``. Queued
    jobs of such owners are taken over (``owner_pid`` set to ``pid``) and returned, oldest
    first, for the caller to run. Jobs of another live server on the same database are left
    to it. ``ours`` are the ids this process already runs.
    """
    mine = set(ours)

    def orphaned(job: StoredJob) -> bool:
        owner = job.owner_pid
        if job.job_id in mine:
            return False
        return owner is None or owner == pid or not is_alive(owner)

    adopted = []
    with store.transaction():
        for job in list_jobs(store, PENDING):
            if not orphaned(job):
                continue
            if job.status == "running":
                update_job(store, job.job_id, status="failed", error=INTERRUPTED)
            else:
                update_job(store, job.job_id, owner_pid=pid)
                adopted.append(job)
    return adopted
