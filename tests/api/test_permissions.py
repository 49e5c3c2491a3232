"""Who may call what (regions/api/permissions.py and the upload scope): anonymous, ministry,
coordinator of its own and of another region, the read-only system account, the administrator."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from metrics.models import Upload
from regions.choices import UserRole
from regions.models import UserScope
from tests.factories import WEEK, UserFactory, region

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/",
    "/api/v1/regions/",
    "/api/v1/regions/62/",
    "/api/v1/regions/63/kpis/",
    "/api/v1/regions/63/kpis/history/?kpi=staff_weekly_active",
    "/api/v1/kpis/summary/",
    "/api/v1/organisations/",
    "/api/v1/snapshots/?region=63",
    "/api/v1/uploads/",
    "/api/v1/schema/",
]
ROLES = ["ministry_user", "coordinator62", "coordinator63", "system_user", "admin_user"]
HEADER = "ID организации;Работники всего;Работники активные;Обучающиеся всего;Обучающиеся активные;"
HEADER += "Родители всего;Родители активные;Пользователи Сферума всего;Пользователи только в MAX"


def csv_upload():
    content = f"{HEADER}\r\nORG-1;10;5;10;5;10;5;10;5\r\n".encode("cp1251")
    return SimpleUploadedFile("week.csv", content, content_type="text/csv")


def post_upload(client, region_code):
    data = {"file": csv_upload(), "week": WEEK.isoformat()}
    if region_code:
        data["region"] = region_code
    return client.post("/api/v1/uploads/", data, format="multipart")


@pytest.fixture
def as_role(request, token_client):
    """A token client for the user of the named fixture."""

    def make(fixture_name):
        return token_client(request.getfixturevalue(fixture_name))

    return make


@pytest.mark.parametrize("url", READS)
def test_anonymous_gets_401_json_with_the_token_challenge(token_client, url):
    response = token_client().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_wrong_token_is_401(token_client):
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/regions/").status_code == 401


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READS)
def test_every_role_reads_every_region(as_role, role, url):
    assert as_role(role).get(url).status_code == 200


def test_an_account_without_a_role_reads_nothing(token_client):
    user = UserFactory(username="nobody")
    client = token_client(user)
    UserScope.objects.filter(user=user).delete()
    response = client.get("/api/v1/regions/")
    assert response.status_code == 401, "its token died with the role"
    assert response.json()["detail"]
    browser = APIClient()
    browser.force_login(user)
    response = browser.get("/api/v1/regions/")
    assert response.status_code == 403
    assert response.json()["detail"]


# --- writes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region_code"),
    [("ministry_user", "63"), ("admin_user", "62"), ("coordinator62", "62"), ("ministry_user", None)],
)
def test_uploads_are_accepted_within_scope(as_role, role, region_code):
    response = post_upload(as_role(role), region_code)
    assert response.status_code == 202, response.content
    assert Upload.objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.parametrize(("role", "region_code"), [("coordinator62", "63"), ("coordinator62", None)])
def test_coordinator_writing_for_another_region_gets_403_and_nothing_is_saved(as_role, role, region_code):
    response = post_upload(as_role(role), region_code)
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/uploads/"),
        ("post", "/api/v1/regions/"),
        ("put", "/api/v1/regions/62/"),
        ("patch", "/api/v1/organisations/x/"),
        ("delete", "/api/v1/uploads/1/"),
    ],
)
def test_read_only_system_account_gets_403_on_any_write(token_client, system_user, method, url):
    client = token_client(system_user)
    data = {"file": csv_upload(), "region": "62"} if url.endswith("uploads/") else {}
    response = getattr(client, method)(url, data, format="multipart")
    assert response.status_code == 403
    assert "чтения" in response.json()["detail"]
    assert not Upload.objects.exists()


def test_anonymous_upload_is_401_and_nothing_is_saved(token_client):
    assert post_upload(token_client(), "62").status_code == 401
    assert not Upload.objects.exists()


def test_a_write_the_api_does_not_offer_is_405_for_a_writing_role(token_client, ministry_user):
    assert token_client(ministry_user).delete("/api/v1/regions/62/").status_code == 405


# --- upload history: a coordinator sees its own region's only ------------------------------------


@pytest.fixture
def both_uploads(coordinator62, ministry_user):
    return {
        code: Upload.objects.create(uploaded_by=ministry_user, region=region(code), original_name=f"{code}.csv")
        for code in ("62", "63")
    }


def test_coordinator_lists_only_its_own_region_uploads(token_client, coordinator62, both_uploads):
    client = token_client(coordinator62)
    body = client.get("/api/v1/uploads/").json()
    assert [u["region"] for u in body["results"]] == ["62"]
    assert client.get("/api/v1/uploads/", {"region": "63"}).status_code == 403


def test_an_unknown_region_code_lists_nothing_and_a_malformed_filter_is_a_400_first(
    token_client, coordinator62, both_uploads
):
    client = token_client(coordinator62)
    assert client.get("/api/v1/uploads/", {"region": "00"}).json()["count"] == 0
    assert client.get("/api/v1/uploads/", {"region": "63", "week": "not-a-date"}).status_code == 400


def test_coordinator_cannot_read_another_region_upload(token_client, coordinator62, both_uploads):
    client = token_client(coordinator62)
    assert client.get(f"/api/v1/uploads/{both_uploads['62'].pk}/").status_code == 200
    assert client.get(f"/api/v1/uploads/{both_uploads['63'].pk}/").status_code == 403


@pytest.mark.parametrize("role", ["ministry_user", "admin_user"])
def test_national_roles_read_every_upload(as_role, role, both_uploads):
    client = as_role(role)
    assert client.get("/api/v1/uploads/").json()["count"] == 2
    assert client.get(f"/api/v1/uploads/{both_uploads['63'].pk}/").status_code == 200


def test_system_account_sees_no_upload_history(token_client, system_user, both_uploads):
    client = token_client(system_user)
    assert client.get("/api/v1/uploads/").json()["count"] == 0
    assert client.get(f"/api/v1/uploads/{both_uploads['62'].pk}/").status_code == 403


def test_role_is_read_from_the_scope_and_a_changed_role_ends_the_token(token_client, coordinator62):
    client = token_client(coordinator62)
    assert post_upload(client, "62").status_code == 202
    UserScope.objects.filter(user=coordinator62).update(role=UserRole.SYSTEM, region=None)
    assert post_upload(client, "62").status_code == 401, "the token was issued for another role"
    assert post_upload(token_client(coordinator62), "62").status_code == 403
