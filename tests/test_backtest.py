"""Back-tests: every shipped episode runs on its vintage, and every check agrees with the record
within the tolerance its file states, or is listed as a known failure and still fails."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from oreshock.backtest.episodes import load_episode, shipped_episodes
from oreshock.backtest.observations import load_observations
from oreshock.backtest.runner import run_episode
from oreshock.cli.app import app
from oreshock.core.errors import DataFileError, ScenarioError, UnknownIdError

EPISODES = sorted(shipped_episodes())


@pytest.fixture(scope="module", params=EPISODES)
def episode_result(request, tmp_path_factory):
    return run_episode(request.param, db=tmp_path_factory.mktemp("bt") / "runs.duckdb")


def test_checks_hold_or_are_known_failures(episode_result):
    for check in episode_result.checks:
        if check.known_failure:
            assert not check.passed, (
                f"{check.name} now passes (model {check.model}, observed {check.observed}): "
                "remove its known_failure"
            )
        else:
            assert check.passed, (
                f"{check.name}: model {check.model} vs observed {check.observed}, "
                f"tolerance {check.tolerance}"
            )


def test_each_episode_has_an_out_of_sample_check(episode_result):
    assert any(not c.in_sample for c in episode_result.checks)


def test_the_run_is_stored(episode_result):
    assert episode_result.run_id


def test_observations_name_their_sources(dataset):
    obs = load_observations(sources=set(dataset.table("sources")["source_id"]))
    assert set(obs["episode"]) >= {load_episode(e).record_id for e in EPISODES}
    assert obs["source_id"].str.len().gt(0).all()


def test_a_bad_observation_names_file_row_and_field(tmp_path):
    good = load_observations()
    bad = good.head(3).copy()
    bad.loc[bad.index[1], "date"] = "2010-13"
    path = tmp_path / "obs.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataFileError) as info:
        load_observations(path)
    problem = info.value.problems[0]
    assert (problem.path, problem.row, problem.column) == (str(path), 3, "date")


def test_a_bad_episode_file_names_the_field(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_text(
        "id: x\ntitle_en: x\ntitle_ja: x\nbase_year: 2024\nscenario: baseline\n"
        "control_start: 2026-01\nchecks:\n  - kind: first_shortfall\n    name: a\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"ep\.yaml: checks\.0"):
        load_episode(path)
    with pytest.raises(UnknownIdError, match="no episode"):
        load_episode("backtest-1999-nowhere")


def test_cli_json_shape(tmp_path):
    name = EPISODES[0]
    result = CliRunner().invoke(
        app, ["backtest", name, "--json", "--db", str(tmp_path / "runs.duckdb")]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (episode,) = doc["episodes"]
    assert episode["id"] == name and episode["run_id"]
    assert set(episode["checks"][0]) >= {
        "name",
        "unit",
        "observed",
        "model",
        "tolerance",
        "pass",
        "source",
    }


def test_validation_page_and_charts_are_current():
    from pathlib import Path

    from oreshock.report.validation import _results, validation_charts, validation_markdown

    docs = Path(__file__).resolve().parents[1] / "docs"
    results = _results()
    hint = "run `python -m oreshock.report.validation`"
    assert (docs / "validation.md").read_text(encoding="utf-8") == validation_markdown(results), (
        f"docs/validation.md is out of date: {hint}"
    )
    charts = validation_charts(results)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (docs / "validation").glob("*.svg")}
    assert on_disk == charts, f"docs/validation/ is out of date: {hint}"
    assert any("price" in name for name in charts)


def test_a_check_citing_an_unknown_source_is_an_error(tmp_path):
    text = (shipped_episodes()["backtest-2025-heavy-rare-earths"]).read_text(encoding="utf-8")
    path = tmp_path / "ep.yaml"
    path.write_text(text.replace("source_id: reuters_2025_06_suzuki", "source_id: nosuch", 1))
    with pytest.raises(ScenarioError, match="source_id 'nosuch' is not in the dataset"):
        run_episode(path, store=False)
