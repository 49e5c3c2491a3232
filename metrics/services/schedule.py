"""Schedule states: each scope's status against its roadmap, readiness and per-KPI projection,
week by week, from the precomputed KPI values."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from regions.models import Region

from ..choices import ScheduleStatus, ScopeType
from ..constants import ALL_KINDS, COUNTRY_ID, NO_DATA
from ..kpi import (
    KPI_CODES,
    KpiState,
    kpi_met,
    kpi_own_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    stage_verdict,
    status_since,
    worst_status,
)
from ..models import KpiValue, ScheduleState
from ..reporting import ReportingCycle
from ..selectors import kpi_targets, roadmap_stage_plans, weeks_with_data

STATUS_LOOKBACK_WEEKS = 12


class _ScopeSeries:
    """A scope's weekly KPI series over every week of a refresh, each summed once over the kinds
    asked for (a stage's); a week's verdict reads their beginning up to that week. Summed anew for
    every week, a year's rebuild was quadratic in its weeks."""

    def __init__(self, rows_by_kind: dict, weeks: list[date]):
        self.rows_by_kind, self.weeks = rows_by_kind, weeks
        self._summed: dict[tuple, list] = {}

    def upto(self, kinds: tuple[str, ...], code: str, count: int) -> list[tuple[date, float | None]]:
        """The first ``count`` weeks of the KPI ``code`` summed over ``kinds``."""
        summed = self._summed.get((kinds, code))
        if summed is None:
            summed = self._summed[(kinds, code)] = self._sum(kinds, code)
        return summed[:count]

    def _sum(self, kinds: tuple[str, ...], code: str) -> list[tuple[date, float | None]]:
        rows = self.rows_by_kind
        series = []
        for week in self.weeks:
            numerator = denominator = 0
            for kind in kinds:
                num, den = rows.get((kind, code, week), (0, 0))
                numerator += num
                denominator += den
            series.append((week, kpi_value(numerator, denominator)))
        return series


def _stage_row(stage, verdict) -> dict:
    return {
        "order": stage.order,
        "title": stage.title,
        "start": stage.start.isoformat(),
        "deadline": stage.deadline.isoformat(),
        "kinds": list(stage.kinds),
        "status": verdict.status,
        "kpis": list(stage.targets),
        "done_on": _iso(verdict.done_on),
        "on_time": verdict.on_time,
        "late_since": _iso(verdict.late_since),
        "blocking": [blocker.as_dict() for blocker in verdict.blocking],
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _blocking_detail(verdicts, status: str) -> list[dict]:
    """The KPIs that make the overall status: those of the stages with that status, each once
    (its earliest stage's gap)."""
    detail = {}
    for verdict in verdicts:
        if verdict.status == status:
            for blocker in verdict.blocking:
                detail.setdefault(blocker.kpi, blocker.as_dict())
    return list(detail.values())


def _schedule_state(*, stages, series, coverage, week, targets, cycle, previous) -> dict:
    """One scope's verdict as of one week (DESIGN.md §4.1): each stage's status, dated and with
    its blocking KPIs; each KPI's own status; the overall status (the worst stage), since when and
    why; insufficient_data under COVERAGE_MIN; readiness and per-KPI projection. ``series``: the
    scope's _ScopeSeries."""
    count = bisect_right(series.weeks, week)
    rows_by_kind = series.rows_by_kind
    states_by_stage = {}
    verdicts = []
    for stage in stages:
        kinds = tuple(stage.kinds) or (ALL_KINDS,)
        states = {code: KpiState(series.upto(kinds, code, count)) for code in stage.targets}
        states_by_stage[stage.order] = states
        verdicts.append(stage_verdict(stage, states, week))
    kpis = {}
    below = []
    for code in KPI_CODES:
        kpi_series = series.upto((ALL_KINDS,), code, count)
        projected = projected_date(kpi_series, targets[code], week)
        own, stage_order = kpi_own_status(stages, code, states_by_stage, week)
        kpis[code] = {
            "schedule_status": own,
            "stage": stage_order,
            "projected_date": projected.isoformat() if projected else None,
            "planned": planned_value(stages, code, week),
        }
        num, den = rows_by_kind.get((ALL_KINDS, code, week), (0, 0))
        if den and not kpi_met(num, den, targets[code]):
            below.append(code)
    reported, total = coverage.get(week, (0, 0))
    status = worst_status(verdict.status for verdict in verdicts)
    detail = _blocking_detail(verdicts, status)
    if status != ScheduleStatus.NOT_STARTED and not cycle.coverage_met(reported, total):
        # A verdict needs data: never done (nor late on the few who reported) under COVERAGE_MIN.
        status, detail = ScheduleStatus.INSUFFICIENT_DATA, []
    return {
        "status": status,
        "status_since": status_since(status, week, previous),
        "stages": [_stage_row(stage, verdict) for stage, verdict in zip(stages, verdicts, strict=True)],
        "kpis": kpis,
        "ready": reported > 0 and cycle.coverage_met(reported, total) and not below,
        "blocking": [NO_DATA] if not reported else [item["kpi"] for item in detail],
        "blocking_detail": detail,
        "orgs_reported": reported,
        "orgs_total": total,
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
    cycle = ReportingCycle.from_settings()
    rows_by_scope: dict[tuple, dict] = defaultdict(dict)
    coverage: dict[tuple, dict] = defaultdict(dict)
    values = KpiValue.objects.filter(scope__in=[ScopeType.REGION, ScopeType.COUNTRY], week__gte=since)
    if region_ids is not None:
        values = values.filter(region_id__in=region_ids) | KpiValue.objects.filter(
            scope=ScopeType.COUNTRY, week__gte=since
        )
    for scope, scope_id, kind, code, week, num, den, reported, total in values.order_by().values_list(
        "scope", "scope_id", "kind", "kpi", "week", "numerator", "denominator", "orgs_reported", "orgs_total"
    ):
        rows_by_scope[(scope, scope_id)][(kind, code, week)] = (num, den)
        if kind == ALL_KINDS:
            coverage[(scope, scope_id)][week] = (reported, total)
    previous = _states_before(from_week=from_week, region_ids=region_ids)

    new_rows = []
    scopes = [(ScopeType.COUNTRY, COUNTRY_ID, None, federal)] + [
        (ScopeType.REGION, region.id, region.id, plans[region.id]) for region in regions
    ]
    for scope, scope_id, region_id, stages in scopes:
        before = previous.get((scope, scope_id))
        series = _ScopeSeries(rows_by_scope[(scope, scope_id)], weeks)
        for week in weeks:
            if week < from_week:
                continue
            state = _schedule_state(
                stages=stages,
                series=series,
                coverage=coverage[(scope, scope_id)],
                week=week,
                targets=targets,
                cycle=cycle,
                previous=before,
            )
            before = (state["status"], state["status_since"])
            new_rows.append(ScheduleState(week=week, scope=scope, scope_id=scope_id, region_id=region_id, **state))
    with transaction.atomic():
        stale = ScheduleState.objects.filter(week__gte=from_week)
        if region_ids is not None:
            stale = stale.filter(scope=ScopeType.COUNTRY) | stale.filter(region_id__in=region_ids)
        stale.delete()
        ScheduleState.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows)


def _states_before(*, from_week: date, region_ids) -> dict[tuple, tuple]:
    """(scope, scope_id) -> (status, status_since) of the latest state before ``from_week``: the
    run a recompute continues."""
    states = ScheduleState.objects.filter(week__lt=from_week, week__gte=from_week - timedelta(weeks=4))
    if region_ids is not None:
        states = states.filter(Q(scope=ScopeType.COUNTRY) | Q(region_id__in=region_ids))
    latest = {}
    for scope, scope_id, status, since in states.order_by("week").values_list(
        "scope", "scope_id", "status", "status_since"
    ):
        latest[(scope, scope_id)] = (status, since)
    return latest
