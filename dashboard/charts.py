"""Plotly figures of the pages: pure functions from plain data to figure dicts; no ORM.

The dicts are written as plotly.js reads them, not built through ``plotly.graph_objects``: its
validation of every property and array was a tenth of the overview's server time for the same
JSON. The tests validate every figure with ``plotly.graph_objects.Figure`` instead.

Every name placed in a label or a hover text is HTML-escaped: plotly.js reads a subset of HTML in
those strings, and organisation names arrive in uploaded files. Hover texts are formatted here in
Russian (decimal comma, «75,3 %»), whatever locale the browser draws the axes in.
"""

import textwrap
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from html import escape

from django.utils.translation import gettext as _

from metrics.kpi import monday_of, planned_value

from .templatetags.dashboard_tags import number, percent, points, ru_date, status_label

FONT = '"PT Sans", "Segoe UI", Roboto, Arial, sans-serif'
INK, MUTED, GRID, AXIS, BRAND = "#1b2733", "#5b6b7b", "#e7ebf0", "#c8d0da", "#0b5cad"
OK, BAD, NO_DATA, PLAN = "#1e7b3c", "#b42318", "#9aa4af", "#7b8794"
# Rows of the ranking and the heat map: 89 regions stay legible at 11 px and fit one scroll.
ROW_HEIGHT = 17
LABEL_LIMIT = 28
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
}


def _date_ticks() -> list[dict]:
    """Date tick labels the Russian way at every zoom: «21 сен», then «сен 2025», then «2025»."""
    return [
        {"dtickrange": [None, "M1"], "value": "%-d %b"},
        {"dtickrange": ["M1", "M12"], "value": "%b %Y"},
        {"dtickrange": ["M12", None], "value": "%Y"},
    ]


def short_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """A label cut to ``limit`` characters with an ellipsis (the full name stays in the hover)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _merge(base: dict, overrides: dict) -> dict:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def _layout(**overrides) -> dict:
    axis = {"gridcolor": GRID, "linecolor": AXIS, "zeroline": False, "automargin": True, "tickfont": {"size": 11}}
    base = {
        "template": "none",
        "font": {"family": FONT, "size": 12, "color": INK},
        # Decimal comma and a space between thousands in every number plotly.js formats itself.
        "separators": ", ",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 16, "t": 24, "b": 40, "pad": 2},
        "hoverlabel": {
            "font": {"family": FONT, "size": 12, "color": INK},
            "bgcolor": "#ffffff",
            "bordercolor": AXIS,
            "align": "left",
        },
        "showlegend": False,
        "xaxis": dict(axis),
        "yaxis": dict(axis),
    }
    return _merge(base, overrides)


def _trace(kind: str, **properties) -> dict:
    """A trace as plotly.js reads it: its type and properties."""
    return {"type": kind, **properties}


def _figure(data: list, layout: dict, *, filename: str = "chart") -> dict:
    """The figure as the dict app.js hands to Plotly.newPlot: data, layout, config."""
    figure = {"data": data, "layout": layout}
    figure["config"] = CONFIG | {"toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}
    return figure


def _week_band(week: date, *, opacity: float) -> dict:
    """A light band over one week of a date axis: the week the page looks at."""
    return {
        "type": "rect",
        "xref": "x",
        "yref": "paper",
        "x0": _iso(week),
        "x1": _iso(week + timedelta(days=7)),
        "y0": 0,
        "y1": 1,
        "fillcolor": BRAND,
        "opacity": opacity,
        "line": {"width": 0},
        "layer": "below",
    }


def _iso(day: date) -> str:
    return day.isoformat()


def _coverage(reported, total) -> str:
    """«10 из 12»: organisations that reported out of all in scope; «—» when unknown."""
    if not total:
        return "—"
    return f"{number(reported)} {_('из')} {number(total)}"


def _no_data_note() -> dict:
    return {
        "text": _("нет данных"),
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"color": MUTED},
    }


def _met_colour(met) -> str:
    return NO_DATA if met is None else OK if met else BAD


# --- ranking: one bar per region (or municipality), best first ---------------------------------


def ranking_figure(*, items: Sequence[dict], target: float, kpi_name: str, filename: str = "rating") -> dict:
    """Horizontal bars of one KPI, in the order given (best first), coloured by whether each item
    meets the target, with the target as a vertical line. Items: ``label`` (unique, short),
    ``name`` (full, for the hover), ``value`` (fraction or None), ``met``, and optionally
    ``orgs_reported`` / ``orgs_total``."""
    labels = [escape(item["label"]) for item in items]
    values = [item["value"] if item["value"] is not None else 0 for item in items]
    texts = [percent(item["value"]) if item["value"] is not None else _("нет данных") for item in items]
    # Per bar only what differs (name, coverage); the words live once in the hover template, and
    # names travel as data (customdata / meta), never inside the template itself.
    hover = f"<b>%{{customdata[0]}}</b><br>%{{meta[0]}}: %{{text}}<br>{_('Цель')}: {percent(target, 0)}"
    if any(item.get("orgs_total") for item in items):
        hover += f"<br>{_('Отчитались')}: %{{customdata[1]}}"
    bars = _trace(
        "bar",
        x=values,
        y=labels,
        orientation="h",
        marker={"color": [_met_colour(item["met"]) for item in items]},
        text=texts,
        textposition="outside",
        textfont={"size": 10, "color": INK},
        cliponaxis=False,
        customdata=[
            [escape(item["name"]), _coverage(item.get("orgs_reported"), item.get("orgs_total"))] for item in items
        ],
        meta=[escape(kpi_name)],
        hovertemplate=hover + "<extra></extra>",
    )
    layout = _layout(
        height=max(180, ROW_HEIGHT * len(items) + 70),
        margin={"l": 8, "r": 48, "t": 50, "b": 12},
        bargap=0.25,
        # Ticks on top: with 89 rows the bottom of the chart is a long scroll away.
        xaxis={"range": [0, 1.12], "tickformat": ".0%", "side": "top", "fixedrange": True},
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "ticks": ""},
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": target,
                "x1": target,
                "y0": 0,
                "y1": 1,
                "line": {"color": INK, "width": 1.5, "dash": "dash"},
            }
        ],
        annotations=[
            {
                "x": target,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 20,
                "showarrow": False,
                "text": f"{_('цель')} {percent(target, 0)}",
                "font": {"size": 11, "color": INK},
                "bgcolor": "#ffffff",
            }
        ],
    )
    return _figure([bars], layout, filename=filename)


# --- heat map: rows (regions) × weeks ---------------------------------------------------------


def target_colorscale(target: float) -> list:
    """Red to yellow below the target, green at and above it."""
    if target <= 0:
        return [[0, "#a7d7b1"], [1, OK]]
    stops = [[0, BAD], [round(0.6 * target, 4), "#f08c00"]]
    if target >= 0.999:
        return [*stops, [0.999, "#ffe08a"], [1, OK]]
    return [*stops, [round(target - 0.001, 4), "#ffe08a"], [target, "#a7d7b1"], [1, OK]]


def heatmap_figure(
    *,
    rows: Sequence[dict],
    weeks: Sequence[date],
    target: float,
    kpi_name: str,
    selected_week: date | None = None,
    filename: str = "heatmap",
) -> dict:
    """One KPI for every row and week as coloured cells. Rows: ``label`` (unique, short),
    ``name`` (full, for the hover), ``values`` (one fraction or None per week)."""
    one_year = len({w.year for w in weeks}) <= 1
    columns = [ru_date(w, "%d.%m" if one_year else "%d.%m.%y") for w in weeks]
    labels = [escape(row["label"]) for row in rows]
    texts = [[percent(value) for value in row["values"]] for row in rows]
    cells = _trace(
        "heatmap",
        z=[list(row["values"]) for row in rows],
        x=columns,
        y=labels,
        zmin=0,
        zmax=1,
        colorscale=target_colorscale(target),
        xgap=1,
        ygap=1,
        text=texts,
        meta=[escape(kpi_name)],
        hovertemplate=f"<b>%{{y}}</b><br>{_('Неделя с')} %{{x}}<br>%{{meta[0]}}: %{{text}}<extra></extra>",
        colorbar={
            "thickness": 10,
            "len": 220,
            "lenmode": "pixels",
            "y": 1,
            "yanchor": "top",
            "tickformat": ".0%",
            "tickfont": {"size": 10},
            "outlinewidth": 0,
        },
    )
    shapes = []
    if selected_week in weeks:
        index = list(weeks).index(selected_week)
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": index - 0.5,
                "x1": index + 0.5,
                "y0": 0,
                "y1": 1,
                "line": {"color": INK, "width": 1.5},
            }
        )
    layout = _layout(
        height=max(180, ROW_HEIGHT * len(rows) + 70),
        margin={"l": 8, "r": 8, "t": 50, "b": 12},
        # No data shows as the grey background between the cells.
        plot_bgcolor="#eef0f3",
        xaxis={"type": "category", "side": "top", "tickangle": -90 if len(weeks) > 16 else 0, "fixedrange": True},
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "ticks": ""},
        shapes=shapes,
    )
    return _figure([cells], layout, filename=filename)


# --- weekly series of one KPI against its target, the plan and the roadmap ---------------------


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
    weeks = [point["week"] for point in series]
    due = [stage for stage in stages if code in stage.targets]
    starts = [s.start for s in due] + weeks[:1]
    ends = [s.deadline for s in due] + weeks[-1:] + ([selected_week] if selected_week else [])
    if not starts and selected_week is None:
        return _figure([], _layout(height=330, annotations=[_no_data_note()]), filename=filename)
    first = min(starts) if starts else selected_week
    last = max(ends) if ends else first
    last_value = next(((p["week"], p["value"]) for p in reversed(series) if p["value"] is not None), None)
    # A projection far beyond the plan would squeeze the weeks that matter: the caption names it.
    draw_projection = (
        projected is not None
        and last_value is not None
        and projected > last_value[0]
        and projected <= last + timedelta(weeks=12)
    )
    if draw_projection:
        last = max(last, projected)
    x_range = [_iso(first - timedelta(days=4)), _iso(last + timedelta(days=10))]

    data = []
    if due:
        plan_weeks = _weeks_between(min(s.start for s in due), last)
        plan = [planned_value(due, code, week) for week in plan_weeks]
        data.append(
            _trace(
                "scatter",
                x=[_iso(w) for w in plan_weeks],
                y=plan,
                mode="lines",
                name=_("План по дорожной карте"),
                line={"color": PLAN, "width": 1.5, "dash": "dot", "shape": "linear"},
                hovertemplate=f"{_('Неделя с')} %{{x|%d.%m.%Y}}<br>{_('План')}: %{{y:.1%}}<extra></extra>",
            )
        )
    data.append(
        _trace(
            "scatter",
            x=x_range,
            y=[target, target],
            mode="lines",
            name=f"{_('Цель')} {percent(target, 0)}",
            line={"color": OK, "width": 1.5, "dash": "dash"},
            hoverinfo="skip",
        )
    )
    hover = f"{_('Неделя с')} %{{x|%d.%m.%Y}}<br>%{{meta[1]}}: <b>%{{customdata[0]}}</b>"
    if any(point.get("delta") is not None for point in series):
        hover += f"<br>{_('За неделю')}: %{{customdata[1]}}"
    if due:
        hover += f"<br>{_('План')}: %{{customdata[2]}}"
    if any(point.get("orgs_total") for point in series):
        hover += f"<br>{_('Отчитались')}: %{{customdata[3]}}"
    customdata = [
        [
            percent(point["value"]),
            points(point.get("delta")) or "—",
            percent(planned_value(due, code, point["week"])) if due else "",
            _coverage(point.get("orgs_reported"), point.get("orgs_total")),
        ]
        for point in series
    ]
    data.append(
        _trace(
            "scatter",
            x=[_iso(w) for w in weeks],
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
    )
    if draw_projection:
        data.append(
            _trace(
                "scatter",
                x=[_iso(last_value[0]), _iso(projected)],
                y=[last_value[1], target],
                mode="lines+markers",
                name=f"{_('Прогноз')}: {ru_date(projected)}",
                line={"color": BRAND, "width": 1.5, "dash": "dash"},
                marker={"size": [0, 11], "symbol": "star", "color": BRAND},
                hoverinfo="text",
                hovertext=["", f"{_('Цель будет достигнута к')} {ru_date(projected)}"],
            )
        )

    shapes, annotations = [], []
    if selected_week:
        shapes.append(_week_band(selected_week, opacity=0.08))
    for group in stage_marker_groups(due, code):
        orders = ", ".join(str(stage.order) for stage in group["stages"])
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": _iso(group["deadline"]),
                "x1": _iso(group["deadline"]),
                "y0": 0,
                "y1": 1,
                "line": {"color": MUTED, "width": 1, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": _iso(group["deadline"]),
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"{_('Этап')} {orders}",
                "font": {"size": 10, "color": MUTED},
                "hovertext": "<br>".join(
                    f"{stage.order}. {escape(stage.title)} — {_('до')} {ru_date(stage.deadline)}"
                    for stage in group["stages"]
                ),
            }
        )
    layout = _layout(
        height=330,
        margin={"l": 48, "r": 12, "t": 26, "b": 8},
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top", "font": {"size": 11}},
        xaxis={"type": "date", "range": x_range, "hoverformat": "%d.%m.%Y", "tickformatstops": _date_ticks()},
        yaxis={"range": [0, 1.05], "tickformat": ".0%", "fixedrange": True},
        shapes=shapes,
        annotations=annotations,
        hovermode="closest",
    )
    return _figure(data, layout, filename=filename)


# --- the federal roadmap as a timeline with today marked ---------------------------------------


STATUS_COLOURS = {
    "done": "#8fbf9f",
    "on_track": "#6f9fd8",
    "at_risk": "#e0a83a",
    "late": "#d9534f",
    "not_started": "#c8d0da",
}


def roadmap_timeline_figure(
    *,
    stages: Sequence,
    today: date,
    selected_week: date | None = None,
    statuses: dict | None = None,
    filename: str = "roadmap",
) -> dict:
    """Stages of a roadmap as bars from start to deadline, with today (and the week on screen)
    marked. ``stages``: objects with ``order``, ``title``, ``start``, ``deadline`` and
    ``pilot_only``. ``statuses`` (stage order -> schedule status as of the week on screen)
    colours the bars; without it they are coloured past / current / future."""
    stages = sorted(stages, key=lambda s: s.order)
    if not stages:
        return _figure([], _layout(height=120))
    statuses = statuses or {}
    labels = []
    for stage in stages:
        title = f"{stage.order}. {stage.title}"
        if stage.pilot_only and _("пилот") not in title.lower():
            title += f" ({_('пилотные регионы')})"
        labels.append("<br>".join(escape(line) for line in textwrap.wrap(title, 38)))
    first = min(s.start for s in stages) - timedelta(days=7)
    last = max(s.deadline for s in stages) + timedelta(days=21)
    # Today within two months of the plan widens the axis; further away it is named at the edge.
    today_in_range = first <= today <= last + timedelta(days=60)
    if today_in_range:
        last = max(last, today + timedelta(days=10))

    def colour(stage):
        if stage.order in statuses:
            return STATUS_COLOURS.get(statuses[stage.order], NO_DATA)
        if stage.deadline < today:
            return STATUS_COLOURS["done"]
        if stage.start <= today:
            return BRAND
        return STATUS_COLOURS["not_started"]

    day_ms = 24 * 3600 * 1000
    bars = _trace(
        "bar",
        base=[_iso(s.start) for s in stages],
        # Bars on a date axis take their length in milliseconds; a one-day stage still shows.
        x=[((s.deadline - s.start).days + 1) * day_ms for s in stages],
        y=labels,
        orientation="h",
        marker={"color": [colour(s) for s in stages]},
        width=0.5,
        hoverinfo="text",
        hovertext=[
            f"<b>{escape(s.title)}</b><br>{ru_date(s.start)} — {ru_date(s.deadline)}"
            + (f"<br>{_('Статус')}: {status_label(statuses[s.order])}" if s.order in statuses else "")
            + (f"<br>{_('только пилотные регионы')}" if s.pilot_only else "")
            for s in stages
        ],
    )
    deadlines = _trace(
        "scatter",
        x=[_iso(s.deadline) for s in stages],
        y=labels,
        mode="markers+text",
        marker={"symbol": "diamond", "size": 10, "color": INK},
        text=[f"{_('до')} {ru_date(s.deadline, '%d.%m')}" for s in stages],
        textposition="middle right",
        textfont={"size": 11},
        cliponaxis=False,
        hoverinfo="skip",
    )
    shapes, annotations = [], []
    if selected_week and first <= selected_week <= last:
        shapes.append(_week_band(selected_week, opacity=0.1))
    if today_in_range:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": _iso(today),
                "x1": _iso(today),
                "y0": 0,
                "y1": 1,
                "line": {"color": BAD, "width": 2},
            }
        )
        annotations.append(
            {
                "x": _iso(today),
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"<b>{_('сегодня')}</b> {ru_date(today, '%d.%m')}",
                "font": {"size": 11, "color": BAD},
            }
        )
    else:
        annotations.append(
            {
                "x": 1,
                "xref": "paper",
                "xanchor": "right",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": (
                    f"<b>{_('сегодня')}</b> {ru_date(today)} →"
                    if today > last
                    else f"← <b>{_('сегодня')}</b> {ru_date(today)}"
                ),
                "font": {"size": 11, "color": BAD},
            }
        )
    layout = _layout(
        height=70 + 46 * len(stages),
        margin={"l": 8, "r": 56, "t": 24, "b": 28},
        barmode="overlay",
        xaxis={
            "type": "date",
            "range": [_iso(first), _iso(last)],
            "tickformatstops": _date_ticks(),
            "fixedrange": True,
        },
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "ticks": ""},
        shapes=shapes,
        annotations=annotations,
    )
    return _figure([bars, deadlines], layout, filename=filename)
