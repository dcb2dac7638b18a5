"""Documentation that must not drift from the code."""

from __future__ import annotations

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
