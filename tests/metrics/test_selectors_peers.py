"""region_peers (metrics/selectors/peers.py): a region's KPIs beside its federal district's value
and median, its rank in the district and the country and the change since the week before."""

from datetime import timedelta

import pytest

from metrics.choices import KpiCode, ScopeType
from metrics.constants import COUNTRY_ID
from metrics.selectors import kpi_definitions, region_peers, weeks_with_data
from regions.models import FederalDistrict
from tests.factories import WEEK, RegionKpiValueFactory, region

pytestmark = pytest.mark.django_db
PREVIOUS = WEEK - timedelta(weeks=1)
STAFF = KpiCode.STAFF_WEEKLY_ACTIVE


@pytest.fixture
def ranked():
    for week in (PREVIOUS, WEEK):
        RegionKpiValueFactory(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, region=None, week=week)
    cfo = FederalDistrict.objects.get(code="ЦФО")
    RegionKpiValueFactory(scope=ScopeType.DISTRICT, scope_id=cfo.id, region=None, share=0.82)
    RegionKpiValueFactory(scope=ScopeType.DISTRICT, scope_id=cfo.id, region=None, share=0.5, week=PREVIOUS)
    # this week: 63 (ПФО) 0.95 · 77 0.90 · 62 and 50 tied at 0.80 · 71 0.70 · 76 no data
    # the week before: 63 0.95 · 77 0.90 · 71 0.75 · 62 0.70 · 50 0.60
    for code, before, now in (
        ("63", 0.95, 0.95),
        ("77", 0.90, 0.90),
        ("62", 0.70, 0.80),
        ("50", 0.60, 0.80),
        ("71", 0.75, 0.70),
        ("76", 0.65, None),
    ):
        RegionKpiValueFactory(region=region(code), week=PREVIOUS, share=before)
        RegionKpiValueFactory(region=region(code), week=WEEK, share=now)


def staff_of(code):
    peers = region_peers(region=region(code), week=WEEK)
    return next(k for k in peers["kpis"] if k["code"] == STAFF), peers


def test_region_beside_its_district_value_and_the_median_of_its_regions(ranked):
    kpi, peers = staff_of("62")
    assert (peers["week"], peers["previous_week"]) == (WEEK, PREVIOUS)
    assert (kpi["value"], kpi["target"], kpi["met"]) == (0.8, 0.75, True)
    assert kpi["district_value"] == 0.82  # the district's own row, not an average of regions
    assert kpi["district_median"] == 0.8  # of 0.90, 0.80, 0.80, 0.70; no data left out
    assert kpi["district_regions"] == 18


def test_ranks_are_one_for_the_best_and_ties_share_a_rank(ranked):
    kpi, _ = staff_of("62")
    assert (kpi["rank_district"], kpi["rank_district_of"]) == (2, 4)
    assert (kpi["rank_country"], kpi["rank_country_of"]) == (3, 5)
    tied, _ = staff_of("50")
    assert (tied["rank_district"], tied["rank_country"]) == (2, 3)
    best, _ = staff_of("77")
    assert (best["rank_district"], best["rank_country"]) == (1, 2)


def test_rank_change_is_the_places_gained_since_the_week_before(ranked):
    kpi, _ = staff_of("62")
    assert (kpi["rank_district_change"], kpi["rank_country_change"]) == (1, 1)  # 3rd → 2nd, 4th → 3rd
    fell, _ = staff_of("71")
    assert (fell["rank_district_change"], fell["rank_country_change"]) == (-2, -2)  # 2nd → 4th, 3rd → 5th
    same, _ = staff_of("77")
    assert same["rank_district_change"] == 0


def test_a_region_without_data_is_not_ranked(ranked):
    kpi, _ = staff_of("76")
    assert kpi["value"] is None and kpi["met"] is None
    assert kpi["rank_district"] is None and kpi["rank_country"] is None
    assert kpi["rank_district_change"] is None
    assert kpi["rank_district_of"] == 4  # the ranked ones


def test_other_kpis_without_rows_have_no_values_and_no_ranks(ranked):
    peers = region_peers(region=region("62"), week=WEEK)
    officials = next(k for k in peers["kpis"] if k["code"] == KpiCode.OFFICIALS_ACTIVE)
    assert officials["value"] is None and officials["rank_country"] is None and officials["rank_country_of"] == 0
    assert officials["district_median"] is None


def test_four_queries_whatever_the_number_of_regions(ranked, django_assert_num_queries):
    ryazan = region("62")
    with django_assert_num_queries(4):
        region_peers(region=ryazan, week=WEEK)
    for code in ("01", "02", "03", "31", "32", "33"):
        for kpi in KpiCode.values:
            RegionKpiValueFactory(region=region(code), kpi=kpi, share=0.5)
    with django_assert_num_queries(4):
        peers = region_peers(region=ryazan, week=WEEK)
    definitions, weeks = kpi_definitions(), weeks_with_data()
    with django_assert_num_queries(2):
        assert region_peers(region=ryazan, week=WEEK, definitions=definitions, weeks=weeks) == peers
