"""Month arithmetic on ``YYYY-MM`` labels, in one place.

Scenarios, shock windows, results and reports all count months from a scenario's start; a
second hand-written version of the same sum would sooner or later disagree at a year end.
"""

from __future__ import annotations


def _split(month: str) -> tuple[int, int]:
    year, number = month[:7].split("-")
    return int(year), int(number)


def month_index(start: str, month: str) -> int:
    """Months from ``start`` to ``month`` (negative when ``month`` is earlier)."""
    y0, m0 = _split(start)
    y1, m1 = _split(month)
    return (y1 - y0) * 12 + (m1 - m0)


def add_months(start: str, offset: int) -> str:
    """The ``YYYY-MM`` label ``offset`` months after ``start``."""
    year, number = _split(start)
    extra_years, zero_based = divmod(number - 1 + offset, 12)
    return f"{year + extra_years:04d}-{zero_based + 1:02d}"


def month_labels(start: str, months: int) -> list[str]:
    """ISO dates (first of the month) of the ``months`` steps from ``start``."""
    return [f"{add_months(start, k)}-01" for k in range(months)]
