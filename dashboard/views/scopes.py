"""The pages of one scope: a region, a municipality, an organisation. Each reads its KPIs through
the selectors and hands them to ScopePage, which draws and renders what the three share."""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render

from metrics.choices import ScopeType
from metrics.kpi import StagePlan
from metrics.models import KpiDefinition
from metrics.reporting import ReportingCycle
from metrics.selectors import (
    definition_targets,
    kpi_definitions,
    municipality_ranking,
    organisation_kpi_series,
    organisation_kpi_status,
    organisation_series,
    organisations_lagging,
    organisations_readiness,
    region_peers,
    reporting_series,
    roadmap_stage_plans,
    scope_kpi_series,
    scope_kpi_status,
    uploads_for_user,
    user_can_see_missing,
    warning_counts,
)
from regions.models import Municipality, Organisation, Region
from regions.selectors import user_can_upload

from ..charts import kpi_series_figure, region_reporting_figure
from ..forms import PageFilterForm
from ..tables import municipality_rows, organisation_rows
from .common import chosen_kpi, nav, page_context, region_crumbs, week_state

LAGGING_SHOWN = 20
REGION_UPLOADS_SHOWN = 10


def region(request, code):
    """A region: its KPIs against the roadmap, its stages, municipalities, laggards and uploads."""
    region = get_object_or_404(Region.objects.select_related("federal_district"), code=code)
    page = ScopePage.read(request, region)
    week = page.week
    kpi = chosen_kpi(page.definitions, page.form.value("kpi"))
    status = (
        scope_kpi_status(scope=ScopeType.REGION, scope_id=region.id, week=week, definitions=page.definitions)
        if week
        else None
    )
    can_see_uploads = user_can_upload(request.user, region)
    uploads = uploads_for_user(user=request.user, region=region)[:REGION_UPLOADS_SHOWN] if can_see_uploads else []
    reporting = reporting_series(region=region)
    return page.render(
        "dashboard/region.html",
        crumbs=region_crumbs(request, region),
        status=status,
        peers=region_peers(region=region, week=week, definitions=page.definitions, weeks=page.weeks) if week else None,
        series=scope_kpi_series(scope=ScopeType.REGION, scope_id=region.id),
        scope_name=region.name,
        prefix=f"region-{region.code}",
        form=page.form,
        kpi_names=page.kpi_names,
        kpi=kpi,
        stages=status["stages"] if status and status["stages"] else _plan_stages(page.stages),
        municipalities=municipality_rows(
            municipality_ranking(region=region, week=week, kpi=kpi.code, definitions=page.definitions) if week else [],
            page.definitions,
            week_query=page.week_query,
        ),
        lagging=page.organisation_rows(
            organisations_lagging(
                region=region, week=week, limit=LAGGING_SHOWN, targets=definition_targets(page.definitions)
            )
            if week
            else []
        ),
        lagging_limit=LAGGING_SHOWN,
        can_see_uploads=can_see_uploads,
        uploads=list(uploads),
        reporting=next((row for row in reporting if row["week"] == week), None),
        can_see_missing=user_can_see_missing(request.user, region),
        missing_count=max(status["orgs_total"] - status["orgs_reported"], 0) if status else 0,
        reporting_chart=region_reporting_figure(
            series=reporting,
            coverage_min=float(ReportingCycle.from_settings().coverage_min),
            selected_week=week,
            filename=f"otchetnost-{region.code}",
        ),
        quality=warning_counts(week=week, region_ids=[region.id]).get(region.id, {}) if week else {},
    )


def municipality(request, pk):
    """A municipality: its KPIs week by week and its organisations with their readiness."""
    municipality = get_object_or_404(Municipality.objects.select_related("region__federal_district"), pk=pk)
    region = municipality.region
    page = ScopePage.read(request, region)
    week = page.week
    return page.render(
        "dashboard/municipality.html",
        crumbs=[*page.linked_crumbs(), (municipality.name, None)],
        status=scope_kpi_status(scope=ScopeType.MUNICIPALITY, scope_id=municipality.id, week=week) if week else None,
        series=scope_kpi_series(scope=ScopeType.MUNICIPALITY, scope_id=municipality.id),
        scope_name=municipality.name,
        prefix="mo",
        municipality=municipality,
        kpi_names=page.kpi_names,
        organisations=page.organisation_rows(
            organisations_readiness(region=region, week=week, municipality=municipality) if week else [],
            hide_municipality=True,
        ),
    )


def organisation(request, pk):
    """An organisation: its KPIs computed from its weekly snapshots, and those snapshots."""
    organisation = get_object_or_404(
        Organisation.objects.select_related("region__federal_district", "municipality"), pk=pk
    )
    page = ScopePage.read(request, organisation.region)
    rows = organisation_series(organisation=organisation)
    series = organisation_kpi_series(rows=rows, definitions=page.definitions)
    status = organisation_kpi_status(series=series, definitions=page.definitions, week=page.week) if page.week else None
    crumbs = page.linked_crumbs()
    if organisation.municipality:
        crumbs.append((organisation.municipality.name, organisation.municipality.get_absolute_url() + page.week_query))
    crumbs.append((organisation.name, None))
    return page.render(
        "dashboard/organisation.html",
        crumbs=crumbs,
        status=status,
        series=series,
        scope_name=organisation.name,
        prefix="org",
        organisation=organisation,
        rows=rows[::-1],
        can_see_uploads=user_can_upload(request.user, organisation.region),
    )


@dataclass(frozen=True)
class ScopePage:
    """What the three pages share: the week on screen, the KPI definitions, the region's roadmap
    stages, a chart per KPI and the breadcrumbs."""

    request: HttpRequest
    region: Region
    form: PageFilterForm
    weeks: list[date]
    week: date | None
    week_query: str
    definitions: list[KpiDefinition]
    stages: list[StagePlan]

    @classmethod
    def read(cls, request, region) -> "ScopePage":
        form = PageFilterForm(request.GET or None)
        weeks, week, week_query = week_state(form)
        definitions = kpi_definitions()
        _federal, plans = roadmap_stage_plans(regions=[region], targets=definition_targets(definitions))
        return cls(request, region, form, weeks, week, week_query, definitions, plans[region.id])

    @property
    def kpi_names(self) -> dict[str, str]:
        return {d.code: d.short_name for d in self.definitions}

    def organisation_rows(self, rows: list[dict], *, hide_municipality: bool = False) -> list[dict]:
        return organisation_rows(
            rows, self.definitions, week_query=self.week_query, hide_municipality=hide_municipality
        )

    def linked_crumbs(self) -> list[tuple]:
        """Россия › округ › регион, the region linked with the week on screen."""
        return region_crumbs(self.request, self.region, link_last=True, week_query=self.week_query)

    def render(self, template, *, crumbs, status, series, scope_name, prefix, **context):
        """The page with what the three share (region, definitions, week, status, charts) and its own."""
        shared = {
            "region": self.region,
            "definitions": self.definitions,
            "week_query": self.week_query,
            "status": status,
            "page_coverage": status.get("coverage") if status else None,
            "charts": self._charts(series, status, scope_name=scope_name, prefix=prefix),
        }
        page = page_context(
            self.request, nav(self.request, self.region), self.weeks, self.week, crumbs, **shared, **context
        )
        return render(self.request, template, page)

    def _charts(self, series, status, *, scope_name, prefix) -> list[dict]:
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
                    stages=self.stages,
                    projected=kpis.get(d.code, {}).get("projected_date"),
                    selected_week=self.week,
                    scope_name=scope_name,
                    filename=f"{prefix}-{d.code}",
                ),
            }
            for d in self.definitions
        ]


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
