"""The heat map: one KPI for rows (regions) × weeks."""

from collections.abc import Sequence
from datetime import date
from html import escape

from django.utils.translation import gettext as _

from ..templatetags.dashboard_tags import Formats, ru_date
from .base import BAD, INK, OK, ROW_HEIGHT, _figure, _layout, _trace


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
    # Always with the year: a column «15.09» does not say which September.
    columns = [ru_date(w, "%d.%m.%y") for w in weeks]
    labels = [escape(row["label"]) for row in rows]
    percent = Formats().percent
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
        hovertemplate="<b>%{y}</b><br>" + _("Неделя с") + " %{x}<br>%{meta[0]}: %{text}<extra></extra>",
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
