"""The ranking: one bar per region (or municipality), best first."""

from collections.abc import Sequence
from html import escape

from django.utils.translation import gettext as _

from ..templatetags.dashboard_tags import Formats, percent
from .base import INK, ROW_HEIGHT, _coverage, _figure, _layout, _met_colour, _trace


def ranking_figure(*, items: Sequence[dict], target: float, kpi_name: str, filename: str = "rating") -> dict:
    """Horizontal bars of one KPI, in the order given (best first), coloured by whether each item
    meets the target, with the target as a vertical line. Items: ``label`` (unique, short),
    ``name`` (full, for the hover), ``value`` (fraction or None), ``met``, and optionally
    ``orgs_reported`` / ``orgs_total``."""
    labels = [escape(item["label"]) for item in items]
    values = [item["value"] if item["value"] is not None else 0 for item in items]
    formats = Formats()
    texts = [formats.percent(item["value"]) if item["value"] is not None else formats.no_data for item in items]
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
            [escape(item["name"]), _coverage(item.get("orgs_reported"), item.get("orgs_total"), formats)]
            for item in items
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
