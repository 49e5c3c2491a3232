"""The verdict over the API (issue #13): fields added, never renamed — the week's deadline and
provisional flag, per region the status since when and why with its coverage, the reporting
register at /api/v1/reporting/; the default week is the latest closed one."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from metrics.kpi import monday_of
from metrics.services import kpi_values_rebuild
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

BLOCKER = {"kpi": "officials_active", "value": 0.957, "target": 1.0, "gap": -0.043}


def open_week() -> date:
    return monday_of(timezone.localdate())


@pytest.fixture
def data(kpi_data):
    """kpi_data (62 reports two weeks, 63 the latest: WEEK), a verdict for 62, an early upload for
    the open week from 63, reporting rows."""
    SnapshotFactory(organisation=kpi_data["samara"][0], week=open_week())
    kpi_values_rebuild()
    region_state(
        "62",
        WEEK,
        status="late",
        status_since=WEEK - timedelta(weeks=1),
        blocking=["officials_active"],
        blocking_detail=[BLOCKER],
        orgs_reported=3,
        orgs_total=4,
    )
    sender = UserFactory(username="sidorov", first_name="Пётр", last_name="Сидоров")
    region_reporting("62", WEEK, status="late", orgs_reported=3, orgs_total=4, last_uploaded_by=sender)
    region_reporting("63", WEEK, status="on_time", orgs_reported=2, orgs_total=2)
    return kpi_data


def is_datetime(text: str) -> bool:
    return isinstance(datetime.fromisoformat(text.replace("Z", "+00:00")), datetime)


def test_region_kpis_add_deadline_provisional_and_the_verdict(token_client, system_user, data):
    body = token_client(system_user).get("/api/v1/regions/62/kpis/").json()
    assert body["week"] == WEEK.isoformat()  # the early upload of the open week does not move it
    assert body["provisional"] is False
    assert body["deadline"] == "2025-11-04T12:00:00+03:00"
    assert is_datetime(body["deadline"])
    assert body["status"] == "late"
    assert body["status_since"] == (WEEK - timedelta(weeks=1)).isoformat()
    assert body["blocking"] == ["officials_active"]
    assert body["blocking_detail"] == [BLOCKER]
    assert body["coverage"] == {"reported": 3, "total": 4}
    assert (body["orgs_reported"], body["orgs_total"]) == (3, 4)
    # Fields of the contract kept, the KPI's own status among them.
    assert {"region", "week", "kpis"} <= set(body)
    assert {"code", "value", "target", "met", "schedule_status", "projected_date"} <= set(body["kpis"][0])
    for stage in body["stages"]:
        assert {"done_on", "on_time", "late_since", "blocking"} <= set(stage)


def test_an_open_week_asked_for_is_provisional(token_client, system_user, data):
    client = token_client(system_user)
    week = open_week()
    for url in ("/api/v1/regions/63/kpis/", "/api/v1/kpis/summary/", "/api/v1/reporting/"):
        body = client.get(url, {"week": week.isoformat()}).json()
        assert body["week"] == week.isoformat(), url
        assert body["provisional"] is True, url
        assert datetime.fromisoformat(body["deadline"]).date() == week + timedelta(days=8)
        closed = client.get(url).json()
        assert (closed["week"], closed["provisional"]) == (WEEK.isoformat(), False), url


def test_summary_rows_carry_status_since_blocking_detail_coverage_and_reporting(token_client, system_user, data):
    body = token_client(system_user).get("/api/v1/kpis/summary/").json()
    assert body["week"] == WEEK.isoformat() and body["provisional"] is False and is_datetime(body["deadline"])
    ryazan = next(row for row in body["regions"] if row["code"] == "62")
    assert ryazan["status"] == "late"
    assert ryazan["status_since"] == (WEEK - timedelta(weeks=1)).isoformat()
    assert ryazan["blocking_detail"] == [BLOCKER]
    assert ryazan["coverage"] == {"reported": 3, "total": 4}
    assert ryazan["reporting_status"] == "late"
    assert next(row for row in body["regions"] if row["code"] == "01")["reporting_status"] == "missing"
    assert {"status_since", "blocking_detail", "coverage"} <= set(body["country"])


def test_reporting_register_lists_every_region_worst_first(token_client, coordinator62, data):
    body = token_client(coordinator62).get("/api/v1/reporting/").json()
    assert body["week"] == WEEK.isoformat() and body["provisional"] is False
    assert len(body["regions"]) == 89
    statuses = [row["status"] for row in body["regions"]]
    order = ["missing", "partial", "late", "on_time"]
    assert statuses == sorted(statuses, key=order.index)
    assert body["counts"] == {"missing": 87, "partial": 0, "late": 1, "on_time": 1}
    ryazan = next(row for row in body["regions"] if row["region"] == "62")
    assert ryazan["last_uploaded_by"] == "sidorov" and ryazan["last_uploaded_by_name"] == "Пётр Сидоров"
    assert (ryazan["orgs_reported"], ryazan["orgs_total"], ryazan["coverage"]) == (3, 4, 0.75)
    assert ryazan["warnings"] == 0 and ryazan["warning_counts"] == {}
    missing = next(row for row in body["regions"] if row["status"] == "missing")
    assert missing["last_uploaded_by"] is None and missing["first_upload_at"] is None


def test_reporting_register_filters_and_refuses_an_unknown_status(token_client, system_user, data):
    client = token_client(system_user)
    body = client.get("/api/v1/reporting/", {"federal_district": "ПФО", "status": "on_time"}).json()
    assert [row["region"] for row in body["regions"]] == ["63"]
    assert body["counts"]["on_time"] == 1 and sum(body["counts"].values()) == 14  # ПФО's regions
    assert client.get("/api/v1/reporting/", {"status": "absent"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "limit"),
    [("/api/v1/reporting/", 7), ("/api/v1/kpis/summary/", 11), ("/api/v1/regions/62/kpis/", 8)],
)
def test_calls_keep_a_fixed_number_of_queries(
    token_client, system_user, data, url, limit, django_assert_max_num_queries
):
    client = token_client(system_user)
    client.get(url)
    for i in range(20):
        SnapshotFactory(organisation=OrganisationFactory(region=region("62"), org_id=f"62-x{i}"), week=WEEK)
    kpi_values_rebuild()
    for code in ("01", "02", "50"):
        region_reporting(code, WEEK, status="partial", orgs_reported=1, orgs_total=5)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
