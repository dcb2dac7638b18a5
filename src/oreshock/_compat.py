"""Old module paths of the flat 0.x layout, kept importable for one release.

Before the subpackages, every module sat directly under ``oreshock`` (``oreshock.simulate``,
``oreshock.api_routes``, ...). Code written against those paths keeps working: importing one
returns the module at its new home (the same object, so classes and isinstance checks agree)
and warns with a DeprecationWarning that names the new path. One table, one finder, rather
than thirty shim files that would hide the layout this release introduces.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

MOVED = {
    "oreshock._version": "oreshock.core.version",
    "oreshock.errors": "oreshock.core.errors",
    "oreshock.units": "oreshock.core.units",
    "oreshock.i18n": "oreshock.core.i18n",
    "oreshock.schema": "oreshock.data.schema",
    "oreshock.datasets": "oreshock.data",
    "oreshock.datasets.extend": "oreshock.data.extend",
    "oreshock.datasets.loaders": "oreshock.data.loaders",
    "oreshock.datasets.loaders.usgs": "oreshock.data.loaders.usgs",
    "oreshock.datasets.loaders.baci": "oreshock.data.loaders.baci",
    "oreshock.datasets.loaders.comtrade": "oreshock.data.loaders.comtrade",
    "oreshock.validate": "oreshock.data.validate",
    "oreshock.balance": "oreshock.data.balance",
    "oreshock.network": "oreshock.model.network",
    "oreshock.scenario": "oreshock.model.scenario",
    "oreshock.shocks": "oreshock.model.compile",
    "oreshock.simulate": "oreshock.model.simulate",
    "oreshock.results": "oreshock.model.results",
    "oreshock.outcomes": "oreshock.model.outcomes",
    "oreshock.metrics": "oreshock.model.metrics",
    "oreshock.comparison": "oreshock.model.variants",
    "oreshock.sampling": "oreshock.ensemble.sampling",
    "oreshock.batching": "oreshock.ensemble.batching",
    "oreshock.evaluators": "oreshock.ensemble.evaluators",
    "oreshock.analysis": "oreshock.ensemble.analysis",
    "oreshock.plots": "oreshock.ensemble.plots",
    "oreshock.report_text": "oreshock.report.text",
    "oreshock.report_charts": "oreshock.report.charts",
    "oreshock.api": "oreshock.web.app",
    "oreshock.api_routes": "oreshock.web.routes",
    "oreshock.cli_common": "oreshock.cli.common",
    "oreshock.cli_ensemble": "oreshock.cli.ensemble",
    "oreshock.cli_web": "oreshock.cli.web",
    "oreshock.reference": "oreshock.cli.reference",
}


class _Alias(importlib.abc.Loader):
    """Loads an old path as the already-imported module at its new home."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} has moved to {self.new}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module ran under its new name); give it back its own spec,
        which the import system replaced with the alias's."""
        module.__spec__ = self.spec


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the old flat paths listed in ``MOVED``."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new), is_package=False)


class _Package(ModuleType):
    """The ``oreshock`` package, whose public names an old path must not overwrite.

    Importing a submodule binds it as an attribute of its parent; the old module
    ``oreshock.simulate`` would so replace the public function ``oreshock.simulate``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        current = self.__dict__.get(name)
        if isinstance(value, ModuleType) and callable(current):
            return
        super().__setattr__(name, value)


def install(package: ModuleType) -> None:
    """Guard the package's public names and put the finder on ``sys.meta_path`` once."""
    package.__class__ = _Package
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())  # before PathFinder, which would load copies
