"""The real server under load, killed in the middle: bounded memory, 429 not failure, no job
lost.

Issue 10, Build item 4 ("a load test of the service ... that it survives with bounded
memory, answering 429 rather than failing; a restart during the test loses no job"). Twenty
clients (threads with httpx) send ``100 x fault_trials`` run submissions (500 by default;
raise ``ORESHOCK_FAULT_TRIALS`` for a longer test) while two more read a large run's time
series (full pages and the Parquet file). Half way, the server gets SIGKILL and a new one
starts on the same database; clients carry on against it. At the end every accepted job id
must answer and be done, or failed with its reason; no answer may be a 5xx; the peak
resident memory (VmHWM) of each server is printed and bounded.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from oreshock.core.options import get_option
from oreshock.store.store import Store
from oreshock.testing.faults import stored_long_run
from tests.test_web_faults import SHORT, Server

CLIENTS = 20
READERS = 2
LARGE = 4
"""Large series requests per reader: a full page (100,000 rows) and the Parquet file each."""
PAUSE = 0.25
"""Seconds a client waits after a 429 before its next submission."""
PEAK_LIMIT_MIB = 1024
"""Each server's VmHWM must stay below this (measured: see the test's printed figure)."""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, network) -> tuple[Path, str, int]:
    """A database with one run large enough that its series needs several pages."""
    db = tmp_path_factory.mktemp("load") / "runs.duckdb"
    run_id, rows = stored_long_run(db, network, 240, ["rare_earths", "lithium"])
    return db, run_id, rows


class Load:
    """Shared state of the clients: where the server is, what it answered."""

    def __init__(self, total: int) -> None:
        self.url = ""
        self.up = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.total = total
        self.accepted: list[str] = []
        self.codes: Counter[int] = Counter()
        self.refused_connections = 0
        self.done = threading.Event()

    def take(self) -> bool:
        """Claim one submission; False when all are sent."""
        with self.lock:
            if self.sent >= self.total:
                return False
            self.sent += 1
            return True

    def note(self, response: httpx.Response) -> None:
        with self.lock:
            self.codes[response.status_code] += 1

    def request(self, client: httpx.Client, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request; while the server is down, wait for the next one and retry."""
        while True:
            self.up.wait(60)
            try:
                response = client.request(method, self.url + path, **kw)
            except httpx.TransportError:
                with self.lock:
                    self.refused_connections += 1
                time.sleep(0.05)
                continue
            self.note(response)
            return response


def submitter(load: Load) -> None:
    with httpx.Client(timeout=30) as client:
        while load.take():
            r = load.request(client, "POST", "/api/runs", json={"scenario": SHORT})
            if r.status_code == 202:
                with load.lock:
                    load.accepted.append(r.json()["id"])
            else:
                time.sleep(PAUSE)  # a real client would honour Retry-After; these push


def reader(load: Load, run_id: str, rows: int) -> None:
    """Large series requests while the submitters work: full pages and Parquet files."""
    with httpx.Client(timeout=60) as client:
        for _ in range(LARGE):
            if load.done.is_set():
                return
            page = load.request(client, "GET", f"/api/runs/{run_id}/timeseries")
            assert page.status_code == 200 and int(page.headers["X-Total-Count"]) == rows
            whole = load.request(client, "GET", f"/api/runs/{run_id}/timeseries.parquet")
            assert whole.status_code == 200 and whole.content[:4] == b"PAR1"


def settle(url: str, ids: list[str], timeout: float = 120) -> dict[str, dict[str, Any]]:
    """Every job's final state, polled until none is pending."""
    final: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=30) as client:
        while len(final) < len(ids) and time.monotonic() < deadline:
            for job_id in ids:
                if job_id in final:
                    continue
                r = client.get(f"{url}/api/jobs/{job_id}")
                assert r.status_code == 200, (job_id, r.status_code, r.text)
                if r.json()["status"] not in ("queued", "running"):
                    final[job_id] = r.json()
            time.sleep(0.1)
    assert len(final) == len(ids), f"{len(ids) - len(final)} jobs still pending"
    return final


def test_load_with_a_kill_in_the_middle(seeded):
    db, run_id, rows = seeded
    load = Load(100 * get_option("fault_trials"))
    first = Server(db).start()
    load.url = first.url
    load.up.set()
    threads = [threading.Thread(target=submitter, args=(load,)) for _ in range(CLIENTS)]
    threads += [threading.Thread(target=reader, args=(load, run_id, rows)) for _ in range(READERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while load.sent < load.total // 2:
        time.sleep(0.01)
    load.up.clear()
    first.kill()
    second = Server(db).start()
    load.url = second.url
    load.up.set()
    for thread in threads[:CLIENTS]:
        thread.join(120)
    load.done.set()
    for thread in threads[CLIENTS:]:
        thread.join(120)
    loaded = time.monotonic() - started
    final = settle(second.url, load.accepted)
    peaks = [*first.peak_kib, second.vm_hwm_kib()]
    second.stop()
    seconds = time.monotonic() - started
    statuses = Counter(job["status"] for job in final.values())
    print(
        f"\n{load.total} submissions from {CLIENTS} clients in {loaded:.1f} s (all settled "
        f"at {seconds:.1f} s): answers "
        f"{dict(load.codes)}, accepted {len(load.accepted)}, final {dict(statuses)}, "
        f"connections refused while restarting {load.refused_connections}; "
        f"server VmHWM {', '.join(f'{kib / 1024:.0f} MiB' for kib in peaks)}"
    )
    assert not [code for code in load.codes if code >= 500], load.codes
    assert set(load.codes) <= {200, 202, 429}, load.codes
    assert load.codes[429] > 0 and len(load.accepted) > 8
    assert set(statuses) <= {"done", "failed"}
    assert all(job["error"] for job in final.values() if job["status"] == "failed")
    with Store(db, read_only=True) as store:
        stored = set(store.list_runs()["run_id"])
    assert all(job["run_id"] in stored for job in final.values() if job["status"] == "done")
    assert max(peaks) < PEAK_LIMIT_MIB * 1024, peaks
