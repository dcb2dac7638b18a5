"""Plans in the results store: each plan that ``oreshock plan`` or ``POST /api/plans`` makes is
kept like a run, to be listed, shown and exported later.

A plan is one row of ``plans`` (``store.schema``, version 4): where it came from, the figures
``plans list`` shows, and its record as JSON, which is what ``oreshock plan --json`` prints
(``Plan.record``); the store reads back the same record. Its items (stockpiles and plants)
stay inside the record: the planner gives them fields of their own, which a table of fixed
columns would drop; ``export_plan`` writes them as a table.

A plan is written in one transaction together with a content hash of its record *as
stored*: read back from the database inside that transaction, so it describes what DuckDB
holds. After the commit the plan is read back and hashed again; one that does not read back as
written is removed and reported. Every read checks the hash, and that the listed figures are
the record's, so a damaged or edited plan is refused (``DamagedPlanError``) instead of shown.
The hash is the sha256 of ``FORMAT`` and the record as canonical JSON (keys sorted, no spaces;
a float as Python writes it, which reads back as the same double).

Like ``store.jobs``, every function takes an open ``Store``, so callers keep their store
blocks short.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from oreshock.core.atomic import write_file, write_text
from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.core.serialize import json_safe
from oreshock.core.version import __version__
from oreshock.model.network import Network
from oreshock.model.scenario import Scenario
from oreshock.store.integrity import DAMAGED, OK, UNREADABLE, first_line
from oreshock.store.store import DAMAGE_ERRORS, Store, new_run_id

FORMAT = "oreshock-plan-content 1"
"""First line of what a plan's hash covers; change it if the serialisation changes."""

PROVENANCE = (
    "plan_id",
    "created",
    "scenario",
    "variant",
    "coalition",
    "seed",
    "scenario_json",
    "dataset_name",
    "dataset_version",
    "dataset_hash",
    "code_version",
)
"""The columns of a plan's row that say where it came from (``coalition``: the members as
asked, a group id or an ISO3 code; the record's ``members`` are those that took part)."""

FIGURES = ("cap", "risk", "scenarios", "total_cost_usd")
"""The record's fields that ``plans`` also holds as columns, for listing without parsing."""

READ_ERRORS = (*DAMAGE_ERRORS, ValueError, TypeError, KeyError)
"""What reading a damaged plan raises: DuckDB's damage errors, or JSON that does not parse."""


class Recordable(Protocol):
    """What the store needs of a plan (``oreshock.plan.runner.Plan``): its record."""

    def record(self, plan_id: str | None = None) -> dict[str, Any]: ...


class DamagedPlanError(OreshockError):
    """A stored plan cannot be read or no longer matches its content hash."""

    def __init__(self, path: Path, plan_id: str, status: str) -> None:
        self.path = path
        self.plan_id = plan_id
        self.status = status
        why = (
            "its record cannot be read"
            if status == UNREADABLE
            else "its record no longer matches the content hash written when it was saved, or "
            "the figures listed with it are not its record's"
        )
        super().__init__(
            f"plan {plan_id} in {path} is {status}: {why}. Its numbers are not shown; make the "
            "plan again (`oreshock plan`)"
        )


@dataclass(frozen=True)
class PlanRows:
    """A plan as the store writes it: where it came from and its record, JSON-safe."""

    provenance: dict[str, Any]
    record: dict[str, Any]

    @property
    def plan_id(self) -> str:
        return str(self.provenance["plan_id"])


@dataclass(frozen=True)
class StoredPlan:
    """A plan read back from the store, its content hash checked."""

    provenance: dict[str, Any]
    record: dict[str, Any]
    content_hash: str

    def public(self) -> dict[str, Any]:
        """What ``plans show --json`` and ``GET /api/plans/{id}`` give: the record, then
        where it came from and its content hash."""
        return {**self.record, **self.provenance, "content_hash": self.content_hash}


def plan_rows(
    plan: Recordable,
    scenario: Scenario,
    network: Network,
    *,
    coalition: str,
    seed: int,
    plan_id: str | None = None,
) -> PlanRows:
    """The rows that store ``plan``: a new id, the record with that id, and its provenance
    (the resolved scenario, dataset and code version, seed), so it can be made again."""
    plan_id = plan_id or new_run_id()
    record: dict[str, Any] = json_safe(plan.record(plan_id))
    provenance = {
        "plan_id": plan_id,
        "created": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "scenario": scenario.name,
        "variant": scenario.variant,
        "coalition": coalition if coalition in network.groups else coalition.upper(),
        "seed": int(seed),
        "scenario_json": scenario.model_dump_json(),
        "dataset_name": network.dataset_name,
        "dataset_version": network.dataset_version,
        "dataset_hash": network.dataset_hash,
        "code_version": __version__,
    }
    return PlanRows(provenance, record)


def digest(record: dict[str, Any]) -> str:
    """The content hash of a record (module docstring)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{FORMAT}\n{text}".encode()).hexdigest()


def save_plan(store: Store, rows: PlanRows) -> str:
    """Write a plan in one transaction with its content hash, then check it; returns its id.

    The hash is computed from the plan as the database holds it, inside the transaction;
    after the commit the plan is read back and hashed again. A plan that does not read back
    as written is deleted and an ``OreshockError`` says so.
    """
    if store.read_only:
        raise OreshockError(f"{store.path} was opened read-only; a plan cannot be saved")
    with store.transaction() as con:
        written = _write(con, rows)
    _verify_saved(store, rows.plan_id, written)
    return rows.plan_id


def _write(con: duckdb.DuckDBPyConnection, rows: PlanRows) -> str:
    """Insert the plan's row, hash its record as stored and record the hash; the caller holds
    the transaction, so the plan is listed only together with its hash."""
    values = {
        **{c: rows.provenance[c] for c in PROVENANCE},
        **{c: rows.record[c] for c in FIGURES},
        "record_json": json.dumps(rows.record, ensure_ascii=False),
    }
    names = ", ".join(values)
    marks = ", ".join("?" * len(values))
    con.execute(f"INSERT INTO plans ({names}) VALUES ({marks})", list(values.values()))
    found = digest(_record(con, rows.plan_id))
    con.execute("UPDATE plans SET content_hash = ? WHERE plan_id = ?", [found, rows.plan_id])
    return found


def _record(con: duckdb.DuckDBPyConnection, plan_id: str) -> dict[str, Any]:
    """A plan's record as the database holds it."""
    row = con.execute("SELECT record_json FROM plans WHERE plan_id = ?", [plan_id]).fetchone()
    if row is None:
        raise UnknownIdError(f"no plan {plan_id!r}")
    record: dict[str, Any] = json.loads(row[0])
    return record


def _verify_saved(store: Store, plan_id: str, written: str) -> None:
    try:
        found = digest(_record(store.con, plan_id))
    except (duckdb.Error, *READ_ERRORS) as exc:
        found = f"unreadable ({first_line(exc)})"
    if found == written:
        return
    with suppress(duckdb.Error):
        _delete(store, plan_id)
    raise OreshockError(
        f"plan {plan_id} was written to {store.path} but does not read back as written "
        f"(content hash {written[:16]}, read back {found[:16]}); it was removed. The disk or "
        "the database file may be failing"
    )


def _delete(store: Store, plan_id: str) -> None:
    with store.transaction() as con:
        con.execute("DELETE FROM plans WHERE plan_id = ?", [plan_id])


STORED = (*PROVENANCE, *FIGURES, "content_hash")
"""The columns a read takes besides the record."""


def _row(store: Store, plan_id: str) -> dict[str, Any]:
    """A plan's provenance, figures and stored hash; an unknown id is an error naming it."""
    cursor = store.con.execute(
        f"SELECT {', '.join(STORED)} FROM plans WHERE plan_id = ?", [plan_id]
    )
    found = cursor.fetchone()
    if found is None:
        raise UnknownIdError(f"no plan {plan_id!r} in {store.path}; see `oreshock plans list`")
    return dict(zip(STORED, found, strict=True))


def get_plan(store: Store, plan_id: str) -> StoredPlan:
    """A stored plan, its hash checked: ``DamagedPlanError`` when it cannot be read, does
    not match its hash, or is listed with figures that are not its record's;
    ``UnknownIdError`` for an id the store does not hold."""
    row = _row(store, plan_id)
    try:
        record = _record(store.con, plan_id)
    except READ_ERRORS:
        raise DamagedPlanError(store.path, plan_id, UNREADABLE) from None
    stored = row.pop("content_hash")
    listed = {c: row.pop(c) for c in FIGURES}
    if digest(record) != stored or listed != {c: record.get(c) for c in FIGURES}:
        raise DamagedPlanError(store.path, plan_id, DAMAGED)
    row["created"] = json_safe(row["created"])
    row["scenario_json"] = json.loads(row["scenario_json"])
    return StoredPlan(row, record, stored)


def plan_status(store: Store, plan_id: str) -> str:
    """``ok``, ``damaged`` or ``unreadable`` (``store.integrity``'s words for runs)."""
    try:
        get_plan(store, plan_id)
    except DamagedPlanError as exc:
        return exc.status
    return OK


def list_plans(store: Store) -> pd.DataFrame:
    """Every stored plan, oldest first, with its figures and whether its content is intact
    (the ``content`` column)."""
    frame = store.con.execute(
        "SELECT plan_id, created, scenario, variant, coalition, cap, risk, scenarios, "
        "total_cost_usd FROM plans ORDER BY created, plan_id"
    ).df()
    frame["content"] = [plan_status(store, p) for p in frame["plan_id"]]
    return frame


def items_frame(record: dict[str, Any]) -> pd.DataFrame:
    """A record's items as a table, one row per item; a field only some items have (a
    plant's project) is empty in the others."""
    return pd.DataFrame(record["items"])


def export_plan(store: Store, plan_id: str, out: str | Path) -> list[Path]:
    """Write ``plan.json`` (as ``plans show --json``) and the items (stockpiles and plants)
    as ``items.csv`` and ``items.parquet`` into ``out``; returns the files.

    A damaged plan is refused before anything is written; each file is written whole or
    not at all (``core.atomic``).
    """
    stored = get_plan(store, plan_id)
    folder = Path(out)
    items = items_frame(stored.record)
    text = json.dumps(json_safe(stored.public()), ensure_ascii=False, indent=2) + "\n"
    return [
        write_text(folder / "plan.json", text),
        write_file(folder / "items.csv", lambda tmp: items.to_csv(tmp, index=False)),
        write_file(folder / "items.parquet", lambda tmp: items.to_parquet(tmp, index=False)),
    ]
