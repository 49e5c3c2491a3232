"""Every write of the metrics app: KPI recomputation and the import of uploads."""

import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery, Sum

from regions.choices import OrganisationKind
from regions.models import Organisation, Region
from sferum_migration.db import advisory_xact_lock

from .choices import ScopeType
from .fields import COUNT_FIELDS
from .kpi import (
    KPI_CODES,
    KpiState,
    kpi_met,
    kpi_numbers,
    kpi_schedule_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    stage_status,
    worst_status,
)
from .models import KpiValue, ScopeStatus, WeeklySnapshot
from .selectors import kpi_targets, roadmap_stage_plans

logger = logging.getLogger(__name__)

COUNTRY_ID = 0
ALL_KINDS = ""
# Schedule checks look back this far for the latest week with data and the trend.
STATUS_LOOKBACK_WEEKS = 12


# --- KPI values ---------------------------------------------------------------------------------


def _zero():
    return dict.fromkeys(COUNT_FIELDS, 0) | {"reported": 0, "orgs": 0}


def _add(into: dict, counts: dict) -> None:
    for key, value in counts.items():
        into[key] += value or 0


def _kpi_rows(*, week, scope, scope_id, region_id, kind, counts, targets) -> list[KpiValue]:
    rows = []
    for code in KPI_CODES:
        numerator, denominator = kpi_numbers(counts, code)
        rows.append(
            KpiValue(
                week=week,
                scope=scope,
                scope_id=scope_id,
                region_id=region_id,
                kind=kind,
                kpi=code,
                numerator=numerator,
                denominator=denominator,
                value=kpi_value(numerator, denominator),
                target=targets[code],
                met=kpi_met(numerator, denominator, targets[code]),
                orgs_reported=counts["reported"],
                orgs_total=counts["orgs"],
            )
        )
    return rows


def kpi_values_recompute(
    *, week: date, region_ids: Collection[int] | None = None, refresh_statuses: bool = True
) -> int:
    """Recompute one week's KPI values: the regions given (all when None) with their
    municipalities and kinds, then the districts and the country from the region rows.

    Two grouped aggregates over the week's snapshots and the registry, whatever their size;
    replacing the week's rows makes it idempotent. Returns the number of rows written.
    """
    week = monday_of(week)
    targets = kpi_targets()
    with transaction.atomic():
        advisory_xact_lock("kpi-week", week)
        snapshots = WeeklySnapshot.objects.filter(week=week)
        organisations = Organisation.objects.all()
        if region_ids is not None:
            snapshots = snapshots.filter(region_id__in=region_ids)
            organisations = organisations.filter(region_id__in=region_ids)
            regions = list(Region.objects.filter(id__in=region_ids).values_list("id", flat=True))
        else:
            regions = list(Region.objects.values_list("id", flat=True))

        # (region, municipality, kind) -> sums; one grouped query each.
        groups: dict[tuple, dict] = defaultdict(_zero)
        sums = {field: Sum(field) for field in COUNT_FIELDS}
        for row in snapshots.values("region_id", "organisation__municipality_id", "organisation__kind").annotate(
            reported=Count("id"), **sums
        ):
            key = (row.pop("region_id"), row.pop("organisation__municipality_id"), row.pop("organisation__kind"))
            _add(groups[key], row)
        for row in organisations.values("region_id", "municipality_id", "kind").annotate(orgs=Count("id")):
            groups[(row["region_id"], row["municipality_id"], row["kind"])]["orgs"] += row["orgs"]

        per_municipality: dict[tuple, dict] = defaultdict(_zero)
        per_region_kind: dict[tuple, dict] = defaultdict(_zero)
        for (region_id, municipality_id, kind), counts in groups.items():
            if municipality_id is not None:
                _add(per_municipality[(region_id, municipality_id)], counts)
            _add(per_region_kind[(region_id, kind)], counts)
            _add(per_region_kind[(region_id, ALL_KINDS)], counts)

        rows = []
        for (region_id, municipality_id), counts in per_municipality.items():
            rows += _kpi_rows(
                week=week, scope=ScopeType.MUNICIPALITY, scope_id=municipality_id, region_id=region_id,
                kind=ALL_KINDS, counts=counts, targets=targets,
            )
        for region_id in regions:
            for kind in (ALL_KINDS, *OrganisationKind.values):
                rows += _kpi_rows(
                    week=week, scope=ScopeType.REGION, scope_id=region_id, region_id=region_id,
                    kind=kind, counts=per_region_kind.get((region_id, kind)) or _zero(), targets=targets,
                )
        stale = KpiValue.objects.filter(week=week, scope__in=[ScopeType.REGION, ScopeType.MUNICIPALITY])
        if region_ids is not None:
            stale = stale.filter(region_id__in=region_ids)
        stale.delete()
        KpiValue.objects.bulk_create(rows, batch_size=2000)
        rows_written = len(rows) + _kpi_values_roll_up(week=week, targets=targets)
        _kpi_deltas_refresh(week=week)
        _kpi_deltas_refresh(week=week + timedelta(weeks=1))
        if refresh_statuses:
            scope_statuses_refresh(from_week=week, region_ids=region_ids)
    return rows_written


def _kpi_values_roll_up(*, week: date, targets) -> int:
    """District and country rows of a week, summed from its region rows."""
    district_of = dict(Region.objects.values_list("id", "federal_district_id"))
    per_district: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    per_country_kind: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    region_rows = KpiValue.objects.filter(week=week, scope=ScopeType.REGION).values_list(
        "region_id", "kind", "kpi", "numerator", "denominator", "orgs_reported", "orgs_total"
    )
    for region_id, kind, code, numerator, denominator, reported, total in region_rows:
        targets_for = [per_country_kind[kind][code]]
        if kind == ALL_KINDS:
            targets_for.append(per_district[district_of[region_id]][code])
        for acc in targets_for:
            acc[0] += numerator
            acc[1] += denominator
            acc[2] += reported
            acc[3] += total

    def build(scope, scope_id, kind, by_code):
        return [
            KpiValue(
                week=week, scope=scope, scope_id=scope_id, region_id=None, kind=kind, kpi=code,
                numerator=num, denominator=den, value=kpi_value(num, den), target=targets[code],
                met=kpi_met(num, den, targets[code]), orgs_reported=reported, orgs_total=total,
            )
            for code, (num, den, reported, total) in by_code.items()
        ]

    rows = []
    for district_id, by_code in per_district.items():
        rows += build(ScopeType.DISTRICT, district_id, ALL_KINDS, by_code)
    for kind, by_code in per_country_kind.items():
        rows += build(ScopeType.COUNTRY, COUNTRY_ID, kind, by_code)
    KpiValue.objects.filter(week=week, scope__in=[ScopeType.DISTRICT, ScopeType.COUNTRY]).delete()
    KpiValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _kpi_deltas_refresh(*, week: date) -> None:
    """Change from the previous week for every row of a week, in one UPDATE."""
    previous = KpiValue.objects.filter(
        week=week - timedelta(weeks=1),
        scope=OuterRef("scope"),
        scope_id=OuterRef("scope_id"),
        kind=OuterRef("kind"),
        kpi=OuterRef("kpi"),
    ).values("value")[:1]
    KpiValue.objects.filter(week=week).update(delta=F("value") - Subquery(previous))


def kpi_values_rebuild(*, weeks: Collection[date] | None = None, progress: Callable[[date], None] | None = None) -> int:
    """Recompute every week that has snapshots (or the weeks given), then the schedule states."""
    if weeks is None:
        weeks = WeeklySnapshot.objects.order_by("week").values_list("week", flat=True).distinct()
    weeks = sorted({monday_of(week) for week in weeks})
    rows = 0
    for week in weeks:
        rows += kpi_values_recompute(week=week, refresh_statuses=False)
        if progress:
            progress(week)
    if weeks:
        scope_statuses_refresh(from_week=weeks[0])
    return rows


# --- schedule states ----------------------------------------------------------------------------


def _series_by_stage(rows_by_kind, stage, code, weeks):
    """One KPI's weekly series summed over the organisation kinds a stage covers."""
    kinds = stage.kinds or (ALL_KINDS,)
    series = []
    for week in weeks:
        numerator = denominator = 0
        for kind in kinds:
            num, den = rows_by_kind.get((kind, code, week), (0, 0))
            numerator += num
            denominator += den
        series.append((week, kpi_value(numerator, denominator)))
    return series


def _scope_state(*, stages, rows_by_kind, coverage, weeks, week, targets) -> dict:
    """Schedule status, readiness and per-KPI projection of one scope as of one week."""
    upto = [w for w in weeks if w <= week]
    stage_rows = []
    statuses = {}
    for stage in stages:
        states = {code: KpiState(_series_by_stage(rows_by_kind, stage, code, upto)) for code in stage.targets}
        statuses[stage.order] = stage_status(stage, states, week)
        stage_rows.append(
            {
                "order": stage.order,
                "title": stage.title,
                "start": stage.start.isoformat(),
                "deadline": stage.deadline.isoformat(),
                "kinds": list(stage.kinds),
                "status": statuses[stage.order],
                "kpis": list(stage.targets),
            }
        )
    kpis = {}
    blocking = []
    for code in KPI_CODES:
        series = [(w, kpi_value(*rows_by_kind.get((ALL_KINDS, code, w), (0, 0)))) for w in upto]
        projected = projected_date(series, targets[code], week)
        planned = planned_value(stages, code, week)
        kpis[code] = {
            "schedule_status": kpi_schedule_status(stages, code, statuses),
            "projected_date": projected.isoformat() if projected else None,
            "planned": planned,
        }
        num, den = rows_by_kind.get((ALL_KINDS, code, week), (0, 0))
        if den and not kpi_met(num, den, targets[code]):
            blocking.append(code)
    if not coverage.get(week):
        blocking = ["no_data"]
    return {
        "status": worst_status(statuses.values()),
        "stages": stage_rows,
        "kpis": kpis,
        "ready": not blocking,
        "blocking": blocking,
    }


def scope_statuses_refresh(*, from_week: date, region_ids: Collection[int] | None = None) -> int:
    """Recompute the schedule states of the regions given (all when None) and the country for
    every week from ``from_week`` on: later weeks' trends depend on the earlier ones."""
    from_week = monday_of(from_week)
    since = from_week - timedelta(weeks=STATUS_LOOKBACK_WEEKS)
    targets = kpi_targets()
    regions = list(Region.objects.filter(id__in=region_ids) if region_ids is not None else Region.objects.all())
    federal, plans = roadmap_stage_plans(regions=regions)
    weeks = sorted(
        KpiValue.objects.filter(scope=ScopeType.COUNTRY, kind=ALL_KINDS, kpi=KPI_CODES[0], week__gte=since)
        .order_by()
        .values_list("week", flat=True)
    )
    rows_by_scope: dict[tuple, dict] = defaultdict(dict)
    coverage: dict[tuple, dict] = defaultdict(dict)
    values = KpiValue.objects.filter(scope__in=[ScopeType.REGION, ScopeType.COUNTRY], week__gte=since)
    if region_ids is not None:
        values = values.filter(region_id__in=region_ids) | KpiValue.objects.filter(
            scope=ScopeType.COUNTRY, week__gte=since
        )
    for scope, scope_id, kind, code, week, num, den, reported in values.values_list(
        "scope", "scope_id", "kind", "kpi", "week", "numerator", "denominator", "orgs_reported"
    ):
        rows_by_scope[(scope, scope_id)][(kind, code, week)] = (num, den)
        if kind == ALL_KINDS:
            coverage[(scope, scope_id)][week] = reported

    new_rows = []
    scopes = [(ScopeType.COUNTRY, COUNTRY_ID, None, federal)] + [
        (ScopeType.REGION, region.id, region.id, plans[region.id]) for region in regions
    ]
    for scope, scope_id, region_id, stages in scopes:
        for week in weeks:
            if week < from_week:
                continue
            state = _scope_state(
                stages=stages,
                rows_by_kind=rows_by_scope[(scope, scope_id)],
                coverage=coverage[(scope, scope_id)],
                weeks=weeks,
                week=week,
                targets=targets,
            )
            new_rows.append(ScopeStatus(week=week, scope=scope, scope_id=scope_id, region_id=region_id, **state))
    with transaction.atomic():
        stale = ScopeStatus.objects.filter(week__gte=from_week)
        if region_ids is not None:
            stale = stale.filter(scope=ScopeType.COUNTRY) | stale.filter(region_id__in=region_ids)
        stale.delete()
        ScopeStatus.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows)
