"""Documentation that must not drift from the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from oreshock.cli.reference import cli_reference, scenario_reference
from oreshock.data.schema import table_schema

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    written = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert written == cli_reference(), "stale: python -m oreshock.cli.reference cli > docs/cli.md"


def test_scenario_reference_is_current():
    written = (ROOT / "docs" / "scenario.md").read_text("utf-8")
    assert written == scenario_reference(), (
        "stale: python -m oreshock.cli.reference scenario > docs/scenario.md"
    )


def test_every_option_has_help():
    text = cli_reference()
    rows = [line for line in text.splitlines() if line.startswith("| `-")]
    assert rows and all(not line.rstrip().endswith("| option |  |") for line in rows)


def test_every_table_is_documented():
    data_doc = (ROOT / "docs" / "data.md").read_text("utf-8")
    for table in table_schema():
        assert f"{table}" in data_doc, table


def test_architecture_names_only_modules_that_exist():
    """Every `package/module.py` or `package/folder/` that docs/architecture.md points a
    newcomer to is in the source tree."""
    root = ROOT / "src" / "oreshock"
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"`((?:core|data|model|store|ensemble|plan|impact|report|web|cli|testing)/[\w/.*]*)`",
            text,
        )
    )
    assert len(named) > 30
    missing = [p for p in sorted(named) if not list(root.glob(p.rstrip("/")))]
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def _requirement_names() -> set[str]:
    """Every package pyproject.toml asks for (runtime and extras), by its name only."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    return {re.split(r"[\[<>=!~ ]", w, maxsplit=1)[0].lower() for w in wanted}


def test_every_dependency_has_its_licence_listed():
    """docs/licences.md names each package pyproject.toml depends on, with its licence."""
    text = (ROOT / "docs" / "licences.md").read_text().lower()
    rows = {
        name.strip().strip("`")
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
        for name in line.split("|")[1].split(",")
    }
    missing = sorted(_requirement_names() - rows)
    assert not missing, f"docs/licences.md has no row for {missing}"
