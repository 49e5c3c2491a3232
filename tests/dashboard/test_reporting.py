"""«Кто не отчитался» (dashboard/views/reporting.py): the register page and its export, a region's
missing organisations and theirs; who sees which, and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.choices import ReportingStatus
from metrics.services import kpi_values_rebuild
from tests.factories import (
    WEEK,
    MunicipalityFactory,
    OrganisationFactory,
    SnapshotFactory,
    UserFactory,
    region,
    region_reporting,
)

pytestmark = pytest.mark.django_db

PREVIOUS = WEEK - timedelta(weeks=1)


@pytest.fixture
def data():
    """Region 62 reports WEEK for two of its three organisations (partial), 63 both (on time);
    KPI values computed, reporting rows written as the engine writes them."""
    place = MunicipalityFactory(region=region("62"), name="Касимов")
    ryazan = [OrganisationFactory(org_id=f"62-{i}", municipality=place, name=f"Школа {i}") for i in range(3)]
    samara = [OrganisationFactory(org_id=f"63-{i}", region=region("63")) for i in range(2)]
    for organisation in ryazan[:2] + samara:
        SnapshotFactory(organisation=organisation, week=WEEK)
        SnapshotFactory(organisation=organisation, week=PREVIOUS)
    kpi_values_rebuild()
    uploader = UserFactory(username="petrova", first_name="Анна", last_name="Петрова")
    region_reporting("62", WEEK, status=ReportingStatus.PARTIAL, orgs_reported=2, orgs_total=3)
    region_reporting(
        "63", WEEK, status=ReportingStatus.ON_TIME, orgs_reported=2, orgs_total=2, last_uploaded_by=uploader
    )
    region_reporting("62", PREVIOUS, status=ReportingStatus.LATE, orgs_reported=2, orgs_total=3)
    return {"silent": ryazan[2]}


def test_register_lists_regions_worst_first_with_counts_and_who_sent(client, ministry_user, data):
    client.force_login(ministry_user)
    response = client.get("/reporting/")
    assert response.status_code == 200
    assert response.context["week"] == WEEK
    rows = response.context["rows"]
    assert len(rows) == 89
    assert [row["code"] for row in rows[-2:]] == ["62", "63"]  # partial, then on time; missing first
    counts = response.context["register"]["counts"]
    assert counts["partial"] == 1 and counts["on_time"] == 1
    html = response.content.decode()
    assert "Анна Петрова" in html
    assert 'id="reporting-counts"' in html and "chart-reporting" in html
    assert 'href="/regions/62/missing/?week=2025-10-27"' in html


def test_register_filters_by_district_and_status(client, ministry_user, data):
    client.force_login(ministry_user)
    rows = client.get("/reporting/", {"federal_district": "ПФО"}).context["rows"]
    assert {row["federal_district"] for row in rows} == {"ПФО"}
    rows = client.get("/reporting/", {"status": "partial"}).context["rows"]
    assert [row["code"] for row in rows] == ["62"]


def test_a_coordinator_sees_the_register_but_only_their_own_missing_list(client, coordinator63, data):
    client.force_login(coordinator63)
    response = client.get("/reporting/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.context["rows"]}
    assert rows["63"]["can_see_missing"] and not rows["62"]["can_see_missing"]
    assert 'href="/regions/62/missing/' not in response.content.decode()
    assert client.get("/regions/62/missing/").status_code == 403
    assert client.get("/regions/62/missing.csv").status_code == 403


def test_missing_page_lists_the_organisations_that_sent_nothing(client, coordinator62, data):
    client.force_login(coordinator62)
    response = client.get("/regions/62/missing/", {"week": WEEK.isoformat()})
    assert response.status_code == 200
    assert [o.org_id for o in response.context["organisations"]] == ["62-2"]
    html = response.content.decode()
    assert "Школа 2" in html and "Касимов" in html


def test_missing_export_and_register_export(client, ministry_user, data):
    client.force_login(ministry_user)
    lines = client.get("/regions/62/missing.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ID организации;Наименование;Тип;Муниципалитет"
    assert lines[1:] == ["62-2;Школа 2;ОО;Касимов"]
    response = client.get("/reporting.xlsx", {"status": "partial"})
    assert response["Content-Disposition"] == f'attachment; filename="otchetnost-{WEEK:%Y-%m-%d}.xlsx"'
    lines = client.get("/reporting.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Код;Регион;Федеральный округ;Отчётность;Первая загрузка")
    assert len(lines) == 1 + 89
    assert lines[-1].startswith("63;Самарская область;ПФО;в срок;")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "url", ["/reporting/", "/reporting.xlsx", "/regions/62/missing/", "/regions/62/missing.csv", "/regions/62/"]
)
def test_queries_do_not_grow_with_the_data(client, ministry_user, data, url, django_assert_max_num_queries):
    client.force_login(ministry_user)
    small = count_queries(client, url)
    assert small <= 30  # the ceiling of every page (tests/dashboard/test_views.py)
    for i in range(30):
        OrganisationFactory(region=region("62"), org_id=f"62-more-{i}")
    for code in ("01", "02", "03", "50", "77"):
        for back in range(4):
            region_reporting(code, WEEK - timedelta(weeks=back), status="missing", orgs_total=5)
    with django_assert_max_num_queries(small):
        client.get(url)
