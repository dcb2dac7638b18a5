"""Shipped scenarios, so clients can offer them by name (no route takes a file path)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from oreshock.model.scenario import ScenarioFile, open_scenario, shipped_scenarios

router = APIRouter(tags=["scenarios"])


def _describe(name: str, file: ScenarioFile) -> dict[str, Any]:
    """One row of the listing: titles, description, the variants with theirs, and whether
    a plan can be made on it (a ``plan:`` block)."""
    return {
        "name": name,
        "title": file.doc.get("title_en", ""),
        "title_ja": file.doc.get("title_ja", ""),
        "description": file.doc.get("description", ""),
        "variants": list(file.variants),
        "variant_descriptions": {
            k: (v or {}).get("description", "") for k, v in file.variants.items()
        },
        "plan": file.doc.get("plan") is not None,
    }


@router.get("/api/scenarios")
def scenarios() -> list[dict[str, Any]]:
    """Shipped scenarios and their variants (as `oreshock scenarios --json`)."""
    return [_describe(name, open_scenario(path)) for name, path in shipped_scenarios().items()]
