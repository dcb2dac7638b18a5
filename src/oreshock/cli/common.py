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
from functools import lru_cache, wraps
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.i18n import LANGUAGES, t
from oreshock.core.options import get_option
from oreshock.core.serialize import json_safe
from oreshock.model.labelled import LabelNames
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


def say(text: str, console: Console | None = None) -> None:
    """Print plain text (no markup read into it) wrapped at the terminal's width, counting a
    Japanese character as two cells, with no space left at a line's end (so a line joined to
    the next reads as the sentence did)."""
    target = console if console is not None else out
    for line in Text(text).wrap(target, target.width):
        line.rstrip()
        target.print(line, highlight=False, soft_wrap=True)


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(json_safe(obj), ensure_ascii=False, indent=2, default=str))


ID_COLUMNS = frozenset(
    {
        "run_id",
        "run",
        "ensemble_id",
        "plan_id",
        "impact_id",
        "import_id",
        "scenario",
        "variant",
        "id",
    }
)
"""Columns of ids: never wrapped nor cut, whatever the terminal's width (the other columns
give way), so an id can be copied from the table."""
NARROWEST = 10
"""Cells a column of text keeps at least (its words wrap inside), so a narrow terminal gets
readable columns rather than a letter a line."""
FIRST_WHOLE = 30
"""A first column whose cells are this short (labels: a variant, a country) stays whole on
one line; a longer one (a sentence) wraps like any text."""


def print_frame(
    df: pd.DataFrame,
    title: str | None = None,
    limit: int = 200,
    lang: str | None = None,
    optional: tuple[str, ...] = (),
) -> None:
    """A table that fits the terminal: id columns and a first column of labels (``_is_id``)
    stay whole on one line, the others wrap. With ``lang``, headings in that language. The
    ``optional`` columns (default: the text columns, last ones first) are left out, first
    ones first, while the table would not fit even with every text column 4 cells wide, and a
    line says which (``--json`` has them all)."""
    shown = df.head(limit)
    dropped = _too_wide(shown, lang, optional)
    shown = shown.drop(columns=dropped)
    table = Table(title=title, show_lines=False)
    cells = [[_cell(v) for v in row] for row in shown.itertuples(index=False)]
    cap = _text_width(shown, cells, lang)
    for k, col in enumerate(shown.columns):
        heading = _heading(col, lang)
        widest = max((cell_len(row[k]) for row in cells), default=0)
        if _is_id(shown, k, col):
            table.add_column(heading, no_wrap=True, min_width=max(widest, 1))
        else:
            narrow = min(max(widest, cell_len(heading)), cap)
            table.add_column(heading, overflow="fold", min_width=narrow)
    for row in cells:
        table.add_row(*row)
    out.print(table)
    if dropped:
        left_out = ", ".join(_heading(c, lang) for c in dropped)
        out.print(t("lr_left_out", lang or "en", columns=left_out), highlight=False)


def _is_id(df: pd.DataFrame, k: int, column: object) -> bool:
    """An id column (``ID_COLUMNS``), or a first column of short labels (``FIRST_WHOLE``):
    kept whole on one line."""
    if str(column) in ID_COLUMNS:
        return True
    if k != 0:
        return False
    return max([0, *(cell_len(_cell(v)) for v in df.iloc[:, 0])]) <= FIRST_WHOLE


def _text_width(df: pd.DataFrame, cells: list[list[str]], lang: str | None) -> int:
    """The width each text column keeps at least: ``NARROWEST``, less when the id columns
    leave less room (never under 4 cells), so the table fits when it can."""
    ids = [k for k, c in enumerate(df.columns) if _is_id(df, k, c)]
    texts = len(df.columns) - len(ids)
    if not texts:
        return NARROWEST
    fixed = sum(
        max([cell_len(_heading(df.columns[k], lang)), *(cell_len(row[k]) for row in cells)])
        for k in ids
    )
    room = out.width - fixed - 3 * len(df.columns) - 1
    return max(4, min(NARROWEST, room // texts))


def _heading(column: object, lang: str | None) -> str:
    return str(column) if lang is None else header(str(column), lang)


def _too_wide(df: pd.DataFrame, lang: str | None, optional: tuple[str, ...]) -> list[str]:
    """The ``optional`` columns to leave out so that the table's narrowest layout (id columns
    whole, others at ``NARROWEST``, three cells of rule and padding each) fits."""

    def least(col: object, k: int) -> int:
        values = [cell_len(_cell(v)) for v in df[col]]
        widest = max([*values, 1])
        heading = cell_len(_heading(col, lang))
        if _is_id(df, k, col):
            return max(widest, heading)
        return min(max(widest, heading), 4)

    dropped: list[str] = []
    candidates = [c for c in optional if c in df.columns] or [
        c for k, c in reversed(list(enumerate(df.columns))) if not _is_id(df, k, c)
    ]
    while True:
        kept = [c for c in df.columns if c not in dropped]
        need = sum(least(c, k) + 3 for k, c in enumerate(kept)) + 1
        if need <= out.width or not candidates:
            return dropped
        dropped.append(candidates.pop(0))


def header(column: str, lang: str) -> str:
    """A column id's heading in ``lang`` (the ``lr_col_`` or ``lr_meta_`` text), else the id."""
    for key in (f"lr_col_{column}", f"lr_meta_{column}"):
        text = t(key, lang)
        if text != key:
            return text
    return column


@lru_cache(maxsize=1)
def _names() -> LabelNames:
    return LabelNames.read()


def named(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``df`` with countries, chains and stages by their names in ``lang`` (bundled dataset's
    names; an id it does not name stays as it is)."""
    names = _names()
    found = df.copy()
    countries, minerals = names.country(lang), names.mineral(lang)
    stages = names.stage(f"name_{lang}")
    if "stage" in found.columns and "mineral" in found.columns:
        pairs = zip(found["mineral"], found["stage"], strict=True)
        found["stage"] = [stages.get((m, st), st) for m, st in pairs]
    if "mineral" in found.columns:
        found["mineral"] = [minerals.get(m, m) for m in found["mineral"]]
    if "country" in found.columns:
        found["country"] = [countries.get(c, c) for c in found["country"]]
    return found


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)
