"""A roadmap as a timeline of its stages, with today and the week on screen marked."""

import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

from django.utils.translation import gettext as _

from metrics.selectors import seeded_name

from ..templatetags.dashboard_tags import ru_date, status_label
from .base import BAD, BRAND, INK, NO_DATA, _date_ticks, _figure, _iso, _layout, _trace, _week_band

STATUS_COLOURS = {
    "done": "#8fbf9f",
    "on_track": "#6f9fd8",
    "at_risk": "#e0a83a",
    "late": "#d9534f",
    "insufficient_data": "#a88bd6",
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
    labels = _stage_labels(stages)
    first = min(s.start for s in stages) - timedelta(days=7)
    last = max(s.deadline for s in stages) + timedelta(days=21)
    # Today (and the week on screen) within two months of the plan widens the axis; further away
    # each is named at the edge it lies beyond, so that neither falls off the chart unsaid.
    today_in_range = first <= today <= last + timedelta(days=60)
    if today_in_range:
        last = max(last, today + timedelta(days=10))
    week_in_range = selected_week is not None and (
        first - timedelta(days=60) <= selected_week <= last + timedelta(days=60)
    )
    if week_in_range:
        first, last = min(first, selected_week - timedelta(days=3)), max(last, selected_week + timedelta(days=10))
    shapes, annotations = [], []
    if week_in_range:
        shapes.append(_week_band(selected_week, opacity=0.1))
    elif selected_week is not None:
        annotations.append(_week_beyond(selected_week, after=selected_week > last))
    today_shapes, today_annotations = _today_marks(today, in_range=today_in_range, after=today > last)
    layout = _layout(
        height=70 + 46 * len(stages),
        margin={"l": 8, "r": 56, "t": 24, "b": 28 if week_in_range or selected_week is None else 52},
        barmode="overlay",
        xaxis={
            "type": "date",
            "range": [_iso(first), _iso(last)],
            "tickformatstops": _date_ticks(),
            "fixedrange": True,
        },
        yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "ticks": ""},
        shapes=shapes + today_shapes,
        annotations=annotations + today_annotations,
    )
    return _figure(_stage_traces(stages, labels, today=today, statuses=statuses), layout, filename=filename)


def _stage_labels(stages: Sequence) -> list[str]:
    """Each stage's numbered title, wrapped to two or three lines."""
    labels = []
    for stage in stages:
        title = f"{stage.order}. {seeded_name(stage.title)}"
        if stage.pilot_only and _("пилот") not in title.lower():
            title += " (" + _("пилотные регионы") + ")"
        labels.append("<br>".join(escape(line) for line in textwrap.wrap(title, 38)))
    return labels


def _stage_traces(stages: Sequence, labels: list[str], *, today: date, statuses: dict) -> list[dict]:
    """The bars (start to deadline, coloured by status) and the deadline diamonds."""

    def colour(stage):
        if stage.order in statuses:
            return STATUS_COLOURS.get(statuses[stage.order], NO_DATA)
        if stage.deadline < today:
            return STATUS_COLOURS["done"]
        if stage.start <= today:
            return BRAND
        return STATUS_COLOURS["not_started"]

    def hover(stage):
        lines = [f"<b>{escape(seeded_name(stage.title))}</b>", f"{ru_date(stage.start)} — {ru_date(stage.deadline)}"]
        if stage.order in statuses:
            lines.append(_("Статус: %(status)s") % {"status": status_label(statuses[stage.order])})
        if stage.pilot_only:
            lines.append(_("только пилотные регионы"))
        return "<br>".join(lines)

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
        hovertext=[hover(s) for s in stages],
    )
    deadlines = _trace(
        "scatter",
        x=[_iso(s.deadline) for s in stages],
        y=labels,
        mode="markers+text",
        marker={"symbol": "diamond", "size": 10, "color": INK},
        text=[_("до %(day)s") % {"day": ru_date(s.deadline, "%d.%m.%y")} for s in stages],
        textposition="middle right",
        textfont={"size": 11},
        cliponaxis=False,
        hoverinfo="skip",
    )
    return [bars, deadlines]


def _week_beyond(week: date, *, after: bool) -> dict:
    """The week on screen named at the edge of the chart it lies beyond."""
    text = _("неделя с %(day)s") % {"day": ru_date(week)}
    return {
        "x": 1 if after else 0,
        "xref": "paper",
        "xanchor": "right" if after else "left",
        "y": 0,
        "yref": "paper",
        "yanchor": "top",
        "yshift": -34,  # below the two-line date ticks
        "showarrow": False,
        "text": f"{text} →" if after else f"← {text}",
        "font": {"size": 11, "color": BRAND},
    }


def _today_marks(today: date, *, in_range: bool, after: bool) -> tuple[list[dict], list[dict]]:
    """Today as a red line with its date on the axis, or named at the edge it lies beyond."""
    text = _("<b>сегодня</b> %(day)s") % {"day": ru_date(today)}
    if in_range:
        line = {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": _iso(today),
            "x1": _iso(today),
            "y0": 0,
            "y1": 1,
            "line": {"color": BAD, "width": 2},
        }
        label = {"x": _iso(today), "xref": "x", "text": text}
        return [line], [{**label, **_TODAY_LABEL}]
    label = {
        "x": 1 if after else 0,
        "xref": "paper",
        "xanchor": "right" if after else "left",
        "text": f"{text} →" if after else f"← {text}",
    }
    return [], [{**label, **_TODAY_LABEL}]


_TODAY_LABEL = {"y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": BAD}}
