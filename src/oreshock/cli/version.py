"""``oreshock --version``: the package's version, then the bundled dataset's name and version.

The dataset line comes from the bundled ``dataset.toml`` alone (no tables are loaded), so
the answer is instant; a run records both, and a bug report needs both.
"""

from __future__ import annotations

import typer

from oreshock.core.version import __version__
from oreshock.data.datasets import bundled_path
from oreshock.data.manifest import read_manifest


def version_lines() -> list[str]:
    """``oreshock X.Y.Z`` and ``dataset NAME VERSION (base year YYYY)``; the second line
    says so when the bundled manifest cannot be read."""
    meta, problems = read_manifest(bundled_path())
    if problems:
        dataset = f"dataset: unreadable ({problems[0]})"
    else:
        dataset = (
            f"dataset {meta.get('name', '?')} {meta.get('version', '?')} "
            f"(base year {meta.get('base_year', '?')})"
        )
    return [f"oreshock {__version__}", dataset]


def print_version(value: bool) -> None:
    """The eager ``--version`` callback: print and exit before any command runs."""
    if value:
        for line in version_lines():
            typer.echo(line)
        raise typer.Exit()
