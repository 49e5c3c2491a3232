"""The tile-grid map: one equal square per region, placed roughly where it lies (the layout is
the project's own data, dashboard/data/region_tiles.json), coloured by the region's overall
status or by one KPI against its target.

A heat map on the layout's grid: empty squares are gaps (no hover), ``scaleanchor`` keeps the
squares square whatever the width, every square carries its short label and, in ``customdata``,
the region page's address that a click opens (static/js/app.js).
"""

import json
from collections import Counter
from collections.abc import Sequence
from functools import cache, cached_property
from html import escape
from pathlib import Path

from django.utils.translation import gettext as _

from metrics.choices import ReportingStatus, ScheduleStatus

from ..templatetags.dashboard_tags import Formats, ru_date, status_label
from .base import INK, MUTED, _figure, _layout, _trace

TILES_PATH = Path(__file__).resolve().parent.parent / "data" / "region_tiles.json"

MODE_STATUS = "status"
# What colours a square in the status view, worst first as every list sorts them; a region that
# sent nothing for the week is «не отчитался» whatever its status.
NOT_REPORTED = "not_reported"
NO_STATUS = "no_status"
OUTSIDE = "outside"
CATEGORY_COLOURS = {
    ScheduleStatus.LATE: "#c0392b",
    ScheduleStatus.AT_RISK: "#f0a030",
    ScheduleStatus.INSUFFICIENT_DATA: "#a48fd1",
    ScheduleStatus.ON_TRACK: "#3b82c4",
    ScheduleStatus.DONE: "#2e8b57",
    ScheduleStatus.NOT_STARTED: "#cfd6de",
    NOT_REPORTED: "#39424c",
    NO_STATUS: "#e4e8ed",
}
# Labels in white on these, in ink on the others.
DARK_CATEGORIES = {ScheduleStatus.LATE, ScheduleStatus.ON_TRACK, ScheduleStatus.DONE, NOT_REPORTED}
# Squares of regions outside the federal district on screen: greyed, their labels muted.
OUTSIDE_COLOUR = "#f1f3f6"
NO_VALUE_COLOUR = "#d9dee4"
# The KPI view: red far below the target, pale just under it, green at and above it; light
# enough for the labels to stay legible in ink on every square.
BELOW_FAR, BELOW, BELOW_NEAR, AT_TARGET, ABOVE = "#e34a33", "#fdbb84", "#fee8c8", "#c7e9c0", "#41ab5d"
TILE_TEXT_SIZE = 10
HEIGHT = 540


@cache
def region_tiles() -> dict:
    """The layout: {"columns", "rows", "tiles": {code: {"code", "name", "label", "col", "row"}}}."""
    data = json.loads(TILES_PATH.read_text(encoding="utf-8"))
    return {
        "columns": data["columns"],
        "rows": data["rows"],
        "tiles": {tile["code"]: tile for tile in data["tiles"]},
    }


def category_label(category: str) -> str:
    """The legend's word for a category of the status view."""
    if category == NOT_REPORTED:
        return str(ReportingStatus.MISSING.label)
    if category == NO_STATUS:
        return _("нет расчёта")
    if category == OUTSIDE:
        return _("другие округа")
    return status_label(category)


def tile_category(row: dict) -> str:
    """A region's colour in the status view: «не отчитался» first, then its overall status."""
    if row.get("reporting") == ReportingStatus.MISSING:
        return NOT_REPORTED
    return row.get("status") or NO_STATUS


def tilemap_legend(rows: Sequence[dict], *, mode: str = MODE_STATUS, highlight: str | None = None) -> list[dict]:
    """The legend under the map: {"key", "label", "colour", "count"} per colour of grey or status.

    Status view: every category in severity order with the number of regions in it. KPI view:
    the greys (no value, not reported; the value scale is drawn apart). Counts are of the
    regions of ``highlight`` (a federal district code) when one is chosen, which then adds the
    grey of the other districts."""
    shown = [row for row in rows if highlight is None or row.get("federal_district") == highlight]
    if mode == MODE_STATUS:
        counts = Counter(tile_category(row) for row in shown)
        colours = CATEGORY_COLOURS
    else:
        counts = Counter(
            NOT_REPORTED if row.get("reporting") == ReportingStatus.MISSING else NO_STATUS
            for row in shown
            if row.get("value") is None
        )
        colours = {NO_STATUS: NO_VALUE_COLOUR, NOT_REPORTED: CATEGORY_COLOURS[NOT_REPORTED]}
    legend = [
        {
            "key": str(key),
            "label": _("нет данных") if mode != MODE_STATUS and key == NO_STATUS else category_label(key),
            "colour": colour,
            "count": counts.get(key, 0),
        }
        for key, colour in colours.items()
    ]
    if highlight is not None:
        legend.append({"key": OUTSIDE, "label": category_label(OUTSIDE), "colour": OUTSIDE_COLOUR, "count": None})
    return legend


def target_diverging_colorscale(target: float) -> list:
    """A colour scale over [0, 1] that diverges at ``target``: the change of hue is the target."""
    target = min(max(float(target), 0.0), 1.0)
    if target <= 0:
        return [[0, AT_TARGET], [1, ABOVE]]
    below = [[0, BELOW_FAR], [round(0.6 * target, 4), BELOW]]
    if target >= 0.999:
        return [*below, [0.999, BELOW_NEAR], [1, ABOVE]]
    return [*below, [round(target - 0.001, 4), BELOW_NEAR], [round(target, 4), AT_TARGET], [1, ABOVE]]


def colorscale_css(scale: list) -> str:
    """The same scale as a CSS gradient, for the legend under the map."""
    stops = ", ".join(f"{colour} {position * 100:.1f}%" for position, colour in scale)
    return f"linear-gradient(to right, {stops})"


class _HoverWords(Formats):
    """The words of the squares' hover texts, looked up once for the 89 squares."""

    @cached_property
    def status(self) -> str:
        return _("Статус")

    @cached_property
    def reporting_word(self) -> str:
        return _("Отчётность")

    @cached_property
    def goal(self) -> str:
        return _("цель")

    @cached_property
    def not_computed(self) -> str:
        return _("нет расчёта")


def _hover(row: dict, *, kpi_name: str, words: _HoverWords | None = None) -> str:
    """Name, status and since when, reporting, the KPI against its target: formatted here, in
    Russian, with the name escaped (plotly.js reads HTML in hover texts)."""
    words = words or _HoverWords()
    lines = [f"<b>{escape(row['code'])} {escape(row['name'])}</b>"]
    status = row.get("status")
    if status:
        since = row.get("status_since")
        lines.append(
            f"{words.status}: {escape(words.status_label(status))}"
            + (" " + words.since % {"day": ru_date(since)} if since else "")
        )
    else:
        lines.append(f"{words.status}: {words.not_computed}")
    reporting = row.get("reporting")
    if reporting:
        lines.append(f"{words.reporting_word}: {escape(words.reporting[ReportingStatus(reporting)])}")
    target = row.get("target")
    goal = f" ({words.goal} {words.percent(target, 0)})" if target is not None else ""
    value = words.percent(row["value"]) if row.get("value") is not None else words.no_data
    lines.append(f"{escape(kpi_name)}: {value}{goal}")
    return "<br>".join(lines)


class _Layer:
    """One heat map over the whole grid holding some of the squares (the others are gaps)."""

    def __init__(self, columns: int, rows: int):
        self.z = [[None] * columns for _ in range(rows)]
        # Empty, not None: plotly.js writes "null" in a gap of a layer drawn over another.
        self.text = [[""] * columns for _ in range(rows)]
        self.customdata = [[None] * columns for _ in range(rows)]
        self.used = False

    def put(self, tile: dict, z, text: str, customdata: list) -> None:
        r, c = tile["row"], tile["col"]
        self.z[r][c], self.text[r][c], self.customdata[r][c] = z, text, customdata
        self.used = True

    def trace(self, *, name: str, colorscale: list, zmin: float, zmax: float, text_colour: str) -> dict:
        return _trace(
            "heatmap",
            name=name,
            z=self.z,
            text=self.text,
            customdata=self.customdata,
            texttemplate="%{text}",
            textfont={"size": TILE_TEXT_SIZE, "color": text_colour},
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            showscale=False,
            xgap=3,
            ygap=3,
            hoverongaps=False,
            hovertemplate="%{customdata[1]}<extra></extra>",
        )


def _discrete_colorscale(colours: Sequence[str]) -> list:
    """Category i of n takes colours[i] over its band of [0, 1] (z is the index, zmin -0.5)."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[round(i / n, 6), colour], [round((i + 1) / n, 6), colour]]
    return scale


def tilemap_figure(
    *,
    rows: Sequence[dict],
    kpi_name: str,
    target: float | None = None,
    mode: str = MODE_STATUS,
    highlight: str | None = None,
    filename: str = "karta-regionov",
) -> dict:
    """The 89 squares. ``rows`` (region_map rows with ``url`` added): ``code``, ``name``,
    ``federal_district``, ``status``, ``status_since``, ``reporting``, ``value``, ``target``,
    ``met``, ``url``. ``mode``: MODE_STATUS colours by status; any other value colours by the
    KPI's value against ``target`` (red below, yellow near, green at or above; grey without a
    value). ``highlight``: a federal district code whose regions keep their colours while the
    others are greyed."""
    grid = region_tiles()
    columns, height, tiles = grid["columns"], grid["rows"], grid["tiles"]
    categories = list(CATEGORY_COLOURS)
    dark, light = _Layer(columns, height), _Layer(columns, height)
    by_value, outside = _Layer(columns, height), _Layer(columns, height)
    words = _HoverWords()
    for row in rows:
        tile = tiles.get(row["code"])
        if tile is None:
            continue
        label = escape(tile["label"])
        extra = [row.get("url") or "", _hover(row, kpi_name=kpi_name, words=words)]
        if highlight is not None and row.get("federal_district") != highlight:
            outside.put(tile, 0, label, extra)
            continue
        if mode != MODE_STATUS and row.get("value") is not None:
            by_value.put(tile, row["value"], f"{label}<br>{words.percent(row['value'], 0)}", extra)
            continue
        category = tile_category(row)
        if mode != MODE_STATUS and category != NOT_REPORTED:
            category = NO_STATUS  # no value, no KPI colour: grey (dark when nothing was sent)
        (dark if category in DARK_CATEGORIES else light).put(tile, categories.index(category), label, extra)
    colours = [CATEGORY_COLOURS[key] for key in categories]
    if mode != MODE_STATUS:
        colours[categories.index(NO_STATUS)] = NO_VALUE_COLOUR
    discrete = {"colorscale": _discrete_colorscale(colours), "zmin": -0.5, "zmax": len(categories) - 0.5}
    layers = [
        (light, {"name": "status", "text_colour": INK, **discrete}),
        (dark, {"name": "status-dark", "text_colour": "#ffffff", **discrete}),
        (by_value, {"name": "value", "text_colour": INK, "zmin": 0, "zmax": 1,
                    "colorscale": target_diverging_colorscale(1.0 if target is None else target)}),
        (outside, {"name": "outside", "text_colour": MUTED, "zmin": 0, "zmax": 1,
                   "colorscale": [[0, OUTSIDE_COLOUR], [1, OUTSIDE_COLOUR]]}),
    ]  # fmt: skip
    data = [layer.trace(**options) for layer, options in layers if layer.used]
    axis = {"visible": False, "fixedrange": True, "showgrid": False, "zeroline": False}
    layout = _layout(
        height=HEIGHT,
        margin={"l": 4, "r": 4, "t": 4, "b": 4, "pad": 0},
        hovermode="closest",
        dragmode=False,
        xaxis=axis | {"range": [-0.5, columns - 0.5], "constrain": "domain"},
        yaxis=axis | {"range": [height - 0.5, -0.5], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
    )
    return _figure(data, layout, filename=filename)
