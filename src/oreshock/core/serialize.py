"""Plain, JSON-safe values from numpy and pandas: one conversion for the CLI, the API and the
store, so all three print the same numbers the same way; and a frame as a Markdown table
for the generated docs."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd


def json_safe(value: Any) -> Any:
    """JSON-safe values: NaN/inf/NA become null, numpy scalars Python ones, dates ISO text.

    The CLI's ``--json`` and the HTTP API both print through this, so they agree.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return json_safe(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-safe row dicts (missing values None, numpy scalars Python ones)."""
    rows: list[dict[str, Any]] = json_safe(frame.astype(object).to_dict("records"))
    return rows


def markdown_table(frame: pd.DataFrame) -> str:
    """A frame as a Markdown pipe table (header, rule, one line per row), for generated docs."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)
