"""Pages. Each view checks access, calls a selector or service, and renders."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from metrics.choices import ScopeType
from metrics.filtersets import UploadFilterSet
from metrics.importers import template_headers
from metrics.kpi import projected_date
from metrics.selectors import (
    country_summary,
    kpi_definitions,
    latest_week_with_data,
    municipality_ranking,
    organisation_series,
    organisations_lagging,
    organisations_readiness,
    region_ranking,
    regions_weeks_matrix,
    roadmap_stage_plans,
    scope_kpi_series,
    scope_kpi_status,
    template_rows,
    upload_get_for_user,
    uploads_for_user,
    weeks_with_data,
)
from metrics.services import upload_create
from regions.models import Municipality, Organisation, Region
from regions.selectors import user_can_upload, user_region

from .charts import heatmap_figure, kpi_series_figure, ranking_figure, roadmap_timeline_figure, short_label
from .errors import refusals_shown_on
from .exports import table_response
from .forms import OverviewFilterForm, PageFilterForm, UploadForm
from .tables import (
    municipalities_table,
    organisation_weeks_table,
    organisations_table,
    overview_rows,
    regions_table,
    with_kpi_cells,
)

ERRORS_SHOWN = 500


# --- KPI pages: check access, read precomputed values through selectors, build figures, render ----

HEATMAP_WEEKS = 26
LAGGING_SHOWN = 20
REGION_UPLOADS_SHOWN = 10


def home(request):
    """The federal overview; a coordinator landing on `/` is taken to their own region."""
    own_region = user_region(request.user)
    if own_region is not None and not request.GET:
        return redirect("dashboard:region", code=own_region.code)
    form = OverviewFilterForm(request.GET or None)
    weeks, week, week_query = _week_state(form)
    definitions = kpi_definitions()
    kpi = _chosen_kpi(definitions, form.value("kpi"))
    district = form.value("district")
    federal_stages, _plans = roadmap_stage_plans(regions=[])
    context = {
        "form": form,
        "definitions": definitions,
        "kpi": kpi,
        "district": district,
        "week_query": week_query,
        "rows": [],
    }
    statuses = {}
    if week is not None:
        summary = _regions_summary(form, week)
        statuses = {stage["order"]: stage["status"] for stage in summary["country"]["stages"]}
        rows = summary["regions"]
        ranking = region_ranking(summary={"regions": rows}, kpi=kpi.code)
        matrix = regions_weeks_matrix(kpi=kpi.code, regions=[r["region"] for r in ranking])
        context |= {
            "scope": scope_kpi_status(scope=ScopeType.DISTRICT, scope_id=district.id, week=week)
            if district
            else summary["country"],
            "rows": overview_rows(rows, definitions, week_query=week_query),
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
    context["timeline_chart"] = roadmap_timeline_figure(
        stages=federal_stages, today=timezone.localdate(), selected_week=week, statuses=statuses
    )
    context["timeline_statuses"] = bool(statuses)
    crumbs = [(_("Россия"), _russia_url(request) if district else None)]
    if district:
        crumbs.append((district.code, None))
    return render(
        request, "dashboard/overview.html", _page_context(request, "overview", weeks, week, crumbs, **context)
    )


def region(request, code):
    """A region: its KPIs against the roadmap, its stages, municipalities, laggards and uploads."""
    region = get_object_or_404(Region.objects.select_related("federal_district"), code=code)
    form = PageFilterForm(request.GET or None)
    weeks, week, week_query = _week_state(form)
    definitions = kpi_definitions()
    kpi = _chosen_kpi(definitions, form.value("kpi"))
    _federal, plans = roadmap_stage_plans(regions=[region])
    status = scope_kpi_status(scope=ScopeType.REGION, scope_id=region.id, week=week) if week else None
    series = scope_kpi_series(scope=ScopeType.REGION, scope_id=region.id)
    can_see_uploads = user_can_upload(request.user, region)
    context = {
        "region": region,
        "form": form,
        "definitions": definitions,
        "kpi_names": {d.code: d.short_name for d in definitions},
        "kpi": kpi,
        "week_query": week_query,
        "status": status,
        "stages": status["stages"] if status and status["stages"] else _plan_stages(plans[region.id]),
        "charts": _series_charts(
            definitions, series, status, plans[region.id], week, scope_name=region.name, prefix=f"region-{region.code}"
        ),
        "municipalities": with_kpi_cells(
            municipality_ranking(region=region, week=week, kpi=kpi.code) if week else [], definitions
        ),
        "lagging": with_kpi_cells(
            organisations_lagging(region=region, week=week, limit=LAGGING_SHOWN) if week else [], definitions
        ),
        "lagging_limit": LAGGING_SHOWN,
        "can_see_uploads": can_see_uploads,
        "uploads": list(uploads_for_user(user=request.user, region=region)[:REGION_UPLOADS_SHOWN])
        if can_see_uploads
        else [],
    }
    return render(
        request,
        "dashboard/region.html",
        _page_context(request, _nav(request, region), weeks, week, _crumbs(request, region), **context),
    )


def region_uploads(request, code):
    """The upload history of one region: ministry staff and that region's coordinator only."""
    region = get_object_or_404(Region.objects.select_related("federal_district"), code=code)
    page = Paginator(uploads_for_user(user=request.user, region=region), 50).get_page(request.GET.get("page"))
    crumbs = [*_crumbs(request, region, link_last=True), (_("Загрузки"), None)]
    return render(
        request,
        "dashboard/region_uploads.html",
        {"nav": "uploads", "region": region, "page": page, "breadcrumbs": crumbs},
    )


def municipality(request, pk):
    """A municipality: its KPIs week by week and its organisations with their readiness."""
    municipality = get_object_or_404(Municipality.objects.select_related("region__federal_district"), pk=pk)
    region = municipality.region
    form = PageFilterForm(request.GET or None)
    weeks, week, week_query = _week_state(form)
    definitions = kpi_definitions()
    _federal, plans = roadmap_stage_plans(regions=[region])
    status = scope_kpi_status(scope=ScopeType.MUNICIPALITY, scope_id=municipality.id, week=week) if week else None
    series = scope_kpi_series(scope=ScopeType.MUNICIPALITY, scope_id=municipality.id)
    context = {
        "municipality": municipality,
        "region": region,
        "definitions": definitions,
        "kpi_names": {d.code: d.short_name for d in definitions},
        "week_query": week_query,
        "status": status,
        "charts": _series_charts(
            definitions, series, status, plans[region.id], week, scope_name=municipality.name, prefix="mo"
        ),
        "organisations": with_kpi_cells(
            organisations_readiness(region=region, week=week, municipality=municipality) if week else [], definitions
        ),
    }
    crumbs = [*_crumbs(request, region, link_last=True, week_query=week_query), (municipality.name, None)]
    return render(
        request,
        "dashboard/municipality.html",
        _page_context(request, _nav(request, region), weeks, week, crumbs, **context),
    )


def organisation(request, pk):
    """An organisation: its KPIs computed from its weekly snapshots, and those snapshots."""
    organisation = get_object_or_404(
        Organisation.objects.select_related("region__federal_district", "municipality"), pk=pk
    )
    region = organisation.region
    form = PageFilterForm(request.GET or None)
    weeks, week, week_query = _week_state(form)
    definitions = kpi_definitions()
    _federal, plans = roadmap_stage_plans(regions=[region])
    rows = organisation_series(organisation=organisation)
    series = _organisation_points(rows, definitions)
    status = _organisation_status(series, definitions, week) if week else None
    context = {
        "organisation": organisation,
        "region": region,
        "definitions": definitions,
        "week_query": week_query,
        "status": status,
        "charts": _series_charts(
            definitions, series, status, plans[region.id], week, scope_name=organisation.name, prefix="org"
        ),
        "rows": rows[::-1],
        "can_see_uploads": user_can_upload(request.user, region),
    }
    crumbs = _crumbs(request, region, link_last=True, week_query=week_query)
    if organisation.municipality:
        crumbs.append((organisation.municipality.name, organisation.municipality.get_absolute_url() + week_query))
    crumbs.append((organisation.name, None))
    return render(
        request,
        "dashboard/organisation.html",
        _page_context(request, _nav(request, region), weeks, week, crumbs, **context),
    )


# --- table downloads: the same selectors as the pages, through exports.table_response -----------


def regions_export(request, fmt):
    """The overview's table of regions, with the same filters."""
    form = OverviewFilterForm(request.GET or None)
    week = form.week_value() or latest_week_with_data()
    rows = _regions_summary(form, week)["regions"] if week is not None else []
    headers, body = regions_table(rows, kpi_definitions())
    return table_response(fmt, f"regiony-{week:%Y-%m-%d}" if week else "regiony", headers, body)


def region_municipalities_export(request, code, fmt):
    """A region's municipalities with their KPIs for a week."""
    region = get_object_or_404(Region, code=code)
    form = PageFilterForm(request.GET or None)
    week = form.week_value() or latest_week_with_data()
    definitions = kpi_definitions()
    kpi = _chosen_kpi(definitions, form.value("kpi"))
    rows = municipality_ranking(region=region, week=week, kpi=kpi.code) if week else []
    headers, body = municipalities_table(rows, definitions)
    return table_response(fmt, _export_name(f"municipalitety-{region.code}", week), headers, body)


def region_lagging_export(request, code, fmt):
    """Every organisation of a region that is not ready in a week, the most lagging first."""
    region = get_object_or_404(Region, code=code)
    week = PageFilterForm(request.GET or None).week_value() or latest_week_with_data()
    rows = organisations_lagging(region=region, week=week, limit=None) if week else []
    headers, body = organisations_table(rows, kpi_definitions())
    return table_response(fmt, _export_name(f"otstayushchie-{region.code}", week), headers, body)


def municipality_organisations_export(request, pk, fmt):
    """A municipality's organisations with their readiness for a week."""
    municipality = get_object_or_404(Municipality.objects.select_related("region"), pk=pk)
    week = PageFilterForm(request.GET or None).week_value() or latest_week_with_data()
    rows = organisations_readiness(region=municipality.region, week=week, municipality=municipality) if week else []
    headers, body = organisations_table(rows, kpi_definitions())
    return table_response(fmt, _export_name(f"organizatsii-mo-{municipality.pk}", week), headers, body)


def organisation_weeks_export(request, pk, fmt):
    """An organisation's weekly figures and KPIs."""
    organisation = get_object_or_404(Organisation, pk=pk)
    headers, body = organisation_weeks_table(organisation_series(organisation=organisation), kpi_definitions())
    # The id, not the org_id from a file, names the download: it goes into a response header.
    return table_response(fmt, f"nedeli-organizatsii-{organisation.pk}", headers, body)


# --- helpers of the pages -----------------------------------------------------------------------


def _week_state(form) -> tuple[list[date], date | None, str]:
    """Weeks with data (newest first, a week asked for without data included), the week on
    screen (the latest with data by default) and the query string that carries an explicitly
    chosen week into the page's links."""
    weeks = weeks_with_data()
    asked = form.week_value()
    week = asked or (weeks[0] if weeks else None)
    if week is not None and week not in weeks:
        weeks = sorted([*weeks, week], reverse=True)
    return weeks, week, ("?" + urlencode({"week": week.isoformat()}) if asked else "")


def _regions_summary(form, week) -> dict:
    """The country summary for a week with the overview's filters (district, pilot, status)."""
    district, status = form.value("district"), form.value("status")
    summary = country_summary(week=week, district=district.code if district else None, pilot=form.value("pilot"))
    if status:
        summary["regions"] = [row for row in summary["regions"] if row["status"] == status]
    return summary


def _nav(request, region) -> str:
    """The top bar tab: a coordinator's own region has its tab, every other page is "Россия"."""
    own = user_region(request.user)
    return "region" if own is not None and own.pk == region.pk else "overview"


def _chosen_kpi(definitions, code):
    return next((d for d in definitions if d.code == code), definitions[0])


def _export_name(stem: str, week: date | None) -> str:
    return f"{stem}-{week:%Y-%m-%d}" if week else stem


def _page_context(request, nav, weeks, week, breadcrumbs, **context) -> dict:
    """What base.html needs: the tab, the week selector (keeping the other filters), breadcrumbs."""
    keep = [(key, value) for key, value in request.GET.items() if key not in ("week", "page")]
    return {"nav": nav, "weeks": weeks, "week": week, "keep_params": keep, "breadcrumbs": breadcrumbs, **context}


def _russia_url(request) -> str:
    """The federal overview; a coordinator (sent from `/` to their region) reaches it with ?all=1."""
    url = reverse("dashboard:home")
    return url + "?all=1" if user_region(request.user) is not None else url


def _crumbs(request, region, *, link_last=False, week_query="") -> list[tuple]:
    """Россия › округ › регион."""
    district = region.federal_district
    return [
        (_("Россия"), _russia_url(request)),
        (district.code, reverse("dashboard:home") + "?" + urlencode({"district": district.code})),
        (f"{region.code} {region.name}", region.get_absolute_url() + week_query if link_last else None),
    ]


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


def _plan_stages(stages) -> list[dict]:
    """Roadmap stages shaped as ScheduleState keeps them, without a status (no data for the week)."""
    return [
        {
            "order": s.order,
            "title": s.title,
            "start": s.start,
            "deadline": s.deadline,
            "kinds": list(s.kinds),
            "status": None,
            "kpis": list(s.targets),
        }
        for s in stages
    ]


def _series_charts(definitions, series, status, stages, week, *, scope_name, prefix) -> list[dict]:
    """One chart per KPI: its weekly series against target, plan, stage deadlines and projection."""
    kpis = {k["code"]: k for k in status["kpis"]} if status else {}
    return [
        {
            "id": f"chart-{d.code}",
            "definition": d,
            "kpi": kpis.get(d.code),
            "figure": kpi_series_figure(
                code=d.code,
                kpi_name=d.short_name,
                target=float(d.target),
                series=series.get(d.code, []),
                stages=stages,
                projected=kpis.get(d.code, {}).get("projected_date"),
                selected_week=week,
                scope_name=scope_name,
                filename=f"{prefix}-{d.code}",
            ),
        }
        for d in definitions
    ]


def _organisation_points(rows, definitions) -> dict[str, list[dict]]:
    """KPI code -> an organisation's weekly points, with the change from the week before."""
    series = {}
    for d in definitions:
        points, previous = [], None
        for row in rows:
            kpi = row["kpis"][d.code]
            delta = None
            # A change is measured against the week just before, not across a gap in reporting.
            if previous and row["week"] - previous[0] == timedelta(weeks=1) and None not in (previous[1], kpi["value"]):
                delta = kpi["value"] - previous[1]
            points.append({"week": row["week"], "value": kpi["value"], "met": kpi["met"], "delta": delta})
            previous = (row["week"], kpi["value"])
        series[d.code] = points
    return series


def _organisation_status(series, definitions, week) -> dict:
    """An organisation's four KPIs for a week, shaped as scope_kpi_status shapes a scope's."""
    kpis = []
    for d in definitions:
        point = next((p for p in series[d.code] if p["week"] == week), None)
        trend = [(p["week"], p["value"]) for p in series[d.code]]
        kpis.append(
            {
                "code": d.code,
                "name": d.name,
                "short_name": d.short_name,
                "value": point["value"] if point else None,
                "target": float(d.target),
                "met": point["met"] if point else None,
                "delta": point["delta"] if point else None,
                "schedule_status": None,
                "projected_date": projected_date(trend, d.target, week) if point else None,
                "orgs_reported": 0,
                "orgs_total": 0,
            }
        )
    return {"week": week, "kpis": kpis, "has_data": any(k["value"] is not None for k in kpis)}


@require_http_methods(["GET", "POST"])
def upload_list(request):
    """The upload form and the history of uploads the user may see."""
    own_region = user_region(request.user)
    can_upload = user_can_upload(request.user, own_region)
    form = UploadForm(request.POST or None, request.FILES or None, region=own_region)
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied(_("Ваша учётная запись не может загружать файлы."))
        if form.is_valid():
            with refusals_shown_on(form):
                upload = upload_create(user=request.user, **form.cleaned_data)
                messages.info(request, _("Файл принят и поставлен в очередь на обработку."))
                return redirect(upload)
    filterset = UploadFilterSet(request.GET or None, queryset=uploads_for_user(user=request.user), request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/upload_list.html",
        {
            "nav": "uploads",
            "form": form if can_upload else None,
            "filterset": filterset,
            "page": page,
            "breadcrumbs": [(_("Россия"), _russia_url(request)), (_("Загрузки"), None)],
        },
    )


def upload_detail(request, pk):
    """One upload: its progress while it runs, then the result, the diff and every row error."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "dashboard/upload_detail.html",
        {
            "nav": "uploads",
            "upload": upload,
            "errors_shown": upload.errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, len(upload.errors) - ERRORS_SHOWN),
            "breadcrumbs": [
                (_("Россия"), _russia_url(request)),
                (_("Загрузки"), reverse("dashboard:upload_list")),
                (f"№ {upload.pk}", None),
            ],
        },
    )


def upload_errors_export(request, pk, fmt):
    """Every row error of an upload as a table."""
    upload = upload_get_for_user(user=request.user, pk=pk)
    rows = ((e["line"], e["column"], e["value"], e["message"]) for e in upload.errors)
    return table_response(
        fmt, f"oshibki-zagruzki-{upload.pk}", [_("Строка"), _("Столбец"), _("Значение"), _("Ошибка")], rows
    )


def upload_template(request, fmt):
    """The weekly file's template; for a coordinator pre-filled with their region's organisations."""
    region = user_region(request.user)
    rows = template_rows(region=region) if region is not None else []
    name = f"shablon-{region.code}" if region is not None else "shablon"
    return table_response(fmt, name, template_headers(), rows)
