"""HTTP API: schemathesis against its own OpenAPI spec, a full run, and targeted bad input."""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from oreshock.model.coverage import mark_rows
from oreshock.model.scenario import shipped_scenarios
from oreshock.model.variants import run_variants
from oreshock.store.store import Store
from oreshock.web.app import create_app
from oreshock.web.settings import Settings

FLAGSHIP = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def stored(tmp_path_factory, network):
    """A results database holding two flagship variants, and an app over it."""
    path = tmp_path_factory.mktemp("api") / "runs.duckdb"
    with Store(path) as store:
        ids = [
            store.save_run(r)
            for r in run_variants(FLAGSHIP, network, variants=["no-response", "full-response"])
        ]
    return path, ids


@pytest.fixture(scope="module")
def client(stored):
    with TestClient(create_app(stored[0]), base_url="http://localhost") as c:
        yield c


def wait(client: TestClient, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/runs/{job_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"run {job_id} did not finish in {timeout} s")


def test_run_flagship_variant_end_to_end(client):
    r = client.post("/api/runs", json={"scenario": FLAGSHIP, "variant": "stockpiles"})
    assert r.status_code == 202
    job = r.json()["id"]
    # the server answers other requests while the run executes
    assert client.get("/api/scenarios").status_code == 200
    body = wait(client, job)
    assert body["status"] == "done", body
    assert body["progress"] == 1.0 and body["variant"] == "stockpiles"
    with Store(client.app.state.service.db_path, read_only=True) as store:
        stored = store.run(body["run_id"])
    # the stored summary, each row marked with the stored coverage (the stockpile holds no
    # magnets or NdPr/DyTb oxide Japan uses: notes on those products)
    assert body["summary"] == mark_rows(stored["summary"], stored["coverage"])
    assert body["coverage"] == stored["coverage"]
    ts = client.get(f"/api/runs/{job}/timeseries", params={"country": "JPN", "variable": "stock"})
    assert ts.status_code == 200 and {row["variable"] for row in ts.json()} == {"stock"}
    price = client.get(
        f"/api/runs/{job}/timeseries",
        params={"mineral": "ndfeb_dytb", "variable": "price", "country": "ROW"},
    ).json()
    index = client.get(
        f"/api/runs/{job}/timeseries",
        params={"mineral": "ndfeb_dytb", "variable": "price_index", "country": "ROW"},
    ).json()
    assert price and all(row["stage"] == "magnets" for row in price)
    # the 2024 base price, USD/kg, times the index
    assert price[0]["value"] / index[0]["value"] == pytest.approx(66.75)
    flows = client.get(f"/api/runs/{body['run_id']}/flows", params={"importer": "JPN"}).json()
    assert flows and all(f["importer"] == "JPN" for f in flows)
    report = client.get(f"/api/runs/{job}/report", params={"lang": "ja"}).json()
    assert report["summary"] and report["figures"]
    listed = {r.get("run_id") for r in client.get("/api/runs").json()}
    assert body["run_id"] in listed


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_runs_from_the_api(client, name):
    listed = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert name in listed
    variant = listed[name]["variants"][0] if listed[name]["variants"] else None
    job = client.post("/api/runs", json={"scenario": name, "variant": variant}).json()["id"]
    body = wait(client, job, timeout=120)
    assert body["status"] == "done", body
    assert body["summary"], f"{name}: a run with no summary rows"


def test_inline_scenario(client):
    scenario = {
        "name": "inline-test",
        "months": 12,
        "minerals": ["gallium"],
        "shocks": [
            {"type": "export_ban", "exporter": "CHN", "destinations": ["JPN"], "start": "2026-01"}
        ],
    }
    r = client.post("/api/runs", json={"scenario": scenario})
    assert r.status_code == 202, r.text
    body = wait(client, r.json()["id"])
    assert body["status"] == "done" and body["scenario"] == "inline-test"


def test_datasets_offer_the_rare_earth_family_and_its_products(client):
    """The dashboard's forms (overview, builder) name rare_earths: a family, not a chain, so
    it is listed beside its products, with the family's stages."""
    minerals = {m["mineral"]: m for m in client.get("/api/datasets").json()["minerals"]}
    family = minerals["rare_earths"]
    assert [s["stage"] for s in family["stages"]] == ["mining", "separation", "metal", "magnets"]
    assert {"ree_ndpr", "ree_dytb", "ndfeb_dytb", "ndfeb_plain"} <= set(minerals)
    assert [s["stage"] for s in minerals["ndfeb_plain"]["stages"]] == ["magnets"]
    overview = client.get(
        "/api/overview", params={"mineral": "rare_earths", "stage": "separation", "lang": "en"}
    )
    assert overview.status_code == 200 and overview.json()["concentration"]["shares"]["CHN"] > 0.5


def test_metrics_mirror_cli(client):
    c = client.get(
        "/api/metrics/concentration", params={"mineral": "rare_earths", "stage": "separation"}
    ).json()
    assert set(c) == {
        "mineral",
        "stage",
        "year",
        "hhi",
        "top1_share",
        "top3_share",
        "shares",
        "sources",
    }
    e = client.get(
        "/api/metrics/exposure",
        params={"country": "JPN", "mineral": "rare_earths", "stage": "magnets"},
    ).json()
    assert e["total_share"] == pytest.approx(e["direct_share"] + e["indirect_share"])
    d = client.get(
        "/api/metrics/demand-share", params={"group": "g7plus", "mineral": "rare_earths"}
    ).json()
    assert 0 < d["share"] < 1


def test_compare(client, stored):
    ids = stored[1]
    r = client.get("/api/compare", params=[("ids", ids[0]), ("ids", ids[1])])
    assert r.status_code == 200
    assert [run["variant"] for run in r.json()["runs"]] == ["no-response", "full-response"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "words"),
    [
        ("post", "/api/runs", {"scenario": "../../etc/passwd"}, 422, "unknown scenario"),
        ("post", "/api/runs", {"scenario": "/etc/passwd"}, 422, "unknown scenario"),
        ("post", "/api/runs", {"scenario": FLAGSHIP, "variant": "nope"}, 422, "unknown variant"),
        ("post", "/api/runs", {"scenario": {"name": "x", "months": 0}}, 422, "months"),
        (
            "post",
            "/api/runs",
            {"scenario": {"name": "x", "minerals": ["unobtainium"]}},
            422,
            "unknown mineral",
        ),
        ("post", "/api/runs", {"scenario": FLAGSHIP, "extra": 1}, 422, "extra"),
        ("post", "/api/runs", {}, 422, "scenario"),
        ("get", "/api/runs/000000000000", None, 404, "no run"),
        ("get", "/api/runs/..%2F..%2Fetc", None, 404, ""),
        ("get", "/api/runs/XYZ", None, 422, "run_id"),
        (
            "get",
            "/api/metrics/concentration?mineral=unobtainium&stage=mining",
            None,
            404,
            "unknown mineral",
        ),
        (
            "get",
            "/api/metrics/concentration?mineral=rare_earths&stage=nope",
            None,
            404,
            "unknown stage",
        ),
        (
            "get",
            "/api/metrics/exposure?country=J&mineral=rare_earths&stage=magnets",
            None,
            422,
            "country",
        ),
        ("get", "/api/metrics/demand-share?group=nope", None, 404, "unknown group"),
        ("get", "/api/runs/000000000000/report?lang=fr", None, 422, "lang"),
        ("get", "/api/compare?ids=000000000000", None, 422, "ids"),
        ("get", "/static/../api.py", None, 404, ""),
    ],
)
def test_bad_input(client, method, url, body, status, words):
    r = client.request(method.upper(), url, json=body)
    assert r.status_code == status, r.text
    if words:
        assert words in r.json()["detail"]
    assert ("/work/" not in r.text and "duckdb" not in r.text.lower()) or status == 404


def test_errors_name_no_server_paths(client):
    detail = client.get("/api/runs/000000000000").json()["detail"]
    assert "runs.duckdb" not in detail and "results database" in detail


def test_openapi_and_dashboard(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/runs", "/api/runs/{run_id}", "/api/metrics/concentration", "/api/datasets"):
        assert path in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "app.js" in page.text


TESTSERVER = Settings(allowed_hosts=("testserver",))
"""Schemathesis calls the app under the Host name ``testserver``."""
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(None, settings=TESTSERVER))


@pytest.fixture(scope="module")
def fuzz_app(stored):
    app = create_app(stored[0], settings=TESTSERVER)
    schema.app = app
    return app


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis(case, fuzz_app):
    """Every documented operation: no 5xx, documented status codes and content types."""
    case.operation.schema.app = fuzz_app
    response = case.call(app=fuzz_app)
    case.validate_response(
        response,
        checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
    )
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("mineral", "country", "en", "ja"),
    [
        ("titanium", "KOR", "Titanium sponge: no demand data for South Korea", "韓国の需要がなく"),
        ("tellurium", "USA", "Tellurium: no demand data for United States", "米国の需要がなく"),
    ],
)
def test_a_shock_the_data_do_not_cover_says_so(client, mineral, country, en, ja):
    """The run's JSON, its comparison column and its report (both languages) carry the
    coverage note, and its node reads not_covered instead of "never short"."""
    scenario = {
        "name": f"{mineral}-ban",
        "months": 12,
        "minerals": [mineral],
        "shocks": [
            {"type": "export_ban", "exporter": "CHN", "destinations": [country], "start": "2026-01"}
        ],
    }
    job = client.post("/api/runs", json={"scenario": scenario}).json()["id"]
    body = wait(client, job)
    assert body["status"] == "done", body
    warned = [n for n in body["coverage"] if n["level"] == "warning"]
    assert [(n["mineral"], n["country"], n["status"]) for n in warned] == [
        (mineral, country, "not_covered")
    ]
    assert warned[0]["message_en"].startswith(en)
    rows = [r for r in body["summary"] if r["country"] == country]
    assert rows and all(r["status"] == "not_covered" for r in rows)
    other = client.get("/api/runs").json()[-1]["run_id"]
    side = client.get("/api/compare", params={"ids": [body["run_id"], other]}).json()["runs"][0]
    assert side["coverage"] == body["coverage"]
    assert any(r.get("status") == "not_covered" for r in side["summary"])
    for lang, text in (("en", en), ("ja", ja)):
        report = client.get(f"/api/runs/{job}/report", params={"lang": lang}).json()
        assert any(text in s["text"] for s in report["summary"]), report["summary"]
        assert report["coverage"] == body["coverage"]
    refused = client.post("/api/runs", json={"scenario": scenario, "strict": True})
    assert refused.status_code == 422
    assert en in refused.json()["detail"]


def test_run_impact_is_computed_stored_and_read(client, stored):
    run_id = stored[1][0]
    assert client.get(f"/api/runs/{run_id}/impact").status_code == 404  # not computed yet
    made = client.post(f"/api/runs/{run_id}/impact")
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["run_id"] == run_id and body["table"] == "wiod2011_agg11"
    japan = body["countries"][0]
    assert japan["country"] == "JPN" and japan["gdp_loss_pct_horizon"] > 0
    again = client.get(f"/api/runs/{run_id}/impact", params={"method": "leontief"}).json()
    assert again["method"] == "leontief"
    assert again["countries"][0]["value_added_loss_usd"] > japan["value_added_loss_usd"] * 0.5
    assert client.post(f"/api/runs/{run_id}/impact", params={"table": "/etc"}).status_code == 404
    report = client.get(f"/api/runs/{run_id}/report", params={"lang": "ja"}).json()
    assert report["impact"]["countries"][0]["国"] == "日本"
