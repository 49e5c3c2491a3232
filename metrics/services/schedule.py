"""Schedule states: each scope's status against its roadmap, readiness and per-KPI projection,
week by week, from the precomputed KPI values."""

from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta

from django.db import transaction

from regions.models import Region

from ..choices import ScopeType
from ..constants import ALL_KINDS, COUNTRY_ID, NO_DATA
from ..kpi import (
    KPI_CODES,
    KpiState,
    kpi_met,
    kpi_schedule_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    stage_status,
    worst_status,
)
from ..models import KpiValue, ScheduleState
from ..selectors import kpi_targets, roadmap_stage_plans, weeks_with_data

STATUS_LOOKBACK_WEEKS = 12


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


def _schedule_state(*, stages, rows_by_kind, coverage, weeks, week, targets) -> dict:
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
        blocking = [NO_DATA]
    return {
        "status": worst_status(statuses.values()),
        "stages": stage_rows,
        "kpis": kpis,
        "ready": not blocking,
        "blocking": blocking,
    }


def schedule_states_refresh(*, from_week: date, region_ids: Collection[int] | None = None) -> int:
    """Recompute the schedule states of the regions given (all when None) and the country for
    every week from ``from_week`` on: later weeks' trends depend on the earlier ones."""
    from_week = monday_of(from_week)
    since = from_week - timedelta(weeks=STATUS_LOOKBACK_WEEKS)
    targets = kpi_targets()
    regions = list(Region.objects.filter(id__in=region_ids) if region_ids is not None else Region.objects.all())
    federal, plans = roadmap_stage_plans(regions=regions)
    weeks = sorted(weeks_with_data(since=since, computed=True))  # oldest first: the trends run forward
    rows_by_scope: dict[tuple, dict] = defaultdict(dict)
    coverage: dict[tuple, dict] = defaultdict(dict)
    values = KpiValue.objects.filter(scope__in=[ScopeType.REGION, ScopeType.COUNTRY], week__gte=since)
    if region_ids is not None:
        values = values.filter(region_id__in=region_ids) | KpiValue.objects.filter(
            scope=ScopeType.COUNTRY, week__gte=since
        )
    for scope, scope_id, kind, code, week, num, den, reported in values.order_by().values_list(
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
            state = _schedule_state(
                stages=stages,
                rows_by_kind=rows_by_scope[(scope, scope_id)],
                coverage=coverage[(scope, scope_id)],
                weeks=weeks,
                week=week,
                targets=targets,
            )
            new_rows.append(ScheduleState(week=week, scope=scope, scope_id=scope_id, region_id=region_id, **state))
    with transaction.atomic():
        stale = ScheduleState.objects.filter(week__gte=from_week)
        if region_ids is not None:
            stale = stale.filter(scope=ScopeType.COUNTRY) | stale.filter(region_id__in=region_ids)
        stale.delete()
        ScheduleState.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows)
