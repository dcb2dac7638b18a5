"""oreshock: stress tests and resilience planning for critical-mineral supply chains."""

import sys

from oreshock import _compat
from oreshock.core.errors import DataFileError, OreshockError, OreshockWarning, ScenarioError
from oreshock.core.version import __version__
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.model.network import Chain, Network, build_network
from oreshock.model.scenario import Scenario, load_scenario, open_scenario
from oreshock.model.simulate import RunResult, simulate
from oreshock.store.store import Store

_compat.install(sys.modules[__name__])  # old flat module paths stay importable for one release

__all__ = [
    "Chain",
    "DataFileError",
    "Dataset",
    "Network",
    "OreshockError",
    "OreshockWarning",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Store",
    "__version__",
    "build_network",
    "load_dataset",
    "load_scenario",
    "open_scenario",
    "simulate",
]
