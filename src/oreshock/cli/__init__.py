"""The command line: parsing and printing over the Python API, one module per command group."""

from oreshock.cli.app import app

__all__ = ["app"]
