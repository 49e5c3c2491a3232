"""What every figure shares: the palette, the layout, the figure dict and small formatters."""

from datetime import date, timedelta

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..templatetags.dashboard_tags import Formats

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
    """Date tick labels the Russian way at every zoom, each with its year (the plan spans 2025 and
    the weeks go on after it): «21 сен» over «2025», then «сен 2025», then «2025»."""
    return [
        {"dtickrange": [None, "M1"], "value": "%-d %b<br>%Y"},
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
        # Decimal comma and a space between thousands in every number plotly.js formats itself
        # (a decimal point and commas on an English page).
        "separators": ".," if get_language() == "en" else ", ",
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


def _coverage(reported, total, formats: Formats | None = None) -> str:
    """«10 из 12»: organisations that reported out of all in scope; «—» when unknown. ``formats``:
    the figure's ``Formats``, shared by its points."""
    if not total:
        return "—"
    formats = formats or Formats()
    return f"{formats.number(reported)} {formats.of} {formats.number(total)}"


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
