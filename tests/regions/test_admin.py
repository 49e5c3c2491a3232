"""The admin: every model manageable, changes recorded in an audit trail visible to administrators."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from metrics.models import KpiDefinition

pytestmark = pytest.mark.django_db


def test_changing_a_kpi_target_is_recorded_in_the_audit_trail(client, admin_user):
    client.force_login(admin_user)
    kpi = KpiDefinition.objects.get(code="staff_weekly_active")
    url = reverse("admin:metrics_kpidefinition_change", args=[kpi.pk])
    response = client.post(
        url,
        {
            "code": kpi.code,
            "name": kpi.name,
            "short_name": kpi.short_name,
            "formula": kpi.formula,
            "target": "0.8000",
            "order": kpi.order,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    kpi.refresh_from_db()
    assert float(kpi.target) == 0.8
    entry = LogEntry.objects.get(object_id=str(kpi.pk))
    assert entry.user == admin_user
    assert entry.get_change_message() == "Изменено Целевое значение."
    page = client.get(reverse("admin:admin_logentry_changelist"))
    assert page.status_code == 200
    assert kpi.short_name in page.content.decode()


def test_audit_trail_is_not_for_ministry_staff(client, ministry_user):
    ministry_user.is_staff = True
    ministry_user.save()
    client.force_login(ministry_user)
    assert client.get(reverse("admin:admin_logentry_changelist")).status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "regions/region",
        "regions/organisation",
        "regions/roadmap",
        "regions/roadmapstage",
        "regions/municipality",
        "regions/userscope",
        "metrics/kpidefinition",
        "metrics/upload",
        "metrics/weeklysnapshot",
        "metrics/kpivalue",
        "auth/user",
    ],
)
def test_every_model_has_an_admin_page(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/{model}/").status_code == 200
