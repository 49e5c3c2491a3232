"""The metrics calls of /api/v1/ (metrics/api/views.py): KPIs of a region, its history, the country
summary, snapshots and uploads, in the exact shapes of DESIGN.md §6, with a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.choices import KpiCode, ScheduleStatus, UploadStatus
from metrics.counts import COUNT_FIELDS
from metrics.models import Upload, WeeklySnapshot
from metrics.services import kpi_values_rebuild
from regions.models import Region
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, region

from .conftest import PREVIOUS_WEEK

pytestmark = pytest.mark.django_db

KPI_FIELDS = {
    "code",
    "value",
    "numerator",
    "denominator",
    "target",
    "met",
    "delta",
    "schedule_status",
    "projected_date",
}
UPLOAD_FIELDS = {
    "id",
    "status",
    "region",
    "week",
    "rows_total",
    "rows_imported",
    "rows_rejected",
    "errors",
    "created_at",
    "finished_at",
}
HEADER = (
    "ID организации;Работники всего;Работники активные;Обучающиеся всего;Обучающиеся активные;"
    "Родители всего;Родители активные;Пользователи Сферума всего;Пользователи только в MAX"
)


def csv_upload(*rows, name="week.csv"):
    lines = [HEADER, *(";".join(map(str, r)) for r in rows)]
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode("cp1251"), content_type="text/csv")


def good_row(org_id):
    return (org_id, 100, 90, 500, 200, 800, 300, 1400, 1400)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture
def client(token_client, ministry_user):
    return token_client(ministry_user)


# --- GET /regions/{code}/kpis/ -------------------------------------------------------------------


def test_region_kpis_have_the_contract_shape(client, kpi_data):
    response = client.get("/api/v1/regions/62/kpis/", {"week": WEEK.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {"region", "week", "kpis"} <= set(body)
    assert body["region"] == "62"
    assert body["week"] == WEEK.isoformat()
    assert [k["code"] for k in body["kpis"]] == list(KpiCode.values)
    for kpi in body["kpis"]:
        assert set(kpi) >= KPI_FIELDS
        assert 0 <= kpi["value"] <= 1 and 0 <= kpi["target"] <= 1
        assert kpi["schedule_status"] in ScheduleStatus.values
    staff = body["kpis"][0]
    assert (staff["value"], staff["numerator"], staff["denominator"]) == (0.8, 240, 300)
    assert (staff["target"], staff["met"]) == (0.75, True)
    assert staff["delta"] == pytest.approx(0.1)


def test_region_kpis_accept_any_day_of_the_week(client, kpi_data):
    wednesday = WEEK + timedelta(days=2)
    body = client.get("/api/v1/regions/62/kpis/", {"week": wednesday.isoformat()}).json()
    assert body["week"] == WEEK.isoformat()
    assert body["kpis"][0]["value"] == 0.8


def test_region_kpis_without_week_answer_the_latest_week_with_data(client, kpi_data):
    body = client.get("/api/v1/regions/62/kpis/").json()
    assert body["week"] == WEEK.isoformat()


def test_region_kpis_of_a_week_without_data_are_null_not_zero(client, kpi_data):
    response = client.get("/api/v1/regions/62/kpis/", {"week": (WEEK + timedelta(weeks=5)).isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["has_data"] is False
    for kpi in body["kpis"]:
        assert kpi["value"] is None and kpi["met"] is None and kpi["delta"] is None
        assert kpi["numerator"] == kpi["denominator"] == 0
        assert kpi["target"] is not None


def test_region_kpis_with_no_data_at_all_answer_a_null_week(client):
    body = client.get("/api/v1/regions/62/kpis/").json()
    assert body["week"] is None
    assert all(k["value"] is None for k in body["kpis"])


def test_unknown_region_is_404_json(client):
    response = client.get("/api/v1/regions/00/kpis/")
    assert response.status_code == 404
    assert "00" in response.json()["detail"]


@pytest.mark.parametrize("week", ["2025-13-01", "27.10.2025", "last"])
def test_bad_week_is_400_with_the_reason(client, week):
    response = client.get("/api/v1/regions/62/kpis/", {"week": week})
    assert response.status_code == 400
    assert response.json()["week"][0]


# --- GET /regions/{code}/kpis/history/ -----------------------------------------------------------


def test_history_is_the_weekly_series_of_one_kpi(client, kpi_data):
    response = client.get("/api/v1/regions/62/kpis/history/", {"kpi": KpiCode.STAFF_WEEKLY_ACTIVE})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"region", "kpi", "target", "series", "stages"}
    assert (body["region"], body["kpi"], body["target"]) == ("62", "staff_weekly_active", 0.75)
    assert [p["week"] for p in body["series"]] == [PREVIOUS_WEEK.isoformat(), WEEK.isoformat()]
    for point in body["series"]:
        assert {"week", "value", "numerator", "denominator", "met", "delta", "planned"} <= set(point)
    assert [p["value"] for p in body["series"]] == [0.7, 0.8]
    assert [p["met"] for p in body["series"]] == [False, True]
    assert body["stages"], "the federal roadmap applies to Ryazan"
    deadlines = [s["deadline"] for s in body["stages"]]
    assert deadlines == sorted(deadlines)
    assert all({"title", "deadline", "target"} <= set(s) for s in body["stages"])


def test_history_needs_a_kpi(client):
    response = client.get("/api/v1/regions/62/kpis/history/")
    assert response.status_code == 400
    assert "staff_weekly_active" in response.json()["kpi"][0]


def test_history_of_an_unknown_kpi_names_the_valid_codes(client):
    response = client.get("/api/v1/regions/62/kpis/history/", {"kpi": "happiness"})
    assert response.status_code == 400
    message = response.json()["kpi"][0]
    assert "happiness" in message
    assert all(code in message for code in KpiCode.values)


# --- GET /kpis/summary/ --------------------------------------------------------------------------


def test_summary_has_the_country_and_one_row_per_region(client, kpi_data):
    response = client.get("/api/v1/kpis/summary/", {"week": WEEK.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["week"] == WEEK.isoformat()
    assert [k["code"] for k in body["country"]["kpis"]] == list(KpiCode.values)
    assert body["country"]["kpis"][0]["value"] == pytest.approx(340 / 500)
    assert len(body["regions"]) == 89
    ryazan = next(r for r in body["regions"] if r["code"] == "62")
    assert {"code", "name", "federal_district", "pilot", "status", "kpis"} <= set(ryazan)
    assert ryazan["federal_district"] == "ЦФО"
    assert [k["code"] for k in ryazan["kpis"]] == list(KpiCode.values)
    assert ryazan["kpis"][0]["value"] == 0.8
    silent = next(r for r in body["regions"] if r["code"] == "77")
    assert all(k["value"] is None for k in silent["kpis"])


def test_summary_filters_regions_by_district_and_pilot(client, kpi_data):
    central = client.get("/api/v1/kpis/summary/", {"federal_district": "ЦФО"}).json()["regions"]
    assert central and {r["federal_district"] for r in central} == {"ЦФО"}
    Region.objects.filter(code__in=["62", "63"]).update(pilot=True)
    pilots = client.get("/api/v1/kpis/summary/", {"pilot": "true"}).json()["regions"]
    assert [r["code"] for r in pilots] == ["62", "63"] and all(r["pilot"] for r in pilots)
    others = client.get("/api/v1/kpis/summary/", {"pilot": "false"}).json()["regions"]
    assert len(others) == 87
    assert client.get("/api/v1/kpis/summary/", {"pilot": "perhaps"}).status_code == 400


def test_summary_filters_regions_by_schedule_status(client, kpi_data):
    everyone = client.get("/api/v1/kpis/summary/").json()["regions"]
    by_status = {}
    for row in everyone:
        by_status.setdefault(row["status"], []).append(row["code"])
    assert set(by_status) - {None}, "the fixture gives some regions a schedule status"
    for status in ScheduleStatus.values:
        body = client.get("/api/v1/kpis/summary/", {"status": status}).json()
        assert [r["code"] for r in body["regions"]] == by_status.get(status, [])
        assert body["country"] == client.get("/api/v1/kpis/summary/").json()["country"]


def test_summary_refuses_an_unknown_status(client, kpi_data):
    response = client.get("/api/v1/kpis/summary/", {"status": "soon"})
    assert response.status_code == 400
    assert "status" in response.json()


# --- GET /snapshots/ -----------------------------------------------------------------------------


def test_snapshots_are_paginated_with_every_count(client, kpi_data):
    response = client.get("/api/v1/snapshots/", {"region": "62", "week": WEEK.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    row = body["results"][0]
    assert {"org_id", "region", "week", "upload", *COUNT_FIELDS} <= set(row)
    assert (row["region"], row["week"], row["staff_active"]) == ("62", WEEK.isoformat(), 80)


def test_snapshots_filter_by_organisation_and_put_newest_weeks_first(client, kpi_data):
    body = client.get("/api/v1/snapshots/", {"org_id": "62-1"}).json()
    assert [r["week"] for r in body["results"]] == [WEEK.isoformat(), PREVIOUS_WEEK.isoformat()]
    assert {r["org_id"] for r in body["results"]} == {"62-1"}


def test_snapshot_pages_walk_the_whole_list_in_order(client, kpi_data):
    # Pages read their keys first, then the rows: together they are the list, in its order.
    expected = list(
        WeeklySnapshot.objects.order_by("-week", "-region_id", "-id").values_list("organisation__org_id", "week")
    )
    seen, url = [], "/api/v1/snapshots/?page_size=3"
    while url:
        body = client.get(url).json()
        assert body["count"] == len(expected)
        seen += [(row["org_id"], date.fromisoformat(row["week"])) for row in body["results"]]
        url = body["next"]
    assert seen == expected


def test_snapshots_page_size_is_bounded(client, kpi_data):
    body = client.get("/api/v1/snapshots/", {"page_size": 2}).json()
    assert body["count"] == 8 and len(body["results"]) == 2 and body["next"]
    assert client.get("/api/v1/snapshots/", {"page": 99}).status_code == 404


# --- uploads -------------------------------------------------------------------------------------


def test_upload_answers_202_and_its_status_has_the_contract_shape(
    token_client, coordinator62, kpi_data, django_capture_on_commit_callbacks
):
    client = token_client(coordinator62)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/uploads/",
            {"file": csv_upload(good_row("62-0"), good_row("62-1")), "region": "62", "week": "2025-10-29"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    created = response.json()
    assert {"id", "status"} <= set(created)
    assert created["status"] == UploadStatus.QUEUED
    assert created["region"] == "62" and created["week"] == WEEK.isoformat()
    assert response["Location"].endswith(f"/api/v1/uploads/{created['id']}/")

    body = client.get(f"/api/v1/uploads/{created['id']}/").json()
    assert set(body) >= UPLOAD_FIELDS
    assert body["status"] == UploadStatus.SUCCEEDED
    assert (body["rows_total"], body["rows_imported"], body["rows_rejected"]) == (2, 2, 0)
    assert body["errors"] == [] and body["finished_at"]


def test_upload_errors_name_line_column_value_and_reason(
    token_client, coordinator62, kpi_data, django_capture_on_commit_callbacks
):
    client = token_client(coordinator62)
    bad = ("62-1", 100, 101, 500, 200, 800, 300, 1400, 1400)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/uploads/",
            {"file": csv_upload(good_row("62-0"), bad), "region": "62", "week": WEEK.isoformat()},
            format="multipart",
        ).json()
    body = client.get(f"/api/v1/uploads/{created['id']}/").json()
    assert body["status"] == UploadStatus.FAILED
    assert body["rows_imported"] == 0 and body["rows_rejected"] == 1
    [error] = body["errors"]
    assert set(error) == {"line", "column", "value", "message", "reason", "org_id", "org_name"}
    assert (error["line"], error["column"], error["value"]) == (3, "Работники активные", "101")
    assert (error["org_id"], error["reason"]) == ("62-1", "Активных больше, чем всего")
    assert error["message"]


def test_upload_without_file_is_400(token_client, coordinator62):
    response = token_client(coordinator62).post("/api/v1/uploads/", {"region": "62"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Upload.objects.exists()


def test_upload_history_filters_by_region_and_leaves_row_errors_to_the_upload(
    token_client, ministry_user, coordinator62, coordinator63, kpi_data
):
    for user, code in ((coordinator62, "62"), (coordinator63, "63")):
        token_client(user).post(
            "/api/v1/uploads/", {"file": csv_upload(good_row(f"{code}-0")), "region": code}, format="multipart"
        )
    body = token_client(ministry_user).get("/api/v1/uploads/", {"region": "63"}).json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["region"] == "63" and {"id", "status", "created_at", "finished_at", "week"} <= set(item)
    assert "errors" not in item


# --- a fixed number of queries whatever the data size ---------------------------------------------


@pytest.fixture
def grow(kpi_data):
    """Ten times the organisations of each region, reported for the same weeks."""

    def add(n):
        for code in ("62", "63"):
            for _ in range(n):
                organisation = OrganisationFactory(region=region(code))
                SnapshotFactory(organisation=organisation, week=WEEK)
                SnapshotFactory(organisation=organisation, week=PREVIOUS_WEEK)
        kpi_values_rebuild()

    return add


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/api/v1/regions/62/kpis/", 8),
        (f"/api/v1/regions/62/kpis/?week={WEEK}", 8),
        ("/api/v1/regions/62/kpis/history/?kpi=max_only_share", 9),
        ("/api/v1/kpis/summary/", 10),
        ("/api/v1/kpis/summary/?federal_district=ЦФО&pilot=false", 10),
        ("/api/v1/kpis/summary/?status=late", 10),
        ("/api/v1/snapshots/", 5),
        ("/api/v1/snapshots/?region=62&week=2025-10-27", 5),
        ("/api/v1/uploads/", 6),
    ],
)
def test_calls_run_a_fixed_number_of_queries(client, grow, url, limit, django_assert_max_num_queries):
    small = queries(client, url)
    grow(27)
    with django_assert_max_num_queries(limit):
        large = queries(client, url)
    assert large == small


def test_upload_status_runs_a_fixed_number_of_queries(
    token_client, coordinator62, kpi_data, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = token_client(coordinator62)
    rows = [good_row(f"62-{i}") for i in range(3)] + [(f"62-40{i}", 1, 2, 0, 0, 0, 0, 0, 0) for i in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/uploads/", {"file": csv_upload(*rows), "region": "62", "week": WEEK}, format="multipart"
        )
    with django_assert_max_num_queries(5):
        body = client.get(f"/api/v1/uploads/{created.json()['id']}/").json()
    assert len(body["errors"]) >= 30, body["message"]
    assert WeeklySnapshot.objects.filter(upload_id=body["id"]).count() == 0
