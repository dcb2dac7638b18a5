"""The API's run queue: job states, the queue limit (429) and unfinished runs (409)."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import oreshock.web
from oreshock.core.errors import OreshockError
from oreshock.web.app import create_app
from oreshock.web.db import Database
from oreshock.web.jobs import Control, Job, JobQueue, NotFinished, QueueFull
from oreshock.web.settings import Settings

RUN_ID = "0123456789ab"


class Gate:
    """An executor that holds each run until the test opens the gate."""

    def __init__(self) -> None:
        self.open = threading.Event()

    def __call__(self, request_json: str, control: Control) -> str:
        control.progress(0.5)
        if not self.open.wait(10):
            raise TimeoutError("gate never opened")
        return RUN_ID


def settle(job: Job, timeout: float = 10) -> Job:
    deadline = time.monotonic() + timeout
    while job.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def submit(queue: JobQueue, name: str = "x") -> Job:
    return queue.submit("{}", name, None, 0)


def test_job_goes_from_queued_to_done_and_resolves_to_its_run(tmp_path):
    gate = Gate()
    queue = JobQueue(Database(tmp_path / "runs.duckdb"), gate, Settings(max_queued=1))
    job = submit(queue)
    assert job.pending and queue.get(job.id) is job
    with pytest.raises(NotFinished, match="not finished"):
        queue.resolve(job.id)
    with pytest.raises(QueueFull, match="1 runs are queued or running"):
        submit(queue, "y")
    gate.open.set()
    assert settle(job).status == "done"
    assert job.public()["progress"] == 1.0 and job.run_id == RUN_ID
    assert queue.resolve(job.id) == RUN_ID
    assert queue.resolve("feedfeedfeed") == "feedfeedfeed"  # a stored run's own id
    submit(queue, "z")  # a finished job frees its place
    queue.shutdown()


def test_failed_run_reports_its_error_and_a_bug_only_an_id(tmp_path):
    def refused(request_json: str, control: Control) -> str:
        raise OreshockError("scenario.months: too long")

    def broken(request_json: str, control: Control) -> str:
        raise ValueError("boom at /srv/secret/file.py")

    db = Database(tmp_path / "runs.duckdb")
    for execute, words in ((refused, "scenario.months: too long"), (broken, "internal error")):
        queue = JobQueue(db, execute, Settings())
        job = settle(submit(queue))
        assert job.status == "failed" and job.error is not None and words in job.error
        assert "boom" not in job.error and "/srv" not in job.error
        with pytest.raises(NotFinished, match="failed, not finished"):
            queue.resolve(job.id)
        queue.shutdown()


def test_full_queue_answers_429_and_unfinished_run_409(tmp_path):
    gate = Gate()
    app = create_app(tmp_path / "runs.duckdb")
    service = app.state.service
    service.jobs = JobQueue(service.db, gate, Settings(max_queued=1))
    with TestClient(app, base_url="http://localhost") as client:
        try:
            first = client.post("/api/runs", json={"scenario": "japan-rare-earths-2026"})
            assert first.status_code == 202, first.text
            job = first.json()["id"]
            full = client.post("/api/runs", json={"scenario": "japan-rare-earths-2026"})
            assert full.status_code == 429 and "runs are queued" in full.json()["detail"]
            assert full.headers["Retry-After"] == "5"
            for url in (f"/api/runs/{job}/timeseries", f"/api/runs/{job}/report"):
                r = client.get(url)
                assert r.status_code == 409 and "not finished" in r.json()["detail"], url
            status = client.get(f"/api/runs/{job}").json()
            assert status["status"] in ("queued", "running") and status["run_id"] is None
        finally:
            gate.open.set()


def test_web_modules_import_nothing_from_the_app_module():
    """Routers, service and jobs reach the app only through request.app.state."""
    web = Path(oreshock.web.__file__).parent
    for path in web.rglob("*.py"):
        if path.name == "app.py" and path.parent == web:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert "oreshock.web.app" not in names, path
