"""Plans in the results store: a saved plan reads back as the record `oreshock plan --json`
printed, `oreshock plans list|show|export` read it in both languages, a damaged or unknown
plan is refused naming it, and a store written at schema version 3 opens and takes plans.

Plans here are small (Japan alone, 2 sampled controls: about a second each)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from oreshock.cli import common
from oreshock.cli.app import app
from oreshock.cli.plan_text import million
from oreshock.core.errors import UnknownIdError
from oreshock.core.i18n import t
from oreshock.core.serialize import json_safe
from oreshock.model.scenario import load_scenario
from oreshock.plan.runner import make_plan
from oreshock.store.jobs import PLAN, RUN, get_job, insert_job, list_jobs
from oreshock.store.plans import (
    PROVENANCE,
    DamagedPlanError,
    digest,
    export_plan,
    get_plan,
    list_plans,
    plan_rows,
    save_plan,
)
from oreshock.store.schema import SCHEMA_VERSION, TABLES, OlderStoreError
from oreshock.store.store import Store, open_read
from tests.test_store import V1_DDL

FLAGSHIP = "japan-rare-earths-2026"
SMALL = ["--members", "JPN", "--scenarios", "2", "--caps", "0.1"]
runner = CliRunner()


@pytest.fixture(scope="module")
def made(network):
    scenario = load_scenario(FLAGSHIP)
    return scenario, make_plan(network, scenario, "JPN", 0.05, scenarios=2, caps=[0.1])


@pytest.fixture()
def saved(made, network, tmp_path):
    """A store holding the small plan, and the rows it was saved from."""
    scenario, plan = made
    rows = plan_rows(plan, scenario, network, coalition="jpn", seed=0)
    path = tmp_path / "plans.duckdb"
    with Store(path) as store:
        assert save_plan(store, rows) == rows.plan_id
    return path, rows


def test_a_saved_plan_reads_back_as_its_record(saved, made, network):
    path, rows = saved
    _, plan = made
    with Store(path, read_only=True) as store:
        stored = get_plan(store, rows.plan_id)
        listed = list_plans(store)
    expected = json.loads(json.dumps(json_safe(plan.record(rows.plan_id))))
    assert stored.record == expected == rows.record
    assert list(stored.record) == list(expected)  # the same order, so the same JSON text
    assert [list(i) for i in stored.record["items"]] == [list(i) for i in expected["items"]]
    assert stored.content_hash == digest(expected)
    about = stored.provenance
    assert about["coalition"] == "JPN" and about["scenario"] == FLAGSHIP and about["seed"] == 0
    assert about["dataset_hash"] == network.dataset_hash
    assert about["scenario_json"]["name"] == FLAGSHIP
    row = listed.to_dict("records")[0]
    assert len(listed) == 1 and row["plan_id"] == rows.plan_id and row["content"] == "ok"
    assert row["total_cost_usd"] == plan.total_cost_usd and row["cap"] == 0.05
    assert (row["risk"], row["scenarios"], row["coalition"]) == ("worst", 2, "JPN")


def _edit(path: Path, sql: str, *params: object) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(sql, list(params))
    finally:
        con.close()


@pytest.mark.parametrize(
    ("sql", "status"),
    [
        ("UPDATE plans SET record_json = replace(record_json, '\"cost_usd\": ', '\"cost_usd\": 1') "
         "WHERE plan_id = ?", "damaged"),
        ("UPDATE plans SET total_cost_usd = total_cost_usd / 2 WHERE plan_id = ?", "damaged"),
        ("UPDATE plans SET record_json = '{\"cap\": ' WHERE plan_id = ?", "unreadable"),
    ],
)  # fmt: skip
def test_a_damaged_plan_is_refused_and_listed_as_such(saved, sql, status):
    path, rows = saved
    _edit(path, sql, rows.plan_id)
    with Store(path, read_only=True) as store:
        with pytest.raises(DamagedPlanError, match=f"plan {rows.plan_id} in .* is {status}"):
            get_plan(store, rows.plan_id)
        assert list_plans(store)["content"].tolist() == [status]
    shown = runner.invoke(app, ["plans", "show", rows.plan_id, "--db", str(path)])
    assert shown.exit_code == 2 and f"is {status}" in shown.output
    listed = runner.invoke(app, ["plans", "list", "--db", str(path)])
    assert listed.exit_code == 0 and "1 of 1 plans" in listed.stderr
    assert f"{rows.plan_id} ({status})" in listed.stderr


def test_an_unknown_plan_id_is_an_error_naming_it(saved):
    path, _ = saved
    unknown = r"no plan '000000000000' in .*plans\.duckdb"
    with Store(path, read_only=True) as store, pytest.raises(UnknownIdError, match=unknown):
        get_plan(store, "000000000000")


def test_items_keep_fields_of_their_own(made, network, tmp_path):
    """A plant's item carries fields a stockpile's has not (its project, its first output):
    the store keeps every field the planner gives an item, and exports them as columns."""
    scenario, plan = made
    plant = {**plan.items[0], "kind": "capacity", "project": "Narva 2", "first_output": "2028-01"}
    longer = dataclasses.replace(plan, items=[*plan.items, plant])
    rows = plan_rows(longer, scenario, network, coalition="JPN", seed=0)
    with Store(tmp_path / "plans.duckdb") as store:
        save_plan(store, rows)
        stored = get_plan(store, rows.plan_id)
        files = export_plan(store, rows.plan_id, tmp_path / "export")
    assert stored.record["items"][-1] == plant and stored.record == rows.record
    table = pd.read_parquet(files[2])
    assert table["project"].tolist()[-1] == "Narva 2" and table["project"].isna().sum() == len(
        plan.items
    )


# The tables as schema version 3 left them: version 1's, each migration's columns, the jobs.
V3_DDL = (
    V1_DDL
    + """
ALTER TABLE runs ADD COLUMN coverage_json VARCHAR;
ALTER TABLE runs ADD COLUMN content_hash VARCHAR;
ALTER TABLE ensembles ADD COLUMN owner_pid BIGINT;
ALTER TABLE ensembles ADD COLUMN owner_host VARCHAR;
ALTER TABLE ensembles ADD COLUMN heartbeat TIMESTAMP;
ALTER TABLE ensemble_batches ADD COLUMN sha256 VARCHAR;
CREATE TABLE jobs (
    job_id VARCHAR PRIMARY KEY, created TIMESTAMP, updated TIMESTAMP, scenario VARCHAR,
    variant VARCHAR, request_json VARCHAR, seed BIGINT, status VARCHAR, progress DOUBLE,
    run_id VARCHAR, error VARCHAR, owner_pid BIGINT
);
INSERT INTO jobs VALUES ('dead00000001', TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01',
    'japan-rare-earths-2026', NULL, '{}', 0, 'done', 1.0, 'old000000001', NULL, 1);
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""
)


def _v3(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute(V3_DDL)
    con.close()
    return path


def test_a_version_3_store_is_upgraded_and_takes_plans(made, network, tmp_path):
    """Version 4 adds the plan tables and the jobs' kind (version 5 the impacts): what
    version 3 held reads as before (its job is a run's), the commands that only read upgrade
    it instead of refusing it, and plans are saved into it."""
    path = _v3(tmp_path / "v3.duckdb")
    with pytest.raises(OlderStoreError, match=f"version 3, older than version {SCHEMA_VERSION}"):
        Store(path, read_only=True)
    with open_read(path) as store:
        assert store.schema_version_found == SCHEMA_VERSION
        assert store.list_runs()["run_id"].tolist() == ["old000000001"]
        assert list_plans(store).empty
        job = get_job(store, "dead00000001")
    assert job is not None and (job.kind, job.run_id, job.plan_id) == (RUN, "old000000001", None)
    scenario, plan = made
    rows = plan_rows(plan, scenario, network, coalition="JPN", seed=0)
    with Store(path) as store:
        save_plan(store, rows)
        insert_job(store, "newjob000001", scenario=FLAGSHIP, variant=None, request_json="{}",
                   seed=0, owner_pid=1, kind=PLAN)  # fmt: skip
        assert [j.job_id for j in list_jobs(store, kind=PLAN)] == ["newjob000001"]
        assert [j.job_id for j in list_jobs(store, kind=RUN)] == ["dead00000001"]
        assert get_plan(store, rows.plan_id).record == rows.record
        tables = set(store.con.execute("SELECT table_name FROM duckdb_tables()").df()["table_name"])
    assert tables == set(TABLES)


def test_the_read_commands_upgrade_a_version_3_store(tmp_path):
    for command in (["runs", "list"], ["plans", "list"]):
        path = _v3(tmp_path / f"{command[0]}.duckdb")
        result = runner.invoke(app, [*command, "--json", "--db", str(path)])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)) == (command[0] == "runs")


# The commands --------------------------------------------------------------------------


@pytest.fixture()
def wide(monkeypatch):
    """Tables 200 columns wide, so no name is folded across lines whatever the terminal."""
    monkeypatch.setattr(common.out, "width", 200)


@pytest.fixture(scope="module")
def cli_plan(tmp_path_factory):
    """`oreshock plan --json` once into a fresh store: the store and the printed record."""
    path = tmp_path_factory.mktemp("plans") / "cli.duckdb"
    result = runner.invoke(app, ["plan", FLAGSHIP, *SMALL, "--json", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path, json.loads(result.stdout)


def test_plan_json_has_the_id_of_the_stored_plan(cli_plan):
    path, record = cli_plan
    assert isinstance(record["plan_id"], str) and len(record["plan_id"]) == 12
    listed = runner.invoke(app, ["plans", "list", "--json", "--db", str(path)])
    assert [p["plan_id"] for p in json.loads(listed.stdout)] == [record["plan_id"]]


def test_plans_show_json_is_the_plan_json_with_its_provenance(cli_plan):
    path, record = cli_plan
    result = runner.invoke(app, ["plans", "show", record["plan_id"], "--json", "--db", str(path)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert {k: shown[k] for k in record} == record
    assert set(shown) - set(record) == set(PROVENANCE) - {"plan_id"} | {"content_hash"}
    assert shown["coalition"] == "JPN" and shown["scenario"] == FLAGSHIP


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Stored plans", "Japan", "worst", "Cost, million USD"]),
        ("ja", ["保存された計画", "日本", "最悪ケース", "費用（百万ドル）"]),
    ],
)
def test_plans_list_names_the_members_and_gives_millions(cli_plan, wide, lang, words):
    path, record = cli_plan
    result = runner.invoke(app, ["plans", "list", "--lang", lang, "--db", str(path)])
    assert result.exit_code == 0, result.output
    for word in [*words, record["plan_id"], million(record["total_cost_usd"]), "5%"]:
        assert word in result.stdout, word
    assert "JPN" not in result.stdout


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["members Japan", "Least-cost plan", "cap 10%"]),
        ("ja", ["対象国 日本", "最小費用の計画", "上限10%"]),
    ],
)
def test_plans_show_prints_the_plan_as_plan_did(cli_plan, wide, lang, words):
    path, record = cli_plan
    result = runner.invoke(
        app, ["plans", "show", record["plan_id"], "--lang", lang, "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    for word in [
        *words,
        t("plan_items", lang),
        record["plan_id"],
        million(record["total_cost_usd"]),
    ]:
        assert word in result.stdout, word


def test_plans_export_writes_the_record_and_the_items(cli_plan, tmp_path):
    path, record = cli_plan
    folder = tmp_path / "export"
    result = runner.invoke(
        app, ["plans", "export", record["plan_id"], "--out", str(folder), "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["items.csv", "items.parquet", "plan.json"]
    shown = runner.invoke(app, ["plans", "show", record["plan_id"], "--json", "--db", str(path)])
    assert json.loads((folder / "plan.json").read_text("utf-8")) == json.loads(shown.stdout)
    items = pd.DataFrame(record["items"]).dropna(axis=1, how="all")  # a stockpile's country
    for table in (pd.read_parquet(folder / "items.parquet"), pd.read_csv(folder / "items.csv")):
        assert len(table.columns) == len(record["items"][0])
        pd.testing.assert_frame_equal(table[items.columns], items)


def test_plan_prints_the_id_it_stored(db_path, wide):
    result = runner.invoke(app, ["plan", FLAGSHIP, *SMALL, "--lang", "ja"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["plans", "list", "--json"])
    plan_id = json.loads(listed.stdout)[0]["plan_id"]
    assert f"計画 {plan_id} として保存" in result.stdout


@pytest.mark.parametrize("command", ["show", "export"])
def test_unknown_plan_ids_are_clear_errors(cli_plan, tmp_path, command):
    path, _ = cli_plan
    extra = ["--out", str(tmp_path / "x")] if command == "export" else []
    for db in (path, tmp_path / "missing.duckdb"):
        result = runner.invoke(app, ["plans", command, "000000000000", *extra, "--db", str(db)])
        assert result.exit_code == 2
        assert f"no plan '000000000000' in {db}" in result.output.replace("\n", "")
    assert not (tmp_path / "missing.duckdb").exists() and not (tmp_path / "x").exists()


def test_plan_refuses_a_folder_as_its_database_before_planning(tmp_path):
    result = runner.invoke(app, ["plan", FLAGSHIP, *SMALL, "--db", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output
    assert "Least-cost plan" not in result.output
