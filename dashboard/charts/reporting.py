"""Reporting rate and timeliness over the weeks (DESIGN.md §4.2): the country's share of regions
on time, late, partly and not at all, and one region's coverage week by week."""

from collections.abc import Sequence
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from metrics.choices import ReportingStatus

from ..templatetags.dashboard_tags import Formats, percent, reporting_label, ru_date
from .base import INK, MUTED, _coverage, _date_ticks, _figure, _iso, _layout, _no_data_note, _trace, _week_band

# The badge colours of static/css/app.css, a little stronger for bars.
REPORTING_COLOURS = {
    ReportingStatus.ON_TIME: "#2e8b57",
    ReportingStatus.LATE: "#e08a1e",
    ReportingStatus.PARTIAL: "#e9c440",
    ReportingStatus.MISSING: "#c0392b",
}
# Stacked from the bottom: on time first, so that the green base is the reporting rate.
STACK_ORDER = (ReportingStatus.ON_TIME, ReportingStatus.LATE, ReportingStatus.PARTIAL, ReportingStatus.MISSING)


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else "—"


def _empty_layout(height: int) -> dict:
    """No reporting rows yet: the words «нет данных», no axes."""
    hidden = {"visible": False}
    return _layout(height=height, annotations=[_no_data_note()], xaxis=hidden, yaxis=hidden)


def _week_axis() -> dict:
    return {"type": "date", "tickformatstops": _date_ticks(), "fixedrange": True}


def reporting_rate_figure(*, weeks: Sequence[dict], selected_week: date | None = None, filename="otchetnost") -> dict:
    """The country: per week the share of regions that reported on time, late, partly, not at all,
    stacked to 100 %. ``weeks``: ``reporting_series()`` rows (``week``, ``counts`` by status,
    ``total``)."""
    if not weeks:
        return _figure([], _empty_layout(220), filename=filename)
    x = [_iso(w["week"]) for w in weeks]
    formats = Formats()
    traces = []
    for status in STACK_ORDER:
        counts = [w["counts"].get(status, 0) for w in weeks]
        shares = [n / w["total"] if w["total"] else 0 for n, w in zip(counts, weeks, strict=True)]
        traces.append(
            _trace(
                "bar",
                x=x,
                y=shares,
                name=reporting_label(status),
                marker={"color": REPORTING_COLOURS[status]},
                customdata=[
                    [ru_date(w["week"]), formats.number(n), formats.number(w["total"]), formats.percent(share, 0)]
                    for n, w, share in zip(counts, weeks, shares, strict=True)
                ],
                hovertemplate=_("Неделя с")
                + " %{customdata[0]}<br>%{fullData.name}: "
                + _("%(n)s из %(total)s регионов") % {"n": "%{customdata[1]}", "total": "%{customdata[2]}"}
                + " (%{customdata[3]})<extra></extra>",
            )
        )
    layout = _layout(
        height=220,
        barmode="stack",
        bargap=0.15,
        showlegend=True,
        legend={"x": 1.01, "y": 1, "font": {"size": 11}, "traceorder": "reversed"},
        margin={"l": 48, "r": 12, "t": 8, "b": 32},
        xaxis=_week_axis(),
        yaxis={"range": [0, 1], "tickformat": ".0%", "fixedrange": True},
        shapes=[_week_band(selected_week, opacity=0.12)] if selected_week else [],
    )
    return _figure(traces, layout, filename=filename)


def region_reporting_figure(
    *, series: Sequence[dict], coverage_min: float, selected_week: date | None = None, filename="otchetnost-regiona"
) -> dict:
    """One region: its coverage (organisations reported of the registry) week by week, each bar
    coloured by the week's reporting status, with the coverage a verdict needs as a line.
    ``series``: ``reporting_series(region=…)`` rows."""
    if not series:
        return _figure([], _empty_layout(200), filename=filename)
    formats = Formats()
    bars = _trace(
        "bar",
        x=[_iso(row["week"]) for row in series],
        showlegend=False,
        # A week with nothing reported still shows as a thin red stub.
        y=[row["coverage"] if row["coverage"] else 0.02 for row in series],
        marker={"color": [REPORTING_COLOURS.get(row["status"], MUTED) for row in series]},
        customdata=[
            [
                ru_date(row["week"]),
                formats.reporting_label(row["status"]),
                _coverage(row["orgs_reported"], row["orgs_total"], formats),
                formats.percent(row["coverage"], 0),
                _moment(row["last_upload_at"]),
            ]
            for row in series
        ],
        hovertemplate=_("Неделя с") + " %{customdata[0]}: <b>%{customdata[1]}</b><br>"
        f"{_('Отчитались')} %{{customdata[2]}} (%{{customdata[3]}})<br>"
        f"{_('Последняя загрузка')}: %{{customdata[4]}}<extra></extra>",
    )
    # One invisible trace per status gives the legend its colours.
    legend = [
        _trace(
            "bar",
            x=[None],
            y=[None],
            name=reporting_label(status),
            marker={"color": REPORTING_COLOURS[status]},
            hoverinfo="skip",
        )
        for status in STACK_ORDER
    ]
    layout = _layout(
        height=240,
        # Overlay: the legend's empty traces must not take a slot beside each week's bar.
        barmode="overlay",
        bargap=0.2,
        showlegend=True,
        legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 11}},
        margin={"l": 48, "r": 12, "t": 12, "b": 56},
        xaxis=_week_axis(),
        yaxis={"range": [0, 1.05], "tickformat": ".0%", "fixedrange": True},
        shapes=[
            *([_week_band(selected_week, opacity=0.12)] if selected_week else []),
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": coverage_min,
                "y1": coverage_min,
                "line": {"color": INK, "width": 1, "dash": "dot"},
            },
        ],
        annotations=[
            {
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": coverage_min,
                "yref": "y",
                "yanchor": "middle",
                "showarrow": False,
                "text": _("порог охвата %(share)s") % {"share": percent(coverage_min, 0)},
                "font": {"size": 10, "color": INK},
                "bgcolor": "rgba(255, 255, 255, 0.85)",
            }
        ],
    )
    return _figure([bars, *legend], layout, filename=filename)
