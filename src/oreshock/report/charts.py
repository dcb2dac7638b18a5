"""Charts as inline SVG strings, shared by the report and the dashboard.

Hand-written SVG keeps reports self-contained (no plotting library, no CDN, no map tiles) and
lets the dashboard show exactly the charts the report prints: the API hands these strings out
in JSON. Text is escaped; fonts fall back to Noto CJK so Japanese renders.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache, lru_cache
from html import escape
from importlib import resources

import numpy as np
import pandas as pd

from oreshock.core.i18n import t
from oreshock.model.prices import OUTSIDE, REGION_NAMES, REGIONS
from oreshock.report.text import month_label
from oreshock.report.text import path as _path

FONT = "'Noto Sans CJK JP','Noto Sans JP','Noto Sans',sans-serif"
PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """Approximate country centroids (lat, lon) shipped with the package."""
    text = resources.files("oreshock.report").joinpath("maps", "centroids.json").read_text("utf-8")
    raw = json.loads(text)
    return {k: (float(v[0]), float(v[1])) for k, v in raw.items() if not k.startswith("_")}


def _nice_max(value: float) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.0f}"
    return f"{v:.3g}"


def text_width(text: str, size: float = 11) -> float:
    """Width of ``text`` in px at ``size``, estimated: CJK glyphs are square, Latin ones a
    bit over half as wide (Noto Sans). Used to lay out legends and labels before a browser
    measures them; tests in Chromium check the estimate holds."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return size * (wide * 1.0 + (len(text) - wide) * 0.6)


def _svg_open(width: int, height: int, title: str, kind: str) -> str:
    """The SVG element and its title, set smaller when a long one would not fit the width."""
    size = min(14.0, 14.0 * (width - 16) / max(text_width(title, 14) * 1.05, 1.0))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;font-family:{FONT}">'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="18" font-size="{size:.1f}" font-weight="bold">{escape(title)}</text>'
    )


LEGEND_ROW = 16
BAND_OPACITY = (0.18, 0.36)
"""Fill opacity of a chart's bands, widest first: nested bands darken where they overlap."""


def legend(
    items: list[tuple[str, str, str]], x0: float, y0: float, width: float
) -> tuple[list[str], int]:
    """Legend entries (label, colour, ``line``/``dot``/``box``/``band``/``band-inner``, the
    last as an inner band looks where it lies over the outer one) laid out left to right and
    wrapped into rows within ``width``, never cut: the SVG parts and the rows used."""
    parts, x, row = [], x0, 0
    for label, fill, kind in items:
        w = 16 + text_width(label) + 14
        if x > x0 and x + w > x0 + width:
            x, row = x0, row + 1
        y = y0 + row * LEGEND_ROW
        mark = {
            "line": f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="12" height="3" fill="{fill}"/>',
            "dot": f'<circle cx="{x + 6:.1f}" cy="{y - 4:.1f}" r="3.5" fill="{fill}"/>',
            "box": f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="12" height="9" fill="{fill}"/>',
            "band": _band_mark(x, y, fill, BAND_OPACITY[0]),
            "band-inner": _band_mark(x, y, fill, 1 - (1 - BAND_OPACITY[0]) * (1 - BAND_OPACITY[1])),
        }[kind]
        parts.append(
            f'<g class="legend-item">{mark}<text x="{x + 16:.1f}" y="{y:.1f}" '
            f'font-size="11">{escape(label)}</text></g>'
        )
        x += w
    return parts, (row + 1 if items else 0)


def _band_mark(x: float, y: float, fill: str, opacity: float) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="12" height="9" fill="{fill}" '
        f'fill-opacity="{opacity:.2f}"/>'
    )


def legend_rows(labels: list[str], width: float) -> int:
    """How many rows ``legend`` needs for ``labels`` within ``width``."""
    return legend([(label, "", "box") for label in labels], 0, 0, width)[1]


MONTH = re.compile(r"^(\d{4})-(\d{2})")


def month_ticks(labels: list[str], most: int = 9) -> list[tuple[int, str]]:
    """Ticks on a monthly axis at calendar steps a reader counts in: every quarter, half
    year, year or few years, whichever keeps at most ``most`` ticks; years are labelled by
    the year alone. Other axes (not months) get evenly spaced ticks."""
    found = [MONTH.match(x) for x in labels]
    if not labels or not all(found):
        step = max(1, len(labels) // 6)
        return [(i, labels[i]) for i in range(0, len(labels), step)]
    months = [int(m[1]) * 12 + int(m[2]) - 1 for m in found if m]
    for step in (1, 3, 6, 12, 24, 60, 120):
        ticks = [i for i, k in enumerate(months) if k % step == 0]
        if len(ticks) <= most:
            break
    if step >= 12:
        return [(i, labels[i][:4]) for i in ticks]
    return [(i, labels[i][:7]) for i in ticks]


def line_chart(
    series: dict[str, list[float]],
    x_labels: list[str],
    title: str,
    y_label: str = "",
    width: int = 680,
    height: int = 300,
    points: dict[str, dict[int, float]] | None = None,
    x_label: str = "",
    bands: list[tuple[str, list[float], list[float]]] | None = None,
) -> str:
    """Lines over months with a legend below (wrapped into rows); ``series`` maps a label
    to one value per month, and ``points`` a label to values at some months only (a
    record), drawn as dots. ``bands`` are (label, low, high) ranges shaded behind the lines
    in the first series' colour, widest first (an ensemble's percentile bands). ``y_label``
    names the unit, ``x_label`` the axis below."""
    left, right, top = 64, 16, 30
    pw = width - left - right
    dots = points or {}
    shaded = bands or []
    entries = [*series, *dots, *[b[0] for b in shaded]]
    rows = legend_rows(entries, pw)
    ph = height - top - 56
    height = top + ph + 44 + rows * LEGEND_ROW + 4
    n = max(len(x_labels), 1)
    highest = [max(v) for v in series.values() if v] + [max(p.values()) for p in dots.values() if p]
    highest += [max(high) for _, _, high in shaded if high]
    ymax = _nice_max(max(highest, default=1.0))
    parts = [_svg_open(width, height, title, "line")]
    for k in range(5):
        y = top + ph - ph * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{_fmt(ymax * k / 4)}</text>"
        )

    def at(i: int) -> float:
        return left + pw * i / max(n - 1, 1)

    for i, text in month_ticks(x_labels):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(
            f'<line x1="{at(i):.1f}" x2="{at(i):.1f}" y1="{top + ph}" y2="{top + ph + 4}" '
            f'stroke="#999"/><text class="tick" x="{at(i):.1f}" y="{top + ph + 16}" '
            f'font-size="11" text-anchor="{anchor}">{escape(text)}</text>'
        )
    parts.append(
        f'<text x="14" y="{top + ph / 2:.1f}" font-size="11" '
        f'transform="rotate(-90 14 {top + ph / 2:.1f})" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    if x_label:
        parts.append(
            f'<text x="{left + pw / 2:.1f}" y="{top + ph + 32}" font-size="11" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )

    def y_of(v: float) -> float:
        return top + ph - ph * min(v, ymax) / ymax

    for k, (label, low, high) in enumerate(shaded):
        edge = [f"{at(i):.1f},{y_of(v):.1f}" for i, v in enumerate(high)]
        edge += [f"{at(i):.1f},{y_of(v):.1f}" for i, v in reversed(list(enumerate(low)))]
        parts.append(
            f'<polygon class="band" data-label="{escape(label)}" fill="{color(0)}" '
            f'fill-opacity="{BAND_OPACITY[min(k, 1)]}" stroke="none" points="{" ".join(edge)}"/>'
        )
    for j, (label, values) in enumerate(series.items()):
        pts = " ".join(
            f"{at(i):.1f},{top + ph - ph * min(v, ymax) / ymax:.1f}" for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline class="series" data-label="{escape(label)}" fill="none" '
            f'stroke="{color(j)}" stroke-width="2" points="{pts}"/>'
        )
    for k, (_, marks) in enumerate(dots.items()):
        j = len(series) + k
        for i, v in sorted(marks.items()):
            y = top + ph - ph * min(v, ymax) / ymax
            parts.append(f'<circle cx="{at(i):.1f}" cy="{y:.1f}" r="3.5" fill="{color(j)}"/>')
    kinds = [(label, color(j), "line") for j, label in enumerate(series)]
    kinds += [(label, color(len(series) + k), "dot") for k, label in enumerate(dots)]
    kinds += [(b[0], color(0), "band-inner" if k else "band") for k, b in enumerate(shaded)]
    parts += legend(kinds, left, top + ph + 44 + 10, pw)[0]
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    groups: dict[str, dict[str, float]],
    title: str,
    x_label: str = "",
    width: int = 680,
    bar: int = 12,
) -> str:
    """Horizontal bars: one group per row label (a member, say), one bar per series in it
    (a sharing rule), with a legend below; values at or above zero. Row labels get the
    room their longest one needs (up to half the width), never cut."""
    names = list(dict.fromkeys(k for values in groups.values() for k in values))
    widest = max((text_width(label) for label in groups), default=0.0)
    left, right, top = round(min(max(80.0, widest + 14), width / 2)), 24, 34
    row = bar * max(len(names), 1) + 10
    pw = width - left - right
    rows = legend_rows(names, pw)
    axis = top + row * len(groups)
    height = int(axis + 34 + rows * LEGEND_ROW + 8)
    xmax = _nice_max(max((v for g in groups.values() for v in g.values()), default=1.0))
    parts = [_svg_open(width, height, title, "bar")]
    for k in range(5):
        x = left + pw * k / 4
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{axis + 14}" font-size="11" text-anchor="middle">'
            f"{_fmt(xmax * k / 4)}</text>"
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{axis + 28}" font-size="11" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    for r, (label, values) in enumerate(groups.items()):
        y0 = top + r * row
        size = (
            11 if text_width(label) + 14 <= left else max(7, 11 * (left - 14) / text_width(label))
        )
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y0 + row / 2 + 2:.1f}" font-size="{size:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for j, name in enumerate(names):
            w = pw * max(values.get(name, 0.0), 0.0) / xmax
            parts.append(
                f'<rect class="series" data-label="{escape(name)}" x="{left:.1f}" '
                f'y="{y0 + j * bar}" width="{w:.1f}" height="{bar - 2}" fill="{color(j)}"/>'
            )
    items = [(name, color(j), "box") for j, name in enumerate(names)]
    parts += legend(items, left, axis + 34 + 12, pw)[0]
    parts.append("</svg>")
    return "".join(parts)


def sankey(
    links: list[tuple[str, str, float]],
    columns: list[list[str]],
    title: str,
    width: int = 680,
    height: int = 320,
) -> str:
    """A Sankey of ``links`` between consecutive ``columns`` of node labels."""
    top, pad, node_w = 30, 8, 12
    if not links:
        return _svg_open(width, 60, title, "sankey") + "</svg>"
    col_of = {name: k for k, col in enumerate(columns) for name in col}
    out_sum: dict[str, float] = {}
    in_sum: dict[str, float] = {}
    for a, b, v in links:
        out_sum[a] = out_sum.get(a, 0.0) + v
        in_sum[b] = in_sum.get(b, 0.0) + v
    size = {
        name: max(out_sum.get(name, 0.0), in_sum.get(name, 0.0)) for name in {*out_sum, *in_sum}
    }
    usable = height - top - 10
    scale = min(
        (usable - pad * (len([n for n in col if n in size]) - 1))
        / max(sum(size.get(n, 0) for n in col), 1e-12)
        for col in columns
        if any(n in size for n in col)
    )
    xs = [20 + (width - 140 - node_w) * k / max(len(columns) - 1, 1) for k in range(len(columns))]
    ypos: dict[str, float] = {}
    parts = [_svg_open(width, height, title, "sankey")]
    labels: list[str] = []  # drawn after the links, so no link hides a node's name
    for k, col in enumerate(columns):
        y, last = float(top), -math.inf
        for name in col:
            if name not in size:
                continue
            h = max(size[name] * scale, 1.0)
            ypos[name] = y
            parts.append(
                f'<rect class="node" x="{xs[k]:.1f}" y="{y:.1f}" width="{node_w}" height="{h:.1f}" '
                f'fill="{color(k * 3)}"/>'
            )
            label_y = max(y + h / 2 + 4, last + 13)  # thin nodes: names 13 px apart at least
            if label_y <= height - 3:  # else dropped; the links' tooltips still name it
                last = label_y
                labels.append(
                    f'<text class="node-label" x="{xs[k] + node_w + 4:.1f}" y="{label_y:.1f}" '
                    f'font-size="11" paint-order="stroke" stroke="#ffffff" stroke-width="3">'
                    f"{escape(name.strip())} {_fmt(size[name])}</text>"
                )
            y += h + pad
    out_off = dict.fromkeys(size, 0.0)
    in_off = dict.fromkeys(size, 0.0)
    for j, (a, b, v) in enumerate(sorted(links, key=lambda lk: (col_of[lk[0]], -lk[2]))):
        w = max(v * scale, 0.5)
        x0, x1 = xs[col_of[a]] + node_w, xs[col_of[b]]
        y0 = ypos[a] + out_off[a] + w / 2
        y1 = ypos[b] + in_off[b] + w / 2
        out_off[a] += w
        in_off[b] += w
        mx = (x0 + x1) / 2
        parts.append(
            f'<path class="link" d="M{x0:.1f},{y0:.1f} C{mx:.1f},{y0:.1f} {mx:.1f},{y1:.1f} '
            f'{x1:.1f},{y1:.1f}" stroke="{color(j)}" stroke-opacity="0.45" fill="none" '
            f'stroke-width="{w:.1f}"><title>{escape(a.strip())} → {escape(b.strip())}: '
            f"{_fmt(v)}</title></path>"
        )
    parts += labels
    parts.append("</svg>")
    return "".join(parts)


@cache
def world_outlines() -> dict[str, list[list[list[float]]]]:
    """Country outlines (lon, lat rings) from Natural Earth 1:110m, shipped with the package."""
    text = resources.files("oreshock.report").joinpath("maps", "world_110m.json").read_text("utf-8")
    return json.loads(text)["countries"]


def _shade(share: float) -> str:
    """Fill for a country: grey without output, light to dark red as its share grows."""
    if share <= 0:
        return "#dde3ea"
    k = min(1.0, math.sqrt(share))
    low, high = (253, 208, 162), (165, 15, 21)
    r, g, b = (round(a + (z - a) * k) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _ring_path(ring: list[list[float]], xy) -> str:
    """SVG path of one ring; a jump across the antimeridian starts a new stroke, not a line
    across the whole map."""
    out = []
    previous = None
    for lon, lat in ring:
        x, y = xy(lat, lon)
        jump = previous is None or abs(lon - previous) > 180
        out.append(f"{'M' if jump else 'L'}{x:.1f},{y:.1f}")
        previous = lon
    return "".join(out) + "Z"


Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_label(
    x: float, y: float, r: float, text: str, taken: list[Box], bounds: Box, size: float = 11
) -> tuple[float, float, str] | None:
    """Where a bubble's label goes: right of the bubble, else left, above, below, or on it,
    the first spot inside ``bounds`` that overlaps no label already placed; None when none
    is free (the label is dropped; the bubble's tooltip still names it)."""
    w, h = text_width(text, size) + 2, size * 1.25
    spots = (
        (x + r + 3, y + size * 0.35, "start", (x + r + 3, y - h / 2)),
        (x - r - 3, y + size * 0.35, "end", (x - r - 3 - w, y - h / 2)),
        (x, y - r - 4, "middle", (x - w / 2, y - r - 4 - h * 0.8)),
        (x, y + r + size, "middle", (x - w / 2, y + r + size - h * 0.8)),
        (x, y + size * 0.35, "middle", (x - w / 2, y - h / 2)),
    )
    for tx, ty, anchor, (bx, by) in spots:
        box = (bx, by, bx + w, by + h)
        inside = bounds[0] <= box[0] and bounds[1] <= box[1]
        inside = inside and box[2] <= bounds[2] and box[3] <= bounds[3]
        if inside and not any(_overlaps(box, other) for other in taken):
            taken.append(box)
            return tx, ty, anchor
    return None


def bubble_map(
    shares: dict[str, float],
    title: str,
    names: dict[str, str] | None = None,
    width: int = 720,
    height: int = 380,
    labels: int = 8,
) -> str:
    """World map of shares: countries shaded by share (Natural Earth outlines,
    equirectangular), with circles sized by share at their centroids, and the largest
    ``labels`` countries labelled by name (``names``: iso3 -> name in the reader's language)
    where a label fits without covering another."""
    top = 26
    ph = height - top
    cents = centroids()
    named = names or {}

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (lon + 180) / 360 * width, top + (90 - lat) / 180 * ph

    parts = [_svg_open(width, height, title, "map")]
    parts.append(f'<rect x="0" y="{top}" width="{width}" height="{ph}" fill="#eef4fa"/>')
    for lon in range(-180, 181, 30):
        x, _ = xy(0, lon)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height}" stroke="#cfdbe8"/>')
    for lat in range(-60, 91, 30):
        _, y = xy(lat, 0)
        parts.append(f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#cfdbe8"/>')
    for iso3, rings in world_outlines().items():
        if iso3 == "ATA":
            continue
        share = shares.get(iso3, 0.0)
        d = "".join(_ring_path(r, xy) for r in rings)
        parts.append(
            f'<path class="country" data-iso3="{iso3}" d="{d}" fill="{_shade(share)}" '
            f'stroke="#ffffff" stroke-width="0.4"><title>{escape(named.get(iso3, iso3))}: '
            f"{share_label(share)}</title></path>"
        )
    ranked = [
        (iso3, share)
        for iso3, share in sorted(shares.items(), key=lambda kv: -kv[1])
        if iso3 in cents and share > 0
    ]
    taken: list[Box] = []
    bounds = (2.0, top + 2.0, width - 2.0, height - 2.0)
    texts = []
    for rank, (iso3, share) in enumerate(ranked):
        x, y = xy(*cents[iso3])
        r = 3 + 40 * math.sqrt(share)
        name = escape(named.get(iso3, iso3))
        parts.append(
            f'<circle class="bubble" data-iso3="{iso3}" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'fill="#d62728" fill-opacity="0.45" stroke="#8b0000">'
            f"<title>{name}: {share_label(share)}</title></circle>"
        )
        if rank < labels:
            label = f"{named.get(iso3, iso3)} {share_label(share)}"
            spot = place_label(x, y, r, label, taken, bounds)
            if spot is not None:
                tx, ty, anchor = spot
                texts.append(
                    f'<text class="map-label" x="{tx:.1f}" y="{ty:.1f}" font-size="11" '
                    f'text-anchor="{anchor}" paint-order="stroke" stroke="#ffffff" '
                    f'stroke-width="3">{escape(label)}</text>'
                )
    parts += texts  # labels above every bubble, so none is hidden under a larger circle
    parts.append("</svg>")
    return "".join(parts)


def share_label(share: float) -> str:
    """A share as a percentage with two significant digits (94%, 1.2%, 0.3%)."""
    pct = 100 * share
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 0.1:
        return f"{pct:.2g}%"
    return "<0.1%" if pct > 0 else "0%"


END_USES_SHOWN = 8
"""Most end uses one chart draws: the first to fall short, then the hardest hit."""


def end_use_chart(
    series: pd.DataFrame, sectors: pd.DataFrame, names, iso3: str, labels: list[str]
) -> list[dict]:
    """The focus country's end uses that fall short, each one's monthly shortfall as a share
    of what it wants (``series``: a run's ``sector_series``; ``sectors``: its summaries, for
    names and order); none when no end use falls short or the run has no series."""
    if series.empty or sectors.empty:
        return []
    lang = names.lang
    hit = sectors[(sectors["country"] == iso3) & (sectors["cumulative_shortfall_pct"] > 0)]
    hit = hit.assign(first=hit["months_to_shortfall"].fillna(len(labels)))
    hit = hit.sort_values(["first", "cumulative_shortfall_pct"], ascending=[True, False])
    hit = hit.head(END_USES_SHOWN)
    named = hit[f"name_{lang}"].tolist()
    lines = {}
    for row, name in zip(hit.itertuples(index=False), named, strict=True):
        own = series[(series["country"] == iso3) & (series["mineral"] == row.mineral)
                     & (series["stage"] == row.stage) & (series["sector"] == row.sector)]  # fmt: skip
        wanted, short = own["wanted"].to_numpy(float), own["short"].to_numpy(float)
        label = (
            f"{name} ({names.product(row.mineral, row.stage)})" if named.count(name) > 1 else name
        )
        lines[label] = np.divide(
            100 * short, wanted, out=np.zeros_like(short), where=wanted > 0
        ).tolist()
    if not lines:
        return []
    title = t("chart_end_uses", lang, country=names.country(iso3))
    svg = line_chart(
        lines, labels, title, t("chart_end_uses_y", lang), x_label=t("chart_month", lang)
    )
    return [{"id": f"end-uses-{iso3}", "title": title, "svg": svg}]


def path_charts(ts, summary, names, iso3, mineral, stage, labels) -> list[dict]:
    lang = names.lang
    sname = names.product(mineral, stage)
    at_stage = summary[(summary["mineral"] == mineral) & (summary["stage"] == stage)]
    top = at_stage.sort_values("cumulative_shortfall_pct", ascending=False)
    countries = [iso3, *[c for c in top["country"] if c != iso3][:5]]
    stock_series, short_series = {}, {}
    for c in countries:
        stock = _path(ts, c, mineral, stage, "stock") + _path(ts, c, mineral, stage, "stockpile")
        short = _path(ts, c, mineral, stage, "shortfall")
        demand = _path(ts, c, mineral, stage, "demand")
        if stock.size:
            cover = np.divide(stock, demand, out=np.zeros_like(stock), where=demand > 0)
            stock_series[names.country(c)] = cover.tolist()
        if short.size:
            share = np.divide(100 * short, demand, out=np.zeros_like(short), where=demand > 0)
            short_series[names.country(c)] = share.tolist()
    by_stage = {}
    for st in summary[(summary["country"] == iso3) & (summary["mineral"] == mineral)]["stage"]:
        short = _path(ts, iso3, mineral, st, "shortfall")
        demand = _path(ts, iso3, mineral, st, "demand")
        by_stage[names.stage(mineral, st)] = np.divide(
            100 * short, demand, out=np.zeros_like(short), where=demand > 0
        ).tolist()
    figs = []
    for fid, key, series, unit in (
        ("stock", "chart_stock", stock_series, t("months_of_demand", lang)),
        ("shortfall", "chart_shortfall", short_series, "%"),
    ):
        title = t(key, lang, stage=sname)
        figs.append(
            {
                "id": f"{fid}-{iso3}",
                "title": title,
                "svg": line_chart(series, labels, title, unit, x_label=t("chart_month", lang)),
            }
        )
    title = t("chart_country_stages", lang, country=names.country(iso3))
    figs.append(
        {
            "id": f"stages-{iso3}",
            "title": title,
            "svg": line_chart(by_stage, labels, title, "%", x_label=t("chart_month", lang)),
        }
    )
    figs += price_chart(ts, names, mineral, stage, labels)
    return figs


def price_chart(ts, names, mineral: str, stage: str, labels) -> list[dict]:
    """The stage's price in USD/kg inside and outside China (none where the dataset has no
    base price for it)."""
    prices = {
        REGION_NAMES[region][names.lang]: path.tolist()
        for region in REGIONS
        if (path := _path(ts, region, mineral, stage, "price")).size
    }
    if not prices:
        return []
    title = t("chart_price", names.lang, stage=names.product(mineral, stage))
    return [
        {
            "id": f"price-{mineral}-{stage}",
            "title": title,
            "svg": line_chart(
                prices, labels, title, "USD/kg", x_label=t("chart_month", names.lang)
            ),
        }
    ]


def last_month_imports(
    flows: pd.DataFrame, iso3: str, mineral: str, stage: str
) -> dict[tuple[str, str], float]:
    """Tonnes into ``iso3`` of one stage in the run's last month, by (origin, exporter);
    empty when the run kept no flows."""
    if flows.empty:
        return {}
    sel = flows[
        (flows["importer"] == iso3) & (flows["mineral"] == mineral) & (flows["stage"] == stage)
    ]
    if sel.empty:
        return {}
    months = pd.to_datetime(sel["month"])
    totals = sel[months == months.max()].groupby(["origin", "exporter"])["value"].sum()
    return {
        (str(origin), str(exporter)): float(v)
        for (origin, exporter), v in zip(totals.index, totals.to_numpy(), strict=True)
    }


def sankey_charts(
    chain, comp, flows, ts, names, iso3, mineral, stage, start, n_months
) -> list[dict]:
    """Supply of ``iso3`` at a stage by origin -> supplier, base year and at the end of the run."""
    lang = names.lang
    s, c = chain.stage_index(stage), chain.index(iso3)
    suffix = t("origin_suffix", lang)
    home = names.country(iso3) + t("domestic", lang)
    named = names.country
    monthly = 1 / 12
    before: dict[tuple[str, str], float] = {}
    for e, exporter in enumerate(chain.countries):
        amount = float(chain.trade[s][e, c]) * monthly
        if amount <= 0:
            continue
        for o, orig in enumerate(chain.countries):
            share = float(comp[s][e, o])
            if share > 1e-6:
                key = (named(orig) + suffix, named(exporter))
                before[key] = before.get(key, 0.0) + amount * share
    prod = float(chain.production[c, s]) * monthly
    if prod > 0:
        before[(home, named(iso3))] = prod
    after: dict[tuple[str, str], float] = {}
    for (orig, exporter), v in last_month_imports(flows, iso3, mineral, stage).items():
        if v > 1e-6:
            after[(named(orig) + suffix, named(exporter))] = v
    prod_after = _path(ts, iso3, mineral, stage, "production")
    if prod_after.size and prod_after[-1] > 0:
        after[(home, named(iso3))] = float(prod_after[-1])
    figs = []
    sname = names.product(mineral, stage)
    for fid, pairs, title in (
        (
            "sankey-before",
            before,
            t("chart_sankey_before", lang, country=names.country(iso3), stage=sname),
        ),
        (
            "sankey-after",
            after,
            t(
                "chart_sankey_after",
                lang,
                country=names.country(iso3),
                stage=sname,
                month=month_label(start, n_months - 1, lang),
            ),
        ),
    ):
        links = [(o, e + " ", v) for (o, e), v in pairs.items()]
        into: dict[str, float] = {}
        for _, dest, v in links:
            into[dest] = into.get(dest, 0.0) + v
        links += [(e, named(iso3) + "  ", v) for e, v in into.items()]
        cols = [
            sorted({o for o, _, _ in links if o.endswith(suffix) or o == home}),
            sorted(into),
            [named(iso3) + "  "],
        ]
        figs.append({"id": f"{fid}-{iso3}", "title": title, "svg": sankey(links, cols, title)})
    return figs


def supplier_maps(chain, flows, ts, names, iso3, mineral, stage, start, n_months) -> list[dict]:
    """Where ``iso3``'s supply of a stage comes from, by the country that ships it (its own
    output included), as two maps: the base year's trade and output, and the run's last
    month (``flows``; none shown when the run kept no flows)."""
    lang = names.lang
    s, c = chain.stage_index(stage), chain.index(iso3)
    before = {
        exporter: float(chain.trade[s][e, c])
        for e, exporter in enumerate(chain.countries)
        if exporter != iso3 and chain.trade[s][e, c] > 0
    }
    if chain.production[c, s] > 0:
        before[iso3] = float(chain.production[c, s])
    after: dict[str, float] = {}
    for (_, exporter), v in last_month_imports(flows, iso3, mineral, stage).items():
        if v > 0:
            after[exporter] = after.get(exporter, 0.0) + v
    if (made := _path(ts, iso3, mineral, stage, "production")).size and made[-1] > 0:
        after[iso3] = float(made[-1])
    figs = []
    country, product = names.country(iso3), names.product(mineral, stage)
    for fid, amounts, title in (
        ("suppliers-before", before, t("chart_suppliers_before", lang, country=country, stage=product)),
        ("suppliers-after", after, t("chart_suppliers_after", lang, country=country, stage=product,
                                     month=month_label(start, n_months - 1, lang))),
    ):  # fmt: skip
        total = sum(amounts.values())
        if total <= 0:
            continue
        shares = {k: v / total for k, v in amounts.items()}
        svg = bubble_map(shares, title, names.countries)
        figs.append({"id": f"{fid}-{iso3}", "title": title, "svg": svg})
    return figs


def cover(stock: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Stock as months of demand (0 where there is no demand)."""
    return np.divide(stock, demand, out=np.zeros_like(stock), where=demand > 0)


def variant_charts(
    cases: dict[str, pd.DataFrame], names, iso3: str, mineral: str, stage: str, labels
) -> list[dict]:
    """The stored variants overlaid, one line each (``cases``: variant name -> its time
    series): the focus country's shortfall and stock cover at one stage, and the stage's
    price outside China, so the responses can be compared month by month."""
    if len(cases) < 2:
        return []
    lang, product = names.lang, names.product(mineral, stage)
    short, stock, price = {}, {}, {}
    for variant, ts in cases.items():
        demand = _path(ts, iso3, mineral, stage, "demand")
        gap = _path(ts, iso3, mineral, stage, "shortfall")
        held = _path(ts, iso3, mineral, stage, "stock") + _path(
            ts, iso3, mineral, stage, "stockpile"
        )
        if demand.size and gap.size:
            short[variant] = (100 * cover(gap, demand)).tolist()
        if demand.size and held.size:
            stock[variant] = cover(held, demand).tolist()
        if (path := _path(ts, OUTSIDE, mineral, stage, "price")).size:
            price[variant] = path.tolist()
    country = names.country(iso3)
    month = t("chart_month", lang)
    figs = []
    for fid, key, series, unit in (
        ("variants-shortfall", "chart_variants_shortfall", short, "%"),
        ("variants-stock", "chart_variants_stock", stock, t("months_of_demand", lang)),
        ("variants-price", "chart_variants_price", price, "USD/kg"),
    ):
        if len(series) > 1:
            title = t(key, lang, country=country, stage=product)
            figs.append(
                {
                    "id": f"{fid}-{iso3}",
                    "title": title,
                    "svg": line_chart(series, labels, title, unit, x_label=month),
                }
            )
    return figs
