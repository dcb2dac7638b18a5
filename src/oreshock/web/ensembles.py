"""Ensembles through the service: ``oreshock ensemble`` as a job, and its page as JSON.

A request (``EnsembleRequest``) is checked as the command checks its options (the same
``EnsembleSpec`` and ``plan_ensemble``: runs, method, parameters, target, failure rule), so a
bad one is answered 422 naming its field before it is queued. The job then runs the command
itself, ``oreshock ensemble ... --db DB`` in a child process (one worker, like every job):
the command's own code writes the batches under the store's ``ensembles/`` folder and
indexes them in the store, and the store's file lock keeps the child and the server apart
(DuckDB lets one process write a file, and refuses a second connection of another kind in
one process). The job follows the index's ``batches_done`` for its progress; a cancel or the
time limit stops the child with SIGTERM, which the command records as ``interrupted``; its
finished batches stay, and the same request later resumes it.

``summary`` is the JSON twin of the dashboard's ensemble page: percentiles of every outcome
with names in the reader's language, the failure probability, PRIM boxes, Sobol indices
where computed (``ensemble.analysis.summarize``, as ``oreshock ensembles show``), and, over
the horizon, the share of runs already short at each month (from each run's
``months_to_shortfall``) and, per outcome cell, percentile bands of the monthly shortfall
(``ensemble.bands``, from each run's monthly path; absent for an ensemble run before paths
were kept, which the page says).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from oreshock.core.atomic import write_file
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import t
from oreshock.ensemble.analysis import outcome_values, parse_fail, summarize
from oreshock.ensemble.bands import shortfall_bands
from oreshock.ensemble.runner import (
    EnsembleSpec,
    central_scenario,
    ensembles_folder,
    get_ensemble,
    load_results,
    plan_ensemble,
)
from oreshock.ensemble.sampling import EnsembleError, parse_cli_spec
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario, shipped_scenarios
from oreshock.report.charts import line_chart
from oreshock.report.text import Names
from oreshock.web.schemas import EnsembleRequest

SHOWN = ("ensemble_id", "created", "scenario", "variant", "runs", "method", "seed", "target",
         "batch_size", "batches", "batches_done", "seconds")  # fmt: skip
"""The fields of an ensemble's index row its page shows."""
POLL = 0.5
"""Seconds between looks at a running ensemble's progress and at the job's stop signal."""


def write_scenario(document: dict[str, Any], db: Path) -> tuple[Path, bool]:
    """An inline scenario as YAML under the store's ``ensembles/scenarios/`` folder, named by
    the hash of its text (written once; an existing file is the same document). Returns the
    path and whether this call wrote it."""
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = ensembles_folder(db) / "scenarios" / f"workbench-{digest}.yaml"
    if path.exists():
        return path, False
    write_file(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path, True


def shown_scenario(scenario: str) -> str:
    """An ensemble's scenario as a person reads it: a shipped name, or the file name (without
    the server's folder) of an inline one."""
    return Path(scenario).stem if "/" in scenario else scenario


def spec_of(req: EnsembleRequest, scenario: str) -> EnsembleSpec:
    """The command's spec from a request, for ``scenario`` (a shipped name or the path
    ``write_scenario`` gave an inline one); a bad ``param`` is refused naming which one."""
    extra: dict[str, dict] = {}
    for i, text in enumerate(req.param):
        try:
            name, dist = parse_cli_spec(text)
        except OreshockError as exc:
            raise EnsembleError(f"param[{i}]: {exc}") from None
        extra[name] = dist
    return EnsembleSpec(
        scenario,
        req.variant,
        req.runs,
        req.seed,
        req.method,
        req.target.upper(),
        req.batch_size,
        extra,
        req.stock_ranges,
    )


def check_request(req: EnsembleRequest, scenario: str, network: Network, max_runs: int) -> str:
    """Validate a request as ``oreshock ensemble`` validates its options, on ``scenario`` (see
    ``spec_of``); returns the ensemble's id (a hash of its spec, so the same request resumes
    the same ensemble)."""
    shipped = shipped_scenarios()
    if isinstance(req.scenario, str) and req.scenario not in shipped:
        raise EnsembleError(
            f"scenario: unknown scenario {req.scenario!r}; expected one of: {', '.join(shipped)}"
        )
    if req.runs > max_runs:
        raise EnsembleError(
            f"runs: {req.runs} runs; expected at most {max_runs} on this server (see /api/limits)"
        )
    plan = plan_ensemble(spec_of(req, scenario), network=network)
    if req.fail is not None:
        try:
            rule = parse_fail(req.fail)
            outcome_values(pd.DataFrame(columns=plan.outcome_names, dtype=float), rule.outcome)
        except OreshockError as exc:
            raise EnsembleError(f"fail: {exc}") from None
    return plan.ensemble_id


CHILD = (
    "import ctypes, os, runpy, signal, sys\n"
    "parent = int(sys.argv.pop(1))\n"
    "if sys.platform.startswith('linux'):\n"
    "    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != parent:\n"
    "    sys.exit(1)\n"
    "sys.argv[0] = 'oreshock'\n"
    "runpy.run_module('oreshock', run_name='__main__', alter_sys=True)\n"
)
"""How the child starts: it asks Linux for SIGTERM when the server's thread that started it
dies (a server killed outright), so no ensemble goes on computing for a server that is gone;
SIGTERM makes the command record the ensemble ``interrupted``, its finished batches kept."""


def command(req: EnsembleRequest, scenario: str, db: Path) -> list[str]:
    """``oreshock ensemble`` with the request's options on ``scenario`` (see ``spec_of``), one
    worker, on the service's store, started through ``CHILD``."""
    words = [sys.executable, "-c", CHILD, str(os.getpid()), "ensemble", scenario, "--runs", str(req.runs),
             "--seed", str(req.seed), "--method", req.method, "--target", req.target.upper(),
             "--batch-size", str(req.batch_size), "--workers", "1", "--db", str(db), "--json"]  # fmt: skip
    if req.variant:
        words += ["--variant", req.variant]
    for text in req.param:
        words += ["--param", text]
    if not req.stock_ranges:
        words.append("--no-stock-ranges")
    return words


def batches_done(read: Callable[[], dict[str, Any] | None]) -> float:
    """The share of an ensemble's batches finished, from its index row (0 before it has one)."""
    row = read()
    if not row or not row.get("batches"):
        return 0.0
    return float(row["batches_done"]) / float(row["batches"])


def run_child(
    cmd: list[str],
    check: Callable[[], None],
    progress: Callable[[], None],
) -> None:
    """Run the command, calling ``progress`` and ``check`` every ``POLL`` seconds; when
    ``check`` raises, stop the child with SIGTERM (it records itself interrupted) and raise.
    A child that fails raises its last error line."""
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=os.environ.copy())
        try:
            while child.poll() is None:
                time.sleep(POLL)
                progress()
                check()
        except BaseException:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            raise
        if child.returncode != 0:
            err.seek(0)
            lines = [x for x in err.read().decode("utf-8", "replace").splitlines() if x.strip()]
            why = next((x for x in lines if x.startswith("error:")), lines[-1] if lines else "")
            raise EnsembleError(
                f"the ensemble stopped ({why.removeprefix('error: ') or 'no message'})"
            )


def timeline(
    frame: pd.DataFrame, outcomes: list[str], scenario: Scenario, names: Names, lang: str
) -> dict[str, Any]:
    """Per outcome cell, the share of runs (%) already short at each month 1..``months``
    (a run's ``months_to_shortfall`` is ``months + 1`` when it is never short), with the
    chart drawn as SVG."""
    axis = np.arange(1, scenario.months + 1)
    columns = [c for c in outcomes if c.startswith("months_to_shortfall.")]
    minerals = [c.split(".")[2] for c in columns]
    series: dict[str, list[float]] = {}
    for column in columns:  # one target country, named in the page: not in the legend
        _, _, mineral, stage = column.split(".", 3)
        first = frame[column].to_numpy(dtype=float)
        share = (first[None, :] <= axis[:, None]).mean(axis=1) * 100
        label = names.mineral(mineral)
        if minerals.count(mineral) > 1:
            label += f" ({names.stage(mineral, stage)})"
        series[label] = [round(float(v), 2) for v in share]
    labels = scenario.month_labels()  # calendar months: ticks on quarters and years
    title = t("ens_timeline_title", lang)
    svg = line_chart(series, labels, title, t("ens_timeline_y", lang)) if series else ""
    return {"months": axis.tolist(), "series": series, "svg": svg}


def bands(
    folder: str, db: Path, scenario: Scenario, names: Names, lang: str
) -> list[dict[str, Any]]:
    """Per outcome cell, percentiles across runs of the monthly shortfall (% of demand): the
    median and the 50% and 90% bands, with the chart drawn as SVG. Empty for an ensemble
    that kept no monthly paths."""
    shown = []
    for cell, frame in shortfall_bands(folder, db=db).items():
        name = names.cell(cell)
        labels = scenario.month_labels()
        edges = {
            q: [round(float(v), 3) for v in frame[q]] for q in ("p5", "p25", "p50", "p75", "p95")
        }
        svg = line_chart(
            {t("ens_band_median", lang): edges["p50"]},
            labels,
            name,
            t("ens_band_y", lang),
            bands=[
                (t("ens_band_90", lang), edges["p5"], edges["p95"]),
                (t("ens_band_50", lang), edges["p25"], edges["p75"]),
            ],
        )
        shown.append({"cell": cell, "name": name, "months": frame.index.tolist(), **edges,
                      "mean": [round(float(v), 3) for v in frame["mean"]], "svg": svg})  # fmt: skip
    return shown


def summary(
    ensemble_id: str,
    db: Path,
    names: Names,
    lang: str,
    *,
    fail: str | None = None,
    outcome: str | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """An ensemble's page as JSON: its record and, once complete, its analysis with names."""
    record = get_ensemble(ensemble_id, db)
    shown: dict[str, Any] = {k: record[k] for k in SHOWN}
    shown["scenario"] = shown_scenario(str(record["scenario"]))
    shown["ensemble_status"] = record["status"]
    shown["created"] = str(shown["created"])[:19]
    shown["target_name"] = names.country(str(record["target"]))
    scenario = central_scenario(record)
    shown["months"] = scenario.months
    shown["start"] = scenario.start
    shown["parameters"] = [{"name": k, **v} for k, v in record["parameters"].items()]
    if record["status"] != "complete":
        return shown
    frame = load_results(record["folder"], db=db)
    found = summarize(frame, list(record["parameters"]), record["outcomes"], fail=fail,
                      outcome=outcome, threshold=threshold, method=str(record["method"]),
                      seed=int(record["seed"]))  # fmt: skip
    shown["outcomes"] = [
        {"column": c, "metric": c.split(".", 1)[0], "name": names.cell(c.split(".", 1)[1]), **q}
        for c, q in found["outcomes"].items()
    ]
    failure = found["failure"]
    failure["basis"] = t("ens_fail_default" if failure["default"] else "ens_fail_stated", lang,
                         rule=failure["rule"])  # fmt: skip
    shown["failure"] = failure
    shown["prim"] = [_box(b) for b in found["prim"]]
    if "prim_skipped" in found:
        note = found["prim_skipped"]
        shown["prim_skipped"] = t(note["code"], lang, **_fields(note))
    if "sobol" in found:
        shown["sobol"] = [{"parameter": k, **v} for k, v in found["sobol"].items()]
        shown["sobol_warnings"] = [
            t(n["code"], lang, **_fields(n)) for n in found.get("sobol_warnings", [])
        ]
    shown["timeline"] = timeline(frame, record["outcomes"], scenario, names, lang)
    shown["bands"] = bands(str(record["folder"]), db, scenario, names, lang)
    return shown


def _box(box: dict[str, Any]) -> dict[str, Any]:
    """A PRIM box as rows a table shows: one parameter's range each."""
    limits = [{"parameter": k, "low": lo, "high": hi} for k, (lo, hi) in box["box"].items()]
    return {"limits": limits, "coverage": box["coverage"], "density": box["density"]}


def _fields(note: dict) -> dict:
    return {k: v for k, v in note.items() if k not in ("code", "message")}
