"""Coverage in every result: a shock on a country or mineral with no demand or trade in the data
says so (a warning, a ``not_covered`` status), and a strict run refuses it."""

from __future__ import annotations

import json
import warnings

import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.model.coverage import (
    NOT_COVERED,
    NOTE,
    WARNING,
    CoverageError,
    CoverageWarning,
    check_coverage,
)
from oreshock.model.scenario import Scenario, open_scenario, shipped_scenarios
from oreshock.model.simulate import simulate
from oreshock.store.store import Store

runner = CliRunner()

# Two chains the data cover only in part: titanium sponge has no Korean demand, tellurium no
# US demand (production only, each producer using its own).
UNCOVERED = {
    "titanium-korea": (
        {"mineral": "titanium", "exporter": "CHN", "country": "KOR"},
        "Titanium sponge: no demand data for South Korea; result not meaningful",
        "スポンジチタン: データに韓国の需要がなく、結果は意味をなさない",
    ),
    "tellurium-usa": (
        {"mineral": "tellurium", "exporter": "CHN", "country": "USA"},
        "Tellurium: no demand data for United States; result not meaningful",
        "テルル: データに米国の需要がなく、結果は意味をなさない",
    ),
}


def ban(mineral: str, exporter: str, destinations: list[str], name: str = "ban") -> dict:
    return {
        "name": name,
        "months": 12,
        "minerals": [mineral],
        "shocks": [
            {
                "type": "export_ban",
                "exporter": exporter,
                "destinations": destinations,
                "start": "2026-01",
            }
        ],
    }


def case_doc(case: str) -> tuple[dict, str, str, str, str]:
    ids, en, ja = UNCOVERED[case]
    doc = ban(ids["mineral"], ids["exporter"], [ids["country"]], name=case)
    return doc, ids["mineral"], ids["country"], en, ja


def write_yaml(tmp_path, doc: dict):
    path = tmp_path / f"{doc['name']}.yaml"
    path.write_text(json.dumps(doc), "utf-8")  # JSON is YAML
    return path


@pytest.mark.parametrize("case", sorted(UNCOVERED))
def test_python_run_warns_and_marks_the_node_not_covered(network, case):
    doc, mineral, country, en, ja = case_doc(case)
    scenario = Scenario.model_validate(doc)
    with pytest.warns(CoverageWarning, match=en):
        result = simulate(network, scenario)
    (note,) = result.coverage.warnings
    assert (note.mineral, note.country, note.missing) == (mineral, country, "demand")
    assert note.level == WARNING and note.status == NOT_COVERED
    assert note.message_en == en and note.message_ja == ja
    assert result.coverage_status(country, mineral) == NOT_COVERED
    assert result.coverage_status(country, mineral, note.stages[0]) == NOT_COVERED
    assert result.coverage_status("CHN", mineral) == "covered"
    rows = [r for r in result.status_records() if r["country"] == country]
    assert rows == [
        {
            "country": country,
            "mineral": mineral,
            "stage": None,
            "months_to_shortfall": None,
            "peak_shortfall_pct": None,
            "cumulative_shortfall_pct": None,
            "status": NOT_COVERED,
        }
    ]
    assert result.summary().columns.tolist()[-1] == "cumulative_shortfall_pct"  # unchanged
    with pytest.raises(CoverageError, match=en):
        simulate(network, scenario, strict=True)


@pytest.mark.parametrize("case", sorted(UNCOVERED))
def test_cli_json_shows_coverage_and_strict_refuses(db_path, tmp_path, case):
    doc, mineral, country, en, ja = case_doc(case)
    path = write_yaml(tmp_path, doc)
    result = runner.invoke(app, ["run", str(path), "--country", country, "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["runs"][0]
    warned = [n for n in run["coverage"] if n["level"] == WARNING]
    assert [(n["mineral"], n["country"], n["status"]) for n in warned] == [
        (mineral, country, NOT_COVERED)
    ]
    assert warned[0]["message_en"] == en and warned[0]["message_ja"] == ja
    rows = [r for r in run["summary"] if r["country"] == country]
    assert rows and all(r["status"] == NOT_COVERED for r in rows)
    assert all(r["months_to_shortfall"] is None and r["peak_shortfall_pct"] is None for r in rows)

    text = runner.invoke(app, ["run", str(path), "--country", country, "--lang", "ja"])
    assert text.exit_code == 0, text.output
    assert ja in text.stdout.replace("\n", "")

    with Store(db_path) as store:
        stored = len(store.list_runs())
    strict = runner.invoke(app, ["run", str(path), "--country", country, "--strict"])
    assert strict.exit_code == 2
    assert en in strict.output.replace("\n  ", " ").replace("\n", " ")
    assert "Traceback" not in strict.output
    with Store(db_path) as store:
        assert len(store.list_runs()) == stored, "a refused strict run stores nothing"


def test_a_shock_that_touches_flows_elsewhere_notes_its_uncovered_targets(network):
    """A ban on the G7: the US imports germanium from China, Japan has no germanium trade
    from China in the data. The shock acts, so there is no warning, but Japan's figures are
    marked."""
    scenario = Scenario.model_validate(ban("germanium", "CHN", ["g7"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = simulate(network, scenario)
    assert not result.coverage.warnings
    jpn = [n for n in result.coverage if n.country == "JPN"]
    assert [n.level for n in jpn] == [NOTE]
    assert result.coverage_status("JPN", "germanium") == NOT_COVERED
    assert result.coverage_status("USA", "germanium", "refining") == "covered"
    simulate(network, scenario, strict=True)  # notes do not make a strict run fail


@pytest.mark.parametrize(
    ("shock", "missing", "en"),
    [
        (
            {"type": "outage", "country": "USA", "share": 0.5, "start": "2026-01"},
            "production",
            "Tellurium: no production data for United States at Refining; the outage cuts nothing",
        ),
        (
            {
                "type": "reexport_control",
                "origin": "CHN",
                "destinations": ["JPN"],
                "start": "2026-01",
            },
            "imports",
            "Tellurium: no base-year imports into Japan at Refining; the re-export control cuts nothing",
        ),
        (
            {
                "type": "licence_delay",
                "exporter": "CHN",
                "destinations": ["JPN"],
                "months": 3,
                "start": "2026-01",
            },
            "trade",
            "Tellurium: no base-year trade from China to Japan at Refining; the licence delay cuts nothing",
        ),
    ],
)
def test_each_kind_of_shock_is_checked_against_what_it_acts_on(network, shock, missing, en):
    scenario = Scenario.model_validate(
        {"name": "x", "months": 6, "minerals": ["tellurium"], "shocks": [shock]}
    )
    coverage = check_coverage(network, scenario)
    (note,) = coverage.warnings
    assert note.missing == missing and note.message_en == en


def test_a_stockpile_the_data_do_not_hold_is_noted(network):
    scenario = Scenario.model_validate(
        {
            "name": "x",
            "months": 6,
            "minerals": ["rare_earths"],
            "buffers": {"stockpiles": [{"holder": "KOR"}]},
        }
    )
    notes = check_coverage(network, scenario).warnings
    # Korea's one stockpile row (Dy and Y oxide) meets no Korean oxide use: no product of
    # the family holds anything, so each is warned about
    assert sorted(n.mineral for n in notes) == sorted(network.products("rare_earths"))
    for note in notes:
        assert (note.country, note.missing, note.source) == (
            "KOR",
            "stocks",
            "buffers.stockpiles[0]",
        )


# Japan's stockpile (JOGMEC, at the separation stage) meets no NdPr or Dy/Tb oxide use in
# Japan (that comes in as metal) and no magnets: a note on these products, the others hold it.
UNHELD = {"ndfeb_dytb", "ndfeb_plain", "ree_dytb", "ree_ndpr"}


def _only_unheld_stockpile_notes(coverage) -> None:
    assert not coverage.warnings, coverage.records()
    for note in coverage:
        assert note.source.startswith("buffers.stockpiles"), note
        assert (note.country, note.missing, note.level) == ("JPN", "stocks", NOTE), note
    assert {n.mineral for n in coverage} <= UNHELD


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_shipped_scenarios_are_covered(network, name):
    """The flagship's every variant (and the baseline) touch flows the data hold, for Japan:
    the only notes say which rare-earth products Japan's stockpile holds none of."""
    file = open_scenario(name)
    for variant in [None, *file.variants]:
        scenario = file.build(variant)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if scenario.minerals != "all":
                result = simulate(network, scenario, countries=["JPN"])
                _only_unheld_stockpile_notes(result.coverage)
                if not scenario.buffers.stockpiles:
                    assert not result.coverage, (variant, result.coverage.records())
        if scenario.minerals == "all":
            assert not check_coverage(network, scenario).warnings


def test_flagship_cli_json_has_no_coverage_warning(db_path):
    result = runner.invoke(
        app, ["run", "japan-rare-earths-2026", "--variant", "full-response", "--json"]
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["runs"][0]
    assert not [n for n in run["coverage"] if n["level"] == WARNING]
    assert {n["mineral"] for n in run["coverage"]} == UNHELD
    marked = {(r["country"], r["mineral"]) for r in run["summary"] if "status" in r}
    assert marked == {("JPN", m) for m in UNHELD}
    strict = runner.invoke(
        app, ["run", "japan-rare-earths-2026", "--variant", "no-response", "--strict"]
    )
    assert strict.exit_code == 0, strict.output
    assert "Data coverage" not in strict.stdout
