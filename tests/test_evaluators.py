"""The ensemble back-ends behind one ``Evaluator`` protocol, giving the same results."""

from __future__ import annotations

import contextlib
import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oreshock.ensemble.evaluators import (
    WORKER_MALLOC,
    DaskEvaluator,
    Evaluator,
    PoolEvaluator,
    SequentialEvaluator,
    make_evaluator,
)
from oreshock.ensemble.sampling import EnsembleError
from oreshock.model.scenario import open_scenario


def test_every_back_end_satisfies_the_protocol():
    for evaluator in (SequentialEvaluator(), PoolEvaluator(2), DaskEvaluator("local", 1)):
        assert isinstance(evaluator, Evaluator)
    assert isinstance(make_evaluator(1), SequentialEvaluator)
    assert isinstance(make_evaluator(3), PoolEvaluator)
    assert isinstance(make_evaluator(2, "local"), DaskEvaluator)


def test_pool_gives_the_sequential_results():
    tasks = list(range(23))
    with SequentialEvaluator() as seq:
        expected = list(seq.imap_unordered(operator.neg, tasks))
    with PoolEvaluator(2) as pool:
        got = list(pool.imap_unordered(operator.neg, iter(tasks)))
    assert expected == [-t for t in tasks]
    assert sorted(got) == sorted(expected)


def test_parallel_evaluators_must_be_entered():
    with pytest.raises(EnsembleError, match="context manager"):
        next(PoolEvaluator(1).imap_unordered(operator.neg, [1]))
    with pytest.raises(EnsembleError, match="at least 1"):
        PoolEvaluator(0)


def death_signal(_: object) -> tuple[int, int, list[str]]:
    """In a worker: the signal Linux sends it when its parent dies, its parent, its threads."""
    import ctypes
    import threading

    value = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
    return value.value, os.getppid(), [t.name for t in threading.enumerate()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_pool_workers_are_tied_to_their_parent():
    """Issue 10, ensembles defect 1: every pool worker has SIGKILL as its parent-death
    signal and a thread watching its parent (the portable fallback)."""
    with PoolEvaluator(2) as pool:
        got = list(pool.imap_unordered(death_signal, range(4)))
    assert {sig for sig, _, _ in got} == {signal.SIGKILL}
    assert {parent for _, parent, _ in got} == {os.getpid()}
    assert all("oreshock-parent-watch" in threads for _, _, threads in got)


def _group(pgid: int) -> set[int]:
    """Running processes of a process group, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_dask_local_workers_stop_when_the_ensemble_is_killed(tmp_path):
    """Issue 10, ensembles defect 1 (Dask): `oreshock ensemble --dask local` killed with
    SIGKILL leaves none of its worker processes running. This held before too (Dask's
    workers exit when a pipe from their parent closes); the test keeps it holding, with the
    parent watch each local worker now also runs."""
    scenario = tmp_path / "japan-12.yaml"
    shipped = Path(open_scenario("japan-rare-earths-2026").path).read_text("utf-8")
    scenario.write_text(shipped.replace("\nmonths: 60\n", "\nmonths: 12\n"), "utf-8")
    args = [
        *(sys.executable, "-m", "oreshock", "ensemble", str(scenario), "--variant"),
        *("stockpiles", "--runs", "400", "--batch-size", "10", "--dask", "local"),
        *("--workers", "2", "--db", str(tmp_path / "db.duckdb"), "--out", str(tmp_path)),
    ]
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while not list(tmp_path.glob("*/batch-*.parquet")):
            assert proc.poll() is None and time.monotonic() < deadline, "no batch written"
            time.sleep(0.05)
        assert len(_group(proc.pid)) >= 3  # the command and its two workers at least
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 15
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group(proc.pid), f"processes {sorted(_group(proc.pid))} still run"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _malloc_settings(_: int) -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in WORKER_MALLOC}


def test_dask_local_workers_get_the_malloc_thresholds_of_a_plain_process():
    """Dask's workers start with a trim threshold that makes glibc map and unmap every array
    of the engine; both thresholds are set on the workers `--dask local` starts."""
    with DaskEvaluator("local", 1) as dask:
        seen = list(dask.imap_unordered(_malloc_settings, [0]))
    assert seen == [WORKER_MALLOC]
