"""HTTP API of plans: a plan is a job whose state is kept in the store (so a restart loses
none), then a stored record that reads as `oreshock plans show --json`; bad requests answer
422 naming the field, unknown ids 404.

Plans here are small (Japan alone, 2 sampled controls)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.store.jobs import PLAN, insert_job
from oreshock.store.store import Store
from oreshock.web.app import create_app
from oreshock.web.schemas import PlanRequest
from oreshock.web.settings import Settings
from tests.test_plan_store import _v3

FLAGSHIP = "japan-rare-earths-2026"
SMALL = {"scenario": FLAGSHIP, "members": "JPN", "scenarios": 2}


def client_of(db, settings: Settings | None = None) -> TestClient:
    return TestClient(create_app(db, settings=settings), base_url="http://localhost")


def wait(client: TestClient, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/plans/{job_id}").json()
        if body["status"] not in ("queued", "running"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"plan {job_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """A server over a fresh store that made one small plan: the store, the client, the
    job id and the finished job's answer."""
    path = tmp_path_factory.mktemp("api-plans") / "plans.duckdb"
    with client_of(path) as client:
        started = client.post("/api/plans", json={**SMALL, "caps": [0.1]})
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        assert started.json()["url"] == f"/api/plans/{job_id}"
        yield path, client, job_id, wait(client, job_id)


def test_a_plan_job_ends_in_the_stored_plan(planned):
    path, client, job_id, body = planned
    assert body["status"] == "done", body
    assert (body["id"], body["kind"], body["progress"]) == (job_id, "plan", 1.0)
    plan_id = body["plan_id"]
    assert body["solution_status"] == "optimal" and body["members"] == ["JPN"]
    assert [p["cap"] for p in body["curve"]] == [0.1] and body["items"]
    by_plan = client.get(f"/api/plans/{plan_id}").json()
    assert {k: v for k, v in by_plan.items() if k not in ("id", "kind", "run_id", "error")} == {
        k: v for k, v in body.items() if k not in ("id", "kind", "run_id", "error")
    }
    shown = CliRunner().invoke(app, ["plans", "show", plan_id, "--json", "--db", str(path)])
    record = json.loads(shown.stdout)
    record["solution_status"] = record.pop("status")
    assert {k: by_plan[k] for k in record} == record


def test_plans_lists_the_stored_plan_and_the_jobs_only_their_kind(planned):
    _, client, job_id, body = planned
    listed = client.get("/api/plans").json()
    assert [(p["id"], p["status"], p["coalition"]) for p in listed] == [
        (body["plan_id"], "done", "JPN")
    ]
    assert listed[0]["total_cost_usd"] == body["total_cost_usd"]
    assert client.get(f"/api/jobs/{job_id}").json()["plan_id"] == body["plan_id"]
    assert client.get("/api/runs").json() == []
    refused = client.get(f"/api/runs/{job_id}/timeseries")
    assert refused.status_code == 404 and "the job of a plan" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**SMALL, "members": "g9"}, "members: unknown group 'g9'"),
        ({**SMALL, "members": "../x"}, "members"),
        ({**SMALL, "cap": 0}, "cap"),
        ({**SMALL, "cap": 1.5}, "cap"),
        ({**SMALL, "risk": "var"}, "risk"),
        ({**SMALL, "risk": "cvar", "alpha": 1}, "alpha"),
        ({**SMALL, "scenarios": 0}, "scenarios"),
        ({**SMALL, "scenarios": 201}, "scenarios: 201 sampled controls; expected at most 200"),
        ({**SMALL, "verify": 500}, "verify: 500 sampled controls"),
        ({**SMALL, "caps": [0.1, 2]}, "caps"),
        ({**SMALL, "buy_rate": 0}, "buy_rate"),
        ({**SMALL, "storage": -1}, "storage"),
        ({**SMALL, "scenario": "baseline"}, "has no plan: block"),
        ({**SMALL, "scenario": "nope"}, "unknown scenario 'nope'"),
        ({**SMALL, "variant": "nope"}, "unknown variant"),
        ({**SMALL, "extra": 1}, "extra"),
    ],
)
def test_bad_plan_requests_answer_422_naming_the_field(planned, body, words):
    _, client, _, _ = planned
    r = client.post("/api/plans", json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]


def test_unknown_plan_ids_answer_404_and_bad_ones_422(planned):
    _, client, _, _ = planned
    r = client.get("/api/plans/000000000000")
    assert r.status_code == 404
    assert r.json()["detail"] == (
        "no plan '000000000000' in the results database; see `oreshock plans list`"
    )
    bad = client.get("/api/plans/XYZ")
    assert bad.status_code == 422 and "plan_id" in bad.json()["detail"]


def test_a_plan_past_its_time_limit_is_stopped_between_steps(tmp_path):
    with client_of(tmp_path / "plans.duckdb", Settings(job_seconds=1e-6)) as client:
        body = wait(client, client.post("/api/plans", json=SMALL).json()["id"])
    assert body["status"] == "failed" and body["plan_id"] is None
    assert "the plan took longer than the limit" in body["error"]
    assert "sample fewer controls" in body["error"]


def test_a_queued_plan_of_a_dead_server_is_made_after_a_restart(tmp_path):
    """The job is a row of the store: a server that starts on it takes over the queued plan
    of one that died (here a CVaR plan), makes it, and answers for it by the same job id."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "plans.duckdb"
    request = PlanRequest.model_validate({**SMALL, "risk": "cvar", "alpha": 0.5}).model_dump_json()
    with Store(path) as store:
        insert_job(store, "feedfeedfeed", scenario=FLAGSHIP, variant=None, request_json=request,
                   seed=0, owner_pid=dead.pid, kind=PLAN)  # fmt: skip
    with client_of(path) as client:
        body = wait(client, "feedfeedfeed")
    assert body["status"] == "done" and body["kind"] == "plan", body
    assert (body["risk"], body["alpha"]) == ("cvar", 0.5)
    with client_of(path) as client:  # and again after another restart, from the store
        again = client.get("/api/plans/feedfeedfeed").json()
    assert again["plan_id"] == body["plan_id"] and again["status"] == "done"
    assert again["total_cost_usd"] == body["total_cost_usd"]


def test_the_service_reads_a_version_3_store(tmp_path):
    """The first read of a server upgrades a store an older oreshock wrote, keeping its runs
    and jobs, instead of refusing every read."""
    path = _v3(tmp_path / "v3.duckdb")
    with client_of(path) as client:
        runs = client.get("/api/runs")
        job = client.get("/api/jobs/dead00000001")
        plans = client.get("/api/plans")
    assert runs.status_code == 200 and [r["id"] for r in runs.json()] == ["old000000001"]
    assert job.json()["kind"] == "run" and job.json()["run_id"] == "old000000001"
    assert plans.status_code == 200 and plans.json() == []
