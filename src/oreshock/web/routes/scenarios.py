"""Shipped scenarios, so clients can offer them by name (no route takes a file path); a
shipped scenario's file for the builder to load; the choices a scenario may name, with their
names; and validation of a scenario as ``oreshock scenarios validate`` checks a file.

``POST /api/scenarios/validate`` takes the scenario as YAML text (any text content type) or
as a JSON object (``application/json``, written out as YAML first, so the lines of its errors
are those of the YAML the builder downloads). A scenario with mistakes is answered 200 with
``valid: false`` and every problem, each with its field path, line and variant; a body that
is no scenario at all (not YAML, not a mapping, too large) is a 4xx naming what was expected.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from oreshock.core.errors import ScenarioError, UnknownIdError
from oreshock.core.serialize import json_safe as clean
from oreshock.model import scenario as sc
from oreshock.model.checks import validation
from oreshock.model.scenario import ScenarioFile, open_scenario, shipped_scenarios
from oreshock.web.schemas import ERRORS
from oreshock.web.service import Service, ServiceDep, document_size

router = APIRouter(tags=["scenarios"])

ScenarioName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="name")]
FileName = Annotated[
    str,
    Query(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="file name the problems are reported under (as the CLI names the file)",
    ),
]
PROBLEM = re.compile(
    r"^(?P<where>.*?)(?:, line (?P<line>\d+))?, field '(?P<field>[^']*)': (?P<why>.*?)"
    r"(?: \(variant '(?P<variant>[^']*)'\))?$",
    re.DOTALL,
)
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "the line `oreshock scenarios validate` prints"},
        "field": {"type": ["string", "null"], "description": "dotted field path, e.g. shocks.0.share"},
        "line": {"type": ["integer", "null"]},
        "variant": {"type": ["string", "null"]},
        "why": {"type": "string", "description": "what is wrong and what was expected"},
    },
}  # fmt: skip
VALIDATION_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "valid": {"type": "boolean"},
        "variants": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": PROBLEM_SCHEMA},
        "warnings": {"type": "array", "items": PROBLEM_SCHEMA},
        "yaml": {"type": "string", "description": "the scenario as YAML (what was checked)"},
        "document": {"type": "object", "description": "the scenario as data, variants included"},
    },
}
TEXT_BODY = {"schema": {"type": "string"}}
VALIDATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": TEXT_BODY,
            "text/plain": TEXT_BODY,
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


DEFAULTS_OF: dict[str, type[BaseModel]] = {
    "general": sc.Scenario, "export_ban": sc.ExportBan, "export_quota": sc.ExportQuota,
    "licence_delay": sc.LicenceDelay, "licensing": sc.Licensing,
    "reexport_control": sc.ReexportControl, "outage": sc.Outage, "demand_surge": sc.DemandSurge,
    "buffers": sc.Buffers, "stockpiles": sc.Stockpile, "sharing": sc.Sharing,
    "rerouting": sc.Rerouting, "recycling": sc.Recycling, "new_capacity": sc.NewCapacity,
    "substitution": sc.Substitution, "market": sc.Market, "plan": sc.PlanControl,
}  # fmt: skip
"""The scenario classes, by the builder's name for each element."""


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The numbers a field takes when the file leaves it out (the loader's defaults), so the
    builder can show them in the empty field."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        value = field.default
        numbers = value if isinstance(value, tuple) else (value,)
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in numbers):
            out[name] = list(value) if isinstance(value, tuple) else value
    return out


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
        "variant_titles": {
            k: {lang: (v or {}).get(f"variant_title_{lang}", "") for lang in ("en", "ja")}
            for k, v in file.variants.items()
        },
        "plan": file.doc.get("plan") is not None,
    }


def _document(file: ScenarioFile) -> dict[str, Any]:
    """The file's data with its variants (the parser keeps them apart), for the builder."""
    doc = dict(file.doc)
    if file.variants:
        doc["variants"] = file.variants
    return dict(clean(doc))


@router.get("/api/scenarios")
def scenarios() -> list[dict[str, Any]]:
    """Shipped scenarios and their variants (as `oreshock scenarios --json`)."""
    return [_describe(name, open_scenario(path)) for name, path in shipped_scenarios().items()]


@router.get("/api/scenarios/choices")
def choices(svc: ServiceDep) -> dict[str, Any]:
    """What a scenario may name, with English and Japanese names: countries, groups,
    minerals (their stages in chain order, chemical elements and end-use sectors)."""
    with svc.data() as (ds, network):
        countries = ds.table("countries")[["iso3", "name_en", "name_ja"]]
        groups = ds.table("groups").drop_duplicates("group")
        uses = ds.table("end_uses").drop_duplicates(["mineral", "sector"])
        stages = ds.table("stages").sort_values(["mineral", "order"])
        minerals = [
            {
                "mineral": m["mineral"],
                "name_en": m["name_en"],
                "name_ja": m["name_ja"],
                "stages": stages[stages["mineral"] == m["mineral"]][
                    ["stage", "name_en", "name_ja"]
                ].to_dict("records"),
                "elements": str(m.get("elements") or "").split(),
                "sectors": uses[uses["mineral"] == m["mineral"]][
                    ["sector", "name_en", "name_ja"]
                ].to_dict("records"),
            }
            for m in ds.table("minerals").to_dict("records")
            if m["mineral"] in network.chains or m["mineral"] in network.families
        ]
        out = {
            "countries": countries.to_dict("records"),
            "groups": [
                {"group": g["group"], "name_en": g["name_en"], "name_ja": g["name_ja"]}
                for g in groups.to_dict("records")
                if g["group"] in network.groups
            ],
            "minerals": minerals,
            "defaults": {k: _defaults(model) for k, model in DEFAULTS_OF.items()},
        }
    return dict(clean(out))


@router.get(
    "/api/scenarios/{name}/file",
    responses=ERRORS,
)
def scenario_file(name: ScenarioName) -> dict[str, Any]:
    """A shipped scenario's YAML text and its data (variants included), to edit."""
    shipped = shipped_scenarios()
    if name not in shipped:
        raise UnknownIdError(f"unknown scenario {name!r}; expected one of: {', '.join(shipped)}")
    path = shipped[name]
    return {
        "name": name,
        "yaml": path.read_text("utf-8"),
        "document": _document(open_scenario(path)),
    }


def _problem(line: str) -> dict[str, Any]:
    """A problem line of the CLI with its parts: field path, line, variant, what is wrong."""
    found = PROBLEM.match(line)
    if found is None:
        return {"message": line, "field": None, "line": None, "variant": None, "why": line}
    return {
        "message": line,
        "field": found["field"],
        "line": int(found["line"]) if found["line"] else None,
        "variant": found["variant"],
        "why": found["why"],
    }


def _text(body: bytes, content_type: str, name: str) -> str:
    """The scenario as YAML text: the body itself, or a JSON object written out as YAML."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        return text
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"{name}: not valid JSON ({exc}); expected a scenario object") from None
    if not isinstance(doc, dict):
        raise ScenarioError(
            f"{name}: expected a JSON object (a scenario mapping), found {type(doc).__name__}"
        )
    ScenarioFile.from_document(doc, name)  # the depth and size limits of an inline scenario
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@router.post(
    "/api/scenarios/validate",
    openapi_extra=VALIDATE_BODY,
    responses={
        200: {"content": {"application/json": {"schema": VALIDATION_SCHEMA}}},
        413: {"description": "Body too large"},
        422: {"description": "Not a scenario: not YAML or JSON, not a mapping, too large"},
    },
)
async def validate(
    request: Request, svc: ServiceDep, name: FileName = "scenario.yaml"
) -> dict[str, Any]:
    """Check a scenario as `oreshock scenarios validate` checks a file (every variant, on
    the server's dataset): its errors and warnings, each with field path, line and variant."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    # parsing and checking take up to a second for the largest scenario: off the event loop
    return await run_in_threadpool(_validate, svc, body, content_type, name)


def _validate(svc: Service, body: bytes, content_type: str, name: str) -> dict[str, Any]:
    """The validation of one request body (see ``validate``)."""
    text = _text(body, content_type, name)
    file = ScenarioFile(text, name)
    values, shocks = document_size({**file.doc, "variants": file.variants})
    limits = svc.settings
    if shocks > limits.max_shocks or values > limits.max_values:
        raise ScenarioError(
            f"{name}: {values} values and {shocks} shocks; expected at most "
            f"{limits.max_values} and {limits.max_shocks} on this server (see /api/limits)"
        )
    document = _document(file)
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ScenarioError(
            f"{name}: holds an escape that is no character (a lone surrogate such as \\ud800); "
            "expected Unicode text"
        ) from None
    errors, warned = validation(file, svc.context()[1])
    return {
        "name": name,
        "valid": not errors,
        "variants": list(file.variants),
        "errors": [_problem(x) for x in errors],
        "warnings": [_problem(x) for x in warned],
        "yaml": text,
        "document": document,
    }
