"""Chart functions on small plain data: traces, target lines, stage markers, escaping, formats."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import plotly.graph_objects as go
import pytest
from django.core.serializers.json import DjangoJSONEncoder

from dashboard.charts import (
    heatmap_figure,
    kpi_series_figure,
    ranking_figure,
    region_reporting_figure,
    reporting_rate_figure,
    roadmap_timeline_figure,
    short_label,
    stage_marker_groups,
    target_colorscale,
)
from dashboard.templatetags.dashboard_tags import number, percent, points
from metrics.kpi import StagePlan

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
STAFF, OFFICIALS = "staff_weekly_active", "officials_active"

FEDERAL = [
    StagePlan(1, "Перевод рабочего общения управленческого состава", date(2025, 8, 1), date(2025, 8, 31),
              kinds=("authority_regional",), targets={OFFICIALS: Decimal("1")}),
    StagePlan(2, "Начало перевода школ в пилотных регионах", date(2025, 9, 1), date(2025, 9, 15),
              kinds=("school",), pilot_only=True, targets={STAFF: Decimal("0.75")}),
    StagePlan(3, "Массовый перевод аудитории Сферума в MAX", date(2025, 9, 15), date(2025, 10, 31),
              targets={STAFF: Decimal("0.75")}),
    StagePlan(4, "Полное завершение перевода", date(2025, 11, 1), date(2025, 11, 1),
              targets={STAFF: Decimal("0.75"), OFFICIALS: Decimal("1")}),
]  # fmt: skip


def dumped(figure) -> str:
    """The figure as the page ships it (json_script uses DjangoJSONEncoder)."""
    return json.dumps(figure, cls=DjangoJSONEncoder, ensure_ascii=False)


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name", "").startswith(name))


# --- formats -------------------------------------------------------------------------------------


def test_percentages_and_points_are_written_the_russian_way():
    assert percent(0.7532) == "75,3\u00a0%"
    assert percent(1) == "100,0\u00a0%"
    assert percent(0.75, 0) == "75\u00a0%"
    assert percent(None) == "—"
    assert points(0.021) == "+2,1\u00a0п.\u00a0п."
    assert points(-0.015) == "\u22121,5\u00a0п.\u00a0п."
    assert points(-0.0001) == "0,0\u00a0п.\u00a0п."
    assert points(None) == ""
    assert number(1234567) == "1\u00a0234\u00a0567"


def test_short_label_keeps_short_names_and_cuts_long_ones():
    assert short_label("Москва") == "Москва"
    cut = short_label("Ханты-Мансийский автономный округ — Югра")
    assert len(cut) <= 28 and cut.endswith("…")


# --- ranking -------------------------------------------------------------------------------------


def items():
    return [
        {"label": "77 Москва", "name": "77 Москва", "value": 0.9, "met": True, "orgs_reported": 9, "orgs_total": 10},
        {"label": HOSTILE, "name": HOSTILE, "value": 0.5, "met": False, "orgs_reported": 1, "orgs_total": 1},
        {"label": "79 ЕАО", "name": "79 Еврейская автономная область", "value": None, "met": None},
    ]


def test_ranking_draws_one_bar_per_item_in_order_with_the_target_line():
    figure = ranking_figure(items=items(), target=0.75, kpi_name="Активность работников")
    (bars,) = figure["data"]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert bars["y"] == ["77 Москва", ESCAPED, "79 ЕАО"]
    assert bars["x"] == [0.9, 0.5, 0]
    assert bars["text"] == ["90,0\u00a0%", "50,0\u00a0%", "нет данных"]
    colours = bars["marker"]["color"]
    assert colours[0] != colours[1] != colours[2]
    (target,) = figure["layout"]["shapes"]
    assert (target["x0"], target["x1"], target["yref"]) == (0.75, 0.75, "paper")
    assert "75\u00a0%" in figure["layout"]["annotations"][0]["text"]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # best on top


def test_ranking_escapes_names_in_labels_and_hover():
    figure = ranking_figure(items=items(), target=0.75, kpi_name="<b>KPI</b>")
    text = dumped(figure)
    assert "<img" not in text
    assert figure["data"][0]["customdata"][1][0] == ESCAPED
    assert figure["data"][0]["meta"] == ["&lt;b&gt;KPI&lt;/b&gt;"]
    # Names travel as data, never inside the hover template plotly.js parses.
    assert "Москва" not in figure["data"][0]["hovertemplate"]


def test_ranking_height_grows_with_the_rows():
    few = ranking_figure(items=items()[:1], target=0.3, kpi_name="k")
    many = ranking_figure(items=items() * 30, target=0.3, kpi_name="k")
    assert few["layout"]["height"] < many["layout"]["height"]
    assert many["layout"]["height"] >= 90 * 15


# --- heat map -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [0.0, 0.3, 0.75, 1.0])
def test_colour_scale_rises_from_zero_to_one(target):
    stops = [stop for stop, _colour in target_colorscale(target)]
    assert stops[0] == 0 and stops[-1] == 1
    assert stops == sorted(stops) and len(set(stops)) == len(stops)


def test_heatmap_has_a_cell_per_row_and_week_and_frames_the_selected_week():
    weeks = [date(2025, 10, 13), date(2025, 10, 20), date(2025, 10, 27)]
    rows = [
        {"label": "62 Рязанская область", "name": "62 Рязанская область", "values": [0.5, None, 0.8]},
        {"label": HOSTILE, "name": HOSTILE, "values": [0.1, 0.2, 0.3]},
    ]
    figure = heatmap_figure(rows=rows, weeks=weeks, target=0.75, kpi_name="Активность", selected_week=weeks[1])
    (cells,) = figure["data"]
    assert cells["z"] == [[0.5, None, 0.8], [0.1, 0.2, 0.3]]
    assert cells["x"] == ["13.10.25", "20.10.25", "27.10.25"]  # with the year, always
    assert cells["y"] == ["62 Рязанская область", ESCAPED]
    assert cells["text"][0] == ["50,0\u00a0%", "—", "80,0\u00a0%"]
    (frame,) = figure["layout"]["shapes"]
    assert (frame["x0"], frame["x1"]) == (0.5, 1.5)
    assert "<img" not in dumped(figure)


def test_heatmap_spanning_years_writes_the_year():
    weeks = [date(2025, 12, 29), date(2026, 1, 5)]
    figure = heatmap_figure(
        rows=[{"label": "a", "name": "a", "values": [0.1, 0.2]}], weeks=weeks, target=1, kpi_name="k"
    )
    assert figure["data"][0]["x"] == ["29.12.25", "05.01.26"]


# --- weekly series ----------------------------------------------------------------------------


def series():
    return [
        {"week": date(2025, 9, 29), "value": 0.40, "met": False, "delta": None, "orgs_reported": 5, "orgs_total": 6},
        {"week": date(2025, 10, 6), "value": 0.50, "met": False, "delta": 0.10, "orgs_reported": 6, "orgs_total": 6},
        {"week": date(2025, 10, 13), "value": 0.60, "met": False, "delta": 0.10, "orgs_reported": 6, "orgs_total": 6},
    ]


def test_series_draws_actual_target_and_plan():
    figure = kpi_series_figure(
        code=STAFF, kpi_name="Активность работников", target=0.75, series=series(), stages=FEDERAL
    )
    actual = trace(figure, "Факт")
    assert actual["x"] == ["2025-09-29", "2025-10-06", "2025-10-13"]
    assert actual["y"] == [0.40, 0.50, 0.60]
    assert actual["customdata"][1][:2] == ["50,0\u00a0%", "+10,0\u00a0п.\u00a0п."]
    assert actual["customdata"][1][3] == "6 из 6"
    target = trace(figure, "Цель")
    assert target["y"] == [0.75, 0.75]
    assert target["x"] == list(figure["layout"]["xaxis"]["range"])
    plan = trace(figure, "План")
    planned = dict(zip(plan["x"], plan["y"], strict=True))
    # Judged at the week's Sunday: 6 of the pilot stage's 14 days gone.
    assert planned["2025-09-01"] == pytest.approx(0.75 * 6 / 14)
    # The pilot stage (and the mass move after it) are at target from their deadlines on.
    assert planned["2025-10-27"] == pytest.approx(0.75)
    assert max(plan["y"]) == pytest.approx(0.75)
    assert figure["layout"]["yaxis"]["tickformat"] == ".0%"
    assert figure["layout"]["separators"] == ", "


def test_series_marks_the_deadlines_of_the_stages_due_for_the_kpi():
    figure = kpi_series_figure(code=STAFF, kpi_name="k", target=0.75, series=series(), stages=FEDERAL)
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line"]
    # Stage 1 is about officials only; stages 3 (31.10) and 4 (01.11) share one marker.
    assert [line["x0"] for line in lines] == ["2025-09-15", "2025-11-01"]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert labels == ["Этап 2", "Этап 3, 4"]
    officials = kpi_series_figure(code=OFFICIALS, kpi_name="k", target=1, series=series(), stages=FEDERAL)
    assert [s["x0"] for s in officials["layout"]["shapes"] if s["type"] == "line"] == ["2025-08-31", "2025-11-01"]


def test_stage_marker_groups_join_deadlines_less_than_a_week_apart():
    groups = stage_marker_groups(FEDERAL, STAFF)
    assert [[s.order for s in g["stages"]] for g in groups] == [[2], [3, 4]]
    assert groups[1]["deadline"] == date(2025, 11, 1)


def test_series_draws_the_projection_to_the_target():
    projected = date(2025, 11, 3)
    figure = kpi_series_figure(
        code=STAFF, kpi_name="k", target=0.75, series=series(), stages=FEDERAL, projected=projected
    )
    projection = trace(figure, "Прогноз")
    assert projection["name"] == "Прогноз: 03.11.2025"
    assert projection["x"] == ["2025-10-13", "2025-11-03"]
    assert projection["y"] == [0.60, 0.75]


def test_series_leaves_out_a_projection_far_beyond_the_plan_or_absent():
    far = kpi_series_figure(
        code=STAFF, kpi_name="k", target=0.75, series=series(), stages=FEDERAL, projected=date(2027, 1, 4)
    )
    none = kpi_series_figure(code=STAFF, kpi_name="k", target=0.75, series=series(), stages=FEDERAL)
    for figure in (far, none):
        assert not any(t.get("name", "").startswith("Прогноз") for t in figure["data"])


def test_series_escapes_the_scope_name_and_shades_the_selected_week():
    figure = kpi_series_figure(
        code=STAFF,
        kpi_name="k",
        target=0.75,
        series=series(),
        stages=FEDERAL,
        selected_week=date(2025, 10, 6),
        scope_name=HOSTILE,
    )
    actual = trace(figure, "Факт")
    assert actual["meta"][0] == ESCAPED
    assert "<img" not in dumped(figure)
    band = next(s for s in figure["layout"]["shapes"] if s["type"] == "rect")
    assert (band["x0"], band["x1"]) == ("2025-10-06", "2025-10-13")


def test_series_without_data_or_plan_is_an_empty_chart():
    figure = kpi_series_figure(code=STAFF, kpi_name="k", target=0.75, series=[], stages=[])
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "нет данных"


def test_series_of_a_scope_without_coverage_leaves_the_line_out():
    points_only = [{"week": date(2025, 10, 6), "value": 0.5, "met": False}]
    figure = kpi_series_figure(code=STAFF, kpi_name="k", target=0.75, series=points_only, stages=[])
    actual = trace(figure, "Факт")
    assert "Отчитались" not in actual["hovertemplate"]
    assert "План" not in actual["hovertemplate"]


# --- roadmap timeline ----------------------------------------------------------------------------


def test_timeline_draws_every_stage_and_today():
    figure = roadmap_timeline_figure(stages=FEDERAL, today=date(2025, 9, 20), selected_week=date(2025, 9, 15))
    bars, deadlines = figure["data"]
    assert bars["base"] == ["2025-08-01", "2025-09-01", "2025-09-15", "2025-11-01"]
    day = 24 * 3600 * 1000
    assert bars["x"] == [31 * day, 15 * day, 47 * day, day]
    assert bars["y"][1] == "2. Начало перевода школ в пилотных<br>регионах"
    assert deadlines["text"] == ["до 31.08.25", "до 15.09.25", "до 31.10.25", "до 01.11.25"]
    today = next(s for s in figure["layout"]["shapes"] if s["type"] == "line")
    assert today["x0"] == "2025-09-20"
    assert "сегодня" in figure["layout"]["annotations"][0]["text"]
    # Past, current and future stages are told apart by colour.
    colours = bars["marker"]["color"]
    assert colours[0] == colours[1] != colours[2] != colours[3]


def test_timeline_names_today_at_the_edge_when_it_is_far_after_the_plan():
    figure = roadmap_timeline_figure(stages=FEDERAL, today=date(2026, 11, 24))
    assert not figure["layout"].get("shapes")
    (note,) = figure["layout"]["annotations"]
    assert note["text"].endswith("24.11.2026 →")
    assert figure["layout"]["xaxis"]["range"][1] < "2026-01-01"


def test_date_axes_write_the_year_at_every_zoom():
    for figure in (
        roadmap_timeline_figure(stages=FEDERAL, today=date(2025, 9, 20)),
        kpi_series_figure(code="staff_weekly_active", kpi_name="k", target=0.75, series=series()),
    ):
        stops = figure["layout"]["xaxis"]["tickformatstops"]
        assert all("%Y" in stop["value"] for stop in stops)


def test_timeline_widens_to_a_week_on_screen_near_the_plan():
    week = date(2025, 12, 22)
    figure = roadmap_timeline_figure(stages=FEDERAL, today=date(2025, 9, 20), selected_week=week)
    (band,) = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    low, high = figure["layout"]["xaxis"]["range"]
    assert low <= band["x0"] and band["x1"] <= high  # the band is on the chart, not past its edge


@pytest.mark.parametrize(("week", "arrow"), [(date(2026, 11, 23), "→"), (date(2025, 1, 6), "←")])
def test_timeline_names_a_week_far_from_the_plan_at_its_edge(week, arrow):
    figure = roadmap_timeline_figure(stages=FEDERAL, today=date(2025, 9, 20), selected_week=week)
    assert not [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    notes = [a["text"] for a in figure["layout"]["annotations"] if "неделя с" in a["text"]]
    assert notes == [f"неделя с {week:%d.%m.%Y} →" if arrow == "→" else f"← неделя с {week:%d.%m.%Y}"]


def test_series_window_holds_the_week_on_screen_before_the_first_value():
    week = date(2025, 9, 1)
    figure = kpi_series_figure(
        code="staff_weekly_active", kpi_name="k", target=0.75, series=series(), selected_week=week
    )
    (band,) = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    low, high = figure["layout"]["xaxis"]["range"]
    assert low <= band["x0"] and band["x1"] <= high


def test_timeline_escapes_titles_and_marks_pilot_only_stages():
    stage = StagePlan(1, HOSTILE, date(2025, 8, 1), date(2025, 8, 31), pilot_only=True)
    figure = roadmap_timeline_figure(stages=[stage], today=date(2025, 8, 10))
    assert "<img" not in dumped(figure)
    assert "(пилотные регионы)" in figure["data"][0]["y"][0].replace("<br>", " ")


def test_figures_carry_their_config_and_serialise():
    figure = ranking_figure(items=items(), target=0.75, kpi_name="k", filename="reiting")
    assert figure["config"]["displaylogo"] is False
    assert figure["config"]["toImageButtonOptions"]["filename"] == "reiting"
    assert json.loads(dumped(figure))["layout"]["template"]


def test_timeline_colours_stages_by_their_schedule_status():
    statuses = {1: "late", 2: "done", 3: "on_track", 4: "not_started"}
    figure = roadmap_timeline_figure(stages=FEDERAL, today=date(2026, 11, 24), statuses=statuses)
    colours = figure["data"][0]["marker"]["color"]
    assert len(set(colours)) == 4
    assert "Статус: Просрочено" in figure["data"][0]["hovertext"][0]


def test_percent_below_a_full_target_never_reads_as_full():
    from dashboard.templatetags.dashboard_tags import percent

    assert percent(0.9997) == "99,9\u00a0%"
    assert percent(1.0) == "100,0\u00a0%"
    assert percent(0.753) == "75,3\u00a0%"


# --- validity: the figures are plain dicts, plotly's own validation checks them here -------------


def every_figure() -> dict:
    weeks = [date(2025, 10, 13), date(2025, 10, 20)]
    heat_rows = [{"label": "62", "name": "62 Рязанская область", "values": [0.5, None]}]
    return {
        "ranking": ranking_figure(items=items(), target=0.75, kpi_name="k"),
        "heatmap": heatmap_figure(rows=heat_rows, weeks=weeks, target=0.75, kpi_name="k", selected_week=weeks[0]),
        "series": kpi_series_figure(
            code=STAFF,
            kpi_name="k",
            target=0.75,
            series=series(),
            stages=FEDERAL,
            projected=date(2025, 11, 3),
            selected_week=date(2025, 10, 6),
            scope_name="Рязанская область",
        ),
        "series_empty": kpi_series_figure(code=STAFF, kpi_name="k", target=0.75, series=[], stages=[]),
        "timeline": roadmap_timeline_figure(
            stages=FEDERAL, today=date(2025, 9, 20), selected_week=date(2025, 9, 15), statuses={1: "done"}
        ),
        "timeline_far": roadmap_timeline_figure(stages=FEDERAL, today=date(2026, 11, 24)),
        "timeline_week_far": roadmap_timeline_figure(
            stages=FEDERAL, today=date(2026, 11, 24), selected_week=date(2026, 11, 16)
        ),
        "timeline_empty": roadmap_timeline_figure(stages=[], today=date(2025, 9, 20)),
        "reporting_rate": reporting_rate_figure(weeks=reporting_weeks(), selected_week=weeks[1]),
        "reporting_rate_empty": reporting_rate_figure(weeks=[]),
        "region_reporting": region_reporting_figure(
            series=region_reporting_series(), coverage_min=0.9, selected_week=weeks[0]
        ),
        "region_reporting_empty": region_reporting_figure(series=[], coverage_min=0.9),
    }


def reporting_weeks() -> list[dict]:
    return [
        {"week": date(2025, 10, 13), "counts": {"on_time": 60, "late": 20, "partial": 5, "missing": 4}, "total": 89},
        {"week": date(2025, 10, 20), "counts": {"on_time": 70, "late": 10, "partial": 5, "missing": 4}, "total": 89},
    ]


def region_reporting_series() -> list[dict]:
    moment = datetime(2025, 10, 21, 8, 30, tzinfo=UTC)
    return [
        {"week": date(2025, 10, 13), "status": "missing", "orgs_reported": 0, "orgs_total": 10, "coverage": 0.0,
         "last_upload_at": None},
        {"week": date(2025, 10, 20), "status": "on_time", "orgs_reported": 10, "orgs_total": 10, "coverage": 1.0,
         "last_upload_at": moment},
    ]  # fmt: skip


def test_reporting_rate_stacks_the_share_of_regions_per_status_on_time_at_the_bottom():
    figure = reporting_rate_figure(weeks=reporting_weeks())
    assert [trace["name"] for trace in figure["data"]] == LEGEND
    assert figure["layout"]["barmode"] == "stack"
    on_time = figure["data"][0]
    assert on_time["y"] == pytest.approx([60 / 89, 70 / 89])
    assert on_time["customdata"][0][1:3] == ["60", "89"]


LEGEND = ["в срок", "с опозданием", "частично", "не отчитался"]


def test_region_reporting_colours_each_week_by_its_status_with_the_coverage_threshold():
    figure = region_reporting_figure(series=region_reporting_series(), coverage_min=0.9)
    bars = figure["data"][0]
    assert bars["marker"]["color"][0] != bars["marker"]["color"][1]
    assert bars["y"][1] == 1.0 and bars["y"][0] > 0  # a week with nothing still shows a stub
    assert bars["showlegend"] is False and [t["name"] for t in figure["data"][1:]] == LEGEND
    assert bars["customdata"][1][1] == "в срок" and bars["customdata"][1][4] == "21.10.2025 11:30"
    assert figure["layout"]["shapes"][-1]["y0"] == 0.9


@pytest.mark.parametrize("name", list(every_figure()))
def test_figures_are_valid_for_plotly(name):
    figure = every_figure()[name]
    # Raises ValueError on any property or value plotly.js would not take.
    validated = go.Figure(data=figure["data"], layout=figure["layout"]).to_plotly_json()
    # ... and the traces are the JSON plotly's own objects would ship.
    assert json.loads(dumped(validated["data"])) == json.loads(dumped(figure["data"]))


def test_series_figure_is_byte_for_byte_the_one_before_its_split_into_trace_builders():
    # kpi_series_figure.json was written by the single-function version on the page's richest input
    # (plan, target, values, projection, week band, stage markers); a deliberate change rewrites it.
    golden = json.loads(Path(__file__).with_name("kpi_series_figure.json").read_text(encoding="utf-8"))
    assert dumped(every_figure()["series"]) == dumped(golden)


def test_plotly_validation_catches_a_wrong_property():
    figure = every_figure()["ranking"]
    figure["data"][0]["orientatoin"] = "h"
    with pytest.raises(ValueError, match="orientatoin"):
        go.Figure(data=figure["data"], layout=figure["layout"])
