"""The country at a glance: one row per region for the tile map, from precomputed rows."""

from dataclasses import dataclass
from datetime import date

from regions.models import Region

from ..choices import ScopeType
from ..constants import ALL_KINDS
from ..models import KpiValue, RegionReporting, ScheduleState
from .definitions import kpi_targets
from .rows import named_rows


def region_refs() -> dict[int, dict]:
    """Region id -> {"code", "name", "federal_district"} for every region, by code. One query."""
    return {
        region_id: {"code": code, "name": name, "federal_district": district}
        for region_id, code, name, district in Region.objects.order_by("code").values_list(
            "id", "code", "name", "federal_district__code"
        )
    }


@dataclass(frozen=True)
class RegionWeeks:
    """Every region's schedule state, KPI values and reporting row of some weeks, keyed by
    (region id, week) and (region id, KPI, week): what the map and the week's changes read, read
    once for both. ``region_weeks()`` reads it."""

    states: dict
    values: dict
    reporting: dict


def region_weeks(weeks) -> RegionWeeks:
    """The regions' rows of ``weeks`` (states: status and since when; values of every KPI: value,
    target, met, coverage; reporting: status and coverage). Three queries, their rows fetched
    by ``named_rows``."""
    weeks = list(weeks)
    states = {
        (row.scope_id, row.week): row
        for row in named_rows(
            ScheduleState.objects.filter(scope=ScopeType.REGION, week__in=weeks)
            .order_by()
            .values_list("scope_id", "week", "status", "status_since")
        )
    }
    values = {
        (row.scope_id, row.kpi, row.week): row
        for row in named_rows(
            KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, week__in=weeks)
            .order_by()
            .values_list("scope_id", "week", "kpi", "value", "target", "met", "orgs_reported", "orgs_total")
        )
    }
    reporting = {
        (row.region_id, row.week): row
        for row in named_rows(
            RegionReporting.objects.filter(week__in=weeks)
            .order_by()
            .values_list("region_id", "week", "status", "orgs_reported", "orgs_total")
        )
    }
    return RegionWeeks(states, values, reporting)


def region_map(
    *,
    week: date,
    kpi: str,
    target: float | None = None,
    regions: dict[int, dict] | None = None,
    data: RegionWeeks | None = None,
) -> list[dict]:
    """Every region (by code) for one week: its overall status and since when, whether it
    reported, and one KPI against its target. Five queries; three when the caller already has
    the KPI's ``target`` and the ``regions`` (``region_refs()``), none when it also has the
    week's ``data`` (``region_weeks()``).

    A region without a schedule state or reporting row for the week gets None there; one without
    a KPI row has no value (``value`` and ``met`` None), never 0 %.
    """
    if target is None:
        target = kpi_targets().get(kpi)
    if data is not None:
        values = {
            region_id: row
            for (region_id, code, row_week), row in data.values.items()
            if code == kpi and row_week == week
        }
        states = {region_id: row for (region_id, row_week), row in data.states.items() if row_week == week}
        reporting = {region_id: row.status for (region_id, row_week), row in data.reporting.items() if row_week == week}
    else:
        values = {
            row.scope_id: row
            for row in KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, kpi=kpi, week=week)
            .order_by()
            .values_list("scope_id", "value", "target", "met", "orgs_reported", "orgs_total", named=True)
        }
        states = {
            row.scope_id: row
            for row in ScheduleState.objects.filter(scope=ScopeType.REGION, week=week)
            .order_by()
            .values_list("scope_id", "status", "status_since", named=True)
        }
        reporting = dict(RegionReporting.objects.filter(week=week).order_by().values_list("region_id", "status"))
    rows = []
    for region_id, region in (region_refs() if regions is None else regions).items():
        value, state = values.get(region_id), states.get(region_id)
        goal = value.target if value else target
        rows.append(
            {
                **region,
                "status": state.status if state else None,
                "status_since": state.status_since if state else None,
                "reporting": reporting.get(region_id),
                "value": value.value if value else None,
                "target": float(goal) if goal is not None else None,
                "met": value.met if value else None,
                "orgs_reported": value.orgs_reported if value else 0,
                "orgs_total": value.orgs_total if value else 0,
            }
        )
    return rows
