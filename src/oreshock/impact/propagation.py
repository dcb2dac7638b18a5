"""Static propagation of a direct output loss through an input-output table.

Leontief (backward, demand-driven): an industry that stops producing stops buying its
inputs, so its suppliers lose the orders, and theirs in turn: total loss = L d, with
L = (I - A)^-1 and A = Z x^-1 (inputs per unit of the buyer's output).

Ghosh (forward, supply-driven): the customers of an industry that stops delivering lose an
input in proportion to what they bought from it: total loss = G' d, with G = (I - B)^-1 and
B = x^-1 Z (sales per unit of the seller's output). The Ghosh model assumes no substitute
for any input; it is the usual upper bound for a supply cut, and the dynamic model sits
between the two.

Both are linear in ``d``; each industry's loss is capped at its output (a month cannot lose
more than the month makes), which keeps every measure monotone and bounded.
"""

from __future__ import annotations

import numpy as np

from oreshock.impact.tables import IOTable


def coefficients(table: IOTable) -> tuple[np.ndarray, np.ndarray]:
    """Input coefficients A (by column) and allocation coefficients B (by row); an industry
    with no output has none."""
    x = table.x
    inv = np.divide(1.0, x, out=np.zeros_like(x), where=x > 0)
    return table.Z * inv[None, :], table.Z * inv[:, None]


def leontief_inverse(table: IOTable) -> np.ndarray:
    A, _ = coefficients(table)
    return np.linalg.inv(np.eye(table.size) - A)


def ghosh_inverse(table: IOTable) -> np.ndarray:
    _, B = coefficients(table)
    return np.linalg.inv(np.eye(table.size) - B)


def backward(table: IOTable, direct: np.ndarray) -> np.ndarray:
    """Monthly output lost [T, n] when the direct losses [T, n] stop their purchases."""
    return _capped(table, direct @ leontief_inverse(table).T, direct)


def forward(table: IOTable, direct: np.ndarray) -> np.ndarray:
    """Monthly output lost [T, n] when the direct losses [T, n] stop their deliveries."""
    return _capped(table, direct @ ghosh_inverse(table), direct)


def _capped(table: IOTable, total: np.ndarray, direct: np.ndarray) -> np.ndarray:
    monthly = table.x / 12.0
    return np.clip(np.maximum(total, direct), 0.0, monthly[None, :])
