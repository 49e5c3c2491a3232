"""A week of precomputed facts written straight into the tables the verdict engine fills
(KpiValue, ScheduleState, RegionReporting), and the digests' recipients."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from metrics.choices import ReportingStatus, ScheduleStatus, ScopeType
from metrics.constants import COUNTRY_ID
from metrics.models import KpiDefinition, KpiValue, RegionReporting, ScheduleState
from regions.choices import UserRole
from regions.models import Region
from tests.factories import UserFactory, region

WEEK = date(2025, 10, 27)
PREVIOUS = WEEK - timedelta(weeks=1)
# The week's reporting deadline is Tuesday 04.11.2025 12:00 Moscow (09:00 UTC); the job runs after it.
DEADLINE = datetime(2025, 11, 4, 9, 0, tzinfo=UTC)
AFTER_DEADLINE = DEADLINE + timedelta(minutes=5)
VALUES = {
    "staff_weekly_active": 0.8,
    "learners_weekly_active": 0.35,
    "officials_active": 1.0,
    "max_only_share": 0.9,
}


def _kpi_rows(week, scope, scope_id, values, *, region_id=None, reported=95, total=100):
    targets = dict(KpiDefinition.objects.values_list("code", "target"))
    rows = []
    for code, value in values.items():
        denominator = 0 if value is None else 10_000
        numerator = 0 if value is None else round(value * denominator)
        rows.append(
            KpiValue(
                week=week,
                scope=scope,
                scope_id=scope_id,
                region_id=region_id,
                kind="",
                kpi=code,
                numerator=numerator,
                denominator=denominator,
                value=numerator / denominator if denominator else None,
                target=targets[code],
                met=None if not denominator else Decimal(numerator) >= targets[code] * denominator,
                orgs_reported=reported,
                orgs_total=total,
            )
        )
    return rows


def seed_week(week=WEEK, *, status=ScheduleStatus.ON_TRACK, regions=None, overrides=None, previous=True):
    """The week (and the week before, unless ``previous`` is False) for the country and every region.
    ``overrides``: region code -> {"values", "previous_values", "status", "previous_status",
    "status_since", "blocking", "stages", "reporting", "reported", "total"}."""
    overrides = overrides or {}
    regions = list(regions if regions is not None else Region.objects.order_by("code"))
    kpi_rows, states, reporting = [], [], []
    weeks = [(week, "")] + ([(week - timedelta(weeks=1), "previous_")] if previous else [])
    for row_week, prefix in weeks:
        kpi_rows += _kpi_rows(
            row_week, ScopeType.COUNTRY, COUNTRY_ID, VALUES, reported=95 * len(regions), total=100 * len(regions)
        )
        states.append(
            ScheduleState(
                week=row_week,
                scope=ScopeType.COUNTRY,
                scope_id=COUNTRY_ID,
                status=status,
                status_since=week - timedelta(weeks=3),
                orgs_reported=95 * len(regions),
                orgs_total=100 * len(regions),
            )
        )
        for each in regions:
            facts = overrides.get(each.code, {})
            values = facts.get(f"{prefix}values", facts.get("values", VALUES))
            reported, total = facts.get("reported", 95), facts.get("total", 100)
            kpi_rows += _kpi_rows(
                row_week, ScopeType.REGION, each.id, values, region_id=each.id, reported=reported, total=total
            )
            states.append(
                ScheduleState(
                    week=row_week,
                    scope=ScopeType.REGION,
                    scope_id=each.id,
                    region_id=each.id,
                    status=facts.get(f"{prefix}status", facts.get("status", status)),
                    status_since=facts.get("status_since", week - timedelta(weeks=3)),
                    blocking=[b["kpi"] for b in facts.get("blocking", [])],
                    blocking_detail=facts.get("blocking", []),
                    stages=facts.get("stages", []),
                    orgs_reported=reported,
                    orgs_total=total,
                )
            )
        if not prefix:
            for each in regions:
                facts = overrides.get(each.code, {})
                reported = facts.get("reported", 95)
                reporting.append(
                    RegionReporting(
                        region=each,
                        week=row_week,
                        status=facts.get("reporting", ReportingStatus.ON_TIME if reported else ReportingStatus.MISSING),
                        orgs_reported=reported,
                        orgs_total=facts.get("total", 100),
                        first_upload_at=DEADLINE - timedelta(days=1) if reported else None,
                        last_upload_at=DEADLINE - timedelta(hours=20) if reported else None,
                        complete_at=DEADLINE - timedelta(hours=20) if reported else None,
                    )
                )
    KpiValue.objects.bulk_create(kpi_rows)
    ScheduleState.objects.bulk_create(states)
    RegionReporting.objects.bulk_create(reporting)


def coordinator(code, *, email="auto", **kwargs):
    address = f"coord{code}@region{code}.example.ru" if email == "auto" else email
    return UserFactory(
        username=kwargs.pop("username", f"coordinator{code}"),
        email=address or "",
        role=UserRole.COORDINATOR,
        role__region=region(code),
        **kwargs,
    )


def ministry(name="ministry", *, email="auto", **kwargs):
    address = f"{name}@edu.gov.example" if email == "auto" else email
    return UserFactory(username=name, email=address or "", role=UserRole.MINISTRY, **kwargs)


@pytest.fixture
def week_facts(db):
    seed_week()
    return WEEK
