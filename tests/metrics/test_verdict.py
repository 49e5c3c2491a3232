"""The weekly verdict end to end (DESIGN.md §4.1, §4.2): uploads around the reporting deadline,
regions that send nothing, coverage against the registry, statuses that say why and since when."""

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, ScopeType
from metrics.constants import ALL_KINDS, COUNTRY_ID
from metrics.models import KpiValue, RegionReporting, ScheduleState
from metrics.selectors import default_week, week_info
from metrics.services import upload_create
from regions.choices import OrganisationKind
from tests.factories import OrganisationFactory, region
from tests.metrics.test_services_uploads import HEADER, csv_file, row

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
EARLIER = date(2025, 10, 20)
WEEK = date(2025, 10, 27)  # its reports are due on Tuesday 4 November 2025, 12:00 Moscow


@contextmanager
def at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def registry(db):
    return {
        "62": [OrganisationFactory(org_id=f"62-{i}", region=region("62")) for i in range(3)],
        "63": [OrganisationFactory(org_id=f"63-{i}", region=region("63")) for i in range(2)],
    }


def send(user, code, week, moment, rows, on_commit, **file_options):
    with at(moment), on_commit(execute=True):
        upload = upload_create(user=user, file=csv_file(rows, **file_options), region=region(code), week=week)
    upload.refresh_from_db()
    assert upload.status == "succeeded", upload.message
    return upload


def country(week):
    return KpiValue.objects.get(
        week=week, scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, kind=ALL_KINDS, kpi=KpiCode.STAFF_WEEKLY_ACTIVE
    )


def reporting(code, week):
    return RegionReporting.objects.get(region=region(code), week=week)


def state(code, week):
    return ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=region(code).id, week=week)


def test_an_early_upload_moves_nothing_until_the_deadline_and_coverage_counts_the_registry(
    ministry_user, registry, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    for code in ("62", "63"):
        rows = [row(org.org_id) for org in registry[code]]
        send(ministry_user, code, EARLIER, datetime(2025, 10, 27, 9, tzinfo=MSK), rows, on_commit)
    monday = datetime(2025, 11, 3, 10, tzinfo=MSK)
    send(ministry_user, "62", WEEK, monday, [row(org.org_id) for org in registry["62"]], on_commit)

    assert default_week(now=monday) == EARLIER
    assert week_info(WEEK, now=monday)["provisional"] is True
    assert week_info(EARLIER, now=monday)["provisional"] is False
    assert default_week(now=datetime(2025, 11, 4, 11, 59, tzinfo=MSK)) == EARLIER
    assert default_week(now=datetime(2025, 11, 4, 12, 0, tzinfo=MSK)) == WEEK

    # The country counts every registered organisation, not only those who reported.
    assert (country(WEEK).orgs_reported, country(WEEK).orgs_total) == (3, 5)
    silent = KpiValue.objects.get(
        week=WEEK, scope=ScopeType.REGION, scope_id=region("63").id, kind=ALL_KINDS, kpi=KpiCode.STAFF_WEEKLY_ACTIVE
    )
    assert (silent.orgs_reported, silent.orgs_total, silent.value) == (0, 2, None)
    # Every region has a reporting row, the silent ones `missing`, not absent.
    assert reporting("62", WEEK).status == ReportingStatus.ON_TIME
    assert reporting("63", WEEK).status == ReportingStatus.MISSING
    assert RegionReporting.objects.filter(week=WEEK).count() == 89
    # 3 of 5 is under COVERAGE_MIN: the country gets no verdict, whatever its KPIs.
    country_state = ScheduleState.objects.get(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, week=WEEK)
    assert country_state.status == ScheduleStatus.INSUFFICIENT_DATA
    assert (country_state.orgs_reported, country_state.orgs_total) == (3, 5)
    assert country_state.ready is False
    assert state("63", WEEK).status == ScheduleStatus.INSUFFICIENT_DATA
    assert state("63", WEEK).blocking == ["no_data"]


def test_reporting_status_is_on_time_late_or_partial_by_arrival_and_coverage(
    ministry_user, registry, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    before = datetime(2025, 11, 4, 11, 59, tzinfo=MSK)
    after = datetime(2025, 11, 4, 12, 1, tzinfo=MSK)
    send(ministry_user, "62", WEEK, after, [row(org.org_id) for org in registry["62"]], on_commit)
    send(ministry_user, "63", WEEK, before, [row(registry["63"][0].org_id)], on_commit)
    late, partial = reporting("62", WEEK), reporting("63", WEEK)
    assert (late.status, late.first_upload_at, late.complete_at) == (ReportingStatus.LATE, after, after)
    assert late.last_uploaded_by == ministry_user
    assert (partial.status, partial.orgs_reported, partial.orgs_total) == (ReportingStatus.PARTIAL, 1, 2)
    # The rest of the region arrives after the deadline: complete late, first arrival kept.
    send(ministry_user, "63", WEEK, after, [row(org.org_id) for org in registry["63"]], on_commit)
    complete = reporting("63", WEEK)
    assert (complete.status, complete.first_upload_at, complete.last_upload_at) == (
        ReportingStatus.LATE,
        before,
        after,
    )


def test_a_kpi_at_target_is_never_late_and_the_status_says_since_when(
    ministry_user, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    authority = OrganisationFactory(org_id="62-a", region=region("62"), kind=OrganisationKind.AUTHORITY_REGIONAL)
    # Every KPI at target but staff (50 % of 75 %), after the 1 November deadline of the final stage.
    header = [*HEADER, "Должностные лица всего", "Должностные лица активные"]
    file_row = [*row(authority.org_id, staff=(100, 50), sferum=(1400, 1400)), 10, 10]
    weeks = [date(2025, 11, 3), date(2025, 11, 10), date(2025, 11, 17)]
    for week in weeks:
        moment = datetime.combine(week, datetime.min.time(), MSK) + timedelta(days=7)
        send(ministry_user, "62", week, moment, [file_row], on_commit, header=header)
    latest = state("62", weeks[-1])
    own = {code: item["schedule_status"] for code, item in latest.kpis.items()}
    assert own == {
        KpiCode.STAFF_WEEKLY_ACTIVE: ScheduleStatus.LATE,
        KpiCode.LEARNERS_WEEKLY_ACTIVE: ScheduleStatus.DONE,
        KpiCode.OFFICIALS_ACTIVE: ScheduleStatus.DONE,  # at its target: never late because of staff
        KpiCode.MAX_ONLY_SHARE: ScheduleStatus.DONE,
    }
    assert (latest.status, latest.status_since) == (ScheduleStatus.LATE, weeks[0])
    assert latest.blocking == [KpiCode.STAFF_WEEKLY_ACTIVE]
    [staff] = latest.blocking_detail
    assert staff["value"] == pytest.approx(0.5) and staff["gap"] == pytest.approx(-0.25)
    late = [stage for stage in latest.stages if stage["status"] == ScheduleStatus.LATE]
    assert [stage["late_since"] for stage in late] == ["2025-10-31", "2025-11-01"]  # mass move, completion
    assert all([b["kpi"] for b in stage["blocking"]] == [KpiCode.STAFF_WEEKLY_ACTIVE] for stage in late)
    management = next(stage for stage in latest.stages if KpiCode.OFFICIALS_ACTIVE in stage["kpis"])
    assert management["status"] == ScheduleStatus.DONE and management["on_time"] is False  # first held 3 Nov
