"""KPI reads for pages and the API: precomputed values, a fixed number of queries."""

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.db.models import Q

from regions.models import Municipality, Region
from sferum_migration.db import plain_rows

from ..choices import ReportingStatus, ScopeType
from ..constants import ALL_KINDS, COUNTRY_ID
from ..models import KpiValue, RegionReporting, ScheduleState
from .definitions import kpi_definitions, kpi_targets, roadmap_stage_plans
from .rows import named_rows

# What the pages read of KpiValue and ScheduleState rows: named tuples rather than model instances
# (a page reads hundreds, fetched by ``named_rows``), with no ORDER BY where the rows go into a
# mapping.
_KPI_ROW_FIELDS = (
    "scope_id",
    "kpi",
    "value",
    "numerator",
    "denominator",
    "met",
    "delta",
    "orgs_reported",
    "orgs_total",
)
_STATE_FIELDS = (
    "scope_id",
    "status",
    "status_since",
    "ready",
    "blocking",
    "blocking_detail",
    "orgs_reported",
    "orgs_total",
    "kpis",
)


def _kpi_rows(values):
    return named_rows(values.order_by().values_list(*_KPI_ROW_FIELDS))


def _kpi_entry(definition, row, state_kpis) -> dict:
    """One KPI of one scope-week as pages and the API show it."""
    state = (state_kpis or {}).get(definition.code, {})
    projected = state.get("projected_date")
    planned = state.get("planned")
    value = row.value if row else None
    return {
        "code": definition.code,
        "name": definition.name,
        "short_name": definition.short_name,
        "value": value,
        "numerator": row.numerator if row else 0,
        "denominator": row.denominator if row else 0,
        "target": float(definition.target),
        "met": row.met if row else None,
        "delta": row.delta if row else None,
        "schedule_status": state.get("schedule_status"),
        "projected_date": date.fromisoformat(projected) if projected else None,
        "planned": planned,
        "gap": (value - planned) if value is not None and planned is not None else None,
        "orgs_reported": row.orgs_reported if row else 0,
        "orgs_total": row.orgs_total if row else 0,
    }


def _verdict(state, reported: int, total: int) -> dict:
    """What a scope's schedule state says of it (DESIGN.md §4.1): the status, since when, what
    blocks it, and its coverage against the registry (the state's own count when it has one, else
    the KPI rows')."""
    if state is not None and state.orgs_total:
        reported, total = state.orgs_reported, state.orgs_total
    return {
        "status": state.status if state else None,
        "status_since": state.status_since if state else None,
        "ready": state.ready if state else None,
        "blocking": state.blocking if state else [],
        "blocking_detail": (state.blocking_detail or []) if state else [],
        "orgs_reported": reported,
        "orgs_total": total,
        "coverage": {"reported": reported, "total": total},
    }


def scope_kpi_status(
    *, scope: str, scope_id: int, week: date, definitions: list | None = None, values: dict | None = None
) -> dict:
    """The four KPIs of one scope for one week, with the schedule state where there is one.
    Three queries (two when the caller passes the definitions it has already read, one when it
    also passes the scope's KPI ``values`` of the week: KPI code -> ``_kpi_rows`` row)."""

    rows = (
        {
            row.kpi: row
            for row in _kpi_rows(KpiValue.objects.filter(scope=scope, scope_id=scope_id, kind=ALL_KINDS, week=week))
        }
        if values is None
        else values
    )
    state = (
        ScheduleState.objects.filter(scope=scope, scope_id=scope_id, week=week)
        .values_list(*_STATE_FIELDS, "stages", named=True)
        .first()
    )
    if definitions is None:
        definitions = kpi_definitions()
    kpis = [_kpi_entry(d, rows.get(d.code), state.kpis if state else None) for d in definitions]
    reported = max((k["orgs_reported"] for k in kpis), default=0)
    total = max((k["orgs_total"] for k in kpis), default=0)
    return {
        "week": week,
        "kpis": kpis,
        "stages": state.stages if state else [],
        **_verdict(state, reported, total),
        "has_data": reported > 0,
    }


def scope_kpi_series(*, scope: str, scope_id: int, kpi: str | None = None) -> dict[str, list[dict]]:
    """KPI code -> the weekly series of a scope (oldest first), with the planned value. Two queries."""

    values = KpiValue.objects.filter(scope=scope, scope_id=scope_id, kind=ALL_KINDS)
    if kpi:
        values = values.filter(kpi=kpi)
    values = named_rows(values.order_by("week").values_list("week", "target", *_KPI_ROW_FIELDS))
    planned = dict(ScheduleState.objects.filter(scope=scope, scope_id=scope_id).order_by().values_list("week", "kpis"))
    series: dict[str, list[dict]] = {}
    for row in values:
        state = planned.get(row.week, {}).get(row.kpi, {})
        series.setdefault(row.kpi, []).append(
            {
                "week": row.week,
                "value": row.value,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "target": float(row.target),
                "met": row.met,
                "delta": row.delta,
                "planned": state.get("planned"),
                "orgs_reported": row.orgs_reported,
                "orgs_total": row.orgs_total,
            }
        )
    return series


def country_summary(
    *,
    week: date,
    district: str | None = None,
    pilot: bool | None = None,
    status: str | None = None,
    definitions: list | None = None,
) -> dict:
    """The country's KPIs and one compact row per region for a week: the regions of a federal
    district, pilots or not, in one schedule status (a ScheduleStatus value), each with its
    reporting status for the week (missing when it has no reporting row). ``status_counts`` and
    ``reporting_counts`` count the regions by schedule and reporting status before the status
    filter (the overview's strip). Six queries, five given the definitions."""

    if definitions is None:
        definitions = kpi_definitions()
    regions = Region.objects.select_related("federal_district").order_by("code")
    if district:
        regions = regions.filter(federal_district__code=district)
    if pilot is not None:
        regions = regions.filter(pilot=pilot)
    regions = list(regions)
    # The regions' KPI values and the country's, in one read.
    values, country_values = defaultdict(dict), {}
    for row in named_rows(
        KpiValue.objects.filter(Q(scope=ScopeType.REGION) | Q(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID))
        .filter(kind=ALL_KINDS, week=week)
        .order_by()
        .values_list("scope", *_KPI_ROW_FIELDS)
    ):
        if row.scope == ScopeType.COUNTRY:
            country_values[row.kpi] = row
        else:
            values[row.scope_id][row.kpi] = row
    states = {
        s.scope_id: s
        for s in ScheduleState.objects.filter(scope=ScopeType.REGION, week=week)
        .order_by()
        .values_list(*_STATE_FIELDS, named=True)
    }
    reporting = dict(RegionReporting.objects.filter(week=week).order_by().values_list("region_id", "status"))
    rows = []
    for region in regions:
        state = states.get(region.id)
        kpis = {
            d.code: _kpi_entry(d, values[region.id].get(d.code), state.kpis if state else None) for d in definitions
        }
        any_kpi = next(iter(kpis.values()), None)
        rows.append(
            {
                "region": region,
                "code": region.code,
                "name": region.name,
                "federal_district": region.federal_district.code,
                "pilot": region.pilot,
                "kpis": kpis,
                **_verdict(state, any_kpi["orgs_reported"] if any_kpi else 0, any_kpi["orgs_total"] if any_kpi else 0),
                "reporting_status": reporting.get(region.id, ReportingStatus.MISSING),
                "projected_date": max((k["projected_date"] for k in kpis.values() if k["projected_date"]), default=None)
                if all(k["projected_date"] for k in kpis.values() if k["denominator"])
                else None,
            }
        )
    status_counts = Counter(row["status"] for row in rows)
    reporting_counts = Counter(row["reporting_status"] for row in rows)
    if status:
        rows = [row for row in rows if row["status"] == status]
    country = scope_kpi_status(
        scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, week=week, definitions=definitions, values=country_values
    )
    return {
        "week": week,
        "country": country,
        "regions": rows,
        "status_counts": dict(status_counts),
        "reporting_counts": dict(reporting_counts),
    }


def region_ranking(*, summary: dict, kpi: str) -> list[dict]:
    """Regions of a summary ordered by one KPI, best first; no data last."""
    with_data = [r for r in summary["regions"] if r["kpis"][kpi]["value"] is not None]
    without = [r for r in summary["regions"] if r["kpis"][kpi]["value"] is None]
    return sorted(with_data, key=lambda r: -r["kpis"][kpi]["value"]) + without


def municipality_ranking(*, region, week: date, kpi: str, definitions: list | None = None) -> list[dict]:
    """Municipalities of a region with their four KPIs for a week, ranked by one KPI. Three queries
    (two given the ``definitions``)."""

    if definitions is None:
        definitions = kpi_definitions()
    values = defaultdict(dict)
    for row in _kpi_rows(
        KpiValue.objects.filter(scope=ScopeType.MUNICIPALITY, region=region, kind=ALL_KINDS, week=week)
    ):
        values[row.scope_id][row.kpi] = row
    rows = []
    for municipality in Municipality.objects.filter(region=region).order_by("name"):
        kpis = {d.code: _kpi_entry(d, values[municipality.id].get(d.code), None) for d in definitions}
        first = next(iter(kpis.values()))
        rows.append(
            {
                "municipality": municipality,
                "kpis": kpis,
                "orgs_reported": first["orgs_reported"],
                "orgs_total": first["orgs_total"],
            }
        )
    return sorted(rows, key=lambda r: (r["kpis"][kpi]["value"] is None, -(r["kpis"][kpi]["value"] or 0)))


def regions_weeks_matrix(*, kpi: str, regions=None, until: date | None = None, last: int | None = None) -> dict:
    """Values of one KPI for every region and week: {"weeks": [...], "rows": [(region, [values])]}.
    ``until``: the weeks up to it only; ``last``: the latest ``last`` of those (a heat map's
    columns). Two queries (one when given the ``regions``); with ``last``, one more when the
    ``last`` weeks before ``until`` are not all there (a gap, or fewer weeks so far), for the older
    weeks."""

    regions = list(regions if regions is not None else Region.objects.order_by("code"))
    values = KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, kpi=kpi).order_by()
    if until is not None:
        values = values.filter(week__lte=until)
    if last is None or until is None:
        found = plain_rows(values.values_list("scope_id", "week", "value"))
    else:
        # The last weeks are read by their dates, not by scanning every week of every region.
        start = until - timedelta(weeks=last)
        found = plain_rows(values.filter(week__gt=start).values_list("scope_id", "week", "value"))
        if len({week for _scope_id, week, _value in found}) < last:
            found += plain_rows(values.filter(week__lte=start).values_list("scope_id", "week", "value"))
    cells = {(scope_id, week): value for scope_id, week, value in found}
    weeks = sorted({week for _scope_id, week in cells})
    if last is not None:
        weeks = weeks[-last:]
    return {"weeks": weeks, "rows": [(region, [cells.get((region.id, w)) for w in weeks]) for region in regions]}


def region_kpi_history(*, region, kpi: str) -> dict:
    """One KPI of a region week by week (oldest first) with its target and the deadlines of the
    region's roadmap stages (each with the target it sets for this KPI, or None). Four queries."""

    targets = kpi_targets()
    _federal, plans = roadmap_stage_plans(regions=[region], targets=targets)
    stages = [
        {
            "order": stage.order,
            "title": stage.title,
            "start": stage.start,
            "deadline": stage.deadline,
            "kinds": list(stage.kinds),
            "target": float(stage.targets[kpi]) if kpi in stage.targets else None,
        }
        for stage in plans[region.id]
    ]
    series = scope_kpi_series(scope=ScopeType.REGION, scope_id=region.id, kpi=kpi).get(kpi, [])
    return {"region": region, "kpi": kpi, "target": float(targets[kpi]), "series": series, "stages": stages}
