"""Reporting: when each region's files for a week arrived, and its reporting status for every
week the country has data (DESIGN.md §4.2), kept per region-week so "who has not reported" is a
plain read."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from django.db.models import Max, Min

from ..choices import ReportingStatus, ScopeType
from ..constants import ALL_KINDS
from ..kpi import KPI_CODES
from ..models import KpiValue, RegionReporting, WeeklySnapshot
from ..reporting import ReportingCycle

_REFRESHED_FIELDS = ("status", "orgs_reported", "orgs_total", "complete_at")


class Arrival(NamedTuple):
    """A file that wrote rows of one region-week: when it arrived and who sent it."""

    region_id: int
    week: date
    at: datetime
    user_id: int | None


def reporting_arrivals_record(*, arrivals: Iterable[Arrival]) -> int:
    """Note the arrival of files for region-weeks: the first and last arrival and the last sender.
    Statuses follow in ``reporting_refresh``, once the week's coverage is recomputed."""
    latest: dict[tuple[int, date], list] = {}
    for arrival in arrivals:
        key = (arrival.region_id, arrival.week)
        first, last, user_id = latest.get(key, (arrival.at, arrival.at, arrival.user_id))
        if arrival.at >= last:
            last, user_id = arrival.at, arrival.user_id
        latest[key] = [min(first, arrival.at), last, user_id]
    if not latest:
        return 0
    weeks = {week for _region, week in latest}
    regions = {region for region, _week in latest}
    existing = {
        (row.region_id, row.week): row
        for row in RegionReporting.objects.filter(week__in=weeks, region_id__in=regions)
        if (row.region_id, row.week) in latest
    }
    new = []
    for key, (first, last, user_id) in latest.items():
        row = existing.get(key)
        if row is None:
            new.append(
                RegionReporting(
                    region_id=key[0],
                    week=key[1],
                    status=ReportingStatus.MISSING,
                    first_upload_at=first,
                    last_upload_at=last,
                    last_uploaded_by_id=user_id,
                )
            )
            continue
        row.first_upload_at = min(row.first_upload_at or first, first)
        if row.last_upload_at is None or last >= row.last_upload_at:
            row.last_upload_at, row.last_uploaded_by_id = last, user_id
    RegionReporting.objects.bulk_create(new)
    RegionReporting.objects.bulk_update(
        existing.values(), ["first_upload_at", "last_upload_at", "last_uploaded_by"], batch_size=500
    )
    return len(latest)


def reporting_refresh(*, week: date, cycle: ReportingCycle | None = None) -> int:
    """Every region's reporting row of one week from its coverage against the registry (the
    week's KPI values, 0 of N included) and the arrivals on record. The moment coverage first
    reaches COVERAGE_MIN is kept (``complete_at``): on time when by the deadline. Three queries
    (four when rows stand with no arrival on record)."""
    cycle = cycle or ReportingCycle.from_settings()
    coverage = KpiValue.objects.filter(week=week, scope=ScopeType.REGION, kind=ALL_KINDS, kpi=KPI_CODES[0])
    rows = {row.region_id: row for row in RegionReporting.objects.filter(week=week)}
    coverage = list(coverage.order_by().values_list("scope_id", "orgs_reported", "orgs_total"))
    unrecorded = [r for r, reported, _t in coverage if reported and (r not in rows or not rows[r].last_upload_at)]
    arrivals = _arrivals_from_snapshots(week=week, region_ids=unrecorded) if unrecorded else {}
    new, changed = [], []
    written = (*_REFRESHED_FIELDS, "first_upload_at", "last_upload_at")
    for region_id, reported, total in coverage:
        row = rows.get(region_id)
        if row is None:
            row = RegionReporting(region_id=region_id, week=week)
            new.append(row)
            before = None
        else:
            before = tuple(getattr(row, name) for name in written)
        if region_id in arrivals:
            row.first_upload_at, row.last_upload_at = arrivals[region_id]
        row.orgs_reported, row.orgs_total = reported, total
        if cycle.coverage_met(reported, total):
            # Reached now (or before, kept): by the latest arrival that brought it over the line.
            row.complete_at = row.complete_at or row.last_upload_at
        row.status = cycle.reporting_status(week=week, reported=reported, total=total, complete_at=row.complete_at)
        if before is not None and before != tuple(getattr(row, name) for name in written):
            changed.append(row)  # only what changed is written: a region's file leaves the other 88 as they are
    RegionReporting.objects.bulk_create(new, batch_size=500)
    fields = (*_REFRESHED_FIELDS, "first_upload_at", "last_upload_at") if arrivals else _REFRESHED_FIELDS
    if changed:
        RegionReporting.objects.bulk_update(changed, fields, batch_size=500)
    return len(new) + len(changed)


def _arrivals_from_snapshots(*, week: date, region_ids: list[int]) -> dict[int, tuple]:
    """First and last arrival of region-weeks with rows but no arrival on record (rows written
    before arrivals were recorded): the times of the uploads whose rows stand."""
    rows = (
        WeeklySnapshot.objects.filter(week=week, region_id__in=region_ids, upload__isnull=False)
        .order_by()
        .values("region_id")
        .annotate(first=Min("upload__created_at"), last=Max("upload__created_at"))
    )
    return {row["region_id"]: (row["first"], row["last"]) for row in rows}
