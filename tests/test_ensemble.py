"""Ensembles: batched runs equal single runs, seeds reproduce, batches stream and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from oreshock import simulate
from oreshock.cli.ensemble import register
from oreshock.core.errors import OreshockError
from oreshock.ensemble.batching import evaluate_batch, never_value
from oreshock.ensemble.evaluators import DaskEvaluator
from oreshock.ensemble.runner import (
    EnsembleSpec,
    get_ensemble,
    list_ensembles,
    load_results,
    plan_ensemble,
    run_ensemble,
)
from oreshock.ensemble.sampling import EnsembleError, ParameterError, sample, scenario_parameters
from oreshock.model.outcomes import shortfall_pct_path
from oreshock.model.scenario import open_scenario

SCENARIO = "japan-rare-earths-2026"
# An export-ban share as an extra parameter exercises batched policy windows too.
EXTRA = {"shocks.0.share": {"dist": "uniform", "low": 0.6, "high": 1.0}}


def _batched_equal_single(network, tracked: bool) -> None:
    """Each run of a batch equals a single run of its scenario; ``tracked``: the single run
    buckets origins as the ensemble does (its re-export controls' origins, the rest as
    ``other``), else per country as ``oreshock run`` does."""
    spec = EnsembleSpec(SCENARIO, "full-response", runs=5, seed=7, batch_size=5, params=EXTRA)
    plan = plan_ensemble(spec, network=network, out="unused")
    frame = evaluate_batch(plan.task(0, chunk=5))
    sf = open_scenario(SCENARIO)
    origins = plan.tracked_origins if tracked else None
    for i, row in enumerate(plan.values):
        overrides = dict(zip([p.path for p in plan.parameters], row.tolist(), strict=True))
        scenario = sf.build("full-response", overrides)
        run = simulate(network, scenario, record_flows=False, tracked_origins=origins)
        summary = run.summary(["JPN"])
        assert len(summary) == len(plan.cells)
        for r in summary.itertuples(index=False):
            key = f"JPN.{r.mineral}.{r.stage}"
            months = never_value(60) if r.months_to_shortfall is None else r.months_to_shortfall
            assert frame.loc[i, f"months_to_shortfall.{key}"] == months
            for metric in ("peak_shortfall_pct", "cumulative_shortfall_pct"):
                assert frame.loc[i, f"{metric}.{key}"] == pytest.approx(
                    getattr(r, metric), abs=1e-9
                )
            chain = run.runs[r.mineral]
            c, s = chain.chain.countries.index("JPN"), chain.chain.stages.index(r.stage)
            short, demand = (chain.series[v][:, 0, c, s] for v in ("shortfall", "demand"))
            path = frame.loc[i, f"path.shortfall_pct.{key}"]
            assert path.dtype == np.float32 and len(path) == 60
            # the monthly path, kept as float32: seven significant digits
            np.testing.assert_allclose(
                path, shortfall_pct_path(short, demand), rtol=1e-6, atol=1e-5
            )
            assert path.max() == pytest.approx(r.peak_shortfall_pct, rel=1e-6, abs=1e-5)


def test_batched_runs_equal_single_runs_with_the_same_origin_buckets(network):
    _batched_equal_single(network, tracked=True)


def test_batched_runs_equal_single_runs(network):
    _batched_equal_single(network, tracked=False)


def test_samples_are_reproducible_and_typed():
    params = scenario_parameters(open_scenario(SCENARIO), "full-response")
    a, b = sample(params, 50, "lhs", 1), sample(params, 50, "lhs", 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, sample(params, 50, "lhs", 2))
    lead = [p.name for p in params].index("responses.new_capacity[0].lead_months")
    assert params[lead].integer
    assert np.all(a[:, lead] == np.rint(a[:, lead]))
    assert a[:, lead].min() >= 18 and a[:, lead].max() <= 36
    k = len(params)
    assert sample(params, 10, "sobol", 1).shape == (2 * (k + 2), k)  # N (k + 2) with N = 2


def test_stream_interrupt_and_resume(network, tmp_path):
    spec = EnsembleSpec(SCENARIO, "stockpiles", runs=12, seed=3, batch_size=4)
    db = tmp_path / "db.duckdb"
    first = run_ensemble(spec, network=network, db=db, max_batches=1)
    assert (first.batches_done, first.batches, first.complete) == (1, 3, False)
    assert len(list(first.folder.glob("batch-*.parquet"))) == 1
    assert get_ensemble(first.ensemble_id, db)["status"] == "partial"
    resumed = run_ensemble(spec, network=network, db=db)
    assert resumed.ensemble_id == first.ensemble_id and resumed.complete
    fresh = run_ensemble(spec, network=network, out=tmp_path / "fresh", db=db)
    a, b = resumed.results(), fresh.results()
    assert list(a["run"]) == list(range(12))
    assert a.equals(b)
    listed = list_ensembles(db)
    assert set(listed["status"]) == {"complete"}
    assert first.folder.joinpath("ensemble.json").exists()


def test_dask_local_cluster_with_two_workers(network, tmp_path):
    spec = EnsembleSpec(SCENARIO, "g7plus-sharing", runs=8, seed=5, batch_size=2)
    with_dask = run_ensemble(
        spec,
        network=network,
        db=tmp_path / "db.duckdb",
        out=tmp_path / "dask",
        evaluator=DaskEvaluator("local", 2, processes=True),
    )
    alone = run_ensemble(spec, network=network, db=tmp_path / "db.duckdb", out=tmp_path / "seq")
    assert with_dask.complete
    assert with_dask.results().equals(alone.results())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"variant": "stockpiles", "runs": 0}, EnsembleError, "at least 1"),
        (
            {"variant": "no-response", "stock_ranges": False},
            ParameterError,
            "no uncertain parameters",
        ),
        (
            {
                "variant": "stockpiles",
                "params": {"responses.nope.0.x": {"dist": "uniform", "low": 0, "high": 1}},
            },
            ParameterError,
            "unknown parameter 'responses.nope.0.x'",
        ),
        (
            {
                "variant": "stockpiles",
                "params": {
                    "buffers.stockpiles.0.rate": {"dist": "uniform", "low": 0.4, "high": 0.2}
                },
            },
            ParameterError,
            r"'buffers\.stockpiles\[0\]\.rate': empty range",
        ),
        (
            {
                "variant": "stockpiles",
                "params": {"buffers.stockpiles.0.holder": {"dist": "uniform", "low": 0, "high": 1}},
            },
            ParameterError,
            "not numeric",
        ),
        ({"variant": "stockpiles", "method": "grid"}, EnsembleError, "unknown --method"),
    ],
)
def test_bad_specs_get_clear_errors(network, kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        plan_ensemble(EnsembleSpec(SCENARIO, **kwargs), network=network, out="unused")
    assert isinstance(info.value, OreshockError)


def test_cli_ensemble_json_and_ensembles_commands(tmp_path, db_path):
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "ensemble",
            SCENARIO,
            "--variant",
            "g7plus-sharing",
            "--runs",
            "6",
            "--method",
            "sobol",
            "--workers",
            "1",
            "--batch-size",
            "3",
            "--no-stock-ranges",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert set(report) >= {"ensemble_id", "runs", "seconds", "outcomes", "prim", "sobol"}
    assert report["runs"] == 6  # N (k + 2) = 2 x 3
    assert set(report["sobol"]) == {"responses.sharing[0].share"}
    name = "months_to_shortfall.JPN.ndfeb_dytb.magnets"
    assert set(report["outcomes"][name]) == {"p5", "p50", "p95"}
    eid = report["ensemble_id"]
    assert eid in runner.invoke(app, ["ensembles", "list", "--json"]).stdout
    shown = json.loads(runner.invoke(app, ["ensembles", "show", eid, "--json"]).stdout)
    assert shown["status"] == "complete" and "outcomes" in shown
    out = tmp_path / "runs.csv"
    assert runner.invoke(app, ["ensembles", "export", eid, "--out", str(out)]).exit_code == 0
    assert len(load_results(shown["folder"])) == 6 == len(out.read_text().splitlines()) - 1
    bad = runner.invoke(
        app, ["ensemble", SCENARIO, "--variant", "no-response", "--runs", "5", "--no-stock-ranges"]
    )
    assert bad.exit_code == 2 and "no uncertain parameters" in bad.output


def test_parameters_are_named_by_their_path_in_the_scenario():
    params = scenario_parameters(
        open_scenario(SCENARIO), "full-response", {"shocks.0.share": EXTRA["shocks.0.share"]}
    )
    names = [p.name for p in params]
    assert "buffers.stockpiles[0].rate" in names
    assert "responses.new_capacity[1].lead_months" in names
    assert "shocks[0].share" in names  # the older dotted spelling is read, not kept
    assert not [n for n in names if any(part.isdigit() for part in n.split("."))]
    about = {p.name: p.about for p in params}
    assert "holder JPN" in about["buffers.stockpiles[0].rate"]
    assert "stage metal" in about["responses.new_capacity[1].lead_months"]


def test_cli_states_failure_skips_prim_and_warns_on_sobol(db_path):
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()
    args = [
        "ensemble",
        SCENARIO,
        "--variant",
        "g7plus-sharing",
        "--runs",
        "6",
        "--method",
        "sobol",
        "--workers",
        "1",
    ]
    report = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    fail = report["failure"]
    assert fail["default"] and fail["rule"] == "cumulative_shortfall_pct > 5"
    assert fail["probability"] == 1.0  # every run is far above 5% at its worst stage
    assert report["prim"] == [] and report["prim_skipped"]["code"] == "ens_prim_all_fail"
    assert "ens_sobol_small" in {w["code"] for w in report["sobol_warnings"]}
    text = runner.invoke(app, args).stdout
    assert "not a quantile" in text and "PRIM skipped" in text
    assert "Sobol sample too small" in text and "±" in text
    assert "responses.sharing[0].share" in text
    for grade in ("ndfeb_dytb", "ndfeb_plain"):  # outcomes are named per product
        stated = runner.invoke(
            app, [*args, "--json", "--fail", f"cumulative_shortfall_pct.JPN.{grade}.magnets>99"]
        )
        assert json.loads(stated.stdout)["failure"]["probability"] == 0.0
    family = runner.invoke(app, [*args, "--fail", "cumulative_shortfall_pct.JPN.rare_earths>5"])
    assert family.exit_code != 0 and "unknown outcome" in family.output
    assert "recorded per product" in family.output and "ndfeb_plain" in family.output
    bad = runner.invoke(app, [*args, "--fail", "worst>>5"])
    assert bad.exit_code != 0 and "bad --fail" in bad.output
