"""The federal overview: every region's KPIs, the ranking, the heat map and the roadmap."""

from datetime import date

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics.choices import ScopeType
from metrics.selectors import (
    country_summary,
    definition_targets,
    kpi_definitions,
    region_ranking,
    regions_weeks_matrix,
    roadmap_stage_plans,
    scope_kpi_status,
    warning_counts,
)
from regions.selectors import user_region

from ..charts import heatmap_figure, ranking_figure, roadmap_timeline_figure, short_label
from ..forms import OverviewFilterForm
from ..tables import overview_rows, status_strip
from .common import chosen_kpi, overview_filters, page_context, russia_url, week_state
from .glance import glance_context

HEATMAP_WEEKS = 26


def home(request):
    """The federal overview; a coordinator landing on `/` is taken to their own region."""
    own_region = user_region(request.user)
    if own_region is not None and not request.GET:
        return redirect("dashboard:region", code=own_region.code)
    form = OverviewFilterForm(request.GET or None)
    weeks, week, week_query = week_state(form)
    definitions = kpi_definitions()
    kpi = chosen_kpi(definitions, form.value("kpi"))
    district = form.value("district")
    federal_stages, _plans = roadmap_stage_plans(regions=[], targets=definition_targets(definitions))
    context = {
        "form": form,
        "definitions": definitions,
        "kpi_names": {d.code: d.short_name for d in definitions},
        "kpi": kpi,
        "district": district,
        "week_query": week_query,
        "rows": [],
    }
    statuses = {}
    if week is not None:
        summary = country_summary(week=week, definitions=definitions, **overview_filters(form))
        statuses = {stage["order"]: stage["status"] for stage in summary["country"]["stages"]}
        rows = summary["regions"]
        quality_counts = warning_counts(week=week)
        ranking = region_ranking(summary={"regions": rows}, kpi=kpi.code)
        matrix = regions_weeks_matrix(
            kpi=kpi.code, regions=[r["region"] for r in ranking], until=week, last=HEATMAP_WEEKS
        )
        scope = (
            scope_kpi_status(scope=ScopeType.DISTRICT, scope_id=district.id, week=week, definitions=definitions)
            if district
            else summary["country"]
        )
        context |= {
            "scope": scope,
            "page_coverage": scope["coverage"],
            "strip": status_strip(summary, scope),
            "rows": overview_rows(rows, definitions, week_query=week_query, quality_counts=quality_counts),
            "quality_counts": quality_counts,
            "ranking_chart": ranking_figure(
                items=[_region_item(r, kpi.code) for r in ranking],
                target=float(kpi.target),
                kpi_name=kpi.short_name,
                filename=f"reiting-{kpi.code}-{week:%Y-%m-%d}",
            ),
            "heatmap_chart": heatmap_figure(
                **_heatmap_window(matrix, week),
                target=float(kpi.target),
                kpi_name=kpi.short_name,
                selected_week=week,
                filename=f"karta-{kpi.code}",
            ),
        }
        context |= glance_context(
            request,
            week=week,
            kpi=kpi,
            definitions=definitions,
            district=district,
            week_query=week_query,
            weeks=weeks,
        )
    context["timeline_chart"] = roadmap_timeline_figure(
        stages=federal_stages, today=timezone.localdate(), selected_week=week, statuses=statuses
    )
    context["timeline_statuses"] = bool(statuses)
    crumbs = [(_("Россия"), russia_url(request) if district else None)]
    if district:
        crumbs.append((district.code, None))
    return render(request, "dashboard/overview.html", page_context(request, "overview", weeks, week, crumbs, **context))


def _region_item(row: dict, code: str) -> dict:
    kpi = row["kpis"][code]
    return {
        "label": f"{row['code']} {short_label(row['name'])}",
        "name": f"{row['code']} {row['name']}",
        "value": kpi["value"],
        "met": kpi["met"],
        "orgs_reported": kpi["orgs_reported"],
        "orgs_total": kpi["orgs_total"],
    }


def _heatmap_window(matrix: dict, week: date) -> dict:
    """The heat map's columns: the last HEATMAP_WEEKS weeks up to the week on screen."""
    columns = [i for i, w in enumerate(matrix["weeks"]) if w <= week][-HEATMAP_WEEKS:]
    return {
        "weeks": [matrix["weeks"][i] for i in columns],
        "rows": [
            {
                "label": f"{region.code} {short_label(region.name)}",
                "name": f"{region.code} {region.name}",
                "values": [values[i] for i in columns],
            }
            for region, values in matrix["rows"]
        ],
    }
