"""Table downloads: the same selectors as the pages, through ``dashboard.exports.table_response``."""

from django.shortcuts import get_object_or_404

from metrics.importers import template_headers
from metrics.selectors import (
    country_summary,
    default_week,
    kpi_definitions,
    municipality_ranking,
    organisation_series,
    organisations_lagging,
    organisations_readiness,
    template_rows,
    upload_error_headers,
    upload_error_rows,
    upload_get_for_user,
)
from regions.models import Municipality, Organisation, Region
from regions.selectors import user_region
from sferum_migration.downloads import table_streaming_response

from ..exports import table_response
from ..forms import OverviewFilterForm, PageFilterForm
from ..tables import municipalities_table, organisation_weeks_table, organisations_table, regions_table
from .common import chosen_kpi, export_name, overview_filters


def regions_export(request, fmt):
    """The overview's table of regions, with the same filters."""
    form = OverviewFilterForm(request.GET or None)
    week = form.week_value() or default_week()
    rows = country_summary(week=week, **overview_filters(form))["regions"] if week is not None else []
    headers, body = regions_table(rows, kpi_definitions())
    return table_response(fmt, f"regiony-{week:%Y-%m-%d}" if week else "regiony", headers, body)


def region_municipalities_export(request, code, fmt):
    """A region's municipalities with their KPIs for a week."""
    region = get_object_or_404(Region, code=code)
    form = PageFilterForm(request.GET or None)
    week = form.week_value() or default_week()
    definitions = kpi_definitions()
    kpi = chosen_kpi(definitions, form.value("kpi"))
    rows = municipality_ranking(region=region, week=week, kpi=kpi.code) if week else []
    headers, body = municipalities_table(rows, definitions)
    return table_response(fmt, export_name(f"municipalitety-{region.code}", week), headers, body)


def region_lagging_export(request, code, fmt):
    """Every organisation of a region that is not ready in a week, the most lagging first."""
    region = get_object_or_404(Region, code=code)
    week = PageFilterForm(request.GET or None).week_value() or default_week()
    rows = organisations_lagging(region=region, week=week, limit=None) if week else []
    headers, body = organisations_table(rows, kpi_definitions())
    return table_response(fmt, export_name(f"otstayushchie-{region.code}", week), headers, body)


def municipality_organisations_export(request, pk, fmt):
    """A municipality's organisations with their readiness for a week."""
    municipality = get_object_or_404(Municipality.objects.select_related("region"), pk=pk)
    week = PageFilterForm(request.GET or None).week_value() or default_week()
    rows = organisations_readiness(region=municipality.region, week=week, municipality=municipality) if week else []
    headers, body = organisations_table(rows, kpi_definitions())
    return table_response(fmt, export_name(f"organizatsii-mo-{municipality.pk}", week), headers, body)


def organisation_weeks_export(request, pk, fmt):
    """An organisation's weekly figures and KPIs."""
    organisation = get_object_or_404(Organisation, pk=pk)
    headers, body = organisation_weeks_table(organisation_series(organisation=organisation), kpi_definitions())
    # The id, not the org_id from a file, names the download: it goes into a response header.
    return table_response(fmt, f"nedeli-organizatsii-{organisation.pk}", headers, body)


def upload_errors_export(request, pk, fmt):
    """An upload's row errors, streamed: the kept ones, then how many were not kept, by column and reason."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    rows = upload_error_rows(upload=upload)
    return table_streaming_response(fmt, f"oshibki-zagruzki-{upload.pk}", upload_error_headers(), rows)


def upload_template(request, fmt):
    """The weekly file's template; for a coordinator pre-filled with their region's organisations."""
    region = user_region(request.user)
    rows = template_rows(region=region) if region is not None else []
    name = f"shablon-{region.code}" if region is not None else "shablon"
    return table_response(fmt, name, template_headers(), rows)
