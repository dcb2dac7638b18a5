"""``oreshock backtest [EPISODE]``: the episodes analysts remember, model beside the record."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from oreshock.backtest.episodes import shipped_episodes
from oreshock.backtest.runner import EpisodeResult, run_episode
from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    friendly,
    out,
    print_frame,
    print_json,
)
from oreshock.core.i18n import t


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "none" if "months" in unit else "-"
    return f"{value:g}" if "months" in unit else f"{value:.2f}"


def _verdict(passed: bool, known: str | None, lang: str) -> str:
    word = t("bt_pass" if passed else "bt_fail", lang)
    return f"{word} ({t('bt_known', lang)})" if known and not passed else word


def _table(res: EpisodeResult, lang: str) -> pd.DataFrame:
    rows = []
    for c in res.checks:
        rows.append(
            {
                t("bt_check", lang): c.text_ja if lang == "ja" else c.text_en,
                t("bt_observed", lang): _fmt(c.observed, c.unit),
                t("bt_model", lang): _fmt(c.model, c.unit),
                t("bt_tolerance", lang): c.tolerance_text,
                t("bt_result", lang): _verdict(c.passed, c.known_failure, lang),
                t("bt_sample", lang): t("bt_in" if c.in_sample else "bt_out", lang),
            }
        )
    return pd.DataFrame(rows)


def _print(res: EpisodeResult, lang: str) -> None:
    ep = res.episode
    title = ep.title_ja if lang == "ja" else ep.title_en
    out.print(
        t("bt_header", lang, title=title, year=ep.base_year, run_id=res.run_id or "-"),
        highlight=False,
        markup=False,
    )
    print_frame(_table(res, lang))
    for c in res.checks:
        if c.known_failure and not c.passed:
            out.print(f"  {c.name}: {c.known_failure}", highlight=False, markup=False)
    for notice in res.notices_ja if lang == "ja" else res.notices_en:
        out.print(f"  {t('bt_notice', lang)}: {notice}", highlight=False, markup=False)


def backtest(
    episode: Annotated[
        str | None, typer.Argument(help="Episode id (default: every shipped episode).")
    ] = None,
    lang: LangOpt = "en",
    json_out: JsonOpt = False,
    db: DbOpt = None,
    data: DataOpt = None,
) -> None:
    """Run the back-tests and print, per check, the observed value, the model's, the
    tolerance (stated in the episode file before the model was run) and pass or fail.

    Exit status 1 when a check fails that its episode does not list as a known failure.
    """
    names = [episode] if episode else list(shipped_episodes())
    results = [run_episode(name, data=data, db=db) for name in names]
    if json_out:
        print_json({"episodes": [r.record() for r in results]})
    else:
        for res in results:
            _print(res, lang)
    unexpected = [c for r in results for c in r.checks if not c.passed and not c.known_failure]
    if unexpected:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` to the main CLI."""
    app.command("backtest")(friendly(backtest))
