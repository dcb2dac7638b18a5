"""What every command shares: options, error handling and printing.

The commands live in one module per group (``data``, ``metrics``, ``run``, ``runs``,
``ensemble``, ``web``, registered by ``app``); each takes its
``--db``, ``--data``, ``--json`` and ``--lang`` options and its error handling from here, so
they behave the same.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.i18n import LANGUAGES
from oreshock.core.options import get_option
from oreshock.core.serialize import json_safe
from oreshock.store.recovery import SaveOutcome
from oreshock.store.store import default_path

out = Console(width=shutil.get_terminal_size((160, 40)).columns, soft_wrap=False)
err = Console(stderr=True)


def _check_lang(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
    """The ``--lang`` given, else the ``language`` option ($ORESHOCK_LANG, else en)."""
    # By name: typer may carry its own copy of click, whose ParameterSource is another class.
    source = ctx.get_parameter_source(param.name) if param.name else None
    if source is not None and source.name == "DEFAULT":
        try:
            return str(get_option("language"))
        except OreshockError as exc:
            raise typer.BadParameter(str(exc)) from None
    if value not in LANGUAGES:
        raise typer.BadParameter(f"expected one of {', '.join(LANGUAGES)}, found {value!r}")
    return value


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language: en or ja.", callback=_check_lang)]
PAPERS = ("a4", "letter")


def _check_paper(value: str) -> str:
    """``--paper`` is refused before anything is computed unless it is a4 or letter."""
    if value not in PAPERS:
        raise typer.BadParameter(f"expected one of {', '.join(PAPERS)}, found {value!r}")
    return value


PaperOpt = Annotated[
    str,
    typer.Option(
        "--paper", help="Paper a PDF report is printed on: a4 or letter.", callback=_check_paper
    ),
]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Results database (default $ORESHOCK_DB or ~/.oreshock/oreshock.duckdb)."
    ),
]
SEED_MAX = 2**63 - 1
"""Seeds are stored as BIGINT: a larger one is refused when the command is parsed, before
anything is computed."""
SeedOpt = Annotated[
    int,
    typer.Option(help="Random seed recorded with the run (0 to 2**63 - 1).", min=0, max=SEED_MAX),
]
NOT_SAVED_EXIT = 4
"""Exit code of a command that computed runs but could not save them: they are in a
recovery folder, named on stderr (``store.recovery``)."""
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Dataset folder (default: the bundled dataset).")
]


def friendly(func: Callable) -> Callable:
    """Turn oreshock's errors into a clear message and exit code 2, without a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OreshockError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:  # a bug: a short message, the traceback only on request
            # typer's exits and click's usage errors (they carry an exit code) are not bugs
            is_exit = isinstance(exc, typer.Exit | typer.Abort) or hasattr(exc, "exit_code")
            if is_exit or os.environ.get("ORESHOCK_DEBUG"):
                raise
            typer.echo(
                f"error: unexpected {type(exc).__name__}: {exc}\n"
                "This is a bug in oreshock; please report it with the command you ran "
                "(ORESHOCK_DEBUG=1 shows the traceback).",
                err=True,
            )
            raise typer.Exit(3) from None

    return wrapper


def store_exists(db: Path | None) -> bool:
    """Whether the results database (``--db``, else the default) exists: a command that
    only reads must not create it, and a missing one holds nothing."""
    return (db if db is not None else default_path()).exists()


def require_store(
    db: Path | None, missing: str, first: str = "run a scenario first (`oreshock run`)"
) -> None:
    """A missing database holds nothing: say so as for an unknown id (``missing``, e.g.
    "no run 'abc'"), with what makes one (``first``), without creating it."""
    if not store_exists(db):
        path = db if db is not None else default_path()
        raise UnknownIdError(
            f"{missing} in {path}: there is no results database there yet; {first} or choose "
            "another file with --db or ORESHOCK_DB"
        )


def kept_json(outcome: SaveOutcome) -> dict[str, Any] | None:
    """The ``kept`` field of a command's JSON: where unsaved runs went (None when saved)."""
    if outcome.ok:
        return None
    return {
        "error": outcome.error,
        "folder": str(outcome.folder),
        "runs": outcome.kept,
        "recover": f"oreshock runs recover {outcome.folder} --db {outcome.db}",
    }


def exit_if_kept(outcome: SaveOutcome) -> None:
    """Say where runs that could not be saved are kept, and exit with ``NOT_SAVED_EXIT``."""
    if outcome.ok:
        return
    typer.echo(f"error: {outcome.message()}", err=True)
    raise typer.Exit(NOT_SAVED_EXIT)


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(json_safe(obj), ensure_ascii=False, indent=2, default=str))


def print_frame(df: pd.DataFrame, title: str | None = None, limit: int = 200) -> None:
    table = Table(title=title, show_lines=False)
    for k, col in enumerate(df.columns):
        table.add_column(str(col), overflow="fold", no_wrap=k == 0)
    for row in df.head(limit).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out.print(table)
    if len(df) > limit:
        out.print(f"... {len(df) - limit} more rows (use --json for all)")


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)
