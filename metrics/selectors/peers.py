"""A region beside its peers: its federal district's value and median, and its rank in the
district and the country, this week and the week before."""

from collections import defaultdict
from datetime import date

from django.db.models import Q

from regions.models import Region

from ..choices import ScopeType
from ..constants import ALL_KINDS
from ..models import KpiValue
from ..ranking import competition_ranks, median_value, rank_change
from .definitions import kpi_definitions
from .weeks import previous_week


def region_peers(*, region: Region, week: date, definitions=None, weeks: list[date] | None = None) -> dict:
    """Each KPI of ``region`` for ``week`` beside its federal district: the district's own value
    (its precomputed row), the median of the district's regions, and the region's rank in the
    district and in the country (1 = best, ties share a rank) with its change since the week
    before. Regions without data for the KPI are not ranked: ``*_of`` counts the ranked ones.
    Four queries; two given the KPI ``definitions`` and the ``weeks`` with data (newest first, as
    ``weeks_with_data()``)."""

    previous = previous_week(week, weeks)
    weeks = [week] if previous is None else [week, previous]
    district_id = region.federal_district_id
    district_of = dict(Region.objects.order_by().values_list("id", "federal_district_id"))
    region_values = defaultdict(dict)  # (kpi, week) -> {region id: value}
    district_values, own_met = {}, {}
    for scope, scope_id, row_week, kpi, value, met in (
        KpiValue.objects.filter(kind=ALL_KINDS, week__in=weeks)
        .filter(Q(scope=ScopeType.REGION) | Q(scope=ScopeType.DISTRICT, scope_id=district_id))
        .order_by()
        .values_list("scope", "scope_id", "week", "kpi", "value", "met")
    ):
        if scope == ScopeType.DISTRICT:
            if row_week == week:
                district_values[kpi] = value
            continue
        region_values[(kpi, row_week)][scope_id] = value
        if scope_id == region.id and row_week == week:
            own_met[kpi] = met
    neighbours = [region_id for region_id, district in district_of.items() if district == district_id]
    kpis = []
    for definition in kpi_definitions() if definitions is None else definitions:
        now = region_values.get((definition.code, week), {})
        before = region_values.get((definition.code, previous), {})
        country, country_before = competition_ranks(now), competition_ranks(before)
        in_district = competition_ranks({r: now.get(r) for r in neighbours})
        in_district_before = competition_ranks({r: before.get(r) for r in neighbours})
        value = now.get(region.id)
        kpis.append(
            {
                "code": definition.code,
                "name": definition.name,
                "short_name": definition.short_name,
                "value": value,
                "target": float(definition.target),
                "met": own_met.get(definition.code),
                "district_value": district_values.get(definition.code),
                "district_median": median_value(now.get(r) for r in neighbours),
                "district_regions": len(neighbours),
                "rank_district": in_district.get(region.id),
                "rank_district_of": len(in_district),
                "rank_district_change": rank_change(in_district_before.get(region.id), in_district.get(region.id)),
                "rank_country": country.get(region.id),
                "rank_country_of": len(country),
                "rank_country_change": rank_change(country_before.get(region.id), country.get(region.id)),
            }
        )
    return {"week": week, "previous_week": previous, "kpis": kpis}
