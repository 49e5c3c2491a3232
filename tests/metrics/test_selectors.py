"""Selectors shared by pages and the API: who lags, readiness, the weeks with data, their query
counts, who sees which upload, one organisation's KPIs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from metrics.kpi import KPI_CODES
from metrics.models import StageTarget, Upload
from metrics.selectors import (
    kpi_definitions,
    kpi_targets,
    latest_week_with_data,
    organisation_kpi_series,
    organisation_kpi_status,
    organisation_series,
    organisations_lagging,
    organisations_readiness,
    roadmap_stage_plans,
    upload_get_for_user,
    uploads_for_user,
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


def test_lagging_finds_organisations_without_data_in_the_same_queries():
    for active in (10, 20, 30):
        snapshot(f"Школа {active}", staff_active=active)
    with CaptureQueriesContext(connection) as all_reported:
        rows = organisations_lagging(region=region("62"), week=WEEK)
    assert [row["organisation"].name for row in rows] == ["Школа 10", "Школа 20", "Школа 30"]
    OrganisationFactory(name="Молчит")
    with CaptureQueriesContext(connection) as one_missing:
        rows = organisations_lagging(region=region("62"), week=WEEK)
    assert [row["organisation"].name for row in rows] == ["Молчит", "Школа 10", "Школа 20", "Школа 30"]
    assert rows[1]["kpis"]["staff_weekly_active"]["value"] == pytest.approx(0.1)
    assert len(one_missing) == len(all_reported)
    assert [row["organisation"].name for row in organisations_lagging(region=region("62"), week=WEEK, limit=2)] == [
        "Молчит",
        "Школа 10",
    ]


def test_lagging_reads_two_queries_given_the_targets(django_assert_num_queries):
    snapshot("Далеко", staff_active=30)
    OrganisationFactory(name="Молчит")
    ryazan, targets = region("62"), kpi_targets()
    with django_assert_num_queries(2):  # the scored organisations, then the rows' organisations
        rows = organisations_lagging(region=ryazan, week=WEEK, targets=targets)
    assert [row["organisation"].name for row in rows] == ["Молчит", "Далеко"]


def test_an_organisation_whose_snapshot_is_still_under_its_former_region_has_no_data_there():
    moved = snapshot("Переехала", staff_active=10).organisation
    snapshot("Осталась", staff_active=20)
    moved.region = region("63")
    moved.save()
    names = [row["organisation"].name for row in organisations_lagging(region=region("62"), week=WEEK)]
    assert names == ["Осталась"]
    names = [row["organisation"].name for row in organisations_lagging(region=region("63"), week=WEEK)]
    assert names == ["Переехала"]


def test_lagging_runs_a_fixed_number_of_queries():
    def queries(n):
        for i in range(n):
            snapshot(f"Школа {n}-{i}", staff_active=i)
        with CaptureQueriesContext(connection) as captured:
            organisations_lagging(region=region("62"), week=WEEK)
        return len(captured.captured_queries)

    assert queries(3) == queries(30)


def test_the_plan_reads_its_stages_with_their_targets_in_one_query(django_assert_num_queries):
    ryazan, targets = region("62"), kpi_targets()
    with django_assert_num_queries(1):
        federal, plans = roadmap_stage_plans(regions=[ryazan], targets=targets)
    assert [stage.order for stage in federal] == sorted(stage.order for stage in federal)
    expected = {
        (target.stage.order, target.kpi.code): target.target if target.target is not None else targets[target.kpi.code]
        for target in StageTarget.objects.filter(stage__roadmap__is_federal=True).select_related("stage", "kpi")
    }
    assert expected and {(stage.order, code): v for stage in federal for code, v in stage.targets.items()} == expected
    for stage in federal:
        assert list(stage.targets) == [code for code in KPI_CODES if code in stage.targets]  # in KPI order
    assert plans[ryazan.id] == [stage for stage in federal if stage.applies_to(pilot=ryazan.pilot)]


# --- uploads: the one access path --------------------------------------------------------------


@pytest.fixture
def uploads(ministry_user):
    return {
        code: Upload.objects.create(uploaded_by=ministry_user, region=region(code), original_name=f"{code}.csv")
        for code in ("62", "63")
    }


@pytest.mark.parametrize(
    ("user", "visible"),
    [("ministry_user", ["63", "62"]), ("admin_user", ["63", "62"]), ("coordinator62", ["62"]), ("system_user", [])],
)
def test_uploads_for_user_are_all_for_national_roles_and_own_region_for_a_coordinator(request, uploads, user, visible):
    user = request.getfixturevalue(user)
    assert [upload.region.code for upload in uploads_for_user(user=user)] == visible


def test_uploads_of_a_region_the_user_may_not_see_are_refused_not_empty(uploads, coordinator62, ministry_user):
    assert [u.pk for u in uploads_for_user(user=coordinator62, region=region("62"))] == [uploads["62"].pk]
    assert [u.pk for u in uploads_for_user(user=ministry_user, region=region("63"))] == [uploads["63"].pk]
    with pytest.raises(PermissionDenied):
        uploads_for_user(user=coordinator62, region=region("63"))


def test_one_upload_is_404_when_unknown_and_403_when_another_regions(uploads, coordinator62, system_user):
    assert upload_get_for_user(user=coordinator62, pk=uploads["62"].pk) == uploads["62"]
    with pytest.raises(PermissionDenied):
        upload_get_for_user(user=coordinator62, pk=uploads["63"].pk)
    with pytest.raises(PermissionDenied):
        upload_get_for_user(user=system_user, pk=uploads["62"].pk)
    with pytest.raises(Http404):
        upload_get_for_user(user=coordinator62, pk=uploads["63"].pk + 100)


# --- one organisation's KPIs, from its snapshots -----------------------------------------------


def test_organisation_change_is_measured_against_the_week_just_before_not_across_a_gap():
    organisation = OrganisationFactory()
    for back, active in ((3, 40), (2, 50), (0, 80)):  # nothing sent a week ago
        SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=back), staff_active=active)
    definitions = kpi_definitions()
    series = organisation_kpi_series(rows=organisation_series(organisation=organisation), definitions=definitions)
    staff = series["staff_weekly_active"]
    assert [point["week"] for point in staff] == [WEEK - timedelta(weeks=3), WEEK - timedelta(weeks=2), WEEK]
    assert staff[0]["delta"] is None and staff[2]["delta"] is None
    assert staff[1]["delta"] == pytest.approx(0.1)
    status = organisation_kpi_status(series=series, definitions=definitions, week=WEEK)
    assert [k["code"] for k in status["kpis"]] == [d.code for d in definitions]
    assert status["has_data"] and status["kpis"][0]["value"] == pytest.approx(0.8)
    silent = organisation_kpi_status(series=series, definitions=definitions, week=WEEK - timedelta(weeks=1))
    assert not silent["has_data"] and all(k["value"] is None for k in silent["kpis"])


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
