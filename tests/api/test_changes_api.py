"""GET /api/v1/kpis/changes/ (metrics/api/views.py KpiChangesView): what changed this week, with
the pages' default week, enums, a 400 for a bad week, and a fixed number of queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, ScopeType
from metrics.constants import COUNTRY_ID
from tests.factories import WEEK, RegionKpiValueFactory, RegionReportingFactory, ScheduleStateFactory, region

pytestmark = pytest.mark.django_db
PREVIOUS = WEEK - timedelta(weeks=1)
EARLIER = WEEK - timedelta(weeks=2)
URL = "/api/v1/kpis/changes/"


def week_of_rows(week, *, ryazan_status, ryazan_share, moscow_reporting):
    RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=week)
    ScheduleStateFactory(region=region("62"), week=week, status=ryazan_status, status_since=week)
    RegionKpiValueFactory(region=region("62"), week=week, share=ryazan_share)
    RegionReportingFactory(region=region("77"), week=week, status=moscow_reporting)


@pytest.fixture
def changes_data():
    week_of_rows(EARLIER, ryazan_status=ScheduleStatus.LATE, ryazan_share=0.6, moscow_reporting=ReportingStatus.LATE)
    week_of_rows(
        PREVIOUS, ryazan_status=ScheduleStatus.ON_TRACK, ryazan_share=0.8, moscow_reporting=ReportingStatus.ON_TIME
    )
    week_of_rows(WEEK, ryazan_status=ScheduleStatus.LATE, ryazan_share=0.7, moscow_reporting=ReportingStatus.MISSING)


@pytest.fixture
def client(token_client, system_user):
    return token_client(system_user)


def test_changes_of_a_week_in_the_contracts_shape(client, changes_data):
    response = client.get(URL, {"week": WEEK.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "week",
        "previous_week",
        "provisional",
        "status_changes",
        "crossings",
        "movers",
        "stopped_reporting",
    }
    assert (body["week"], body["previous_week"], body["provisional"]) == (WEEK.isoformat(), PREVIOUS.isoformat(), False)
    [slipped] = body["status_changes"]
    assert slipped == {
        "region": {"code": "62", "name": "Рязанская область", "federal_district": "ЦФО"},
        "from_status": "on_track",
        "to_status": "late",
        "since": WEEK.isoformat(),
        "direction": "worse",
    }
    [crossing] = body["crossings"]
    assert (crossing["kpi"], crossing["before"], crossing["after"], crossing["target"], crossing["direction"]) == (
        KpiCode.STAFF_WEEKLY_ACTIVE,
        0.8,
        0.7,
        0.75,
        "down",
    )
    assert [group["kpi"] for group in body["movers"]] == list(KpiCode.values)
    [fall] = body["movers"][0]["down"]
    assert fall["region"]["code"] == "62" and fall["delta"] == pytest.approx(-0.1)
    [stopped] = body["stopped_reporting"]
    assert (stopped["region"]["code"], stopped["previous_status"], stopped["orgs_reported_before"]) == (
        "77",
        "on_time",
        10,
    )


def test_any_day_of_the_week_selects_its_monday(client, changes_data):
    body = client.get(URL, {"week": (PREVIOUS + timedelta(days=3)).isoformat()}).json()
    assert (body["week"], body["previous_week"]) == (PREVIOUS.isoformat(), EARLIER.isoformat())
    assert body["status_changes"][0]["direction"] == "better"


def test_without_a_week_the_default_week_of_the_pages(client, changes_data, monkeypatch):
    # Tuesday 4 November 2025, 10:00 in Moscow: the week of 27 October is still open (due at noon).
    before_deadline = datetime(2025, 11, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    monkeypatch.setattr("metrics.selectors.weeks.timezone.now", lambda: before_deadline)
    body = client.get(URL).json()
    assert body["week"] == PREVIOUS.isoformat()
    monkeypatch.setattr("metrics.selectors.weeks.timezone.now", lambda: before_deadline + timedelta(hours=3))
    assert client.get(URL).json()["week"] == WEEK.isoformat()


def test_an_open_week_asked_for_is_marked_provisional(client, changes_data, monkeypatch):
    before_deadline = datetime(2025, 11, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    monkeypatch.setattr("metrics.selectors.weeks.timezone.now", lambda: before_deadline)
    assert client.get(URL, {"week": WEEK.isoformat()}).json()["provisional"] is True


@pytest.mark.parametrize("week", ["2025-13-01", "last week", "27.10"])
def test_a_bad_week_is_a_400_naming_the_field(client, changes_data, week):
    response = client.get(URL, {"week": week})
    assert response.status_code == 400
    assert "week" in response.json()


def test_no_data_at_all_is_an_empty_answer(client):
    body = client.get(URL).json()
    assert body["week"] is None and body["previous_week"] is None
    assert body["status_changes"] == body["crossings"] == body["stopped_reporting"] == []


def test_anonymous_is_refused(token_client, changes_data):
    assert token_client().get(URL).status_code == 401


def test_queries_are_fixed_whatever_the_number_of_regions(client, changes_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(100) as captured:
        client.get(URL, {"week": WEEK.isoformat()})
    small = len(captured)
    for code in ("01", "02", "03", "04", "31", "32", "33", "50"):
        for week, status, share in ((PREVIOUS, ScheduleStatus.DONE, 0.9), (WEEK, ScheduleStatus.AT_RISK, 0.6)):
            ScheduleStateFactory(region=region(code), week=week, status=status)
            RegionKpiValueFactory(region=region(code), week=week, share=share)
            RegionReportingFactory(region=region(code), week=week)
    with django_assert_max_num_queries(small):
        body = client.get(URL, {"week": WEEK.isoformat()}).json()
    assert len(body["status_changes"]) == 9
