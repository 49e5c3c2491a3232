"""Plotly figures of the pages: pure functions from plain data to figure dicts; no ORM.

The dicts are written as plotly.js reads them, not built through ``plotly.graph_objects``: its
validation of every property and array was a tenth of the overview's server time for the same
JSON. The tests validate every figure with ``plotly.graph_objects.Figure`` instead.

Every name placed in a label or a hover text is HTML-escaped: plotly.js reads a subset of HTML in
those strings, and organisation names arrive in uploaded files. Hover texts are formatted here in
Russian (decimal comma, «75,3 %»), whatever locale the browser draws the axes in.
"""

from .base import short_label
from .heatmap import heatmap_figure, target_colorscale
from .ranking import ranking_figure
from .reporting import region_reporting_figure, reporting_rate_figure
from .series import kpi_series_figure, stage_marker_groups
from .tilemap import region_tiles, tilemap_figure, tilemap_legend
from .timeline import roadmap_timeline_figure

__all__ = [
    "heatmap_figure",
    "kpi_series_figure",
    "ranking_figure",
    "region_reporting_figure",
    "region_tiles",
    "reporting_rate_figure",
    "roadmap_timeline_figure",
    "short_label",
    "stage_marker_groups",
    "target_colorscale",
    "tilemap_figure",
    "tilemap_legend",
]
