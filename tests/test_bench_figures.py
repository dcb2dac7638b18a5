"""``make bench`` collects each benchmark's figures into one table (``benchmarks/figures.py``)."""

from __future__ import annotations

from benchmarks import figures


def test_figures_reported_under_the_runner_come_back_as_one_table(tmp_path, monkeypatch):
    path = tmp_path / "bench_engine.jsonl"
    figures.report("not collected", "1 s")  # outside the runner: printed only, kept nowhere
    assert not path.exists()
    monkeypatch.setenv(figures.ENV, str(path))
    figures.report("flagship `full-response`, 60 months", "0.040 s", "< 0.05 s")
    figures.report("load the bundled dataset", "1.2 s")
    rows = [("bench_engine", row) for row in figures.read(path)]
    assert figures.table(rows).splitlines() == [
        "| benchmark | figure | measured | target |",
        "| --- | --- | --- | --- |",
        "| bench_engine | flagship `full-response`, 60 months | 0.040 s | < 0.05 s |",
        "| bench_engine | load the bundled dataset | 1.2 s | — |",
    ]
    assert figures.read(tmp_path / "none.jsonl") == []
