"""Ensembles over HTTP: ``POST /api/ensembles`` runs `oreshock ensemble` as a job of the run
queue, ``GET /api/ensembles`` lists them and ``GET /api/ensembles/{id}`` is the JSON twin of
the dashboard's ensemble page. Real app, real store, real child process; small ensembles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from oreshock.ensemble.runner import list_ensembles
from oreshock.model.scenario import open_scenario
from oreshock.web.app import create_app
from tests.test_web_faults import LOCAL, Server

SCENARIO = "japan-rare-earths-2026"
REQUEST = {"scenario": SCENARIO, "variant": "full-response", "runs": 12, "batch_size": 4}


def finish(client: TestClient, job_id: str, seconds: float = 240) -> dict:
    """Poll an ensemble's job until it leaves queued/running; the progress never goes back."""
    deadline = time.monotonic() + seconds
    seen = [0.0]
    while time.monotonic() < deadline:
        body = client.get(f"/api/ensembles/{job_id}").json()
        if body["status"] not in ("queued", "running"):
            return body
        assert body["progress"] >= seen[-1]
        seen.append(body["progress"])
        time.sleep(0.3)
    raise AssertionError(f"ensemble job {job_id} did not finish in {seconds} s")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ens") / "runs.duckdb"


@pytest.fixture(scope="module")
def done(db) -> Iterator[tuple[dict, dict]]:
    """One small ensemble started over HTTP and run to the end: (created, page in ja)."""
    with TestClient(create_app(db), base_url=LOCAL) as client:
        created = client.post("/api/ensembles", json=REQUEST)
        assert created.status_code == 202, created.text
        body = created.json()
        finished = finish(client, body["id"])
        assert finished["status"] == "done", finished
        yield body, client.get(f"/api/ensembles/{body['id']}?lang=ja").json()


def test_an_ensemble_runs_as_a_job_and_its_page_has_the_analysis(done, db):
    created, page = done
    assert page["ensemble_id"] == created["ensemble_id"] and page["ensemble_status"] == "complete"
    assert page["runs"] == 12 and page["batches"] == page["batches_done"] == 3
    assert page["target_name"] == "日本"
    names = {o["name"] for o in page["outcomes"]}
    assert all(n.startswith("日本・") for n in names) and any("ネオジム" in n for n in names), names
    for o in page["outcomes"]:
        assert o["p5"] <= o["p50"] <= o["p95"]
    fail = page["failure"]
    assert fail["runs"] == 12 and 0 <= fail["probability"] <= 1
    assert fail["failed"] == round(fail["probability"] * 12)
    assert isinstance(page["prim"], list) and ("prim_skipped" in page or page["prim"])
    assert "sobol" not in page  # a Latin hypercube has no Sobol indices
    line = page["timeline"]
    months = open_scenario(SCENARIO).build("full-response").months
    assert page["months"] == months and line["months"] == list(range(1, months + 1))
    for share in line["series"].values():
        assert len(share) == months and share == sorted(share) and 0 <= share[-1] <= 100
    assert line["svg"].startswith("<svg")
    bands = page["bands"]  # per outcome cell, percentiles of the monthly shortfall
    assert len(bands) == len(page["outcomes"]) // 3
    for band in bands:
        assert band["months"] == list(range(1, months + 1))
        edges = np.array([band[q] for q in ("p5", "p25", "p50", "p75", "p95")])
        assert edges.shape == (5, months) and (np.diff(edges, axis=0) >= 0).all()
        assert band["svg"].count('class="band"') == 2 and "JPN" not in band["name"]
    # the batches are under the store's folder
    assert (
        len(list((db.parent / "ensembles" / created["ensemble_id"]).glob("batch-*.parquet"))) == 3
    )


def test_the_list_and_a_restart_see_the_stored_ensemble(done, db):
    """A new app on the same store lists the ensemble and serves its page, by the job's id
    and by the ensemble's own, with the rule it was asked for."""
    created, _ = done
    with TestClient(create_app(db), base_url=LOCAL) as client:
        listed = client.get("/api/ensembles").json()
        row = next(r for r in listed if r["id"] == created["ensemble_id"])
        assert row["status"] == "complete" and row["runs"] == 12 and "folder" not in row
        by_job = client.get(f"/api/ensembles/{created['id']}").json()
        by_id = client.get(f"/api/ensembles/{created['ensemble_id']}?fail=peak_shortfall_pct>1")
        assert by_job["target_name"] == "Japan" and by_job["failure"]["rule"].startswith("cum")
        assert (
            by_id.status_code == 200 and by_id.json()["failure"]["rule"] == "peak_shortfall_pct > 1"
        )
        # the same request again is the same ensemble: it resumes (here: nothing left to do)
        again = client.post("/api/ensembles", json=REQUEST).json()
        assert again["ensemble_id"] == created["ensemble_id"]
        assert finish(client, again["id"])["status"] == "done"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scenario": SCENARIO, "runs": 0}, "runs"),
        ({"scenario": SCENARIO, "runs": 10, "method": "grid"}, "method"),
        ({"scenario": SCENARIO, "runs": 10, "target": "Japan"}, "target"),
        ({"scenario": SCENARIO, "runs": 10, "seed": -1}, "seed"),
        ({"scenario": SCENARIO, "runs": 10, "colour": "red"}, "colour"),
        ({"runs": 10}, "scenario"),
        ({"scenario": "no-such-scenario", "runs": 10}, "scenario"),
        ({"scenario": SCENARIO, "runs": 10, "param": ["nothing"]}, "param[0]"),
        ({"scenario": SCENARIO, "runs": 10, "fail": "colour>5"}, "fail"),
        ({"scenario": SCENARIO, "runs": 10, "variant": "no-such-variant"}, "variant"),
        ({"scenario": SCENARIO, "runs": 10**6}, "runs"),
        ({"scenario": SCENARIO, "runs": 10, "target": "ATA"}, "ATA"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(tmp_path, body, field):
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        answer = client.post("/api/ensembles", json=body)
        assert answer.status_code == 422, answer.text
        assert field in answer.json()["detail"], answer.json()
        assert client.get("/api/ensembles").json() == []  # nothing was queued


def test_unknown_ids_are_404(tmp_path):
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        assert client.get("/api/ensembles/0123456789ab").status_code == 404
        assert client.get("/api/ensembles/not-an-id").status_code == 422


def test_a_cancelled_ensemble_stops_and_keeps_its_finished_batches(tmp_path):
    """DELETE /api/jobs/{id} stops the command between batches; the ensemble reads
    interrupted with the batches it finished, and its page says how to resume it."""
    db = tmp_path / "runs.duckdb"
    body = REQUEST | {"runs": 400, "batch_size": 4}
    with TestClient(create_app(db), base_url=LOCAL) as client:
        created = client.post("/api/ensembles", json=body).json()
        deadline = time.monotonic() + 120
        while client.get(f"/api/ensembles/{created['id']}").json()["progress"] == 0:
            assert time.monotonic() < deadline, "no batch finished in 120 s"
            time.sleep(0.2)
        stopped = client.delete(f"/api/jobs/{created['id']}")
        assert stopped.status_code in (200, 202)
        job = finish(client, created["id"], 60)
        assert job["status"] == "cancelled" and job["error"] == "cancelled by a client request"
        page = client.get(f"/api/ensembles/{created['ensemble_id']}").json()
        assert page["ensemble_status"] == "interrupted"
        assert 0 < page["batches_done"] < page["batches"] == 100 and "outcomes" not in page
        written = list((db.parent / "ensembles" / created["ensemble_id"]).glob("batch-*.parquet"))
        # one worker: at most the batch in flight was written and not yet indexed (a resume
        # verifies such a file before it counts)
        assert page["batches_done"] <= len(written) <= page["batches_done"] + 1


def test_a_damaged_batch_file_is_the_servers_trouble_and_names_no_server_path(done, db):
    """Last here: it damages the shared ensemble. A cut batch file answers 500 with what is
    damaged and how to recompute it, naming the folder as the store's, not by its path."""
    created, _ = done
    folder = db.parent / "ensembles" / created["ensemble_id"]
    batch = sorted(folder.glob("batch-*.parquet"))[1]
    batch.write_bytes(batch.read_bytes()[:100])
    with TestClient(create_app(db), base_url=LOCAL) as client:
        answer = client.get(f"/api/ensembles/{created['ensemble_id']}")
    assert answer.status_code == 500
    detail = answer.json()["detail"]
    assert "damaged batch file" in detail and "batch-00001.parquet" in detail
    assert str(db.parent) not in detail and "the store's ensembles folder" in detail


def test_a_sobol_ensemble_has_its_indices(tmp_path):
    """With the Saltelli sampler the page carries Sobol indices per parameter (and the
    warnings of a small sample, in the reader's language)."""
    body = REQUEST | {"runs": 28, "batch_size": 14, "method": "sobol", "stock_ranges": False}
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        created = client.post("/api/ensembles", json=body).json()
        assert finish(client, created["id"])["status"] == "done"
        page = client.get(f"/api/ensembles/{created['id']}?lang=ja").json()
    assert page["method"] == "sobol" and all(p["source"] == "scenario" for p in page["parameters"])
    assert {s["parameter"] for s in page["sobol"]} == {p["name"] for p in page["parameters"]}
    for s in page["sobol"]:
        assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(s)
    assert page["sobol_warnings"] and all(isinstance(w, str) for w in page["sobol_warnings"])


def test_a_killed_server_stops_its_ensemble_and_the_next_one_resumes_it(tmp_path):
    """SIGKILL of `oreshock serve` mid-ensemble: the command it started stops too (no
    ensemble computes for a server that is gone) and records itself interrupted; the next
    server says the job was interrupted, and the same request resumes from the batches kept."""
    db = tmp_path / "runs.duckdb"
    body = REQUEST | {"runs": 400, "batch_size": 4}
    server = Server(db).start()
    try:
        created = httpx.post(server.url + "/api/ensembles", json=body, timeout=60).json()
        deadline = time.monotonic() + 120
        while httpx.get(f"{server.url}/api/ensembles/{created['id']}").json()["progress"] == 0:
            assert time.monotonic() < deadline, "no batch finished in 120 s"
            time.sleep(0.2)
        server.kill()
        deadline = time.monotonic() + 30
        while (row := list_ensembles(db).iloc[0])["status"] == "running":
            assert time.monotonic() < deadline, "the ensemble still runs without its server"
            time.sleep(0.2)
        assert row["status"] == "interrupted" and 0 < row["batches_done"] < 100
        kept = int(row["batches_done"])
        server.start()
        job = httpx.get(f"{server.url}/api/ensembles/{created['id']}").json()
        assert job["status"] == "failed" and "interrupted by a server restart" in job["error"]
        again = httpx.post(server.url + "/api/ensembles", json=body, timeout=60).json()
        assert again["ensemble_id"] == created["ensemble_id"]
        deadline = time.monotonic() + 60
        while (state := httpx.get(f"{server.url}/api/ensembles/{again['id']}").json())[
            "progress"
        ] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert state["progress"] >= kept / 100  # it went on from the kept batches
        httpx.delete(f"{server.url}/api/jobs/{again['id']}")
    finally:
        server.kill()


def test_an_inline_scenario_runs_as_an_ensemble_under_its_content_name(tmp_path):
    """The workbench's scenario (a document, not a shipped name) runs as an ensemble: its
    YAML is kept in the store's folder under its content hash, so the same document is the
    same ensemble, and no list or page shows the server's folder."""
    document = yaml.safe_load(Path(open_scenario(SCENARIO).path).read_text())
    request = {"scenario": document, "variant": "full-response", "runs": 8, "batch_size": 4}
    with TestClient(create_app(tmp_path / "runs.duckdb"), base_url=LOCAL) as client:
        created = client.post("/api/ensembles", json=request)
        assert created.status_code == 202, created.text
        body = created.json()
        assert finish(client, body["id"])["status"] == "done"
        again = client.post("/api/ensembles", json=request).json()
        assert again["ensemble_id"] == body["ensemble_id"]
        finish(client, again["id"])
        page = client.get(f"/api/ensembles/{body['id']}").json()
        listed = client.get("/api/ensembles").json()
        bad = dict(request, scenario={**document, "months": -3})
        refused = client.post("/api/ensembles", json=bad)
    kept = list((tmp_path / "ensembles" / "scenarios").glob("workbench-*.yaml"))
    assert len(kept) == 1 and page["scenario"] == kept[0].stem
    assert all("/" not in str(row.get("scenario", "")) for row in listed)
    assert refused.status_code == 422 and "months" in refused.json()["detail"]
