"""Build the country outlines the report and dashboard maps draw (run once; output committed).

Source: Natural Earth 1:110m Admin 0 countries (public domain), as redistributed in TopoJSON by
the npm package world-atlas 2.0.2 (ISC licence). Steps to rebuild:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip install iso3166
    python scripts/build_world_map.py package/countries-110m.json > src/oreshock/report/maps/world_110m.json

Arcs are decoded (delta-encoded, quantized) into longitude/latitude rings rounded to 0.1
degree; countries are keyed by ISO 3166 alpha-3 code from their numeric id.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from iso3166 import countries_by_numeric


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    out: list[list[float]] = []
    for lon, lat in points:
        p = [round(lon, 1), round(lat, 1)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def main(path: str) -> None:
    topology = json.loads(Path(path).read_text("utf-8"))
    arcs = decode_arcs(topology)
    shapes: dict[str, list[list[list[float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = countries_by_numeric.get(str(geometry.get("id", "")).zfill(3))
        if code is None or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [ring(r, arcs) for polygon in polygons for r in polygon]
        shapes.setdefault(code.alpha3, []).extend(r for r in rings if len(r) >= 3)
    json.dump(
        {
            "source": "Natural Earth 1:110m Admin 0 countries (public domain), via world-atlas 2.0.2 (ISC)",
            "units": "longitude, latitude (degrees), rings rounded to 0.1",
            "countries": shapes,
        },
        sys.stdout,
        separators=(",", ":"),
    )


if __name__ == "__main__":
    main(sys.argv[1])
