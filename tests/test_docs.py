"""Documentation that must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from oreshock.cli_docs import reference
from oreshock.schema import table_schema

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    written = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert written == reference(), "docs/cli.md is stale: python -m oreshock.cli_docs > docs/cli.md"


def test_every_option_has_help():
    text = reference()
    rows = [line for line in text.splitlines() if line.startswith("| `-")]
    assert rows and all(not line.rstrip().endswith("| option |  |") for line in rows)


def test_every_table_is_documented():
    data_doc = (ROOT / "docs" / "data.md").read_text("utf-8")
    for table in table_schema():
        assert f"{table}" in data_doc, table
