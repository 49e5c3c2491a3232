"""The region page's peers (templates/dashboard/_peers.html): each KPI beside its federal
district's value and median, with its ranks and their change."""

import re
from datetime import timedelta

import pytest

from metrics.choices import KpiCode, ScopeType
from metrics.constants import COUNTRY_ID
from regions.models import FederalDistrict
from tests.factories import WEEK, RegionKpiValueFactory, region

pytestmark = pytest.mark.django_db
PREVIOUS = WEEK - timedelta(weeks=1)


@pytest.fixture
def peers_data():
    cfo = FederalDistrict.objects.get(code="ЦФО")
    for week in (PREVIOUS, WEEK):
        RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=week)
        RegionKpiValueFactory(scope=ScopeType.DISTRICT, scope_id=cfo.id, region=None, week=week, share=0.83)
    for code, before, now in (("62", 0.6, 0.8), ("77", 0.9, 0.9), ("50", 0.7, 0.7), ("63", 0.95, 0.95)):
        RegionKpiValueFactory(region=region(code), week=PREVIOUS, share=before)
        RegionKpiValueFactory(region=region(code), week=WEEK, share=now)


def peers_row(html, kpi):
    table = re.search(r'<table id="peers-table">.*?</table>', html, re.S).group(0)
    return re.search(rf'<tr data-kpi="{kpi}">.*?</tr>', table, re.S).group(0)


def test_region_page_shows_each_kpi_beside_its_district_with_ranks_and_their_change(client, ministry_user, peers_data):
    client.force_login(ministry_user)
    html = client.get("/regions/62/").content.decode()
    assert "Регион среди соседей по ЦФО" in html
    row = peers_row(html, KpiCode.STAFF_WEEKLY_ACTIVE)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[0] == "80,0\u00a0%"  # the region
    assert cells[1] == "83,0\u00a0%"  # the district's own value
    assert cells[2] == "80,0\u00a0%"  # median of 0.9, 0.8, 0.7
    assert cells[3].startswith("2 из 3") and "▲1" in cells[3]  # 3rd → 2nd in ЦФО
    assert cells[4].startswith("3 из 4") and "▲1" in cells[4]  # 4th → 3rd in Russia
    assert "Регионы без данных за неделю мест не получают" in html


def test_a_kpi_without_data_says_so_instead_of_a_rank(client, ministry_user, peers_data):
    client.force_login(ministry_user)
    row = peers_row(client.get("/regions/62/").content.decode(), KpiCode.OFFICIALS_ACTIVE)
    assert row.count("нет данных") == 2 and not re.search(r"\d+ из \d+", row)
