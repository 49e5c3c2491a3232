"""The verdict on the pages (issue #13): the default week is the latest closed one, an open week is
marked provisional, the overview's strip answers who is behind and who has not reported, statuses
sort by severity and explain themselves, a KPI at its target is never called late."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from metrics.kpi import monday_of, severity_rank
from metrics.services import kpi_values_rebuild
from regions.choices import OrganisationKind
from tests.factories import (
    WEEK,
    MunicipalityFactory,
    OrganisationFactory,
    SnapshotFactory,
    region,
    region_reporting,
    region_state,
)

pytestmark = pytest.mark.django_db

OFFICIALS_BEHIND = {"kpi": "officials_active", "value": 0.957, "target": 1.0, "gap": -0.043}


def open_week() -> date:
    """The current week: its deadline is next Tuesday, so it is open whatever today is."""
    return monday_of(timezone.localdate())


@pytest.fixture
def data():
    """Regions 62 and 63 report WEEK (closed long ago); one organisation of 62 already sent the
    current, still open, week."""
    for code in ("62", "63"):
        place = MunicipalityFactory(region=region(code))
        for i in range(3):
            organisation = OrganisationFactory(region=region(code), municipality=place, org_id=f"{code}-{i}")
            SnapshotFactory(organisation=organisation, week=WEEK)
    SnapshotFactory(organisation__region=region("62"), week=open_week())
    kpi_values_rebuild()


def test_an_early_upload_for_an_open_week_does_not_move_the_default_week(client, ministry_user, data):
    client.force_login(ministry_user)
    for url in ("/", "/regions/62/", "/reporting/"):
        response = client.get(url)
        assert response.context["week"] == WEEK, url
        assert open_week() in response.context["weeks"]  # still selectable
        assert 'id="provisional-banner"' not in response.content.decode()
    assert f"regiony-{WEEK:%Y-%m-%d}.csv" in client.get("/regions.csv")["Content-Disposition"]


def test_an_open_week_chosen_is_marked_provisional_with_its_deadline_and_coverage(client, ministry_user, data):
    client.force_login(ministry_user)
    week = open_week()
    html = client.get("/", {"week": week.isoformat()}).content.decode()
    banner = re.search(r'<p class="notice provisional"[^>]*>(.*?)</p>', html, re.S).group(1)
    text = re.sub(r"<[^>]+>", "", banner).replace("\u00a0", " ")
    deadline = week + timedelta(days=8)
    assert text.startswith(
        f"Предварительные данные: неделя ещё открыта, срок отчётности — вт {deadline:%d.%m.%Y} 12:00 (МСК); отчитались "
    )
    assert re.search(r"отчитались \d+ из \d+ организаци", text)
    assert "предварительные данные" in html  # the strip's flag as well


def test_overview_strip_comes_first_and_counts_regions_by_status_and_reporting(client, ministry_user, data):
    region_state("77", WEEK, status="late", status_since=WEEK, blocking_detail=[OFFICIALS_BEHIND])
    region_state("50", WEEK, status="at_risk", status_since=WEEK)
    region_reporting("62", WEEK, status="on_time", orgs_reported=3, orgs_total=3)
    region_reporting("63", WEEK, status="partial", orgs_reported=2, orgs_total=3)
    client.force_login(ministry_user)
    response = client.get("/")
    html = response.content.decode()
    assert html.index('id="status-strip"') < html.index('class="grid grid-4 kpi-cards"')
    strip = response.context["strip"]
    counts = {s["status"]: s["count"] for s in strip["statuses"]}
    assert counts["late"] >= 1 and counts["at_risk"] >= 1
    assert [s["status"] for s in strip["statuses"]] == sorted(
        (s["status"] for s in strip["statuses"]), key=lambda s: severity_rank(s or None)
    )
    reporting = {r["status"]: r["count"] for r in strip["reporting"]}
    assert reporting["partial"] == 1 and strip["on_time"] == 1
    assert 'href="?status=late#regions"' in html
    assert f'href="/reporting/?week={WEEK:%Y-%m-%d}&amp;status=missing"' in html
    assert "Не отчитались" in html


def test_overview_rows_go_by_severity_then_code_and_status_cells_sort_by_severity(client, ministry_user, data):
    region_state("77", WEEK, status="late", status_since=WEEK, blocking_detail=[OFFICIALS_BEHIND])
    region_state("02", WEEK, status="late", status_since=WEEK)
    region_state("50", WEEK, status="done")
    client.force_login(ministry_user)
    response = client.get("/")
    rows = response.context["rows"]
    keys = [(severity_rank(row["status"]), row["code"]) for row in rows]
    assert keys == sorted(keys)
    late = [row["code"] for row in rows if row["status"] == "late"]
    assert late == sorted(late) and {"02", "77"} <= set(late)
    assert rows[0]["status"] == "late"
    html = response.content.decode()
    cells = re.findall(r'<td class="verdict-cell" data-value="(\d+)" title="([^"]*)">', html)
    assert cells[0][0] == str(severity_rank("late")) == "0"
    assert [int(rank) for rank, _title in cells] == sorted(int(rank) for rank, _title in cells)
    assert any(title.startswith(f"Просрочено с {WEEK:%d.%m.%Y} · мешает:") for _rank, title in cells)
    moscow = next(row for row in rows if row["code"] == "77")
    assert moscow["verdict"].replace("\u00a0", " ") == (
        f"Просрочено с {WEEK:%d.%m.%Y} · мешает: активные должностные лица 95,7 % из 100 %, −4,3 п. п."
    )


def test_region_page_says_its_verdict_and_its_reporting(client, ministry_user, data):
    region_state("62", WEEK, status="insufficient_data", orgs_reported=40, orgs_total=120)
    region_reporting("62", WEEK, status="partial", orgs_reported=40, orgs_total=120)
    client.force_login(ministry_user)
    html = client.get("/regions/62/").content.decode().replace("\u00a0", " ")
    assert "Недостаточно данных: отчитались 40 из 120 организаций (33 %)" in html
    reporting = re.search(r'<p class="reporting-line" id="region-reporting">(.*?)</p>', html, re.S).group(1)
    assert "частично" in reporting
    assert 'href="/regions/62/missing/?week=' in reporting
    assert "chart-region-reporting" in html


def test_a_kpi_at_target_never_reads_late_on_its_card(client, ministry_user):
    """After the deadlines: officials at 100 % in every kind the stages look at, staff under 75 %."""
    late_week = date(2025, 11, 10)
    place = MunicipalityFactory(region=region("62"))
    kinds = [OrganisationKind.AUTHORITY_REGIONAL, OrganisationKind.AUTHORITY_MUNICIPAL, OrganisationKind.SCHOOL]
    for i, kind in enumerate(kinds):
        organisation = OrganisationFactory(region=region("62"), municipality=place, kind=kind)
        for back in range(16):
            SnapshotFactory(organisation=organisation, week=late_week - timedelta(weeks=back), staff_active=50 + i)
    kpi_values_rebuild()
    client.force_login(ministry_user)
    html = client.get("/regions/62/", {"week": late_week.isoformat()}).content.decode()
    cards = dict(re.findall(r'<section class="card kpi-card[^"]*" data-kpi="(\w+)">(.*?)</section>', html, re.S))
    assert "цель достигнута" in cards["officials_active"]
    assert "просрочено" not in cards["officials_active"]
    assert "график: просрочено" in cards["staff_weekly_active"]
