"""region_map (metrics/selectors/map.py): one row per region for the tile map, fixed queries."""

from datetime import date

import pytest

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus
from metrics.selectors import region_map, region_refs, region_weeks
from tests.factories import WEEK, RegionKpiValueFactory, RegionReportingFactory, ScheduleStateFactory, region

pytestmark = pytest.mark.django_db
STAFF = KpiCode.STAFF_WEEKLY_ACTIVE


def test_every_region_has_a_row_with_status_since_reporting_and_the_kpi_against_its_target():
    ryazan = region("62")
    ScheduleStateFactory(region=ryazan, status=ScheduleStatus.LATE, status_since=date(2025, 10, 13))
    RegionReportingFactory(region=ryazan, status=ReportingStatus.LATE)
    RegionKpiValueFactory(region=ryazan, share=0.7)
    RegionKpiValueFactory(region=ryazan, kpi=KpiCode.OFFICIALS_ACTIVE, share=1.0)
    RegionReportingFactory(region=region("63"), status=ReportingStatus.MISSING)
    RegionKpiValueFactory(region=region("63"), share=None)

    rows = region_map(week=WEEK, kpi=STAFF)

    assert len(rows) == 89
    assert [row["code"] for row in rows] == sorted(row["code"] for row in rows)
    by_code = {row["code"]: row for row in rows}
    assert by_code["62"] == {
        "code": "62",
        "name": "Рязанская область",
        "federal_district": "ЦФО",
        "status": ScheduleStatus.LATE,
        "status_since": date(2025, 10, 13),
        "reporting": ReportingStatus.LATE,
        "value": 0.7,
        "target": 0.75,
        "met": False,
        "orgs_reported": 10,
        "orgs_total": 10,
    }
    sent_nothing = by_code["63"]
    assert (sent_nothing["reporting"], sent_nothing["value"], sent_nothing["met"]) == ("missing", None, None)
    unknown = by_code["77"]
    assert (unknown["status"], unknown["status_since"], unknown["reporting"], unknown["value"]) == (None,) * 4
    assert unknown["target"] == 0.75  # the KPI's target, with no row of the region


def test_another_week_reads_only_its_own_rows():
    RegionKpiValueFactory(region=region("62"), share=0.7)
    ScheduleStateFactory(region=region("62"), status=ScheduleStatus.LATE)
    row = next(r for r in region_map(week=date(2025, 10, 20), kpi=STAFF) if r["code"] == "62")
    assert (row["status"], row["value"]) == (None, None)


def test_queries_are_fixed_and_fewer_with_what_the_caller_has(django_assert_num_queries):
    for code in ("62", "63", "77"):
        ScheduleStateFactory(region=region(code))
        RegionKpiValueFactory(region=region(code))
        RegionReportingFactory(region=region(code))
    with django_assert_num_queries(5):
        region_map(week=WEEK, kpi=STAFF)
    regions = region_refs()
    with django_assert_num_queries(3):
        rows = region_map(week=WEEK, kpi=STAFF, target=0.75, regions=regions)
    with django_assert_num_queries(3):
        data = region_weeks([WEEK])
    with django_assert_num_queries(0):
        assert region_map(week=WEEK, kpi=STAFF, target=0.75, regions=regions, data=data) == rows
