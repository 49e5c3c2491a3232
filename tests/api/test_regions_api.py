"""The regions calls of /api/v1/ (regions/api/views.py): the token, regions and organisations,
in the exact shapes of DESIGN.md §6, with a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from regions.choices import OrganisationKind
from regions.models import ApiToken, Region
from tests.factories import MunicipalityFactory, OrganisationFactory, region

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def client(token_client, ministry_user):
    return token_client(ministry_user)


# --- POST /auth/token/ ---------------------------------------------------------------------------


def test_token_is_issued_for_valid_credentials_and_opens_the_api(system_user):
    response = APIClient().post(TOKEN_URL, {"username": "system", "password": "pass-word-123"}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    key = response.json()["token"]
    assert ApiToken.objects.get(user=system_user).token_key == key[:15]

    again = APIClient().post(TOKEN_URL, {"username": "system", "password": "pass-word-123"})
    assert again.json()["token"] != key, "a new token on every call (form-encoded too)"

    for token in (key, again.json()["token"]):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api.get("/api/v1/regions/").status_code == 200


def test_wrong_credentials_are_400_json(system_user):
    response = APIClient().post(TOKEN_URL, {"username": "system", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["non_field_errors"][0]
    assert not ApiToken.objects.exists()


def test_missing_password_is_400_naming_the_field():
    response = APIClient().post(TOKEN_URL, {"username": "system"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(system_user, settings):
    client = APIClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(TOKEN_URL, {"username": "system", "password": "wrong"}).status_code == 400
    locking = client.post(TOKEN_URL, {"username": "system", "password": "wrong"})
    assert locking.status_code == 429
    right = client.post(TOKEN_URL, {"username": "system", "password": "pass-word-123"})
    assert right.status_code == 429
    assert right["Content-Type"] == "application/json"
    assert right.json()["detail"]
    assert int(right["Retry-After"]) == int(settings.AXES_COOLOFF_TIME * 3600)
    assert not ApiToken.objects.exists()


def test_token_call_ignores_a_browser_session(client, ministry_user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(ministry_user)
    response = browser.post(TOKEN_URL, {"username": "ministry", "password": "pass-word-123"}, format="json")
    assert response.status_code == 200


# --- GET /regions/ -------------------------------------------------------------------------------


def test_regions_are_paginated_with_the_contract_fields(client):
    response = client.get("/api/v1/regions/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 89
    assert all(set(r) == {"code", "name", "federal_district", "pilot"} for r in body["results"])
    ryazan = next(r for r in body["results"] if r["code"] == "62")
    assert ryazan == {"code": "62", "name": "Рязанская область", "federal_district": "ЦФО", "pilot": False}


def test_regions_filter_by_district_and_pilot(client):
    Region.objects.filter(code="63").update(pilot=True)
    volga = client.get("/api/v1/regions/", {"federal_district": "ПФО"}).json()
    assert volga["count"] > 0 and {r["federal_district"] for r in volga["results"]} == {"ПФО"}
    pilots = client.get("/api/v1/regions/", {"pilot": "true"}).json()
    assert [r["code"] for r in pilots["results"]] == ["63"]
    assert client.get("/api/v1/regions/", {"pilot": "false"}).json()["count"] == 88


def test_region_is_found_by_its_code(client):
    assert client.get("/api/v1/regions/77/").json()["code"] == "77"
    missing = client.get("/api/v1/regions/00/")
    assert missing.status_code == 404 and missing.json()["detail"]


# --- GET /organisations/ -------------------------------------------------------------------------


@pytest.fixture
def organisations(db):
    ryazan_district = MunicipalityFactory(region=region("62"), name="Рязанский район")
    return [
        OrganisationFactory(org_id="62-1", name="МБОУ Школа № 1", municipality=ryazan_district, diary_integrated=True),
        OrganisationFactory(
            org_id="62-2", name="МБДОУ Детский сад № 2", kind=OrganisationKind.PRESCHOOL, municipality=ryazan_district
        ),
        OrganisationFactory(org_id="63-1", name="ГБОУ Лицей № 1", region=region("63")),
        OrganisationFactory(
            org_id="63-roiv",
            name="Министерство образования Самарской области",
            kind=OrganisationKind.AUTHORITY_REGIONAL,
            region=region("63"),
            municipality=None,
        ),
    ]


def test_organisations_are_paginated_with_the_contract_fields(client, organisations):
    body = client.get("/api/v1/organisations/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4
    school = next(o for o in body["results"] if o["org_id"] == "62-1")
    assert {"org_id", "name", "kind", "region", "municipality", "diary_integrated"} <= set(school)
    assert (school["kind"], school["region"], school["municipality"], school["diary_integrated"]) == (
        "school",
        "62",
        "Рязанский район",
        True,
    )
    authority = next(o for o in body["results"] if o["org_id"] == "63-roiv")
    assert authority["municipality"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "62"}, {"62-1", "62-2"}),
        ({"kind": "preschool"}, {"62-2"}),
        ({"municipality": "рязанский район"}, {"62-1", "62-2"}),
        ({"search": "лицей"}, {"63-1"}),
        ({"search": "63-ROIV"}, {"63-roiv"}),
        ({"region": "63", "kind": "authority_regional"}, {"63-roiv"}),
        ({"diary_integrated": "true"}, {"62-1"}),
    ],
)
def test_organisations_filter(client, organisations, params, expected):
    body = client.get("/api/v1/organisations/", params).json()
    assert {o["org_id"] for o in body["results"]} == expected


def test_unknown_organisation_kind_is_400(client):
    response = client.get("/api/v1/organisations/", {"kind": "university"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_organisation_is_found_by_its_sferum_id(client, organisations):
    assert client.get("/api/v1/organisations/63-roiv/").json()["name"].startswith("Министерство")
    assert client.get("/api/v1/organisations/nope/").status_code == 404


# --- a fixed number of queries whatever the data size ---------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/regions/", "/api/v1/organisations/", "/api/v1/organisations/?region=62&search=СОШ"],
)
def test_lists_run_a_fixed_number_of_queries(client, url, django_assert_max_num_queries):
    OrganisationFactory.create_batch(3)
    small = count_queries(client, url)
    OrganisationFactory.create_batch(27, region=region("62"))
    OrganisationFactory.create_batch(3, region=region("63"), municipality=None)
    with django_assert_max_num_queries(5):
        large = count_queries(client, url)
    assert large == small


def test_an_overlong_username_is_400_not_a_database_error(system_user):
    response = APIClient().post(TOKEN_URL, {"username": "u" * 300, "password": "x"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()
