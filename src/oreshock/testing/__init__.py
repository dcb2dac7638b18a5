"""Test helpers shipped with the package: small networks from arrays, invariant assertions."""

from oreshock.testing.helpers import (
    InMemoryDataset,
    assert_mass_balance,
    assert_no_negative,
    network_from_arrays,
)

__all__ = ["InMemoryDataset", "assert_mass_balance", "assert_no_negative", "network_from_arrays"]
