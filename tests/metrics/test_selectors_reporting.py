"""The reporting selectors (metrics/selectors/reporting.py): the register of who reported, its
order and filters, the series over the weeks, the organisations that sent nothing; and the verdict
fields the KPI selectors read from the schedule state."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from metrics.choices import ReportingStatus, ScopeType
from metrics.selectors import (
    country_summary,
    organisations_missing,
    organisations_missing_for_user,
    reporting_register,
    reporting_series,
    scope_kpi_status,
)
from metrics.services import kpi_values_rebuild
from regions.models import Region
from tests.factories import (
    WEEK,
    OrganisationFactory,
    SnapshotFactory,
    UserFactory,
    region,
    region_reporting,
    region_state,
)

pytestmark = pytest.mark.django_db

PREVIOUS = WEEK - timedelta(weeks=1)
TUESDAY_NOON_UTC = datetime(2025, 11, 4, 9, 0, tzinfo=UTC)  # 12:00 Moscow, the deadline of WEEK


@pytest.fixture
def register_data():
    """62 on time, 63 late, 77 partial, 50 missing (a row with 0), every other region no row."""
    uploader = UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")
    region_reporting(
        "62",
        WEEK,
        status=ReportingStatus.ON_TIME,
        orgs_reported=10,
        orgs_total=10,
        first_upload_at=TUESDAY_NOON_UTC - timedelta(days=1),
        last_upload_at=TUESDAY_NOON_UTC - timedelta(hours=2),
        last_uploaded_by=uploader,
    )
    region_reporting("63", WEEK, status=ReportingStatus.LATE, orgs_reported=9, orgs_total=10)
    region_reporting("77", WEEK, status=ReportingStatus.PARTIAL, orgs_reported=4, orgs_total=10)
    region_reporting("50", WEEK, status=ReportingStatus.MISSING, orgs_reported=0, orgs_total=7)
    return uploader


def test_register_lists_every_region_worst_first_then_by_code(register_data):
    register = reporting_register(week=WEEK)
    rows = register["rows"]
    assert len(rows) == Region.objects.count() == 89
    ranks = {"missing": 0, "partial": 1, "late": 2, "on_time": 3}
    assert [ranks[row["status"]] for row in rows] == sorted(ranks[row["status"]] for row in rows)
    assert [row["code"] for row in rows[-3:]] == ["77", "63", "62"]
    missing_codes = [row["code"] for row in rows if row["status"] == "missing"]
    assert missing_codes == sorted(missing_codes)
    assert register["counts"] == {"missing": 86, "partial": 1, "late": 1, "on_time": 1}


def test_a_region_that_sent_nothing_is_missing_not_absent(register_data):
    OrganisationFactory.create_batch(3, region=region("01"))
    rows = {row["code"]: row for row in reporting_register(week=WEEK)["rows"]}
    # A missing row with 0 of its registry.
    assert rows["50"]["status"] == "missing"
    assert (rows["50"]["orgs_reported"], rows["50"]["orgs_total"]) == (0, 7)
    # No row at all: still listed, as missing, against its registry.
    assert rows["01"]["status"] == "missing"
    assert (rows["01"]["orgs_reported"], rows["01"]["orgs_total"], rows["01"]["coverage"]) == (0, 3, 0.0)
    assert rows["01"]["last_upload_at"] is None and rows["01"]["uploaded_by_name"] == ""


def test_register_row_says_when_and_who(register_data):
    ryazan = next(row for row in reporting_register(week=WEEK)["rows"] if row["code"] == "62")
    assert ryazan["first_upload_at"] == TUESDAY_NOON_UTC - timedelta(days=1)
    assert ryazan["last_upload_at"] == TUESDAY_NOON_UTC - timedelta(hours=2)
    assert ryazan["uploaded_by_name"] == "Иван Иванов"
    assert ryazan["coverage"] == 1.0
    assert ryazan["warnings"] == 0 and ryazan["warnings_by_code"] == {}


def test_register_filters_by_district_and_status_and_counts_before_the_status_filter(register_data):
    central = reporting_register(week=WEEK, district="ЦФО")
    assert {row["federal_district"] for row in central["rows"]} == {"ЦФО"}
    assert {"62", "77", "50"} <= {row["code"] for row in central["rows"]}
    assert "63" not in {row["code"] for row in central["rows"]}
    late = reporting_register(week=WEEK, status="late")
    assert [row["code"] for row in late["rows"]] == ["63"]
    assert late["counts"]["on_time"] == 1 and late["counts"]["missing"] == 86
    assert late["coverage"]["reported"] == 10 + 9 + 4


def test_register_runs_a_fixed_number_of_queries(register_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # regions, registry counts, reporting rows, warnings
        reporting_register(week=WEEK)
    for code in Region.objects.values_list("code", flat=True):
        region_reporting(code, PREVIOUS, status="missing")
    with django_assert_max_num_queries(3):  # every region has its row: the registry is not counted
        reporting_register(week=PREVIOUS)


def test_country_series_counts_regions_by_status_per_week(register_data, django_assert_num_queries):
    region_reporting("62", PREVIOUS, status="late", orgs_reported=10, orgs_total=10)
    with django_assert_num_queries(1):
        series = reporting_series()
    assert [point["week"] for point in series] == [PREVIOUS, WEEK]
    assert series[0]["counts"] == {"missing": 0, "partial": 0, "late": 1, "on_time": 0}
    assert series[1]["counts"] == {"missing": 1, "partial": 1, "late": 1, "on_time": 1}
    assert series[1]["total"] == 4


def test_region_series_gives_its_coverage_and_timeliness(register_data, django_assert_num_queries):
    region_reporting("62", PREVIOUS, status="partial", orgs_reported=5, orgs_total=10)
    ryazan = region("62")
    with django_assert_num_queries(1):
        series = reporting_series(region=ryazan)
    assert [(p["week"], p["status"], p["coverage"]) for p in series] == [
        (PREVIOUS, "partial", 0.5),
        (WEEK, "on_time", 1.0),
    ]
    assert series[1]["uploaded_by_name"] == "Иван Иванов"
    assert series[0]["uploaded_by_name"] == ""  # nobody


def test_region_series_names_an_uploader_without_a_name_by_login(register_data):
    region_reporting("62", PREVIOUS, status="late", last_uploaded_by=UserFactory(username="anon", first_name=""))
    assert reporting_series(region=region("62"))[0]["uploaded_by_name"] == "anon"


def test_missing_organisations_are_the_registry_without_a_snapshot(django_assert_num_queries):
    reported = SnapshotFactory(week=WEEK).organisation
    silent = OrganisationFactory(name="Б молчит")
    earlier = OrganisationFactory(name="А прислала раньше")
    SnapshotFactory(organisation=earlier, week=PREVIOUS)
    OrganisationFactory(region=region("63"))  # another region's
    ryazan = region("62")
    with django_assert_num_queries(1):
        missing = organisations_missing(region=ryazan, week=WEEK)
        names = [o.municipality.name if o.municipality else "" for o in missing]  # no query per row
    assert reported not in missing
    assert {o.pk for o in missing} == {silent.pk, earlier.pk}
    assert len(names) == 2


def test_missing_organisations_follow_the_upload_rule(ministry_user, coordinator62, coordinator63, system_user):
    OrganisationFactory()
    assert len(organisations_missing_for_user(user=ministry_user, region=region("62"), week=WEEK)) == 1
    assert len(organisations_missing_for_user(user=coordinator62, region=region("62"), week=WEEK)) == 1
    for user in (coordinator63, system_user):
        with pytest.raises(PermissionDenied):
            organisations_missing_for_user(user=user, region=region("62"), week=WEEK)


# --- the verdict fields of the KPI selectors ------------------------------------------------------

BLOCKER = {"kpi": "officials_active", "value": 0.957, "target": 1.0, "gap": -0.043}


@pytest.fixture
def verdict_data():
    for i in range(3):
        SnapshotFactory(organisation=OrganisationFactory(org_id=f"62-{i}"), week=WEEK)
    OrganisationFactory(org_id="62-silent")
    kpi_values_rebuild()
    region_state(
        "62",
        WEEK,
        status="late",
        status_since=WEEK,
        blocking=["officials_active"],
        blocking_detail=[BLOCKER],
        orgs_reported=3,
        orgs_total=4,
    )
    region_reporting("62", WEEK, status="late", orgs_reported=3, orgs_total=4)


def test_scope_status_carries_the_verdict_from_the_schedule_state(verdict_data, django_assert_num_queries):
    ryazan = region("62")
    with django_assert_num_queries(3):
        state = scope_kpi_status(scope=ScopeType.REGION, scope_id=ryazan.id, week=WEEK)
    assert state["status"] == "late"
    assert state["status_since"] == WEEK
    assert state["blocking_detail"] == [BLOCKER]
    assert state["coverage"] == {"reported": 3, "total": 4}
    assert (state["orgs_reported"], state["orgs_total"]) == (3, 4)


def test_summary_rows_carry_the_verdict_and_the_reporting_status(verdict_data, django_assert_num_queries):
    with django_assert_num_queries(6):  # the definitions read once; the country's KPI values with the regions'
        summary = country_summary(week=WEEK)
    ryazan = next(row for row in summary["regions"] if row["code"] == "62")
    assert ryazan["status_since"] == WEEK
    assert ryazan["blocking_detail"] == [BLOCKER]
    assert ryazan["coverage"] == {"reported": 3, "total": 4}
    assert ryazan["reporting_status"] == "late"
    moscow = next(row for row in summary["regions"] if row["code"] == "77")
    assert moscow["reporting_status"] == "missing"
    assert summary["status_counts"]["late"] >= 1
    assert summary["reporting_counts"]["late"] == 1
    late_only = country_summary(week=WEEK, status="late")
    assert late_only["status_counts"] == summary["status_counts"]  # counted before the filter
