"""The weekly series of one KPI against its target, the plan and the roadmap."""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from html import escape
from typing import NamedTuple

from django.utils.translation import gettext as _

from metrics.kpi import monday_of, planned_value
from metrics.selectors import seeded_name

from ..templatetags.dashboard_tags import Formats, percent, ru_date
from .base import (
    BRAND,
    MUTED,
    OK,
    PLAN,
    _coverage,
    _date_ticks,
    _figure,
    _iso,
    _layout,
    _met_colour,
    _no_data_note,
    _trace,
    _week_band,
)


def _weeks_between(first: date, last: date) -> list[date]:
    weeks, week = [], monday_of(first)
    while week <= last:
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks


def stage_marker_groups(stages: Iterable, code: str) -> list[dict]:
    """Deadlines of the stages due for one KPI, those less than a week apart drawn as one marker."""
    groups: list[dict] = []
    for stage in sorted((s for s in stages if code in s.targets), key=lambda s: s.deadline):
        if groups and (stage.deadline - groups[-1]["first"]).days < 7:
            group = groups[-1]
            group["deadline"] = stage.deadline
            group["stages"].append(stage)
        else:
            groups.append({"first": stage.deadline, "deadline": stage.deadline, "stages": [stage]})
    return groups


class _Window(NamedTuple):
    """The span of the date axis, and the projection when it is drawn: (last week with a value,
    that value, the projected date)."""

    x_range: list[str]
    last: date
    projection: tuple[date, float, date] | None


def kpi_series_figure(
    *,
    code: str,
    kpi_name: str,
    target: float,
    series: Sequence[dict],
    stages: Sequence = (),
    projected: date | None = None,
    selected_week: date | None = None,
    scope_name: str = "",
    filename: str = "kpi",
) -> dict:
    """A KPI's weekly values against its target line, the roadmap's planned trajectory, the stage
    deadlines due for it (vertical markers) and the projection to the target at the current trend.

    ``series``: oldest first, ``week``, ``value`` and optionally ``delta``, ``orgs_reported``,
    ``orgs_total``. ``stages``: objects with ``order``, ``title``, ``start``, ``deadline`` and
    ``targets`` (KPI code -> target), as ``metrics.kpi.StagePlan``.
    """
    due = [stage for stage in stages if code in stage.targets]
    window = _window(series, due, projected=projected, selected_week=selected_week)
    if window is None:
        return _figure([], _layout(height=330, annotations=[_no_data_note()]), filename=filename)
    data = [_plan_trace(due, code, window.last)] if due else []
    data.append(_target_trace(target, window.x_range))
    data.append(_actual_trace(series, due, code, kpi_name=kpi_name, scope_name=scope_name))
    if window.projection:
        data.append(_projection_trace(*window.projection, target=target))
    shapes = [_week_band(selected_week, opacity=0.08)] if selected_week else []
    markers = [_stage_marker(group) for group in stage_marker_groups(due, code)]
    layout = _layout(
        height=330,
        margin={"l": 48, "r": 12, "t": 26, "b": 8},
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top", "font": {"size": 11}},
        xaxis={"type": "date", "range": window.x_range, "hoverformat": "%d.%m.%Y", "tickformatstops": _date_ticks()},
        yaxis={"range": [0, 1.05], "tickformat": ".0%", "fixedrange": True},
        shapes=shapes + [line for line, _label in markers],
        annotations=[label for _line, label in markers],
        hovermode="closest",
    )
    return _figure(data, layout, filename=filename)


def _window(series, due, *, projected, selected_week) -> _Window | None:
    """From the first stage start or value to the last deadline, value or week on screen, widened
    to the projected date when that is near; None when there is nothing to draw."""
    weeks = [point["week"] for point in series]
    # The week on screen is inside the window at either end, so its band never falls off the chart.
    starts = [s.start for s in due] + weeks[:1] + ([selected_week] if selected_week else [])
    ends = [s.deadline for s in due] + weeks[-1:] + ([selected_week] if selected_week else [])
    if not starts and selected_week is None:
        return None
    first = min(starts) if starts else selected_week
    last = max(ends) if ends else first
    last_value = next(((p["week"], p["value"]) for p in reversed(series) if p["value"] is not None), None)
    # A projection far beyond the plan would squeeze the weeks that matter: the caption names it.
    projection = None
    if (
        projected is not None
        and last_value is not None
        and projected > last_value[0]
        and projected <= last + timedelta(weeks=12)
    ):
        projection = (*last_value, projected)
        last = max(last, projected)
    x_range = [_iso(first - timedelta(days=4)), _iso(last + timedelta(days=10))]
    return _Window(x_range, last, projection)


def _plan_trace(due, code: str, last: date) -> dict:
    """The value the roadmap plans for each week, from the first stage due to the axis' end."""
    plan_weeks = _weeks_between(min(s.start for s in due), last)
    return _trace(
        "scatter",
        x=[_iso(w) for w in plan_weeks],
        y=[planned_value(due, code, week) for week in plan_weeks],
        mode="lines",
        name=_("План по дорожной карте"),
        line={"color": PLAN, "width": 1.5, "dash": "dot", "shape": "linear"},
        hovertemplate=_("Неделя с") + " %{x|%d.%m.%Y}<br>" + _("План") + ": %{y:.1%}<extra></extra>",
    )


def _target_trace(target: float, x_range: list[str]) -> dict:
    """The target as a dashed line across the whole axis."""
    return _trace(
        "scatter",
        x=x_range,
        y=[target, target],
        mode="lines",
        name=f"{_('Цель')} {percent(target, 0)}",
        line={"color": OK, "width": 1.5, "dash": "dash"},
        hoverinfo="skip",
    )


def _actual_trace(series, due, code: str, *, kpi_name: str, scope_name: str) -> dict:
    """The weekly values, each point coloured by whether it meets the target; the hover names the
    value, and where known the change, the plan and the coverage of the week."""
    hover = _("Неделя с") + " %{x|%d.%m.%Y}<br>%{meta[1]}: <b>%{customdata[0]}</b>"
    if any(point.get("delta") is not None for point in series):
        hover += f"<br>{_('За неделю')}: %{{customdata[1]}}"
    if due:
        hover += "<br>" + _("План") + ": %{customdata[2]}"
    if any(point.get("orgs_total") for point in series):
        hover += f"<br>{_('Отчитались')}: %{{customdata[3]}}"
    formats = Formats()
    customdata = [
        [
            formats.percent(point["value"]),
            formats.points(point.get("delta")) or "—",
            formats.percent(planned_value(due, code, point["week"])) if due else "",
            _coverage(point.get("orgs_reported"), point.get("orgs_total"), formats),
        ]
        for point in series
    ]
    return _trace(
        "scatter",
        x=[_iso(point["week"]) for point in series],
        y=[point["value"] for point in series],
        mode="lines+markers",
        name=_("Факт"),
        line={"color": BRAND, "width": 2.5},
        marker={
            "size": 6,
            "color": [_met_colour(p.get("met")) if p.get("met") is not None else BRAND for p in series],
        },
        connectgaps=False,
        customdata=customdata,
        meta=[escape(scope_name), escape(kpi_name)],
        hovertemplate=("<b>%{meta[0]}</b><br>" if scope_name else "") + hover + "<extra></extra>",
    )


def _projection_trace(since: date, value: float, projected: date, *, target: float) -> dict:
    """A dashed line from the last value to the target at the projected date, marked by a star."""
    return _trace(
        "scatter",
        x=[_iso(since), _iso(projected)],
        y=[value, target],
        mode="lines+markers",
        name=f"{_('Прогноз')}: {ru_date(projected)}",
        line={"color": BRAND, "width": 1.5, "dash": "dash"},
        marker={"size": [0, 11], "symbol": "star", "color": BRAND},
        hoverinfo="text",
        hovertext=["", _("Цель будет достигнута к %(day)s") % {"day": ru_date(projected)}],
    )


def _stage_marker(group: dict) -> tuple[dict, dict]:
    """A dotted vertical line at a group's deadline and its «Этап N» label, each stage in the hover."""
    deadline = _iso(group["deadline"])
    orders = ", ".join(str(stage.order) for stage in group["stages"])
    line = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": deadline,
        "x1": deadline,
        "y0": 0,
        "y1": 1,
        "line": {"color": MUTED, "width": 1, "dash": "dot"},
    }
    label = {
        "x": deadline,
        "xref": "x",
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "showarrow": False,
        "text": f"{_('Этап')} {orders}",
        "font": {"size": 10, "color": MUTED},
        "hovertext": "<br>".join(
            _("%(order)s. %(title)s — до %(day)s")
            % {"order": stage.order, "title": escape(seeded_name(stage.title)), "day": ru_date(stage.deadline)}
            for stage in group["stages"]
        ),
    }
    return line, label
