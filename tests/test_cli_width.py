"""On an 80-column terminal every table and text the CLI prints fits, in English and
Japanese (a Japanese character takes two cells), and ids are never wrapped or cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from oreshock.cli import common
from oreshock.cli.app import app

runner = CliRunner()
WIDTH = 80
FLAGSHIP = "japan-rare-earths-2026"
EDGES = set("│┃┏┓┗┛┡┩└┘┌┐├┤╭╮╰╯")
"""Characters a rich table's lines start and end with: a line that starts with one and
does not end with one was cut off at the terminal's edge."""


@pytest.fixture(autouse=True)
def narrow(monkeypatch):
    """The terminal of the CLI's console 80 columns wide, as with COLUMNS=80."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setattr(common.out, "width", WIDTH)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[Path, list[str]]:
    """Two runs of the flagship scenario in a fresh store, and their ids."""
    db = tmp_path_factory.mktemp("narrow") / "r.duckdb"
    args = ["run", FLAGSHIP, "--months", "12", "--db", str(db), "--json"]
    done = runner.invoke(app, [*args, "--variant", "no-response", "--variant", "full-response"])
    assert done.exit_code == 0, done.output
    return db, [r["run_id"] for r in json.loads(done.stdout)["runs"]]


COMMANDS = [
    ["run", FLAGSHIP, "--variant", "reexport-control", "--months", "12", "--db", "{db}"],
    ["runs", "list", "--db", "{db}"],
    ["runs", "show", "{a}", "--db", "{db}"],
    ["runs", "compare", "{a}", "{b}", "--db", "{db}"],
    ["impact", "{a}", "--db", "{db}"],
    ["metrics", "concentration", "--mineral", "rare_earths", "--stage", "mining"],
    [
        "metrics",
        "exposure",
        "--country",
        "JPN",
        "--mineral",
        "rare_earths",
        "--stage",
        "metal",
        "--origin",
        "CHN",
    ],
    ["metrics", "dependency", "--mineral", "rare_earths", "--country", "JPN"],
    ["data", "coverage"],
    ["data", "show", "minerals"],
    ["data", "validate"],
    ["scenarios"],
    ["scenarios", "validate", "baseline"],
    ["runs", "rerun", "{a}", "--db", "{db}"],
    ["ensembles", "list", "--db", "{db}"],
    ["plans", "list", "--db", "{db}"],
    ["backtest", "backtest-2023-gallium-germanium", "--db", "{db}"],
    [
        "ensemble",
        FLAGSHIP,
        "--variant",
        "g7plus-sharing",
        "--runs",
        "4",
        "--workers",
        "1",
        "--no-stock-ranges",
        "--db",
        "{db}",
    ],
    ["plan", FLAGSHIP, "--members", "JPN", "--scenarios", "2", "--caps", "0.1", "--db", "{db}"],
]


def _check(output: str, ids: list[str]) -> None:
    """No line wider than the terminal; an id shown is shown whole, on one line."""
    lines = output.splitlines()
    wide = [line for line in lines if cell_len(line) > WIDTH]
    assert not wide, f"{len(wide)} lines wider than {WIDTH}: {wide[:3]}"
    cropped = [line for line in lines if line[:1] in EDGES and line.rstrip()[-1:] not in EDGES]
    assert not cropped, f"tables cut at the terminal's edge: {cropped[:3]}"
    for line in lines:
        for run_id in ids:
            for k in range(6, len(run_id)):  # a piece of the id at a line's end: cut
                assert not line.rstrip(" │┃").endswith(run_id[:k]), (run_id, line)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_table_fits_80_columns(stored, command, lang):
    db, (a, b) = stored
    args = [x.format(db=db, a=a, b=b) for x in command]
    done = runner.invoke(app, [*args, "--lang", lang])
    assert done.exit_code == 0, done.output
    _check(done.stdout, [a, b])
    if command[:2] in (["runs", "list"], ["runs", "compare"]):
        lines = done.stdout.splitlines()
        for run_id in (a, b):
            assert any(run_id in line for line in lines), f"{run_id} not shown whole"


def test_run_prints_its_ids_whole_on_a_narrow_terminal(stored, tmp_path):
    db, _ = stored
    done = runner.invoke(app, ["run", FLAGSHIP, "--months", "12", "--db", str(db), "--lang", "ja"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["runs", "list", "--db", str(db), "--json"])
    ids = [r["run_id"] for r in json.loads(listed.stdout)]
    _check(done.stdout, ids)
    shown = [i for i in ids if i in done.stdout]
    assert len(shown) >= 6, "the runs stored by `run` are named in its output"
