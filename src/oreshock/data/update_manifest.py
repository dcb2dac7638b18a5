"""``python -m oreshock.data.update_manifest FOLDER...``: rewrite the sha256 of every table
file in each folder's ``dataset.toml`` after editing the folder on purpose.

The manifest is replaced whole (``write_manifest`` writes through ``core.atomic``), so an
interrupted run leaves the old manifest or the new one. A module of its own, imported by
nothing, so ``python -m`` runs it without the warning it gives for a module the package has
already imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

from oreshock.data.manifest import MANIFEST, UPDATE_HINT, write_manifest


def main(argv: list[str] | None = None) -> int:
    """Rewrite the ``[files]`` table of each folder named on the command line."""
    folders = sys.argv[1:] if argv is None else argv
    if not folders:
        print(f"usage: {UPDATE_HINT}", file=sys.stderr)
        return 2
    for folder in folders:
        if not (Path(folder) / MANIFEST).is_file():
            print(f"{folder}: not a dataset folder ({MANIFEST} is missing)", file=sys.stderr)
            return 1
        try:
            hashes = write_manifest(Path(folder))
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"{folder}: cannot rewrite {MANIFEST} ({reason}); it is as it was",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"{folder}: sha256 of {len(hashes)} files written to {MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
