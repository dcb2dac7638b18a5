"""``oreshock plans list|show|export``: the plans kept in the results database
(``store.plans``), each made by ``oreshock plan`` or ``POST /api/plans``.

Every command only reads (a shared lock, no write access needed, a missing database is not
created); a plan whose content no longer matches its hash is marked by ``list`` and refused
by ``show`` and ``export``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    friendly,
    out,
    print_frame,
    print_json,
    require_store,
    store_exists,
)
from oreshock.cli.plan_text import print_plan, say
from oreshock.core.i18n import t
from oreshock.core.serialize import records
from oreshock.data.datasets import load_dataset
from oreshock.report.plan import million, risk, share
from oreshock.report.text import Names
from oreshock.store.plans import StoredPlan, export_plan, get_plan, list_plans
from oreshock.store.store import default_path, open_read

PLAN_FIRST = "make a plan first (`oreshock plan`)"
"""What a person does to have a plan, for the message of a command that finds no database."""


def plans_list(
    db: DbOpt = None, json_out: JsonOpt = False, lang: LangOpt = "en", data: DataOpt = None
) -> None:
    """Stored plans, and a warning for any whose content no longer matches its hash.

    Each row: id, scenario, members, cap, risk, sampled controls, total cost (million USD)
    and when it was made (UTC); --json adds whether the content is ok, damaged or
    unreadable."""
    frame = pd.DataFrame()
    if store_exists(db):
        with open_read(db) as store:
            frame = list_plans(store)
    if json_out:
        print_json(records(frame))
        return
    path = db if db is not None else default_path()
    if frame.empty:
        say(t("plans_none", lang, path=path))
        return
    print_frame(_table(frame, Names(load_dataset(data), lang), lang), title=t("plans_title", lang))
    _warn_damage(frame, path, lang)


def _warn_damage(frame: pd.DataFrame, path: Path, lang: str) -> None:
    """On stderr, the plans whose content no longer matches its hash (the table leaves the
    column out: it is "ok" but for these)."""
    bad = frame[frame["content"] != "ok"]
    if not bad.empty:
        listed = ", ".join(
            f"{row.plan_id} ({t(f'plans_content_{row.content}', lang)})" for row in bad.itertuples()
        )
        typer.echo(t("plans_damaged", lang, n=len(bad), total=len(frame), path=path,
                     plans=listed), err=True)  # fmt: skip


def _table(frame: pd.DataFrame, words: Names, lang: str) -> pd.DataFrame:
    """The listed plans as a person reads them: names, not codes; costs in million USD."""
    return pd.DataFrame(
        {
            t("plans_id", lang): row["plan_id"],
            t("plans_scenario", lang): _scenario(row["scenario"], row["variant"]),
            t("plans_members", lang): words.group(row["coalition"]),
            t("plans_cap", lang): share(row["cap"]),
            t("plans_risk", lang): risk(row["risk"], lang),
            t("plans_scenarios", lang): str(row["scenarios"]),
            t("plan_cost", lang): million(row["total_cost_usd"]),
            t("plans_created", lang): _when(row["created"])[:16],
        }
        for row in records(frame)
    )


def _scenario(name: Any, variant: Any) -> str:
    """A scenario with its variant, if the plan was made on one."""
    return f"{name} ({variant})" if isinstance(variant, str) and variant else str(name)


def _when(created: str) -> str:
    """A stored time (ISO text, UTC) to the second, as a person writes it."""
    return created[:19].replace("T", " ")


def _read(db: Path | None, plan_id: str) -> StoredPlan:
    """The stored plan, its hash checked; an unknown id (or no database) names the id."""
    require_store(db, f"no plan {plan_id!r}", PLAN_FIRST)
    with open_read(db) as store:
        return get_plan(store, plan_id)


def plans_show(
    plan_id: Annotated[str, typer.Argument(help="Plan id (see `oreshock plans list`).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """A stored plan, as `oreshock plan` printed it (refused for a damaged plan).

    First where it came from (scenario, members, seed, data, code version); --json gives the
    record of `oreshock plan --json` with that provenance and the content hash."""
    stored = _read(db, plan_id)
    if json_out:
        print_json(stored.public())
        return
    words = Names(load_dataset(data), lang)
    about = stored.provenance
    say(t("plans_about", lang, plan_id=plan_id,
          scenario=_scenario(about["scenario"], about["variant"]),
          members=words.group(about["coalition"]), seed=about["seed"],
          dataset=about["dataset_name"], version=about["dataset_version"],
          created=_when(about["created"]), code=about["code_version"]))  # fmt: skip
    print_plan(stored.record, words, lang)


def plans_export(
    plan_id: Annotated[str, typer.Argument(help="Plan id (see `oreshock plans list`).")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write plan.json and the items into (default: PLAN_ID here).",
        ),
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Write a stored plan's plan.json, items.csv and items.parquet into a folder.

    plan.json is what `plans show --json` prints; the items are the stockpiles, one row
    each. Refused for a damaged plan; each file is written whole or not at all."""
    require_store(db, f"no plan {plan_id!r}", PLAN_FIRST)
    with open_read(db) as store:
        files = export_plan(store, plan_id, out_dir if out_dir is not None else Path(plan_id))
    for f in files:
        out.print(t("lr_wrote", lang, path=f), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``plans`` sub-app to the main CLI."""
    sub = typer.Typer(no_args_is_help=True, help="Stored plans: list, show, export.")
    sub.command("list")(friendly(plans_list))
    sub.command("show")(friendly(plans_show))
    sub.command("export")(friendly(plans_export))
    app.add_typer(sub, name="plans")
