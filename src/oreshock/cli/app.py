"""The ``oreshock`` command: the Typer app, with each command group registered on it.

Parsing and printing only; the work is done by the Python API. Each group lives in its own
module (``data``, ``metrics``, ``runs``, ``web``, ``ensemble``, ``plan``, ``plans``, ``run``,
``impact``, ``scenarios``) and adds itself with
``register(app)``. The order of registration is the order ``oreshock --help`` lists them in.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from oreshock.cli import (
    backtest,
    data,
    ensemble,
    impact,
    metrics,
    plan,
    plans,
    run,
    runs,
    scenarios,
    web,
)
from oreshock.cli.version import print_version

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Stress tests for critical-mineral supply chains.",
)
for group in (scenarios, data, metrics, runs, web, ensemble, backtest, plan, plans, run, impact):
    group.register(app)


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version of oreshock and of its bundled dataset, and exit.",
            callback=print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Stress tests for critical-mineral supply chains."""


def main() -> None:  # pragma: no cover - console entry point
    app(sys.argv[1:])
