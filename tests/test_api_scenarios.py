"""The scenario routes the builder works on: a shipped file to edit, the choices with their
names, and validation that says what `oreshock scenarios validate` says of the same file."""

from __future__ import annotations

import json

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app as cli
from oreshock.model.scenario import ScenarioFile, load_scenario, shipped_scenarios
from oreshock.web.app import create_app

FLAGSHIP = "japan-rare-earths-2026"
runner = CliRunner()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("scen") / "runs.duckdb"
    with TestClient(create_app(path), base_url="http://localhost") as c:
        yield c


def cli_errors(tmp_path, monkeypatch, text: str, name: str = "scenario.yaml") -> dict:
    """What the CLI's validate says of ``text`` saved as ``name`` in the working folder."""
    (tmp_path / name).write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["scenarios", "validate", name, "--json"])
    return json.loads(result.stdout)


def test_shipped_file_and_its_document(client):
    body = client.get(f"/api/scenarios/{FLAGSHIP}/file").json()
    assert body["yaml"] == shipped_scenarios()[FLAGSHIP].read_text("utf-8")
    assert body["document"]["shocks"][0]["type"] == "export_ban"
    assert "full-response" in body["document"]["variants"]
    assert client.get("/api/scenarios/no-such-thing/file").status_code == 404
    assert client.get("/api/scenarios/..%2Fetc/file").status_code in (404, 422)


def test_choices_carry_names_in_both_languages(client):
    body = client.get("/api/scenarios/choices").json()
    japan = next(c for c in body["countries"] if c["iso3"] == "JPN")
    assert (japan["name_en"], japan["name_ja"]) == ("Japan", "日本")
    g7plus = next(g for g in body["groups"] if g["group"] == "g7plus")
    assert g7plus["name_ja"]
    rare = next(m for m in body["minerals"] if m["mineral"] == "rare_earths")
    assert "Dy" in rare["elements"] and [s["stage"] for s in rare["stages"]][-1] == "magnets"
    assert all(s["name_ja"] for s in rare["sectors"])
    # the loader's defaults, for the builder's empty fields
    assert body["defaults"]["stockpiles"]["rate"] == 0.25
    assert body["defaults"]["export_ban"]["share"] == 1.0
    assert body["defaults"]["plan"]["leak_share"] == [0.0, 0.0]
    assert "allowed" not in body["defaults"]["export_quota"]  # required: no default


def test_valid_flagship_as_yaml_and_as_json(client):
    text = shipped_scenarios()[FLAGSHIP].read_text("utf-8")
    as_yaml = client.post(
        "/api/scenarios/validate",
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    ).json()
    assert as_yaml["valid"] and as_yaml["errors"] == []
    assert as_yaml["variants"][0] == "no-response"
    as_json = client.post("/api/scenarios/validate", json=as_yaml["document"]).json()
    assert as_json["valid"], as_json["errors"]
    # the YAML written from the JSON loads with the CLI's loader, every variant alike
    back = ScenarioFile(as_json["yaml"], "back.yaml")
    assert back.build("full-response") == load_scenario(FLAGSHIP, "full-response").model_copy()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("share: 1.0", "share: 1.5"), "shocks.0.share"),
        (("exporter: CHN\n    destinations: [JPN]\n    stages", "exporter: CHX\n    destinations: [JPN]\n    stages"), "shocks.0.exporter"),
        (("months: 60", "months: 0"), "months"),
        (("start: 2026-02", "start: 2031-02"), "responses.sharing.0.start"),
    ],
)  # fmt: skip
def test_errors_are_the_clis(client, tmp_path, monkeypatch, change, field):
    """Each problem is the CLI's line for the same file, with its field, line and variant."""
    text = shipped_scenarios()[FLAGSHIP].read_text("utf-8").replace(*change, 1)
    body = client.post(
        "/api/scenarios/validate", content=text.encode(), headers={"content-type": "text/plain"}
    ).json()
    said = cli_errors(tmp_path, monkeypatch, text)
    assert [e["message"] for e in body["errors"]] == said["errors"]
    assert [w["message"] for w in body["warnings"]] == said["warnings"]
    problems = body["errors"] + body["warnings"]
    assert problems and problems[0]["field"] == field
    assert problems[0]["line"] is not None and problems[0]["why"]


def test_a_variants_error_names_the_variant(client):
    doc = yaml.safe_load(shipped_scenarios()[FLAGSHIP].read_text("utf-8"))
    doc["variants"]["stockpiles"]["buffers"]["stockpiles"][0]["trigger"] = 3
    body = client.post("/api/scenarios/validate?name=mine.yaml", json=doc).json()
    assert not body["valid"]
    (err,) = body["errors"]
    assert err["variant"] == "stockpiles" and err["field"] == "buffers.stockpiles.0.trigger"
    assert err["message"].startswith("mine.yaml, line ")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"name: [x", "application/yaml", 422, "not valid YAML"),
        (b"- just\n- a list\n", "text/plain", 422, "expected a mapping"),
        (b"[1, 2]", "application/json", 422, "expected a JSON object"),
        (b"{not json", "application/json", 422, "not valid JSON"),
        (b"\xff\xfe", "text/plain", 422, "not UTF-8"),
        (b"", "text/plain", 422, "expected a mapping"),
        (b"a: &a [1]\n" + b"".join(b"k%d: *a\n" % i for i in range(30)), "text/plain", 422, "aliases"),
        (b"name: x\nshocks:\n" + b"  - {type: outage, country: CHN, share: 1, start: 2026-01}\n" * 300,
         "text/plain", 422, "expected at most"),
        (b"x" * 1_100_000, "text/plain", 413, "larger than"),
        (b'{"name": ' + b"[" * 40 + b"]" * 40 + b"}", "application/json", 422, "nested deeper"),
        (b"name: " + b"[" * 40 + b"]" * 40, "application/yaml", 422, "nested deeper"),
        (b'{"\\ud800\\udc00": null}', "text/plain", 422, "lone surrogate"),
        (b'{"name": "\\ud800"}', "application/json", 422, "lone surrogate"),
    ],
)  # fmt: skip
def test_bad_bodies_get_a_clear_4xx(client, body, content_type, status, words):
    r = client.post("/api/scenarios/validate", content=body, headers={"content-type": content_type})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_file_name_is_checked(client):
    r = client.post("/api/scenarios/validate?name=../x", content=b"name: x\n")
    assert r.status_code == 422 and "name" in r.json()["detail"]
