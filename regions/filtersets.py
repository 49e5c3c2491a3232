"""FilterSets shared by the API viewsets and the pages that list the same things."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from sferum_migration.db import is_postgresql

from .choices import OrganisationKind
from .models import Organisation, Region

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number in the database's range (anything else is a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class RegionFilterSet(django_filters.FilterSet):
    federal_district = django_filters.CharFilter(
        field_name="federal_district__code", label=_("Федеральный округ (код, например ЦФО)")
    )
    pilot = django_filters.BooleanFilter(label=_("Пилотный регион"))

    class Meta:
        model = Region
        fields = ["federal_district", "pilot"]


class OrganisationFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", label=_("Код региона"))
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("Тип организации"))
    municipality = django_filters.CharFilter(method="filter_municipality", label=_("Муниципалитет (название)"))
    municipality_id = IdFilter(field_name="municipality_id", label=_("Муниципалитет (id)"))
    diary_integrated = django_filters.BooleanFilter(label=_("Интеграция с электронным дневником"))
    search = django_filters.CharFilter(method="filter_search", label=_("Поиск по названию или ID организации"))

    class Meta:
        model = Organisation
        fields = ["region", "kind", "municipality", "municipality_id", "diary_integrated", "search"]

    def filter_municipality(self, queryset, name, value):
        condition = Q()
        for variant in case_variants(value.strip()):
            condition |= Q(municipality__name__iexact=variant)
        return queryset.filter(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(org_id__iexact=value)
        for variant in case_variants(value):
            condition |= Q(name__icontains=variant)
        return queryset.filter(condition)


def case_variants(value: str) -> list[str]:
    """What to match a name against case-insensitively. PostgreSQL folds Cyrillic case itself;
    SQLite's LIKE folds ASCII only, so there the usual spellings of a Russian name are tried."""
    if is_postgresql():
        return [value]
    return list(dict.fromkeys([value, value.lower(), value.capitalize(), value.upper()]))
