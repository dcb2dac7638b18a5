"""Computed runs are never lost: what cannot be saved is kept in a recovery folder.

``save_or_keep`` saves runs into a database; when that fails (the database stays busy
beyond the ``store_wait`` option, the file is damaged or not a store, the folder is
read-only, the disk fails, Ctrl-C), the runs not saved yet go into a recovery folder instead,
and the outcome says where. ``restore`` later saves a folder's runs into a database
unchanged (``oreshock runs recover FOLDER --db DB``).

A recovery folder, ``<timestamp>-<scenario>-<token>``, is written whole or not at all
(``core.atomic.replace_folder``) in the first of these that can be written:

1. ``recovery/`` beside the database;
2. ``~/.oreshock/recovery/``;
3. ``oreshock-recovery/`` in the system's temporary folder.

It holds, per run, ``<run_id>-timeseries.parquet``, ``-flows.parquet`` and
``-sectors.parquet``, and one ``recovery.json``: each run's record, the content hash its rows
get when stored (``store.expected_hash``), and each file's sha256 and row count. A restore
checks the files against the sha256s before it writes, and the stored run against the hash.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from oreshock.core.atomic import file_sha256, replace_folder
from oreshock.core.errors import OreshockError, UnknownIdError
from oreshock.store.integrity import first_line
from oreshock.store.store import RECORD_COLUMNS, RunRows, Store, default_path, expected_hash

MANIFEST = "recovery.json"
FORMAT = "oreshock-recovery 1"
TABLES = ("timeseries", "flows", "sectors", "sector_series")
"""The tables a recovery folder keeps per run; ``sector_series`` may be missing from a folder
written before it existed (read as empty)."""

SAVE_ERRORS = (OreshockError, duckdb.Error, OSError)
"""What a failed save raises: busy, damaged, not a store, read-only, disk errors."""


@dataclass
class SaveOutcome:
    """What happened to runs given to ``save_or_keep``."""

    db: Path
    saved: list[str] = field(default_factory=list)
    """Ids of the runs now in the database."""
    kept: list[str] = field(default_factory=list)
    """Ids of the runs in the recovery folder instead."""
    folder: Path | None = None
    error: str | None = None
    """Why the save failed (None when every run was saved)."""

    @property
    def ok(self) -> bool:
        return not self.kept

    def message(self) -> str:
        """What a person is told when runs were kept instead of saved."""
        return (
            f"{len(self.kept)} of {len(self.saved) + len(self.kept)} runs could not be saved "
            f"to {self.db}: {self.error}. They are kept in {self.folder}; load them later "
            f"with `oreshock runs recover {self.folder} --db {self.db}`"
        )


def save_or_keep(runs: list[RunRows], db: str | Path | None = None) -> SaveOutcome:
    """Save every run, or keep those that could not be saved in a recovery folder."""
    outcome = SaveOutcome(Path(db) if db is not None else default_path())
    try:
        with Store(outcome.db) as store:
            outcome.saved.extend(store.save_many(runs))
    except SAVE_ERRORS as exc:
        _keep_rest(outcome, runs, first_line(exc))
    except Exception as exc:  # a bug must not lose the results either; it is named
        _keep_rest(outcome, runs, f"unexpected {type(exc).__name__}: {first_line(exc)}")
    except KeyboardInterrupt:
        _keep_rest(outcome, runs, "interrupted")
        raise
    return outcome


def _keep_rest(outcome: SaveOutcome, runs: list[RunRows], why: str) -> None:
    rest = [r for r in runs if r.run_id not in outcome.saved]
    outcome.error = why
    outcome.folder = keep(rest, outcome.db, why)
    outcome.kept = [r.run_id for r in rest]


def places(db: Path) -> list[Path]:
    """Where recovery folders go, in order of preference (module docstring)."""
    return [
        db.parent / "recovery",
        Path.home() / ".oreshock" / "recovery",
        Path(tempfile.gettempdir()) / "oreshock-recovery",
    ]


def _name(runs: list[RunRows]) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    scenario = str(runs[0].record.get("scenario") or "runs") if runs else "runs"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", scenario).strip("-")[:60] or "runs"
    return f"{stamp}-{slug}-{uuid.uuid4().hex[:6]}"


def keep(runs: list[RunRows], db: Path, why: str) -> Path:
    """Write ``runs`` into a new recovery folder; returns it. Raises only when none of the
    places can be written, naming each and why."""
    name = _name(runs)
    failures = []
    for place in places(db):
        try:
            return _write(place / name, runs, db, why)
        except OSError as exc:
            failures.append(f"{place}: {exc.strerror or exc}")
    raise OreshockError(
        f"{len(runs)} computed runs could not be saved to {db} ({why}) nor kept in a recovery "
        f"folder ({'; '.join(failures)}); they are lost, run them again"
    )


def _record_json(record: dict[str, Any]) -> dict[str, Any]:
    out = {c: record.get(c) for c in RECORD_COLUMNS}
    created = out["created"]
    out["created"] = created.isoformat() if isinstance(created, dt.datetime) else created
    return out


def _write(folder: Path, runs: list[RunRows], db: Path, why: str) -> Path:
    entries = []
    with replace_folder(folder, lambda _: False, "a new recovery folder") as tmp:
        for rows in runs:
            files = {}
            for table in TABLES:
                file = f"{rows.run_id}-{table}.parquet"
                frame = rows.tables()[table]
                frame.to_parquet(tmp / file, index=False)
                files[table] = {"file": file, "sha256": file_sha256(tmp / file), "rows": len(frame)}
            entries.append(
                {
                    "record": _record_json(rows.record),
                    "content_hash": expected_hash(rows),
                    "files": files,
                }
            )
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "database": str(db),
            "reason": why,
            "runs": entries,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    return folder


@dataclass(frozen=True)
class KeptRun:
    """One run read back from a recovery folder, its files checked."""

    rows: RunRows
    content_hash: str


def _folder(path: Path) -> Path:
    folder = path.parent if path.name == MANIFEST else path
    if not (folder / MANIFEST).is_file():
        raise OreshockError(
            f"{path} is not an oreshock recovery folder (no {MANIFEST} in it); give the folder "
            "named in the message of the run whose save failed"
        )
    return folder


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise OreshockError(f"{folder / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise OreshockError(
            f"{folder / MANIFEST} is not a recovery manifest of this oreshock (format "
            f"{found!r}, expected {FORMAT!r})"
        )
    return manifest


def _table(folder: Path, entry: dict[str, Any], table: str) -> pd.DataFrame:
    if table not in entry["files"] and table == "sector_series":  # kept before it existed
        return pd.DataFrame()
    spec = entry["files"][table]
    file = folder / spec["file"]
    if not file.is_file() or file_sha256(file) != spec["sha256"]:
        state = "is missing" if not file.is_file() else "does not match its sha256"
        raise OreshockError(
            f"{file} {state} in {folder / MANIFEST}; the recovery folder is damaged, so run "
            f"{entry['record']['run_id']} cannot be restored from it"
        )
    frame = pd.read_parquet(file)
    if len(frame) != spec["rows"]:
        raise OreshockError(f"{file} has {len(frame)} rows, {spec['rows']} expected")
    return frame


def read(path: str | Path) -> list[KeptRun]:
    """The runs of a recovery folder (or its ``recovery.json``), every file checked first."""
    folder = _folder(Path(path))
    manifest = _manifest(folder)
    kept = []
    for entry in manifest["runs"]:
        record = dict(entry["record"])
        record["created"] = dt.datetime.fromisoformat(record["created"])
        tables = {t: _table(folder, entry, t) for t in TABLES}
        rows = RunRows(record, *(tables[t] for t in TABLES))
        kept.append(KeptRun(rows, entry["content_hash"]))
    return kept


def restore(path: str | Path, db: str | Path | None = None) -> dict[str, str]:
    """Save a recovery folder's runs into ``db``; run id -> ``saved`` or ``already stored``.

    Runs keep their ids, so restoring twice stores nothing twice. A restored run whose
    stored hash is not the one recorded when it was kept is removed again and reported.
    """
    runs = read(path)
    done: dict[str, str] = {}
    with Store(db) as store:
        for kept in runs:
            run_id = kept.rows.run_id
            if _stored_hash(store, run_id) is not None:
                done[run_id] = "already stored"
                continue
            store.save_rows(kept.rows)
            if store.run(run_id)["content_hash"] != kept.content_hash:
                with suppress(duckdb.Error):
                    store.delete_run(run_id)
                raise OreshockError(
                    f"run {run_id} from {path} does not store as it was computed (content "
                    "hash differs from the one recorded in the recovery folder); it was not "
                    "saved"
                )
            done[run_id] = "saved"
    return done


def _stored_hash(store: Store, run_id: str) -> str | None:
    try:
        return store.run(run_id)["content_hash"] or "never hashed"
    except UnknownIdError:
        return None
