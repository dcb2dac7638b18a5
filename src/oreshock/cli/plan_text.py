"""A plan on the terminal: ``oreshock plan`` prints the plan it made and ``oreshock plans show``
one it stored, both from the plan's record (``Plan.record``, what the store reads back), so
the two read the same.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from oreshock.cli.common import print_frame, say
from oreshock.core.i18n import t
from oreshock.report.plan import item_holder, item_product, million, risk, share
from oreshock.report.text import Names

Record = dict[str, Any]


def print_plan(record: Record, words: Names, lang: str) -> None:
    """The plan: its cost, the stockpiles to buy, who pays what, and what the optional
    parts found (sub-coalitions better off alone, the check in the engine, the curve)."""
    say(t("plan_header", lang, cost=million(record["total_cost_usd"]), cap=share(record["cap"]),
          risk=risk(record["risk"], lang), n=record["scenarios"]))  # fmt: skip
    print_frame(_items(record, words, lang), title=t("plan_items", lang))
    print_frame(_shares(record, words, lang), title=t("plan_shares", lang))
    _print_core(record, words, lang)
    _print_verified(record, words, lang)
    for point in record["curve"]:
        say(t("plan_curve", lang, cap=share(point["cap"]), cost=million(point["total_cost_usd"])))


def _items(record: Record, words: Names, lang: str) -> pd.DataFrame:
    """One row per stockpile or plant: who holds it or where it is built, of which products
    and stage, tonnes (a plant's capacity per year) and cost."""
    return pd.DataFrame(
        {
            t("plan_holder", lang): item_holder(i, words, lang),
            t("plan_product", lang): item_product(i, words),
            t("plan_tonnes", lang): f"{i['quantity_t']:,.0f}",
            t("plan_cost", lang): million(i["cost_usd"]),
        }
        for i in record["items"]
    )


def _shares(record: Record, words: Names, lang: str) -> pd.DataFrame:
    """One row per member: its share under each rule, its own plan's cost, and the value
    of a point of cap to it."""
    duals = record["cap_duals"]
    return pd.DataFrame(
        {
            t("plan_member", lang): words.country(m),
            **{t(f"plan_rule_{rule}", lang): million(usd[m])
               for rule, usd in record["shares"].items()},
            t("plan_standalone", lang): million(record["standalone_cost_usd"][m]),
            t("plan_cap_dual", lang): f"{round((duals.get(m) or 0.0) / 1e6, 2) + 0.0:,.2f}",
        }
        for m in record["members"]
    )  # fmt: skip


def _print_core(record: Record, words: Names, lang: str) -> None:
    """Per rule, the groups of members that would pay less on their own, the worst named."""
    for rule, groups in record["core_violations"].items():
        if groups:
            worst = groups[0]
            named = ", ".join(words.country(m) for m in worst["members"])
            say(t("plan_core", lang, rule=t(f"plan_rule_{rule}", lang), n=len(groups),
                  groups=named, excess=million(worst["excess_usd"])))  # fmt: skip


def _print_verified(record: Record, words: Names, lang: str) -> None:
    """With ``--verify``: each member's record in the engine, and the scenario file."""
    checked = record["verify"]
    if checked is None:
        return
    for m in record["members"]:
        say(t("plan_verify", lang, member=words.country(m), n=checked["scenarios"],
              p=f"{checked['exceed_probability'][m]:.0%}", cap=share(record["cap"]),
              worst=f"{checked['max_cumulative_shortfall_pct'][m]:.1f}",
              engine=f"{checked['engine_mean_shortfall_pct'][m]:.1f}",
              program=f"{checked['program_mean_shortfall_pct'][m]:.1f}"))  # fmt: skip
    if record["scenario_file"]:
        say(t("plan_written", lang, path=record["scenario_file"]))
