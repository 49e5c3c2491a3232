"""Selectors shared by pages and the API: who lags, readiness, the weeks with data, and their
query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.selectors import (
    latest_week_with_data,
    organisations_lagging,
    organisations_readiness,
    weeks_with_data,
)
from metrics.services import kpi_values_recompute
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, region

pytestmark = pytest.mark.django_db

FULL = {
    "staff_total": 100,
    "staff_active": 100,
    "students_total": 10,
    "students_active": 10,
    "parents_total": 10,
    "parents_active": 10,
    "officials_total": 1,
    "officials_active": 1,
    "sferum_total": 10,
    "sferum_max_only": 10,
}


def snapshot(name, **counts):
    return SnapshotFactory(organisation__name=name, **{**FULL, **counts})


def test_lagging_puts_no_data_first_then_the_lowest_share_of_target():
    OrganisationFactory(name="Молчит")
    snapshot("Почти", staff_active=74)  # 74/75 of target
    snapshot("Далеко", staff_active=30)  # 30/75 of target
    snapshot("Готова")
    names = [row["organisation"].name for row in organisations_lagging(region=region("62"), week=WEEK)]
    assert names == ["Молчит", "Далеко", "Почти"]


def test_exactly_at_target_is_not_lagging():
    snapshot("Ровно", staff_active=75, students_active=3, parents_active=3)  # 75 %, 30 %
    assert organisations_lagging(region=region("62"), week=WEEK) == []


def test_lagging_rows_name_the_blocking_kpis():
    snapshot("Мало MAX", sferum_max_only=9)
    [row] = organisations_lagging(region=region("62"), week=WEEK)
    assert row["blocking"] == ["max_only_share"]


def test_lagging_agrees_with_readiness():
    for active in (10, 60, 75, 90):
        snapshot(f"Школа {active}", staff_active=active)
    OrganisationFactory(name="Без данных")
    lagging = {row["organisation"].pk for row in organisations_lagging(region=region("62"), week=WEEK, limit=None)}
    not_ready = {
        row["organisation"].pk for row in organisations_readiness(region=region("62"), week=WEEK) if not row["ready"]
    }
    assert lagging == not_ready


def test_lagging_runs_a_fixed_number_of_queries():
    def queries(n):
        for i in range(n):
            snapshot(f"Школа {n}-{i}", staff_active=i)
        with CaptureQueriesContext(connection) as captured:
            organisations_lagging(region=region("62"), week=WEEK)
        return len(captured.captured_queries)

    assert queries(3) == queries(30)


def test_weeks_with_data_leave_out_a_computed_week_nobody_reported_in():
    next_week = WEEK + timedelta(weeks=1)
    SnapshotFactory()
    kpi_values_recompute(week=WEEK)
    kpi_values_recompute(week=next_week)  # the nightly job, before the week's first report
    assert weeks_with_data() == [WEEK]
    assert latest_week_with_data() == WEEK
    assert latest_week_with_data(before=WEEK - timedelta(days=1)) is None
    assert weeks_with_data(computed=True) == [next_week, WEEK]
    assert weeks_with_data(since=next_week, computed=True) == [next_week]
    assert weeks_with_data(before=WEEK, computed=True) == [WEEK]
