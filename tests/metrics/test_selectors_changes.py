"""week_changes (metrics/selectors/changes.py): who slipped, who recovered, who crossed a target,
the biggest movers, who stopped reporting; from the rows of two weeks, in fixed queries."""

from datetime import date, timedelta

import pytest

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, ScopeType
from metrics.constants import COUNTRY_ID
from metrics.selectors import kpi_definitions, region_refs, region_weeks, week_changes, weeks_with_data
from tests.factories import WEEK, RegionKpiValueFactory, RegionReportingFactory, ScheduleStateFactory, region

pytestmark = pytest.mark.django_db
PREVIOUS = WEEK - timedelta(weeks=1)
STAFF, OFFICIALS = KpiCode.STAFF_WEEKLY_ACTIVE, KpiCode.OFFICIALS_ACTIVE


def country_has_data(*weeks):
    for week in weeks:
        RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=week)


def staff(code, before, after, kpi=STAFF):
    RegionKpiValueFactory(region=region(code), week=PREVIOUS, kpi=kpi, share=before)
    RegionKpiValueFactory(region=region(code), week=WEEK, kpi=kpi, share=after)


def states(code, before, after, since=WEEK):
    if before:
        ScheduleStateFactory(region=region(code), week=PREVIOUS, status=before, status_since=PREVIOUS)
    if after:
        ScheduleStateFactory(region=region(code), week=WEEK, status=after, status_since=since)


def reporting(code, before, after):
    RegionReportingFactory(region=region(code), week=PREVIOUS, status=before)
    RegionReportingFactory(region=region(code), week=WEEK, status=after)


def codes(items):
    return [item["region"]["code"] for item in items]


@pytest.fixture
def two_weeks():
    country_has_data(PREVIOUS, WEEK)
    states("62", ScheduleStatus.ON_TRACK, ScheduleStatus.LATE)  # slipped
    states("63", ScheduleStatus.LATE, ScheduleStatus.ON_TRACK)  # recovered
    states("64", ScheduleStatus.ON_TRACK, ScheduleStatus.AT_RISK, since=date(2025, 10, 27))  # slipped, less
    states("77", ScheduleStatus.AT_RISK, ScheduleStatus.AT_RISK)  # unchanged
    states("50", None, ScheduleStatus.LATE)  # no state the week before: not a change
    staff("62", 0.80, 0.70)  # fell below 75 %
    staff("63", 0.70, 0.78)  # reached it
    staff("77", 0.50, 0.60)  # rose, still below
    staff("64", 0.90, 0.91)  # above both weeks
    staff("50", None, 0.95)  # no data the week before: neither a crossing nor a mover
    reporting("78", ReportingStatus.ON_TIME, ReportingStatus.MISSING)
    reporting("50", ReportingStatus.PARTIAL, ReportingStatus.MISSING)
    reporting("47", ReportingStatus.MISSING, ReportingStatus.MISSING)
    reporting("62", ReportingStatus.LATE, ReportingStatus.ON_TIME)


def test_compares_with_the_latest_week_with_data_before(two_weeks):
    changes = week_changes(week=WEEK)
    assert (changes["week"], changes["previous_week"]) == (WEEK, PREVIOUS)


def test_regions_that_slipped_come_first_then_those_that_recovered(two_weeks):
    changes = week_changes(week=WEEK)["status_changes"]
    assert codes(changes) == ["62", "64", "63"]
    slipped = changes[0]
    assert (slipped["from_status"], slipped["to_status"], slipped["direction"]) == ("on_track", "late", "worse")
    assert slipped["region"] == {"code": "62", "name": "Рязанская область", "federal_district": "ЦФО"}
    assert changes[1]["since"] == date(2025, 10, 27)
    assert (changes[2]["from_status"], changes[2]["to_status"], changes[2]["direction"]) == (
        "late",
        "on_track",
        "better",
    )


def test_kpis_that_crossed_their_target_either_way_fallen_first(two_weeks):
    crossings = week_changes(week=WEEK)["crossings"]
    assert [(c["region"]["code"], c["kpi"], c["direction"]) for c in crossings] == [
        ("62", STAFF, "down"),
        ("63", STAFF, "up"),
    ]
    fallen = crossings[0]
    assert (fallen["before"], fallen["after"], fallen["target"]) == (0.8, 0.7, 0.75)


def test_biggest_movers_per_kpi_in_both_directions_with_data_both_weeks(two_weeks):
    movers = {group["kpi"]: group for group in week_changes(week=WEEK)["movers"]}
    assert list(movers) == [d.code for d in kpi_definitions()]
    assert codes(movers[STAFF]["up"]) == ["77", "63", "64"]
    assert codes(movers[STAFF]["down"]) == ["62"]
    assert movers[STAFF]["down"][0]["delta"] == pytest.approx(-0.1)
    assert movers[OFFICIALS] == {"kpi": OFFICIALS, "name": movers[OFFICIALS]["name"], "up": [], "down": []}


def test_only_the_five_biggest_movers_are_kept_in_order():
    country_has_data(PREVIOUS, WEEK)
    for i, code in enumerate(("01", "02", "03", "04", "05", "06", "07")):
        staff(code, 0.5, 0.5 + (i + 1) / 100)
    up = week_changes(week=WEEK)["movers"][0]["up"]
    assert codes(up) == ["07", "06", "05", "04", "03"]
    assert [round(m["delta"], 2) for m in up] == [0.07, 0.06, 0.05, 0.04, 0.03]


def test_regions_that_reported_the_week_before_and_sent_nothing_now(two_weeks):
    stopped = week_changes(week=WEEK)["stopped_reporting"]
    assert codes(stopped) == ["50", "78"]
    assert (stopped[1]["previous_status"], stopped[1]["orgs_reported_before"], stopped[1]["orgs_total"]) == (
        "on_time",
        10,
        10,
    )


def test_the_first_week_with_data_has_nothing_to_compare_with():
    country_has_data(WEEK)
    states("62", None, ScheduleStatus.LATE)
    changes = week_changes(week=WEEK)
    assert changes["previous_week"] is None
    assert changes["status_changes"] == changes["crossings"] == changes["stopped_reporting"] == []
    assert all(group["up"] == group["down"] == [] for group in changes["movers"])
    assert week_changes(week=None)["week"] is None


def test_queries_are_fixed_whatever_the_number_of_regions(two_weeks, django_assert_num_queries):
    with django_assert_num_queries(6):
        week_changes(week=WEEK)
    for code in ("01", "02", "03", "04", "05"):
        states(code, ScheduleStatus.LATE, ScheduleStatus.DONE)
        staff(code, 0.1, 0.9)
        reporting(code, ReportingStatus.ON_TIME, ReportingStatus.MISSING)
    definitions, regions = kpi_definitions(), region_refs()
    with django_assert_num_queries(4):
        changes = week_changes(week=WEEK, definitions=definitions, regions=regions)
    assert len(changes["status_changes"]) == 8
    weeks, data = weeks_with_data(), region_weeks([PREVIOUS, WEEK])
    with django_assert_num_queries(0):
        assert week_changes(week=WEEK, definitions=definitions, regions=regions, weeks=weeks, data=data) == changes
