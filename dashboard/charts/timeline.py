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
    labels = []
    for stage in stages:
        title = f"{stage.order}. {seeded_name(stage.title)}"
        if stage.pilot_only and _("пилот") not in title.lower():
            title += " (" + _("пилотные регионы") + ")"
        labels.append("<br>".join(escape(line) for line in textwrap.wrap(title, 38)))
    first = min(s.start for s in stages) - timedelta(days=7)
    last = max(s.deadline for s in stages) + timedelta(days=21)
    # Today (and the week on screen) within two months of the plan widens the axis; further away
    # each is named at the edge it lies beyond, so that neither falls off the chart unsaid.
    today_in_range = first <= today <= last + timedelta(days=60)
    if today_in_range:
        last = max(last, today + timedelta(days=10))
    week_in_range = selected_week is not None and first - timedelta(days=60) <= selected_week <= last + timedelta(
        days=60
    )
    if week_in_range:
        first, last = min(first, selected_week - timedelta(days=3)), max(last, selected_week + timedelta(days=10))

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
            f"<b>{escape(seeded_name(s.title))}</b><br>{ru_date(s.start)} — {ru_date(s.deadline)}"
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
        text=[_("до %(day)s") % {"day": ru_date(s.deadline, "%d.%m.%y")} for s in stages],
        textposition="middle right",
        textfont={"size": 11},
        cliponaxis=False,
        hoverinfo="skip",
    )
    shapes, annotations = [], []
    if week_in_range:
        shapes.append(_week_band(selected_week, opacity=0.1))
    elif selected_week is not None:
        after = selected_week > last
        annotations.append(
            {
                "x": 1 if after else 0,
                "xref": "paper",
                "xanchor": "right" if after else "left",
                "y": 0,
                "yref": "paper",
                "yanchor": "top",
                "yshift": -34,  # below the two-line date ticks
                "showarrow": False,
                "text": (
                    f"{_('неделя с')} {ru_date(selected_week)} →"
                    if after
                    else f"← {_('неделя с')} {ru_date(selected_week)}"
                ),
                "font": {"size": 11, "color": BRAND},
            }
        )
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
                "text": f"<b>{_('сегодня')}</b> {ru_date(today)}",
                "font": {"size": 11, "color": BAD},
            }
        )
    else:
        annotations.append(
            {
                "x": 1 if today > last else 0,
                "xref": "paper",
                "xanchor": "right" if today > last else "left",
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
        margin={"l": 8, "r": 56, "t": 24, "b": 28 if week_in_range or selected_week is None else 52},
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
