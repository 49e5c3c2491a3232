"""The reporting cycle as pure rules (DESIGN.md §4.2): deadlines, open and closed weeks, the
default week, reporting status."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from metrics.choices import ReportingStatus
from metrics.reporting import ReportingCycle

MSK = ZoneInfo("Europe/Moscow")
WEEK = date(2025, 11, 3)  # Monday
CYCLE = ReportingCycle()


def msk(*args):
    return datetime(*args, tzinfo=MSK)


def test_deadline_is_tuesday_noon_moscow_after_the_week():
    assert CYCLE.deadline(WEEK) == msk(2025, 11, 11, 12, 0)
    assert CYCLE.deadline(WEEK + timedelta(days=6)) == msk(2025, 11, 11, 12, 0)  # any day of the week


def test_deadline_follows_the_settings():
    cycle = ReportingCycle(deadline_weekday=4, deadline_time=time(18, 30))
    assert cycle.deadline(WEEK) == msk(2025, 11, 14, 18, 30)


@pytest.mark.parametrize(
    ("now", "closed"),
    [
        (msk(2025, 11, 9, 23, 59), False),  # the week itself
        (msk(2025, 11, 11, 11, 59), False),  # a minute before the deadline
        (msk(2025, 11, 11, 12, 0), True),
        (datetime(2025, 11, 11, 9, 0, tzinfo=ZoneInfo("UTC")), True),  # 12:00 Moscow in UTC
    ],
)
def test_week_closes_at_its_deadline(now, closed):
    assert CYCLE.is_closed(WEEK, now=now) is closed


def test_latest_closed_week_moves_only_at_the_deadline():
    assert CYCLE.latest_closed_week(now=msk(2025, 11, 11, 11, 59)) == WEEK - timedelta(weeks=1)
    assert CYCLE.latest_closed_week(now=msk(2025, 11, 11, 12, 0)) == WEEK


def test_an_early_upload_never_becomes_the_default_week():
    weeks = [WEEK - timedelta(weeks=1), WEEK, WEEK + timedelta(weeks=1)]  # next week already has a file
    assert CYCLE.default_week(weeks, now=msk(2025, 11, 10, 9, 0)) == WEEK - timedelta(weeks=1)
    assert CYCLE.default_week(weeks, now=msk(2025, 11, 11, 12, 0)) == WEEK


def test_default_week_is_the_latest_open_one_only_when_none_is_closed():
    assert CYCLE.default_week([WEEK], now=msk(2025, 11, 5, 9, 0)) == WEEK
    assert CYCLE.default_week([], now=msk(2025, 11, 5, 9, 0)) is None


def test_default_week_skips_closed_weeks_without_data():
    old = WEEK - timedelta(weeks=3)
    assert CYCLE.default_week([old], now=msk(2025, 12, 1, 9, 0)) == old


def test_coverage_minimum_is_exact():
    assert CYCLE.coverage_met(9, 10)
    assert not CYCLE.coverage_met(899, 1000)
    assert CYCLE.coverage_met(900, 1000)
    assert not CYCLE.coverage_met(0, 0)
    assert ReportingCycle(coverage_min=Decimal("1")).coverage_met(10, 10)


@pytest.mark.parametrize(
    ("reported", "total", "complete_at", "status"),
    [
        (0, 100, None, ReportingStatus.MISSING),
        (50, 100, msk(2025, 11, 10, 9, 0), ReportingStatus.PARTIAL),
        (89, 100, msk(2025, 11, 10, 9, 0), ReportingStatus.PARTIAL),
        (90, 100, msk(2025, 11, 10, 9, 0), ReportingStatus.ON_TIME),
        (100, 100, msk(2025, 11, 11, 12, 0), ReportingStatus.ON_TIME),  # at the deadline itself
        (100, 100, msk(2025, 11, 11, 12, 1), ReportingStatus.LATE),
        (100, 100, None, ReportingStatus.LATE),  # complete, with no record of when: not called on time
    ],
)
def test_reporting_status(reported, total, complete_at, status):
    assert CYCLE.reporting_status(week=WEEK, reported=reported, total=total, complete_at=complete_at) == status
