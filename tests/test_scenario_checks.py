"""Scenarios checked for meaning on the network they run on: each mistake a user can make in a
scenario file or an API body ends in an error that names file, line, field and value (with a
"did you mean" for a near miss), never in a run without the shock, a crash or a hang."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.cli.common import friendly
from oreshock.core.errors import OreshockWarning, ScenarioError
from oreshock.model.checks import check_file
from oreshock.model.compile import compile_chain
from oreshock.model.scenario import ScenarioFile, open_scenario, scenario_json_schema
from oreshock.web.app import create_app

FLAGSHIP = "japan-rare-earths-2026"
TEXT = Path(open_scenario(FLAGSHIP).path).read_text("utf-8")
BAN = "destinations: [JPN]\n    stages: all\n    start: 2026-01\n    share: 1.0\n"
runner = CliRunner()


def flagship(old: str, new: str) -> str:
    """The flagship file with one edit (which must apply)."""
    assert TEXT.count(old) >= 1, old
    return TEXT.replace(old, new, 1)


def run_base(text: str, network, path: str = "edited.yaml") -> None:
    """Build the base of a scenario text and compile its chains, as every run does."""
    scenario = ScenarioFile(text, path).build()
    for mineral in network.covered(scenario):
        compile_chain(network.chain(mineral), scenario, network)


def raises(text: str, network, *fragments: str) -> str:
    with pytest.raises(ScenarioError) as info:
        run_base(text, network)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_shipped_scenarios_pass_the_checks(network):
    for name in ("baseline", FLAGSHIP):
        check_file(open_scenario(name), network)


def test_unknown_destination_is_named_with_a_suggestion(network):
    text = flagship(BAN, BAN.replace("[JPN]", "[JAP]"))
    raises(
        text,
        network,
        "edited.yaml, line 18, field 'shocks.0.destinations.0'",
        "'JAP'",
        "did you mean JPN?",
    )


def test_misspelt_stage_is_named_with_a_suggestion(network):
    text = flagship(BAN, BAN.replace("stages: all", "stages: [seperation]"))
    raises(text, network, "line 19, field 'shocks.0.stages.0'", "'seperation'", "separation?")


def test_unknown_mineral_group_and_sector(network):
    text = flagship("minerals: [rare_earths]", "minerals: [rare_earth]")
    raises(text, network, "field 'minerals.0'", "did you mean rare_earths?")
    text = flagship("- group: g7plus", "- group: g7plsu")
    raises(text, network, "field 'responses.sharing.0.group'", "did you mean g7plus?")
    text = flagship("minerals: [rare_earths]", "minerals: [rare_earths]\nend_use_priority: [wnd]")
    raises(text, network, "field 'end_use_priority.0'", "'wnd'", "did you mean wind?")


def test_refining_alias_is_a_stage(network):
    text = flagship(BAN, BAN.replace("stages: all", "stages: [refining]"))
    run_base(text, network)


def test_end_before_start_is_an_error_not_a_vanished_shock(network):
    text = flagship(BAN, BAN.replace("start: 2026-01", "start: 2026-06\n    end: 2026-03"))
    raises(text, network, "field 'shocks.0.end'", "not after start 2026-06")


def test_shock_after_the_horizon_is_an_error(network):
    text = flagship(BAN, BAN.replace("start: 2026-01", "start: 2031-01"))
    raises(text, network, "field 'shocks.0.start'", "never apply")


def test_response_after_the_horizon_is_a_warning(network):
    text = flagship("start: 2026-02\n  full", "start: 2032-02\n  full")
    with pytest.warns(OreshockWarning, match="does nothing in the run"):
        check_file(ScenarioFile(text, "late.yaml"), network)


def test_negative_distribution_bounds_of_a_share_are_refused(network):
    text = flagship(
        "share: {dist: uniform, low: 0.1, high: 0.5}\n          start: 2026-02\n  full",
        "share: {dist: uniform, low: -0.5, high: 0.5}\n          start: 2026-02\n  full",
    )
    raises(text, network, "field 'responses.sharing.0.share'", "reaches -0.5", "g7plus-sharing")


def test_distribution_parameters_are_checked(network):
    text = flagship("{dist: triangular, low: 18, mode: 24, high: 36}", "{dist: uniform, low: 1}")
    raises(text, network, "lead_months", "expected exactly low, high")
    text = flagship(
        "{dist: triangular, low: 18, mode: 24, high: 36}", "{dist: normal, mean: .nan, sd: 1}"
    )
    raises(text, network, "must be a finite number")


def test_an_invalid_variant_that_is_not_run_is_an_error(network):
    text = flagship("capacity: 2700", "capacity: lots")
    raises(text, network, "field 'responses.new_capacity.1.capacity'", "full-response")
    text = flagship(
        "- holder: JPN\n          trigger: 0.01\n          rate: {dist: uniform, low: 0.2, high: 0.5}\n          floor: 0.0\n    responses",
        "- holder: JAPAN\n          trigger: 0.01\n          rate: {dist: uniform, low: 0.2, high: 0.5}\n          floor: 0.0\n    responses",
    )
    raises(
        text, network, "field 'buffers.stockpiles.0.holder'", "did you mean JPN?", "full-response"
    )


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("share: 1.0", "share: .nan", "shocks.0.share"),
        (
            "commercial_stocks: true",
            "commercial_stocks: true\n  commercial_months: {JPN: .nan}",
            "buffers.commercial_months.JPN",
        ),
        ("capacity: 9000", "capacity: .inf", "responses.new_capacity.0.capacity"),
        ("capacity: 9000", "capacity: -9000", "responses.new_capacity.0.capacity"),
        (
            "commercial_stocks: true",
            "commercial_stocks: true\n  commercial_months: {JPN: -2}",
            "buffers.commercial_months",
        ),
        ("delay_months: 3", "delay_months: .nan", "responses.rerouting.delay_months"),
    ],
)
def test_nan_infinity_and_negative_numbers_in_yaml(network, old, new, field):
    raises(flagship(old, new), network, f"field '{field}'")


def test_variant_that_is_not_a_mapping(network):
    text = flagship(
        "  no-response:\n",
        "  broken: [1]\n  no-response:\n",
    )
    raises(text, network, "field 'variants.broken'", "expected a mapping")


def test_list_in_extends(network):
    text = flagship(
        "extends: reexport-control\n    description: As reexport-control, plus Japan",
        "extends: [reexport-control]\n    description: As reexport-control, plus Japan",
    )
    raises(
        text, network, "field 'variants.stockpiles.extends'", "expected the name of another variant"
    )


def test_extends_a_missing_variant_and_a_loop(network):
    text = flagship(
        "備蓄の放出\n    extends: reexport-control",
        "備蓄の放出\n    extends: reexport-contrl",
    )
    raises(text, network, "did you mean reexport-control?")
    text = flagship(
        "  reexport-control:\n",
        "  reexport-control:\n    extends: stockpiles\n",
    )
    raises(text, network, "in a loop")


def test_empty_minerals_list(network):
    raises(
        flagship("minerals: [rare_earths]", "minerals: []"),
        network,
        "field 'minerals'",
        "at least one id",
    )
    raises(flagship(BAN, BAN.replace("[JPN]", "[]")), network, "field 'shocks.0.destinations'")


def test_deep_nesting_is_refused():
    text = "name: x\nbuffers: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(ScenarioError, match="line 2: nested deeper than"):
        ScenarioFile(text, "deep.yaml").build()


def test_alias_bomb_is_refused_fast():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="aliases"):
        ScenarioFile(
            "\n".join(["name: x", "description:", *("  " + x for x in lines)]), "bomb.yaml"
        ).build()
    assert time.monotonic() - started < 2


def test_few_aliases_expanding_wide_are_refused():
    text = "name: x\nd: &d [" + ", ".join(["1"] * 6000) + "]\ne: [" + ", ".join(["*d"] * 20) + "]\n"
    with pytest.raises(ScenarioError, match="expands"):
        ScenarioFile(text, "wide.yaml")


def test_duplicate_keys_and_large_files(tmp_path):
    with pytest.raises(ScenarioError, match="line 3: key 'months' appears twice"):
        ScenarioFile("name: x\nmonths: 12\nmonths: 24\n", "dup.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("name: x\ndescription: " + "x" * (1 << 20) + "\n", "utf-8")
    with pytest.raises(ScenarioError, match="larger than 1024 KiB"):
        open_scenario(big)


# --- the API runs the same checks and answers 422 ------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("checks") / "runs.duckdb")
    # the service answers only Host names of this machine (see web.security)
    with TestClient(app, base_url="http://localhost") as c:
        yield c


def inline(**changes) -> dict:
    doc = {
        "name": "inline",
        "months": 12,
        "minerals": ["rare_earths"],
        "shocks": [
            {"type": "export_ban", "exporter": "CHN", "destinations": ["JPN"], "start": "2026-01"}
        ],
    }
    doc.update(changes)
    return doc


def post(client, scenario) -> tuple[int, str]:
    body = json.dumps({"scenario": scenario}, allow_nan=True)
    r = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    return r.status_code, str(r.json().get("detail"))


@pytest.mark.parametrize(
    ("shock", "fragment"),
    [
        ({"share": math.nan}, "shocks.0.share"),
        ({"share": math.inf}, "shocks.0.share"),
        ({"destinations": ["JAP"]}, "did you mean JPN?"),
        ({"stages": ["seperation"]}, "did you mean separation?"),
        ({"start": "2026-06", "end": "2026-03"}, "not after start"),
    ],
)
def test_api_refuses_bad_shocks_with_the_same_message(client, shock, fragment):
    base = inline()["shocks"][0]
    status, detail = post(client, inline(shocks=[{**base, **shock}]))
    assert status == 422 and fragment in detail, detail


def test_api_refuses_negative_stocks_and_empty_minerals(client):
    status, detail = post(client, inline(buffers={"commercial_months": {"JPN": math.nan}}))
    assert status == 422 and "buffers.commercial_months" in detail, detail
    status, detail = post(client, inline(buffers={"commercial_months": {"JPN": -2}}))
    assert status == 422 and "buffers.commercial_months" in detail, detail
    status, detail = post(client, inline(minerals=[]))
    assert status == 422 and "minerals" in detail, detail


def test_api_refuses_deep_bodies(client):
    deep: object = 1
    for _ in range(200):
        deep = {"x": deep}
    status, detail = post(client, inline(description=deep))
    assert status == 422 and "nested deeper" in detail, detail


# --- the CLI --------------------------------------------------------------------------------


def test_cli_validate_names_every_problem(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(flagship(BAN, BAN.replace("[JPN]", "[JAP]")), "utf-8")
    result = runner.invoke(app, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "did you mean JPN?" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["scenarios", "validate", str(path), "--json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 2 and body["valid"] is False
    assert any("line 18" in e for e in body["errors"])


def test_cli_validate_shipped_and_broken_yaml(tmp_path):
    result = runner.invoke(app, ["scenarios", "validate", FLAGSHIP, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["valid"] is True
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n", "utf-8")
    result = runner.invoke(app, ["scenarios", "validate", str(path)])
    assert result.exit_code == 2 and "not valid YAML" in result.output


def test_cli_schema_is_the_published_one():
    result = runner.invoke(app, ["scenarios", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == scenario_json_schema()
    published = Path(__file__).resolve().parents[1] / "docs" / "scenario.schema.json"
    assert json.loads(published.read_text("utf-8")) == schema
    assert "variants" in schema["properties"] and "Distribution" in schema["$defs"]


def test_an_unexpected_error_is_a_short_message_with_a_bug_report_hint(capsys):
    def broken() -> None:
        raise ValueError("boom")

    with pytest.raises(typer.Exit) as info:
        friendly(broken)()
    assert info.value.exit_code == 3
    err = capsys.readouterr().err
    assert "unexpected ValueError: boom" in err and "bug in oreshock" in err
    assert "Traceback" not in err


def test_an_error_in_a_variants_first_field_names_the_variants_line(tmp_path):
    """The variant's own line, even for the field on its first line (where the variant's
    mapping starts too), not the base document's line of that field."""
    path = tmp_path / "first.yaml"
    path.write_text(
        "name: s\nmonths: 12\nvariants:\n  a:\n    variant_title_en: 5\n    months: x\n"
    )
    with pytest.raises(ScenarioError) as info:
        ScenarioFile(path.read_text(), str(path)).build("a")
    said = str(info.value)
    assert f"{path}, line 5, field 'variant_title_en'" in said
    assert f"{path}, line 6, field 'months'" in said
