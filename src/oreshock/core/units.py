"""Units of quantities: '<scale> <basis>' such as 'kt Cu content' or 't REO'.

Conversions change only the scale (kg, t, kt, Mt); a different basis (REO versus metal
content, say) is never converted silently: it is an error.
"""

from __future__ import annotations

SCALES = {"kg": 1e-3, "t": 1.0, "kt": 1e3, "Mt": 1e6}


class UnitError(ValueError):
    """Two units that cannot be converted into each other."""


def split(unit: str) -> tuple[float, str]:
    """Scale factor to tonnes and the basis text of a unit."""
    head, _, basis = unit.strip().partition(" ")
    if head not in SCALES:
        raise UnitError(f"unit {unit!r} does not start with one of {list(SCALES)}")
    return SCALES[head], " ".join(basis.lower().split())


def factor(from_unit: str, to_unit: str) -> float:
    """Multiply a value in ``from_unit`` by this to express it in ``to_unit``."""
    if from_unit == to_unit:
        return 1.0
    scale_from, basis_from = split(from_unit)
    scale_to, basis_to = split(to_unit)
    if basis_from != basis_to:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: different basis")
    return scale_from / scale_to
