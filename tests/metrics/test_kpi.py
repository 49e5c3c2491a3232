"""The pure KPI rules: formulas, exact target checks, trend, projection, plan and schedule status."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from metrics.choices import KpiCode, ScheduleStatus
from metrics.kpi import (
    KpiState,
    StagePlan,
    kpi_met,
    kpi_numbers,
    kpi_schedule_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    stage_status,
    trend_slope,
    worst_status,
)

MON = date(2025, 10, 6)


def weeks(n, start=MON):
    return [start + timedelta(weeks=i) for i in range(n)]


def series(values, start=MON):
    return list(zip(weeks(len(values), start), values, strict=True))


def test_each_formula_sums_its_own_columns():
    counts = {
        "staff_total": 100,
        "staff_active": 75,
        "students_total": 300,
        "students_active": 60,
        "parents_total": 500,
        "parents_active": 180,
        "officials_total": 8,
        "officials_active": 6,
        "sferum_total": 900,
        "sferum_max_only": 450,
    }
    assert kpi_numbers(counts, KpiCode.STAFF_WEEKLY_ACTIVE) == (75, 100)
    assert kpi_numbers(counts, KpiCode.LEARNERS_WEEKLY_ACTIVE) == (240, 800)
    assert kpi_numbers(counts, KpiCode.OFFICIALS_ACTIVE) == (6, 8)
    assert kpi_numbers(counts, KpiCode.MAX_ONLY_SHARE) == (450, 900)


def test_zero_denominator_is_no_data_not_zero_or_full():
    assert kpi_value(0, 0) is None
    assert kpi_met(0, 0, Decimal("0.75")) is None


def test_met_is_decided_exactly_at_the_boundary():
    assert kpi_met(3, 4, Decimal("0.75")) is True
    assert kpi_met(74999, 100000, Decimal("0.75")) is False
    assert kpi_met(3, 10, Decimal("0.30")) is True
    assert kpi_met(99, 100, Decimal("1")) is False


def test_monday_of_any_day_of_the_week():
    assert {monday_of(MON + timedelta(days=d)) for d in range(7)} == {MON}


def test_trend_is_least_squares_over_last_four_weeks_with_data():
    # Weeks 1, 3, 4, 5 carry the last four values (week 2 has none); the 0.9 of week 0 is left out,
    # otherwise the slope would be negative. Least squares by hand: Sxy 0.65 / Sxx 8.75.
    data = series([0.9, 0.10, None, 0.20, 0.30, 0.40])
    assert trend_slope(data, as_of=data[-1][0]) == pytest.approx(0.65 / 8.75)
    assert trend_slope(series([0.5]), as_of=MON) is None


def test_projected_date_on_a_rising_series():
    data = series([0.40, 0.50, 0.60, 0.70])
    assert projected_date(data, Decimal("0.75"), as_of=data[-1][0]) == data[-1][0] + timedelta(weeks=1)


def test_projected_date_is_none_on_flat_and_falling_series():
    flat = series([0.5, 0.5, 0.5, 0.5])
    falling = series([0.7, 0.6, 0.5, 0.4])
    assert projected_date(flat, Decimal("0.75"), as_of=flat[-1][0]) is None
    assert projected_date(falling, Decimal("0.75"), as_of=falling[-1][0]) is None


def test_projected_date_when_already_met_is_the_week_of_the_data():
    data = series([0.7, 0.8])
    assert projected_date(data, Decimal("0.75"), as_of=data[-1][0]) == data[-1][0]


def test_projected_date_ignores_weeks_after_as_of():
    data = series([0.1, 0.2, 0.9])
    assert projected_date(data, Decimal("0.75"), as_of=data[1][0]) == data[1][0] + timedelta(weeks=6)


MASS = StagePlan(
    order=3,
    title="mass",
    start=date(2025, 9, 15),
    deadline=date(2025, 10, 31),
    targets={KpiCode.STAFF_WEEKLY_ACTIVE: Decimal("0.75")},
)


def test_planned_value_rises_from_start_to_target_at_deadline():
    assert planned_value([MASS], KpiCode.STAFF_WEEKLY_ACTIVE, date(2025, 9, 1)) == 0.0
    middle = planned_value([MASS], KpiCode.STAFF_WEEKLY_ACTIVE, date(2025, 9, 29))
    assert 0.3 < middle < 0.45
    assert planned_value([MASS], KpiCode.STAFF_WEEKLY_ACTIVE, date(2025, 10, 27)) == 0.75
    assert planned_value([MASS], KpiCode.STAFF_WEEKLY_ACTIVE, date(2025, 12, 1)) == 0.75
    assert planned_value([MASS], KpiCode.MAX_ONLY_SHARE, date(2025, 12, 1)) is None


def state(values, start=date(2025, 9, 15)):
    return {KpiCode.STAFF_WEEKLY_ACTIVE: KpiState(series(values, start))}


def test_stage_not_started_before_its_start():
    assert stage_status(MASS, state([]), as_of=date(2025, 9, 1)) == ScheduleStatus.NOT_STARTED


def test_stage_done_when_target_met():
    assert stage_status(MASS, state([0.5, 0.76]), as_of=date(2025, 9, 22)) == ScheduleStatus.DONE


def test_stage_on_track_when_trend_reaches_target_by_deadline():
    assert stage_status(MASS, state([0.30, 0.40, 0.50]), as_of=date(2025, 9, 29)) == ScheduleStatus.ON_TRACK


def test_stage_at_risk_when_trend_misses_deadline():
    assert stage_status(MASS, state([0.30, 0.31, 0.32]), as_of=date(2025, 9, 29)) == ScheduleStatus.AT_RISK


def test_stage_at_risk_without_data_before_deadline():
    assert stage_status(MASS, {}, as_of=date(2025, 9, 29)) == ScheduleStatus.AT_RISK


def test_stage_late_after_deadline_unmet():
    values = [0.3, 0.4, 0.5, 0.55, 0.6, 0.6, 0.6, 0.6, 0.6]
    assert stage_status(MASS, state(values), as_of=date(2025, 11, 10)) == ScheduleStatus.LATE


def test_pilot_only_stage_applies_to_pilot_regions_only():
    pilot_stage = StagePlan(order=2, title="pilot", start=date(2025, 9, 1), deadline=date(2025, 9, 15), pilot_only=True)
    assert pilot_stage.applies_to(pilot=True)
    assert not pilot_stage.applies_to(pilot=False)


def test_worst_status_orders_by_severity():
    assert worst_status([ScheduleStatus.DONE, ScheduleStatus.LATE, ScheduleStatus.ON_TRACK]) == ScheduleStatus.LATE
    assert worst_status([ScheduleStatus.DONE, ScheduleStatus.NOT_STARTED]) == ScheduleStatus.DONE
    assert worst_status([]) == ScheduleStatus.NOT_STARTED


def test_kpi_status_is_first_unfinished_stage_due_for_it():
    early = StagePlan(
        order=1,
        title="a",
        start=date(2025, 8, 1),
        deadline=date(2025, 8, 31),
        targets={KpiCode.OFFICIALS_ACTIVE: Decimal("1")},
    )
    final = StagePlan(
        order=4,
        title="b",
        start=date(2025, 11, 1),
        deadline=date(2025, 11, 1),
        targets={KpiCode.OFFICIALS_ACTIVE: Decimal("1"), KpiCode.STAFF_WEEKLY_ACTIVE: Decimal("0.75")},
    )
    statuses = {1: ScheduleStatus.DONE, 4: ScheduleStatus.AT_RISK}
    assert kpi_schedule_status([early, final], KpiCode.OFFICIALS_ACTIVE, statuses) == ScheduleStatus.AT_RISK
    assert kpi_schedule_status([early], KpiCode.OFFICIALS_ACTIVE, statuses) == ScheduleStatus.DONE
    assert kpi_schedule_status([early], KpiCode.MAX_ONLY_SHARE, statuses) == ScheduleStatus.NOT_STARTED
