"""The country at a glance on the overview (dashboard/views/glance.py): the tile map and what
changed this week, coloured and filtered as asked, in a fixed number of queries."""

import json
import re
from datetime import timedelta

import pytest

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, ScopeType
from metrics.constants import COUNTRY_ID
from regions.models import Region
from tests.factories import WEEK, RegionKpiValueFactory, RegionReportingFactory, ScheduleStateFactory, region

pytestmark = pytest.mark.django_db
PREVIOUS = WEEK - timedelta(weeks=1)


def seed(codes=("62", "63", "77"), *, country=True):
    """Two weeks of rows: the regions on track and reported, then 62 slips below the target and 77
    sends nothing."""
    for week in (PREVIOUS, WEEK) if country else ():
        RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=week)
    for code in codes:
        for week in (PREVIOUS, WEEK):
            slipped = code == "62" and week == WEEK
            ScheduleStateFactory(
                region=region(code),
                week=week,
                status=ScheduleStatus.LATE if slipped else ScheduleStatus.ON_TRACK,
                status_since=week,
            )
            RegionKpiValueFactory(region=region(code), week=week, share=0.7 if slipped else 0.8)
            RegionKpiValueFactory(region=region(code), week=week, kpi=KpiCode.OFFICIALS_ACTIVE, share=0.9)
            RegionReportingFactory(
                region=region(code),
                week=week,
                status=ReportingStatus.MISSING if code == "77" and week == WEEK else ReportingStatus.ON_TIME,
            )


def figure(html: str, element_id: str = "chart-region-map") -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def squares(chart: dict) -> dict:
    """trace name -> list of (customdata url, text) of the squares it draws."""
    found = {}
    for trace in chart["data"]:
        for line_z, line_c, line_t in zip(trace["z"], trace["customdata"], trace["text"], strict=True):
            for z, extra, text in zip(line_z, line_c, line_t, strict=True):
                if z is not None:
                    found.setdefault(trace["name"], []).append((extra[0], text))
    return found


@pytest.fixture
def page(client, ministry_user):
    client.force_login(ministry_user)
    seed()
    return lambda query="": client.get("/" + query).content.decode()


def test_overview_draws_the_89_squares_in_the_region_map_element_each_linked_to_its_region(page):
    html = page()
    assert 'id="region-map"' in html and 'data-chart="chart-region-map"' in html
    assert "data-chart-links" in html
    drawn = [square for layer in squares(figure(html)).values() for square in layer]
    assert len(drawn) == 89
    urls = {url for url, _text in drawn}
    assert "/regions/62/" in urls and len(urls) == 89


def test_squares_follow_status_and_reporting_and_the_legend_counts_them(page):
    html = page()
    layers = squares(figure(html))
    dark = dict(layers["status-dark"])
    assert "/regions/62/" in dark  # late
    assert "/regions/77/" in dark  # sent nothing: «не отчитался»
    assert re.search(r'data-category="late">.*?<b>1</b>', html)
    assert re.search(r'data-category="not_reported">.*?<b>1</b>', html)
    assert re.search(r'data-category="no_status">.*?<b>86</b>', html)


def test_the_map_can_be_coloured_by_a_kpi_and_ignores_an_unknown_choice(page):
    html = page("?map=staff_weekly_active")
    values = dict(squares(figure(html))["value"])
    assert values["/regions/62/"].endswith("70\u00a0%")
    assert '<option value="staff_weekly_active" selected>' in html
    assert "цель 75" in html
    fallback = page("?map=drop-table")
    assert "value" not in squares(figure(fallback))
    assert '<option value="status" selected>' in fallback


def test_the_district_view_keeps_its_regions_coloured_and_greys_the_others(page):
    html = page("?district=ЦФО")
    layers = squares(figure(html))
    cfo = Region.objects.filter(federal_district__code="ЦФО").count()
    assert len(layers["outside"]) == 89 - cfo
    assert "/regions/63/" in dict(layers["outside"])
    assert "/regions/62/" in dict(layers["status-dark"])
    assert "Цветом выделены регионы ЦФО" in html


def test_the_map_links_and_its_switch_keep_the_chosen_week_and_filters(page):
    html = page(f"?week={WEEK.isoformat()}&district=ЦФО&map=officials_active")
    urls = [url for layer in squares(figure(html)).values() for url, _text in layer]
    assert all(url.endswith(f"?week={WEEK.isoformat()}") for url in urls)
    switch = re.search(r'<form method="get" class="map-switch".*?</form>', html, re.S).group(0)
    assert f'name="week" value="{WEEK.isoformat()}"' in switch and 'name="district" value="ЦФО"' in switch
    assert 'type="hidden" name="map"' not in switch


def test_overview_lists_what_changed_with_links_to_the_regions(page):
    html = page()
    changes = re.search(r'<section class="card week-changes".*?</section>', html, re.S).group(0)
    status = re.search(r'id="changes-status".*?</details>', changes, re.S).group(0)
    assert 'href="/regions/62/"' in status and "Просрочено" in status
    crossings = re.search(r'id="changes-crossings".*?</details>', changes, re.S).group(0)
    assert 'href="/regions/62/"' in crossings and "80,0" in crossings and "70,0" in crossings
    stopped = re.search(r'id="changes-reporting".*?</details>', changes, re.S).group(0)
    assert 'href="/regions/77/"' in stopped
    movers = re.search(r'id="changes-movers".*?</details>', changes, re.S).group(0)
    assert "Ряз" in movers and "\u221210,0" in movers


def test_empty_groups_say_so(client, ministry_user):
    client.force_login(ministry_user)
    RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=PREVIOUS)
    RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=WEEK)
    html = client.get("/").content.decode()
    assert "Ни один регион не сменил статус." in html
    assert "Ни один показатель не пересёк цель." in html
    assert "Все, кто отчитался неделей раньше, отчитались и теперь." in html
    first = client.get(f"/?week={PREVIOUS.isoformat()}").content.decode()
    assert "сравнивать не с чем" in first


@pytest.mark.parametrize("query", ["", "?map=learners_weekly_active&district=ЦФО"])
def test_overview_queries_stay_fixed_with_more_regions(client, ministry_user, query, django_assert_max_num_queries):
    client.force_login(ministry_user)
    seed(("62",))
    with django_assert_max_num_queries(1000) as captured:
        client.get("/" + query)
    small = len(captured)
    seed(("01", "02", "03", "31", "32", "33", "50", "63", "77"), country=False)
    with django_assert_max_num_queries(small):
        assert client.get("/" + query).status_code == 200
