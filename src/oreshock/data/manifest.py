"""The dataset manifest, ``dataset.toml``: what a dataset folder is and what it holds.

A manifest names the dataset, its version and base year, and lists every table file with
the sha256 of its contents, so a file edited, cut short or swapped after the manifest was
written is noticed before any figure is read from it::

    name = "mini"
    version = "test.1"
    base_year = 2024

    [files]
    "production.csv" = "3f5a..."

Hashes are taken over the file with line endings normalised to ``\\n``, so a checkout that
turns them into ``\\r\\n`` (git on Windows) does not break a dataset. After editing a folder
on purpose, rewrite the hashes with ``python -m oreshock.data.update_manifest FOLDER``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from oreshock.core.atomic import write_text
from oreshock.core.errors import Problem

MANIFEST = "dataset.toml"
BASE_YEARS = range(1900, 2201)
UPDATE_HINT = "python -m oreshock.data.update_manifest FOLDER"
_FILES_TABLE = re.compile(r"(?ms)^\[files\][ \t]*\n.*?(?=^\[|\Z)")


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes with ``\\r\\n`` read as ``\\n``."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def read_manifest(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    """The parsed manifest of ``folder`` and what is wrong with reading it."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}, [Problem(str(path), None, None, "not a dataset folder: dataset.toml is missing")]
    try:
        return tomllib.loads(path.read_text("utf-8")), []
    except UnicodeDecodeError as exc:
        return {}, [Problem(str(path), None, None, f"expected UTF-8 text: {exc}")]
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        return {}, [Problem(str(path), line, None, f"not valid TOML: {exc}")]


def check_manifest(folder: Path, meta: dict[str, Any], tables: list[str]) -> list[Problem]:
    """Name, version and base year are set; every table file is listed with its sha256.

    ``tables`` are the file names (``production.csv``, ...) the folder holds.
    """
    where = str(folder / MANIFEST)
    problems = []
    for key in ("name", "version"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(where, None, key, f"expected a non-empty text {key}, found {value!r}")
            )
    year = meta.get("base_year")
    if not isinstance(year, int) or isinstance(year, bool) or year not in BASE_YEARS:
        problems.append(
            Problem(
                where,
                None,
                "base_year",
                f"expected a base year between {BASE_YEARS[0]} and {BASE_YEARS[-1]}, "
                f"found {year!r}",
            )
        )
    problems.extend(_check_vintages(where, meta.get("vintages"), year))
    files = meta.get("files")
    if not isinstance(files, dict):
        problems.append(
            Problem(
                where,
                None,
                "files",
                "expected a [files] table giving the sha256 of every table file; "
                f"write it with `{UPDATE_HINT}`",
            )
        )
        return problems
    for name, digest in sorted(files.items()):
        file = folder / name
        if not file.is_file():
            problems.append(
                Problem(where, None, "files", f"lists {name!r}, which is not in the folder")
            )
        elif not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append(
                Problem(
                    str(file), None, None, f"the sha256 in dataset.toml is not a hash: {digest!r}"
                )
            )
        elif file_sha256(file) != digest:
            problems.append(
                Problem(
                    str(file),
                    None,
                    None,
                    "contents differ from the sha256 in dataset.toml (edited, cut short or "
                    f"replaced); if the change is intended, run `{UPDATE_HINT}`",
                )
            )
    for name in sorted(set(tables) - set(files)):
        problems.append(
            Problem(
                str(folder / name),
                None,
                None,
                f"no sha256 for this file in dataset.toml; add it with `{UPDATE_HINT}`",
            )
        )
    return problems


def manifest_text(text: str, hashes: dict[str, str]) -> str:
    """``text`` of a dataset.toml with its ``[files]`` table replaced by ``hashes``."""
    body = _FILES_TABLE.sub("", text).rstrip("\n")
    lines = [f'"{name}" = "{digest}"' for name, digest in sorted(hashes.items())]
    return body + "\n\n[files]\n" + "\n".join(lines) + "\n"


def write_manifest(folder: Path, tables: list[str] | None = None) -> dict[str, str]:
    """Rewrite the ``[files]`` table of ``folder/dataset.toml`` from the files as they are.

    ``tables`` defaults to every ``*.csv`` in the folder. Other keys and comments are kept.
    The new manifest is written beside the old one, flushed and renamed over it
    (``core.atomic.write_text``), so a crash leaves one or the other, never half of each.
    """
    folder = Path(folder)
    names = tables if tables is not None else sorted(p.name for p in folder.glob("*.csv"))
    hashes = {name: file_sha256(folder / name) for name in names}
    path = folder / MANIFEST
    text = path.read_text("utf-8") if path.exists() else ""
    write_text(path, manifest_text(text, hashes))
    return hashes


def _check_vintages(where: str, vintages: Any, base_year: Any) -> list[Problem]:
    """``vintages`` (optional): a list of base years the dataset can be read at, each not
    after ``base_year`` (the newest vintage)."""
    if vintages is None:
        return []
    if not isinstance(vintages, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v in BASE_YEARS for v in vintages
    ):
        return [Problem(where, None, "vintages", f"expected a list of years, found {vintages!r}")]
    late = [v for v in vintages if isinstance(base_year, int) and v > base_year]
    if late:
        return [
            Problem(
                where,
                None,
                "vintages",
                f"expected years not after base_year {base_year}, found {late}",
            )
        ]
    return []


def vintages_of(meta: dict[str, Any]) -> list[int]:
    """The base years a dataset can be read at: its ``vintages`` and its ``base_year``."""
    return sorted({int(meta["base_year"]), *(int(v) for v in meta.get("vintages") or [])})
