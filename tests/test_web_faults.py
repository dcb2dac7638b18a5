"""The HTTP service under faults: restarts, a full queue, large requests, stuck and busy work.

Each test names the defect of issue 10 it pins. The restart, queue and body tests run the
real server (`oreshock serve` in a subprocess on a free loopback port) and kill it for real;
the others call the app in process. ``Server`` is shared with the load test.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from oreshock.core.options import get_option
from oreshock.store.jobs import (
    INTERRUPTED,
    insert_job,
    list_jobs,
    prune_jobs,
    recover_jobs,
    update_job,
)
from oreshock.store.store import Store
from oreshock.testing.faults import stored_long_run
from oreshock.web.app import create_app
from oreshock.web.jobs import SHUT_DOWN
from oreshock.web.jobs import pid_alive as alive
from oreshock.web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
LOCAL = "http://localhost"

SHORT = {
    "name": "short",
    "months": 12,
    "minerals": ["gallium"],
    "shocks": [
        {"type": "export_ban", "exporter": "CHN", "destinations": ["JPN"], "start": "2026-01"}
    ],
}
"""A run that takes a fraction of a second."""
LONG = {"name": "long", "months": 240}
"""The largest run the default limits allow: every mineral for 240 months (seconds)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`oreshock serve` in a subprocess on a free loopback port, over a given database."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.args = args
        self.env = {**os.environ, "ORESHOCK_STORE_WAIT": "10", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.peak_kib: list[int] = []

    def start(self, timeout: float = 30) -> Server:
        port = free_port()
        cmd = [sys.executable, "-m", "oreshock", "serve", "--port", str(port),
               "--db", str(self.db), *self.args]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}")
            try:
                httpx.get(self.url + "/api/limits", timeout=1)  # any answer: it is up
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("server did not start")

    def vm_hwm_kib(self) -> int:
        """The server's peak resident memory so far (VmHWM of /proc/<pid>/status), KiB."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the server (SIGKILL: no chance to store anything) and wait for it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.peak_kib.append(self.vm_hwm_kib())
        self.proc.send_signal(sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def wait_job(
    url: str, job_id: str, statuses: tuple[str, ...] = ("done", "failed", "cancelled"),
    timeout: float = 60, **kwargs: Any,
) -> dict[str, Any]:  # fmt: skip
    """Poll a job until it reaches one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=10, **kwargs).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not reach {statuses} in {timeout} s")


def post_run(url: str, scenario: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{url}/api/runs", json={"scenario": scenario}, timeout=30, **kwargs)


def submit_and_stop(server: Server, sig: int) -> tuple[str, list[str]]:
    """One long run (running when the server stops) and four short ones queued behind it."""
    try:
        running = post_run(server.url, LONG).json()["id"]
        queued = [post_run(server.url, SHORT).json()["id"] for _ in range(4)]
        wait_job(server.url, running, ("running",))
    finally:
        server.stop(sig)
    return running, queued


def check_after_restart(url: str, running: str, queued: list[str], reason: str) -> None:
    """The running job failed with ``reason``; every queued one ran to the end."""
    gone = wait_job(url, running)
    assert gone["status"] == "failed" and gone["error"] == reason, gone
    for job_id in queued:
        body = wait_job(url, job_id)
        assert body["status"] == "done", body
        assert httpx.get(f"{url}/api/runs/{job_id}").json()["run_id"] == body["run_id"]


def test_queued_and_running_jobs_survive_a_restart(tmp_path):
    """Defect 1 (issue 10): queued and running jobs were lost on a restart (16 of 16, after
    SIGTERM and SIGKILL) and their ids answered 404. Now, after SIGTERM and then SIGKILL,
    every id answers; queued jobs run to the end on the next server; the one that was
    running is failed with the reason."""
    db = tmp_path / "runs.duckdb"
    first = submit_and_stop(Server(db, "--max-queued", "20").start(), signal.SIGTERM)
    with Store(db, read_only=True) as store:
        assert {j.job_id for j in list_jobs(store)} == {first[0], *first[1]}
    second = Server(db, "--max-queued", "20").start()
    try:
        check_after_restart(second.url, *first, SHUT_DOWN)
        then = submit_and_stop(second, signal.SIGKILL)
    finally:
        second.kill()
    with Server(db) as third:
        check_after_restart(third.url, *then, INTERRUPTED)
        check_after_restart(third.url, *first, SHUT_DOWN)  # still answered, unchanged


def test_recovery_fails_a_dead_servers_running_job_and_adopts_its_queue(tmp_path):
    """Defect 1 (issue 10), the rule itself: jobs of a dead owner (or of this pid, which a
    restarted container reuses, when this process did not start them) are taken over:
    running ones failed, queued ones adopted; a live server's jobs are left to it; the
    oldest finished jobs beyond the limit are pruned."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    me, live = os.getpid(), os.getppid()
    owners = {"a": (dead.pid, "running"), "b": (dead.pid, "queued"), "c": (live, "running"),
              "d": (live, "queued"), "e": (me, "running"), "f": (me, "queued"),
              "g": (me, "running"), "h": (dead.pid, "done")}  # fmt: skip
    db = tmp_path / "runs.duckdb"
    with Store(db) as store:
        for job_id, (owner, status) in owners.items():
            insert_job(store, job_id, scenario="s", variant=None, request_json="{}", seed=0,
                       owner_pid=owner)  # fmt: skip
            update_job(store, job_id, status=status)
        adopted = recover_jobs(store, me, alive, ours=["g"])
        assert [j.job_id for j in adopted] == ["b", "f"]
        states = {j.job_id: (j.status, j.owner_pid, j.error) for j in list_jobs(store)}
        assert prune_jobs(store, keep=2) == 1  # h, a and e are finished; h is the oldest
        assert {j.job_id for j in list_jobs(store)} == set(owners) - {"h"}
    assert states["a"] == ("failed", dead.pid, INTERRUPTED)
    assert states["e"] == ("failed", me, INTERRUPTED)
    assert states["b"][:2] == ("queued", me) and states["f"][:2] == ("queued", me)
    assert states["c"][:2] == ("running", live) and states["d"][:2] == ("queued", live)
    assert states["g"][:2] == ("running", me)


def test_queue_limit_holds_under_concurrent_submissions(tmp_path):
    """Defect 2 (issue 10), queue: a limit of 8 let 10 through under concurrent
    submissions. With one long run holding the worker, 24 submissions from 12 clients at
    once: exactly the limit is accepted (counted in the store), the rest get 429 with
    Retry-After."""
    limit = 4
    db = tmp_path / "runs.duckdb"
    with Server(db, "--max-queued", str(limit)) as server:
        first = post_run(server.url, LONG).json()["id"]
        wait_job(server.url, first, ("running",))
        barrier = threading.Barrier(12)

        def burst(_: int) -> list[httpx.Response]:
            barrier.wait()
            return [post_run(server.url, SHORT) for _ in range(2)]

        with ThreadPoolExecutor(12) as pool:
            answers = [r for rs in pool.map(burst, range(12)) for r in rs]
        codes = sorted(r.status_code for r in answers)
        assert codes.count(202) == limit - 1 and codes.count(429) == len(answers) - limit + 1
        assert all(r.headers["Retry-After"] for r in answers if r.status_code == 429)
        pending = httpx.get(f"{server.url}/api/jobs").json()
        assert len(pending) == limit
        httpx.delete(f"{server.url}/api/jobs/{first}", timeout=10)
    with Store(db, read_only=True) as store:
        assert len(list_jobs(store)) == limit  # nothing else was ever inserted


def chunks(size: int) -> Iterator[bytes]:
    """A JSON body of about ``size`` bytes sent without Content-Length (chunked)."""
    yield b'{"scenario": "'
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b'"}'


def test_large_bodies_are_refused_from_length_and_stream(tmp_path):
    """Defect 2 (issue 10), body size: a 50 MB body was accepted and stored. Now a body
    above the limit answers 413 whether it declares its length or streams in chunks, and
    nothing is queued."""
    db = tmp_path / "runs.duckdb"
    with Server(db) as server:
        limit = httpx.get(f"{server.url}/api/limits").json()["max_body_bytes"]
        big = json.dumps({"scenario": "x" * (limit + 10)})
        declared = httpx.post(f"{server.url}/api/runs", content=big,
                              headers={"content-type": "application/json"})  # fmt: skip
        assert declared.status_code == 413 and "larger than" in declared.json()["detail"]
        streamed = httpx.post(f"{server.url}/api/runs", content=chunks(limit + 100),
                              headers={"content-type": "application/json"})  # fmt: skip
        assert streamed.status_code == 413, streamed.text
        fine = httpx.post(f"{server.url}/api/runs", content=chunks(2000),
                          headers={"content-type": "application/json"})  # fmt: skip
        assert fine.status_code == 422 and "scenario" in fine.json()["detail"]
        assert httpx.get(f"{server.url}/api/jobs").json() == []


@pytest.fixture()
def app_client(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        yield client


def test_scenario_size_is_limited(app_client):
    """Defect 2 (issue 10), scenario size: 9,000 shocks in a 0.9 MB body held the only
    worker for 175 s. Now more shocks or months than the limits answer 422 at once."""
    limits = app_client.get("/api/limits").json()
    shock = SHORT["shocks"][0]
    many = {**SHORT, "shocks": [shock] * (limits["max_shocks"] + 1)}
    started = time.monotonic()
    r = app_client.post("/api/runs", json={"scenario": many})
    assert r.status_code == 422 and "scenario.shocks" in r.json()["detail"]
    assert time.monotonic() - started < 5
    long = {**SHORT, "months": limits["max_months"] + 1}
    r = app_client.post("/api/runs", json={"scenario": long})
    assert r.status_code == 422 and "scenario.months" in r.json()["detail"]
    nine_thousand = {**SHORT, "shocks": [dict(shock) for _ in range(9000)]}
    started = time.monotonic()
    r = app_client.post("/api/runs", json={"scenario": nine_thousand})
    assert r.status_code == 422 and "9000 shocks" in r.json()["detail"]
    assert time.monotonic() - started < 1
    in_variants = {**SHORT, "variants": {"v": {"shocks": [shock] * limits["max_shocks"]}}}
    r = app_client.post("/api/runs", json={"scenario": in_variants, "variant": "v"})
    assert r.status_code == 422 and "and its variants" in r.json()["detail"]
    wide = {**SHORT, "buffers": {"commercial_months": {f"C{i}": 1 for i in range(4000)}}}
    r = app_client.post("/api/runs", json={"scenario": wide})
    assert r.status_code == 422 and "values; expected at most" in r.json()["detail"]
    r = app_client.post("/api/runs", json={"scenario": "japan-rare-earths-2026", "months": 600})
    assert r.status_code == 422 and f"at most {limits['max_months']}" in r.json()["detail"]
    assert app_client.get("/api/jobs").json() == []


def poll(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_run_past_its_time_limit_is_stopped(tmp_path):
    """Defect 2 (issue 10), time: there was no timeout. A run longer than ``job_seconds``
    is stopped between months, failed with the reason, and nothing is stored."""
    app = create_app(tmp_path / "runs.duckdb", settings=Settings(job_seconds=0.3))
    with TestClient(app, base_url=LOCAL) as client:
        job = client.post("/api/runs", json={"scenario": LONG}).json()["id"]
        started = time.monotonic()  # the run alone takes seconds
        body = poll(client, job)
        assert body["status"] == "failed" and "longer than the limit of 0.3 s" in body["error"]
        assert time.monotonic() - started < 2
        assert [r for r in client.get("/api/runs").json() if r["status"] == "done"] == []


def test_queued_and_running_jobs_can_be_cancelled(app_client):
    """Defect 2 (issue 10), cancel: there was no way to cancel a job. DELETE
    /api/jobs/{id} cancels a queued job at once and stops a running one within a month's
    step; a finished job answers 409, an unknown one 404."""
    running = app_client.post("/api/runs", json={"scenario": LONG}).json()["id"]
    queued = app_client.post("/api/runs", json={"scenario": SHORT}).json()["id"]
    r = app_client.delete(f"/api/jobs/{queued}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    deadline = time.monotonic() + 30
    while app_client.get(f"/api/jobs/{running}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = app_client.delete(f"/api/jobs/{running}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert r.json()["error"] == "cancelled by a client request"
    assert app_client.delete(f"/api/jobs/{running}").status_code == 409
    assert app_client.delete("/api/jobs/0123456789ab").status_code == 404
    assert app_client.get(f"/api/runs/{running}/timeseries").status_code == 409
    assert [r for r in app_client.get("/api/runs").json() if r["status"] == "done"] == []


PAGE_ROWS = 5000
"""A page size small enough that a quick run spans several pages (the default is 100,000;
the load test reads full default pages of a larger run)."""


@pytest.fixture(scope="module")
def big_run(tmp_path_factory, network) -> tuple[Path, str, int]:
    """A stored run with several pages of time series at ``PAGE_ROWS``."""
    db = tmp_path_factory.mktemp("series") / "runs.duckdb"
    run_id, rows = stored_long_run(db, network, 60, ["rare_earths", "gallium"])
    return db, run_id, rows


def test_series_come_in_pages_and_whole_as_parquet(big_run):
    """Defect 2 (issue 10), series: one GET of a 600-month run's time series returned
    325 MB. Now a page holds at most ``page_rows`` rows with the total and the next page in
    headers, filters apply in the database, and the whole series is a Parquet file."""
    db, run_id, rows = big_run
    before = set(Path(tempfile.gettempdir()).glob("oreshock-*.parquet"))  # others' runs
    app = create_app(db, settings=Settings(page_rows=PAGE_ROWS, series_wait=0.2))
    with TestClient(app, base_url=LOCAL) as client:
        most = client.get("/api/limits").json()["page_rows"]
        assert rows > most
        first = client.get(f"/api/runs/{run_id}/timeseries")
        assert first.status_code == 200 and len(first.json()) == most
        assert int(first.headers["X-Total-Count"]) == rows
        assert f"offset={most}" in first.headers["Link"] and 'rel="next"' in first.headers["Link"]
        over = client.get(f"/api/runs/{run_id}/timeseries", params={"limit": 10 * most})
        assert len(over.json()) == most
        last = client.get(f"/api/runs/{run_id}/timeseries",
                          params={"offset": rows - 5, "limit": 10})  # fmt: skip
        assert len(last.json()) == 5 and "Link" not in last.headers
        cut = {"country": "jpn", "mineral": "gallium", "variable": "stock"}
        part = client.get(f"/api/runs/{run_id}/timeseries", params=cut).json()
        assert part and {(r["country"], r["mineral"], r["variable"]) for r in part} == {
            ("JPN", "gallium", "stock")
        }
        assert part[0]["month"] == "2026-01-01"
        whole = client.get(f"/api/runs/{run_id}/timeseries.parquet")
        assert whole.status_code == 200
        path = db.parent / "whole.parquet"
        path.write_bytes(whole.content)
        frame = pd.read_parquet(path)
        assert len(frame) == rows
        assert list(frame.columns) == ["month", "country", "mineral", "stage", "variable", "value"]
        flows = client.get(f"/api/runs/{run_id}/flows", params={"limit": 7})
        assert len(flows.json()) == 7 and int(flows.headers["X-Total-Count"]) > 7
        slots = app.state.service.series_slots  # every place taken: the next one waits, then 503
        taken = [slots.acquire(timeout=5) for _ in range(app.state.service.settings.series_at_once)]
        try:
            busy = client.get(f"/api/runs/{run_id}/flows")
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
            assert "too many large series requests" in busy.json()["detail"]
        finally:
            for _ in taken:
                slots.release()
    assert set(Path(tempfile.gettempdir()).glob("oreshock-*.parquet")) <= before


@pytest.fixture()
def holder(tmp_path) -> Iterator[Path]:
    """Another process holding the results database open for writing."""
    db = tmp_path / "runs.duckdb"
    with Store(db):
        pass
    proc = hold(db)
    try:
        yield db
    finally:
        proc.kill()
        proc.wait(10)


def test_a_busy_database_answers_503_without_paths_or_pids(holder, monkeypatch):
    """Defect 3 (issue 10): while another process held the file, the API answered 500 on
    every route that reads runs, and failed jobs showed the database path and the other
    process's id. Now: 503 with Retry-After and a plain message."""
    monkeypatch.setenv("ORESHOCK_STORE_WAIT", "0.3")
    assert get_option("store_wait") == 0.3
    with TestClient(create_app(holder), base_url=LOCAL) as client:
        for method, url, body in [
            ("GET", "/api/runs", None),
            ("GET", "/api/runs/0123456789ab", None),
            ("GET", "/api/runs/0123456789ab/timeseries", None),
            ("POST", "/api/runs", {"scenario": SHORT}),
        ]:
            r = client.request(method, url, json=body)
            assert r.status_code == 503, (url, r.text)
            assert r.headers["Retry-After"] == "5"
            assert "in use by another process" in r.json()["detail"]
            assert str(holder) not in r.text and "PID" not in r.text.upper()


def hold(db: Path) -> subprocess.Popen[bytes]:
    """Another process that holds ``db`` open for writing until killed."""
    code = (
        "import sys, time; from oreshock.store.store import Store\n"
        "with Store(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
    return proc


def test_a_run_that_cannot_be_saved_is_kept_and_said_so(tmp_path, monkeypatch):
    """Defect 3 (issue 10): a job whose database was taken by another process failed with
    the database path and the other process's id, and its computed run was lost. Now the
    run is kept in a recovery folder beside the database and the job's error says so, with
    no path or pid."""
    monkeypatch.setenv("ORESHOCK_STORE_WAIT", "0.3")
    db = tmp_path / "runs.duckdb"
    with TestClient(create_app(db), base_url=LOCAL) as client:
        job = client.post("/api/runs", json={"scenario": LONG}).json()["id"]
        deadline = time.monotonic() + 30
        while client.get(f"/api/jobs/{job}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        holder = hold(db)
        try:
            body = poll(client, job)
        finally:
            holder.kill()
            holder.wait(10)
    assert body["status"] == "failed" and "kept as run" in body["error"], body
    assert str(tmp_path) not in body["error"] and "PID" not in body["error"].upper()
    kept = body["error"].split("kept as run ")[1].split()[0]
    (folder,) = (tmp_path / "recovery").iterdir()
    assert (folder / f"{kept}-timeseries.parquet").exists()


def test_unexpected_errors_answer_500_with_an_id_and_log_the_traceback(tmp_path, caplog):
    """Defect 3 (issue 10): error bodies carried paths and tracebacks. An unexpected error
    answers 500 with a generic message and an error id; the log has the traceback."""
    app = create_app(tmp_path / "runs.duckdb")

    @app.get("/api/broken")
    def broken() -> None:
        raise RuntimeError(f"failed reading {tmp_path}/secret.txt")

    client = TestClient(app, base_url=LOCAL, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, "oreshock.web"), client:
        r = client.get("/api/broken")
    assert r.status_code == 500
    detail = r.json()["detail"]
    assert detail.startswith("internal error (id ") and str(tmp_path) not in r.text
    error_id = detail.split("(id ")[1].split(")")[0]
    logged = "\n".join(rec.getMessage() + (rec.exc_text or "") for rec in caplog.records)
    assert error_id in logged and "secret.txt" in caplog.text and "Traceback" in caplog.text


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/api/runs", {"content": b"not json", "headers": {"content-type": "application/json"}}),
        ("POST", "/api/runs", {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}),
        ("POST", "/api/runs", {"content": b'{"scenario": {"name": "x", "months": NaN}}',
                               "headers": {"content-type": "application/json"}}),
        ("POST", "/api/runs", {"json": {"scenario": {"name": "x", "shocks": "all"}}}),
        ("POST", "/api/runs", {"json": {"scenario": {"name": "x", "start": "2026-13"}}}),
        ("POST", "/api/runs", {"json": {"scenario": "japan-rare-earths-2026", "seed": 2**63}}),
        ("POST", "/api/runs", {"json": {"scenario": {"name": "x", "months": 10**20}}}),
        ("POST", "/api/runs", {"json": [1, 2, 3]}),
        ("POST", "/api/runs", {"json": {"scenario": {"name": "x", "months": "many"}}}),
        ("POST", "/api/runs", {"content": b"[" * 5000 + b"]" * 5000,
                               "headers": {"content-type": "application/json"}}),
        ("POST", "/api/runs", {"json": {"scenario": {"name": "x", "minerals": [{"a": 1}]}}}),
        ("POST", "/api/runs", {"content": b"x", "headers": {"content-length": "abc"}}),
        ("GET", "/api/runs/0123456789ab/timeseries?offset=-1", {}),
        ("GET", "/api/runs/0123456789ab/timeseries?limit=0", {}),
        ("GET", "/api/runs/0123456789ab/timeseries?offset=99999999999999999999", {}),
        ("GET", "/api/runs/0123456789ab/flows.parquet?mineral=%00", {}),
        ("GET", "/api/jobs/0123456789ab", {}),
        ("DELETE", "/api/jobs/zz", {}),
        ("DELETE", "/api/runs/0123456789ab", {}),
        ("GET", "/api/metrics/concentration?mineral=gallium&stage=mining&year=99999", {}),
    ],
)  # fmt: skip
def test_bad_input_never_answers_5xx(app_client, method, url, kwargs):
    """Defect 3 (issue 10): bad input answers 4xx with a message naming no server file."""
    r = app_client.request(method, url, **kwargs)
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text and "/work/" not in r.text and "site-packages" not in r.text
