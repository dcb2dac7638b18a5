"""The notebooks in examples/ run from top to bottom on the bundled data, so they never go
stale: each is executed in a real Jupyter kernel (nbclient, ipykernel), and its own assertions
hold."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from oreshock.core.options import get_option

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_the_workflows_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_flagship",
        "02_own_scenario",
        "03_ensemble_discovery",
        "04_plan_cost_sharing",
        "05_workbench_journey",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean_and_bilingual(path: Path):
    """Stored without outputs (results come from running it, not from the file), with every
    explanation in English and Japanese."""
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, path.name
    prose = [c.source for c in book.cells if c.cell_type == "markdown"]
    assert prose and JAPANESE.search(prose[0]) and re.search(r"[A-Za-z]{4}", prose[0])


PRINTS_PDF = {"05_workbench_journey"}  # needs Chromium (scripts/install-system-deps.sh)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if path.stem in PRINTS_PDF and not Path(get_option("chromium")).exists():
        pytest.skip("prints a PDF: needs Debian chromium (run scripts/install-system-deps.sh)")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # a failing cell (an assertion of the notebook's own included) raises
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    printed = "".join(
        o.get("text", "") for c in book.cells for o in c.get("outputs", []) if "text" in o
    )
    assert "Traceback" not in printed
