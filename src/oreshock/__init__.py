"""oreshock: stress tests and resilience planning for critical-mineral supply chains."""

from oreshock._version import __version__
from oreshock.datasets import Dataset, load_dataset
from oreshock.errors import DataFileError, OreshockError, OreshockWarning, ScenarioError
from oreshock.network import Chain, Network, build_network
from oreshock.scenario import Scenario, load_scenario, open_scenario
from oreshock.simulate import RunResult, simulate
from oreshock.store import Store

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
