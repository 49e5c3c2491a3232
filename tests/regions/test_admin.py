"""The admin: every model manageable, changes recorded in an audit trail visible to administrators."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from metrics.choices import KpiCode, ScopeType
from metrics.models import KpiDefinition, KpiValue, WeeklySnapshot
from metrics.services import kpi_values_rebuild
from regions.choices import OrganisationKind
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory, region

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


def _organisation_form(organisation, **changes):
    data = {
        "org_id": organisation.org_id,
        "name": organisation.name,
        "kind": organisation.kind,
        "region": organisation.region_id,
        "municipality": organisation.municipality_id or "",
    }
    data.update(changes)
    return data


def _kpi_state():
    return sorted(
        KpiValue.objects.values_list("week", "scope", "scope_id", "kind", "kpi", "numerator", "denominator", "value")
    )


def test_moving_an_organisation_moves_its_weeks_and_recomputes_both_regions(
    client, admin_user, django_capture_on_commit_callbacks
):
    stays = OrganisationFactory()
    moved = OrganisationFactory(kind=OrganisationKind.SCHOOL)
    for week in (WEEK - timedelta(weeks=2), WEEK - timedelta(weeks=1), WEEK):
        SnapshotFactory(organisation=stays, week=week)
    # It skipped the last week: that week's totals of both regions change all the same.
    for week in (WEEK - timedelta(weeks=2), WEEK - timedelta(weeks=1)):
        SnapshotFactory(organisation=moved, week=week, staff_active=10)
    kpi_values_rebuild()
    samara_district = MunicipalityFactory(region=region("63"))
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:regions_organisation_change", args=[moved.pk]),
            _organisation_form(moved, region=region("63").id, municipality=samara_district.id, kind="college"),
        )

    assert response.status_code == 302, response.content[:2000]
    assert set(WeeklySnapshot.objects.filter(organisation=moved).values_list("region_id", flat=True)) == {
        region("63").id
    }
    refreshed = _kpi_state()
    kpi_values_rebuild()  # what a full recompute from scratch gives
    assert refreshed == _kpi_state()
    ryazan_staff = KpiValue.objects.get(
        week=WEEK, scope=ScopeType.REGION, scope_id=region("62").id, kind="", kpi=KpiCode.STAFF_WEEKLY_ACTIVE
    )
    assert (ryazan_staff.numerator, ryazan_staff.denominator) == (80, 100)  # only the organisation that stayed
    assert ryazan_staff.orgs_total == 1


def test_municipality_of_another_region_is_refused(client, admin_user):
    organisation = OrganisationFactory()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:regions_organisation_change", args=[organisation.pk]),
        _organisation_form(organisation, municipality=MunicipalityFactory(region=region("63")).id),
    )
    assert response.status_code == 200
    assert "Муниципалитет относится к другому региону." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.municipality.region == region("62")


def test_municipality_with_organisations_keeps_its_region(client, admin_user):
    organisation = OrganisationFactory()
    municipality = organisation.municipality
    client.force_login(admin_user)
    url = reverse("admin:regions_municipality_change", args=[municipality.pk])
    response = client.post(url, {"name": municipality.name, "oktmo": "", "region": region("63").id})
    assert response.status_code == 302, response.content[:2000]
    municipality.refresh_from_db()
    assert municipality.region == region("62")
    empty = MunicipalityFactory()
    url = reverse("admin:regions_municipality_change", args=[empty.pk])
    client.post(url, {"name": empty.name, "oktmo": "", "region": region("63").id})
    empty.refresh_from_db()
    assert empty.region == region("63")


SPOOFED = "Лицей\u202e1 №\u202c \u2067\u200fи\u2069м\u061c.\u200e Пушкина"


def test_names_entered_in_the_admin_lose_their_bidi_controls(client, admin_user):
    client.force_login(admin_user)
    organisation = OrganisationFactory()
    municipality = organisation.municipality
    samara = region("63")

    response = client.post(
        reverse("admin:regions_organisation_change", args=[organisation.pk]),
        _organisation_form(organisation, name=SPOOFED),
    )
    assert response.status_code == 302, response.content[:2000]
    response = client.post(
        reverse("admin:regions_municipality_change", args=[municipality.pk]),
        {"name": f"\u202eРайон {SPOOFED}", "oktmo": "", "region": municipality.region_id},
    )
    assert response.status_code == 302, response.content[:2000]
    response = client.post(
        reverse("admin:regions_region_change", args=[samara.pk]),
        {"code": "63", "name": "Самарская\u202e область", "federal_district": samara.federal_district_id},
    )
    assert response.status_code == 302, response.content[:2000]

    organisation.refresh_from_db()
    municipality.refresh_from_db()
    samara.refresh_from_db()
    assert organisation.name == "Лицей1 № им. Пушкина"
    assert municipality.name == "Район Лицей1 № им. Пушкина"
    assert samara.name == "Самарская область"
