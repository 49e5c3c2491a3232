"""The tile map's figure (dashboard/charts/tilemap.py) on plain rows: 89 squares, colours by
status (not reported and insufficient data included) or by a KPI against its target, links,
escaped hovers, the district view and the legend."""

from datetime import date

import plotly.graph_objects as go
import pytest

from dashboard.charts import region_tiles, tilemap_figure, tilemap_legend
from dashboard.charts.tilemap import (
    CATEGORY_COLOURS,
    NO_STATUS,
    NOT_REPORTED,
    OUTSIDE_COLOUR,
    target_diverging_colorscale,
)
from metrics.choices import ReportingStatus, ScheduleStatus

HOSTILE = "<img src=x onerror=alert(1)>"
CATEGORIES = list(CATEGORY_COLOURS)


def rows(**changes) -> list[dict]:
    """A row per region of the layout, on track and reported, 80 % of the KPI; ``changes`` by code."""
    result = []
    for code, tile in sorted(region_tiles()["tiles"].items()):
        row = {
            "code": code,
            "name": tile["name"],
            "federal_district": "ЦФО" if code in ("62", "77", "50") else "ПФО",
            "status": ScheduleStatus.ON_TRACK,
            "status_since": date(2025, 10, 13),
            "reporting": ReportingStatus.ON_TIME,
            "value": 0.8,
            "target": 0.75,
            "met": True,
            "url": f"/regions/{code}/",
        }
        result.append(row | changes.get(code, {}))
    return result


def cells(figure):
    """(trace name, row, col) -> (z, text, customdata) of every square drawn."""
    found = {}
    for trace in figure["data"]:
        for r, line in enumerate(trace["z"]):
            for c, z in enumerate(line):
                if z is not None:
                    found[(trace["name"], r, c)] = (z, trace["text"][r][c], trace["customdata"][r][c])
    return found


def square(figure, code):
    tile = region_tiles()["tiles"][code]
    [(name, z, text, extra)] = [
        (name, *value) for (name, r, c), value in cells(figure).items() if (r, c) == (tile["row"], tile["col"])
    ]
    return name, z, text, extra


def test_every_region_is_one_square_with_its_label_and_the_figure_is_valid_plotly():
    figure = tilemap_figure(rows=rows(), kpi_name="Активность работников", target=0.75)
    go.Figure(figure["data"], figure["layout"])  # plotly's own validation of every property
    drawn = cells(figure)
    assert len(drawn) == 89
    assert len({(r, c) for _name, r, c in drawn}) == 89
    labels = {text for _z, text, _extra in drawn.values()}
    assert {"Мск", "СПб", "Ряз", "Сам", "Якут"} <= labels
    for trace in figure["data"]:
        assert trace["type"] == "heatmap" and trace["hoverongaps"] is False
        assert trace["xgap"] > 0 and trace["ygap"] > 0
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"


def test_squares_are_coloured_by_status_and_not_reported_wins_over_status():
    figure = tilemap_figure(
        rows=rows(
            **{
                "62": {"status": ScheduleStatus.LATE},
                "63": {"status": ScheduleStatus.INSUFFICIENT_DATA},
                "77": {"status": ScheduleStatus.DONE, "reporting": ReportingStatus.MISSING, "value": None},
                "14": {"status": None, "reporting": None},
            }
        ),
        kpi_name="Активность работников",
        target=0.75,
    )
    assert square(figure, "62")[1] == CATEGORIES.index(ScheduleStatus.LATE)
    assert square(figure, "63")[1] == CATEGORIES.index(ScheduleStatus.INSUFFICIENT_DATA)
    assert square(figure, "77")[1] == CATEGORIES.index(NOT_REPORTED)
    assert square(figure, "14")[1] == CATEGORIES.index(NO_STATUS)
    assert square(figure, "01")[1] == CATEGORIES.index(ScheduleStatus.ON_TRACK)
    # One discrete colour per category: z = index falls in its own band of the scale.
    trace = next(t for t in figure["data"] if t["name"].startswith("status"))
    n = len(CATEGORIES)
    assert (trace["zmin"], trace["zmax"]) == (-0.5, n - 0.5)
    bands = dict(trace["colorscale"][::2])
    assert bands[round(CATEGORIES.index(ScheduleStatus.LATE) / n, 6)] == CATEGORY_COLOURS[ScheduleStatus.LATE]
    assert bands[round(CATEGORIES.index(NOT_REPORTED) / n, 6)] == CATEGORY_COLOURS[NOT_REPORTED]


def test_each_square_carries_its_region_url_and_an_escaped_dated_hover():
    figure = tilemap_figure(
        rows=rows(**{"62": {"name": HOSTILE, "status": ScheduleStatus.AT_RISK, "value": 0.7312}}),
        kpi_name="Активность работников",
        target=0.75,
    )
    _name, _z, _text, (url, hover) = square(figure, "62")
    assert url == "/regions/62/"
    assert HOSTILE not in hover and "&lt;img" in hover
    assert "Под угрозой с 13.10.2025" in hover
    assert "73,1\u00a0%" in hover and "цель 75\u00a0%" in hover
    assert all(t["hovertemplate"] == "%{customdata[1]}<extra></extra>" for t in figure["data"])


def test_the_kpi_view_colours_by_value_around_the_target_and_greys_squares_without_one():
    figure = tilemap_figure(
        rows=rows(
            **{
                "62": {"value": 0.5, "met": False},
                "63": {"value": None, "met": None, "reporting": ReportingStatus.MISSING},
                "77": {"value": None, "met": None, "reporting": ReportingStatus.PARTIAL},
            }
        ),
        kpi_name="Активность работников",
        target=0.75,
        mode="staff_weekly_active",
    )
    go.Figure(figure["data"], figure["layout"])
    name, z, text, _extra = square(figure, "62")
    assert (name, z) == ("value", 0.5) and text.endswith("50\u00a0%")
    assert square(figure, "63")[1] == CATEGORIES.index(NOT_REPORTED)
    assert square(figure, "77")[1] == CATEGORIES.index(NO_STATUS)
    values = next(t for t in figure["data"] if t["name"] == "value")
    assert values["colorscale"] == target_diverging_colorscale(0.75)
    assert (values["zmin"], values["zmax"]) == (0, 1)


@pytest.mark.parametrize("target", [0.0, 0.3, 0.75, 1.0])
def test_the_diverging_scale_changes_hue_at_the_target(target):
    scale = target_diverging_colorscale(target)
    assert scale[0][0] == 0 and scale[-1][0] == 1
    assert [p for p, _c in scale] == sorted(p for p, _c in scale)
    below = [colour for position, colour in scale if position < target]
    at_or_above = [colour for position, colour in scale if position >= target]
    assert not set(below) & set(at_or_above)


def test_the_district_view_keeps_its_regions_coloured_and_greys_the_others():
    figure = tilemap_figure(rows=rows(), kpi_name="Активность работников", target=0.75, highlight="ЦФО")
    go.Figure(figure["data"], figure["layout"])
    assert square(figure, "62")[0].startswith("status")
    outside = square(figure, "63")
    assert outside[0] == "outside" and outside[3][0] == "/regions/63/"
    trace = next(t for t in figure["data"] if t["name"] == "outside")
    assert trace["colorscale"][0][1] == OUTSIDE_COLOUR
    assert sum(1 for (name, _r, _c) in cells(figure) if name == "outside") == 86


def test_the_legend_counts_the_regions_of_each_status_in_severity_order():
    data = rows(
        **{
            "62": {"status": ScheduleStatus.LATE},
            "63": {"status": ScheduleStatus.LATE},
            "77": {"reporting": ReportingStatus.MISSING},
        }
    )
    legend = tilemap_legend(data)
    assert [item["key"] for item in legend] == [str(key) for key in CATEGORY_COLOURS]
    counts = {item["key"]: item["count"] for item in legend}
    assert counts["late"] == 2 and counts[NOT_REPORTED] == 1 and counts["on_track"] == 86
    district = {item["key"]: item["count"] for item in tilemap_legend(data, highlight="ЦФО")}
    assert district["late"] == 1 and district[NOT_REPORTED] == 1 and district["outside"] is None
    kpi_view = tilemap_legend(rows(**{"62": {"value": None}}), mode="staff_weekly_active")
    assert [(item["key"], item["count"]) for item in kpi_view] == [(NO_STATUS, 1), (NOT_REPORTED, 0)]
