"""A KPI target typed as people write it (metrics/forms.py), in the admin of KPIs and stage targets."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from metrics.forms import KpiTargetField
from metrics.models import KpiDefinition


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("75", Decimal("0.75")),
        ("75 %", Decimal("0.75")),
        ("75,5", Decimal("0.755")),
        ("0,75", Decimal("0.75")),
        ("0.3", Decimal("0.3")),
        ("1", Decimal("1")),
        ("100", Decimal("1")),
        ("0,5 %", Decimal("0.005")),
        ("33,333", Decimal("0.3333")),
        ("\u00a030 ", Decimal("0.3")),
    ],
)
def test_a_target_is_a_fraction_whether_typed_as_a_share_or_a_percent(typed, stored):
    field = KpiTargetField(max_digits=5, decimal_places=4)
    assert field.clean(typed) == stored


@pytest.mark.parametrize("typed", ["150", "-5", "семьдесят", "NaN"])
def test_a_target_out_of_range_gets_a_sentence_that_says_what_to_type(typed):
    field = KpiTargetField(max_digits=5, decimal_places=4)
    with pytest.raises(ValidationError) as refused:
        field.clean(typed)
    message = " ".join(refused.value.messages)
    assert "100" in message and "цифр" not in message


def test_an_empty_optional_target_stays_empty():
    assert KpiTargetField(max_digits=5, decimal_places=4, required=False).clean("") is None


@pytest.mark.django_db
def test_the_admin_takes_75_as_75_percent(client, admin_user):
    client.force_login(admin_user)
    kpi = KpiDefinition.objects.get(code="staff_weekly_active")
    url = reverse("admin:metrics_kpidefinition_change", args=[kpi.pk])
    fields = {"code": kpi.code, "name": kpi.name, "short_name": kpi.short_name, "formula": kpi.formula}
    response = client.post(url, {**fields, "target": "80", "order": kpi.order})
    assert response.status_code == 302, response.content[:2000]
    kpi.refresh_from_db()
    assert kpi.target == Decimal("0.8")
    refused = client.post(url, {**fields, "target": "800", "order": kpi.order})
    assert refused.status_code == 200
    assert "Целевое значение — от 0 до 100 %" in refused.content.decode()
    assert "Доля (0,75) или процент (75)" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_admin_is_branded(client, admin_user):
    client.force_login(admin_user)
    text = client.get(reverse("admin:index")).content.decode()
    assert "Сферум → MAX: администрирование" in text
    assert "Администрирование Django" not in text
