"""PNG charts of an ensemble: outcome distributions, PRIM boxes and Sobol indices.

matplotlib is imported lazily with the Agg backend so the CLI works headless.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from oreshock.core.atomic import write_file
from oreshock.ensemble.analysis import outcome_values, parse_fail


def _pyplot() -> ModuleType:
    """pyplot on the Agg backend, so charts render without a display."""
    # matplotlib is the optional `ensemble` extra, loaded only when charts are written.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(
    frame: pd.DataFrame, summary: dict, parameters: list[str], folder: Path
) -> list[Path]:
    """Write distributions.png, prim.png and (with Sobol indices) sobol.png into ``folder``."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = list(summary["outcomes"])
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 1.8 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        x = frame[name].to_numpy(dtype=float)
        ax.hist(x[np.isfinite(x)], bins=40, color="#4c72b0")
        for key in ("p5", "p50", "p95"):
            ax.axvline(summary["outcomes"][name][key], color="k", lw=0.8, ls=":")
        ax.set_title(name, fontsize=8)
    fig.tight_layout()
    written.append(folder / "distributions.png")
    _save(fig, written[-1])

    fail = summary["failure"]
    if summary["prim"] and len(parameters) >= 2:
        box = summary["prim"][0]["box"]
        dims = ([*box, *parameters])[:2] if len(box) < 2 else list(box)[:2]
        dims = list(dict.fromkeys(dims + parameters))[:2]
        x = frame[dims].to_numpy(dtype=float)
        y, _, _ = outcome_values(frame, fail["outcome"])
        bad = parse_fail(fail["rule"].replace(" ", "")).apply(y)
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.scatter(x[~bad, 0], x[~bad, 1], s=4, c="#bbbbbb", label="ok")
        ax.scatter(x[bad, 0], x[bad, 1], s=4, c="#c44e52", label="fail")
        lo = [box.get(d, [x[:, i].min(), x[:, i].max()])[0] for i, d in enumerate(dims)]
        hi = [box.get(d, [x[:, i].min(), x[:, i].max()])[1] for i, d in enumerate(dims)]
        ax.add_patch(plt.Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False, lw=2))
        ax.set_xlabel(dims[0], fontsize=8)
        ax.set_ylabel(dims[1], fontsize=8)
        ax.set_title(f"PRIM box 1 for {fail['rule']}", fontsize=8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(folder / "prim.png")
        _save(fig, written[-1])

    if summary.get("sobol"):
        fig, ax = plt.subplots(figsize=(7, 0.5 * len(parameters) + 1.5))
        pos = np.arange(len(parameters))
        s1 = [summary["sobol"][p]["S1"] for p in parameters]
        st = [summary["sobol"][p]["ST"] for p in parameters]
        ax.barh(pos - 0.2, s1, height=0.4, label="S1")
        ax.barh(pos + 0.2, st, height=0.4, label="ST")
        ax.set_yticks(pos, parameters, fontsize=7)
        ax.set_title(f"Sobol indices of {fail['outcome']}", fontsize=8)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(folder / "sobol.png")
        _save(fig, written[-1])
    return written


def _save(fig: Any, path: Path) -> None:
    """Write a figure whole or not at all (the temporary name has no suffix, hence format)."""
    plt = _pyplot()
    try:
        write_file(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)
