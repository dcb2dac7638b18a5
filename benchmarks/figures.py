"""Figures a benchmark reports: printed as it runs and, under ``benchmarks.run`` (``make
bench``), appended to a file that the runner reads back to print every benchmark's figures in
one table.

A benchmark calls ``report(figure, measured, target)``; the runner names the file in the
environment variable ``ORESHOCK_BENCH_FIGURES`` (one JSON object a line) for each benchmark's
process. Run on its own, a benchmark only prints.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV = "ORESHOCK_BENCH_FIGURES"


def report(figure: str, measured: str, target: str = "") -> None:
    """Keep one figure for the runner's table (no-op outside ``benchmarks.run``)."""
    path = os.environ.get(ENV)
    if not path:
        return
    row = {"figure": figure, "measured": measured, "target": target}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def read(path: Path) -> list[dict[str, str]]:
    """The figures a benchmark's process reported, in order (none when it reported none)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def table(rows: list[tuple[str, dict[str, str]]]) -> str:
    """A Markdown table of (benchmark, figure) rows: benchmark, figure, measured, target."""
    out = ["| benchmark | figure | measured | target |", "| --- | --- | --- | --- |"]
    for bench, row in rows:
        cells = (bench, row["figure"], row["measured"], row.get("target", "") or "—")
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out)
