"""The country at a glance on the overview: the tile map of the 89 regions and what changed since
the week before. The overview view adds ``glance_context(...)`` to its context in one line."""

from datetime import date
from html import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from metrics.selectors import (
    previous_week,
    region_map,
    region_refs,
    region_weeks,
    week_changes,
    weeks_with_data,
)

from ..charts import region_tiles, tilemap_figure, tilemap_legend
from ..charts.tilemap import MODE_STATUS, colorscale_css, target_diverging_colorscale
from ..links import Links
from ..templatetags.dashboard_tags import Formats

MAP_PARAM = "map"


def map_mode(request, definitions) -> str:
    """What colours the map: MODE_STATUS (the default) or a KPI code; anything else is ignored."""
    asked = request.GET.get(MAP_PARAM, MODE_STATUS)
    return asked if asked in {d.code for d in definitions} else MODE_STATUS


def glance_context(
    request, *, week: date, kpi, definitions, district=None, week_query: str = "", weeks: list[date] | None = None
) -> dict:
    """The map (coloured by status or by a KPI against its target; the hover shows the page's KPI
    in the status view, the chosen one in the KPI view), its legend and the week's changes.
    Four queries given the page's ``weeks`` with data (newest first), five without: the regions,
    then the states, KPI values and reporting of the week and the one before, read once for both."""
    mode = map_mode(request, definitions)
    shown = next((d for d in definitions if d.code == mode), kpi)
    regions = region_refs()
    # Each region's page (with the week on screen), for the map's squares and the changes' links.
    region_url = Links("dashboard:region")
    for region in regions.values():
        region["url"] = region_url(region["code"]) + week_query
    weeks = weeks_with_data() if weeks is None else weeks
    previous = previous_week(week, weeks)
    data = region_weeks([week] if previous is None else [previous, week])
    rows = region_map(week=week, kpi=shown.code, target=float(shown.target), regions=regions, data=data)
    highlight = district.code if district else None
    return {
        "map_mode": mode,
        "map_kpi": shown,
        "map_keep": [(key, value) for key, value in request.GET.items() if key not in (MAP_PARAM, "page")],
        "region_map_chart": tilemap_figure(
            rows=rows,
            kpi_name=shown.short_name,
            target=float(shown.target),
            mode=mode,
            highlight=highlight,
            filename=f"karta-{mode}-{week:%Y-%m-%d}",
        ),
        "region_map_legend": tilemap_legend(rows, mode=mode, highlight=highlight),
        "region_map_scale": colorscale_css(target_diverging_colorscale(float(shown.target))),
        "region_map_target_position": f"{float(shown.target) * 100:.1f}",
        "week_changes": _with_movers_html(
            week_changes(week=week, definitions=definitions, regions=regions, weeks=weeks, data=data)
        ),
        "glance_kpi_names": {d.code: d.short_name for d in definitions},
        "glance_labels": {code: tile["label"] for code, tile in region_tiles()["tiles"].items()},
    }


def _with_movers_html(changes: dict) -> dict:
    """Each KPI's largest rises and falls as their cells show them («<a …>МСК +2,1 п. п.</a>, …»,
    every value escaped), formatted once here rather than by five filters per link."""
    formats = Formats()
    labels = {code: tile["label"] for code, tile in region_tiles()["tiles"].items()}
    none = f'<span class="muted">{escape(_("нет"))}</span>'
    for group in changes["movers"]:
        for key, css in (("up", "delta-up"), ("down", "delta-down")):
            links = [
                f'<a class="{css}" href="{escape(m["region"]["url"])}" title="{escape(m["region"]["name"])}: '
                f'{escape(formats.percent(m["before"]))} → {escape(formats.percent(m["after"]))}">'
                f"{escape(str(labels.get(m['region']['code'])))} {escape(formats.points(m['delta']))}</a>"
                for m in group[key]
            ]
            group[f"{key}_html"] = mark_safe(", ".join(links) if links else none)  # noqa: S308 - escaped
    return changes
