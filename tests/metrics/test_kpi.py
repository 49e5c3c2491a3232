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
    kpi_own_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    severity_rank,
    stage_status,
    stage_verdict,
    status_since,
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


STAFF = KpiCode.STAFF_WEEKLY_ACTIVE
OFFICIALS = KpiCode.OFFICIALS_ACTIVE
MGMT = StagePlan(
    order=1, title="management", start=date(2025, 8, 1), deadline=date(2025, 8, 31), targets={OFFICIALS: Decimal("1")}
)
FINAL = StagePlan(
    order=4,
    title="final",
    start=date(2025, 11, 1),
    deadline=date(2025, 11, 1),
    targets={OFFICIALS: Decimal("1"), STAFF: Decimal("0.75")},
)


def kpi_states(start, **values):
    return {code: KpiState(series(vals, start)) for code, vals in values.items()}


def test_a_kpi_at_target_is_never_late_because_of_another_kpi():
    states = kpi_states(date(2025, 10, 27), officials_active=[1.0, 1.0], staff_weekly_active=[0.6, 0.6])
    as_of = date(2025, 11, 3)
    assert stage_status(FINAL, states, as_of) == ScheduleStatus.LATE
    by_stage = {1: states, 4: states}
    assert kpi_own_status([MGMT, FINAL], OFFICIALS, by_stage, as_of) == (ScheduleStatus.DONE, None)
    assert kpi_own_status([MGMT, FINAL], STAFF, by_stage, as_of) == (ScheduleStatus.LATE, 4)


def test_kpi_status_is_judged_at_the_first_stage_whose_target_for_it_is_unmet():
    states = kpi_states(date(2025, 10, 6), officials_active=[0.5, 0.6, 0.7])
    as_of = date(2025, 10, 20)
    # management stage (deadline August) unmet: late, even though the final stage is still ahead
    assert kpi_own_status([MGMT, FINAL], OFFICIALS, {1: states, 4: states}, as_of) == (ScheduleStatus.LATE, 1)
    # without the management stage: the final stage has not started yet
    assert kpi_own_status([FINAL], OFFICIALS, {4: states}, as_of) == (ScheduleStatus.NOT_STARTED, 4)
    # a running stage: on track when its own trend reaches the target by the deadline, else at risk
    rising = {3: {STAFF: KpiState(series([0.30, 0.40, 0.50], date(2025, 9, 15)))}}
    flat = {3: {STAFF: KpiState(series([0.30, 0.31, 0.32], date(2025, 9, 15)))}}
    assert kpi_own_status([MASS], STAFF, rising, date(2025, 9, 29)) == (ScheduleStatus.ON_TRACK, 3)
    assert kpi_own_status([MASS], STAFF, flat, date(2025, 9, 29)) == (ScheduleStatus.AT_RISK, 3)


def test_kpi_status_not_started_before_its_stage_and_without_a_stage():
    assert kpi_own_status([FINAL], STAFF, {}, date(2025, 9, 1)) == (ScheduleStatus.NOT_STARTED, 4)
    assert kpi_own_status([MGMT], STAFF, {}, date(2025, 9, 1)) == (ScheduleStatus.NOT_STARTED, None)


def test_kpi_status_measured_over_each_stage_s_own_kinds():
    authorities = kpi_states(date(2025, 8, 25), officials_active=[1.0])
    everyone = kpi_states(date(2025, 8, 25), officials_active=[0.8])
    by_stage = {1: authorities, 4: everyone}
    assert kpi_own_status([MGMT, FINAL], OFFICIALS, by_stage, date(2025, 8, 25)) == (ScheduleStatus.NOT_STARTED, 4)


def test_late_stage_is_dated_and_names_its_blocking_kpis_with_gaps():
    states = kpi_states(date(2025, 10, 27), officials_active=[0.957, 0.957], staff_weekly_active=[0.8, 0.8])
    verdict = stage_verdict(FINAL, states, date(2025, 11, 3))
    assert verdict.status == ScheduleStatus.LATE
    assert verdict.late_since == date(2025, 11, 1)
    assert [b.kpi for b in verdict.blocking] == [OFFICIALS]
    assert verdict.blocking[0].target == 1.0
    assert verdict.blocking[0].gap == pytest.approx(-0.043)


def test_done_stage_records_the_first_week_that_held_and_whether_it_was_on_time():
    states = kpi_states(
        date(2025, 10, 13), officials_active=[0.9, 1.0, 0.95, 1.0, 1.0, 1.0], staff_weekly_active=[0.8] * 6
    )
    verdict = stage_verdict(FINAL, states, date(2025, 11, 17))
    assert verdict.status == ScheduleStatus.DONE
    assert verdict.done_on == date(2025, 11, 3)  # the run after the dip of 27 Oct
    assert verdict.on_time is False  # the deadline week is 27 Oct
    early = stage_verdict(MGMT, kpi_states(date(2025, 8, 18), officials_active=[1.0, 1.0]), date(2025, 8, 25))
    assert (early.done_on, early.on_time) == (date(2025, 8, 18), True)


def test_a_week_without_data_neither_breaks_nor_extends_the_done_run():
    states = kpi_states(date(2025, 10, 20), officials_active=[1.0, None, 1.0])
    assert stage_verdict(MGMT, states, date(2025, 11, 3)).done_on == date(2025, 10, 20)


def test_on_track_and_at_risk_stages_name_their_unmet_kpis():
    on_track = stage_verdict(MASS, state([0.30, 0.40, 0.50]), as_of=date(2025, 9, 29))
    assert on_track.status == ScheduleStatus.ON_TRACK
    assert [b.kpi for b in on_track.blocking] == [KpiCode.STAFF_WEEKLY_ACTIVE]
    assert stage_verdict(MASS, state([]), as_of=date(2025, 9, 1)).blocking == ()


def test_status_since_carries_an_unbroken_run():
    first = status_since(ScheduleStatus.LATE, date(2025, 11, 3), None)
    second = status_since(ScheduleStatus.LATE, date(2025, 11, 10), (ScheduleStatus.LATE, first))
    third = status_since(ScheduleStatus.DONE, date(2025, 11, 17), (ScheduleStatus.LATE, second))
    assert (first, second, third) == (date(2025, 11, 3), date(2025, 11, 3), date(2025, 11, 17))


def test_lists_sort_by_severity_not_alphabetically():
    statuses = [None, "not_started", "done", "on_track", "insufficient_data", "at_risk", "late"]
    assert sorted(statuses, key=severity_rank) == [
        "late",
        "at_risk",
        "insufficient_data",
        "on_track",
        "done",
        "not_started",
        None,
    ]
