"""«Кто не отчитался»: the reporting register of every region for a week, and one region's
organisations that sent nothing (DESIGN.md §4.2, §8 question 2)."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from metrics.reporting import ReportingCycle
from metrics.selectors import (
    default_week,
    organisations_missing_for_user,
    reporting_register,
    reporting_series,
    user_can_see_missing,
)
from regions.models import Region

from ..charts import reporting_rate_figure
from ..exports import table_response
from ..forms import PageFilterForm, ReportingFilterForm
from ..tables import missing_organisations_table, register_rows, reporting_table
from .common import export_name, page_context, region_crumbs, russia_url, week_state


def _register_filters(form) -> dict:
    district = form.value("federal_district")
    return {"district": district.code if district else None, "status": form.value("status")}


def reporting(request):
    """The register: every region's reporting status for the week, worst first, with the counts,
    the country's reporting rate over the weeks and, where the user may see them, links to the
    organisations that sent nothing."""
    form = ReportingFilterForm(request.GET or None)
    weeks, week, week_query = week_state(form)
    register = reporting_register(week=week, **_register_filters(form)) if week else None
    rows = []
    if register:
        for row in register["rows"]:
            can_see = user_can_see_missing(request.user, row["region"])
            missing = max(row["orgs_total"] - row["orgs_reported"], 0)
            rows.append({**row, "missing": missing, "can_see_missing": can_see})
        rows = register_rows(rows, week=week, week_query=week_query)
    context = {
        "form": form,
        "register": register,
        "rows": rows,
        "week_query": week_query,
        "page_coverage": register["coverage"] if register else None,
        "coverage_min": float(ReportingCycle.from_settings().coverage_min),
        "chart": reporting_rate_figure(weeks=reporting_series(), selected_week=week),
    }
    crumbs = [(_("Россия"), russia_url(request)), (_("Отчётность"), None)]
    page = page_context(request, "reporting", weeks, week, crumbs, **context)
    return render(request, "dashboard/reporting.html", page)


def reporting_export(request, fmt):
    """The register as a table, with the page's filters."""
    form = ReportingFilterForm(request.GET or None)
    week = form.week_value() or default_week()
    rows = reporting_register(week=week, **_register_filters(form))["rows"] if week else []
    headers, body = reporting_table(rows)
    return table_response(fmt, export_name("otchetnost", week), headers, body)


def region_missing(request, code):
    """A region's registered organisations with no snapshot for the week: ministry staff for every
    region, a coordinator for their own (403 otherwise)."""
    region = get_object_or_404(Region.objects.select_related("federal_district"), code=code)
    form = PageFilterForm(request.GET or None)
    weeks, week, week_query = week_state(form)
    organisations = organisations_missing_for_user(user=request.user, region=region, week=week) if week else []
    crumbs = [*region_crumbs(request, region, link_last=True, week_query=week_query), (_("Не отчитались"), None)]
    context = {
        "region": region,
        "organisations": organisations,
        "week_query": week_query,
    }
    return render(
        request,
        "dashboard/region_missing.html",
        page_context(request, "reporting", weeks, week, crumbs, **context),
    )


def region_missing_export(request, code, fmt):
    """The organisations of ``region_missing`` as a table."""
    region = get_object_or_404(Region, code=code)
    week = PageFilterForm(request.GET or None).week_value() or default_week()
    organisations = organisations_missing_for_user(user=request.user, region=region, week=week) if week else []
    headers, body = missing_organisations_table(organisations)
    return table_response(fmt, export_name(f"ne-otchitalis-{region.code}", week), headers, body)
