"""An administrator issues a read-only token for an external system in the admin (regions/admin.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_administrator_issues_a_read_only_token_for_a_system_account(admin_client_, system_user):
    add_page = admin_client_.get("/admin/authtoken/tokenproxy/add/")
    assert add_page.status_code == 200
    assert "admin-autocomplete" in add_page.content.decode(), "the user is picked by autocomplete"

    found = admin_client_.get(
        "/admin/autocomplete/",
        {"app_label": "authtoken", "model_name": "tokenproxy", "field_name": "user", "term": "syst"},
    ).json()
    assert [r["text"] for r in found["results"]] == ["system"]

    response = admin_client_.post("/admin/authtoken/tokenproxy/add/", {"user": system_user.pk})
    assert response.status_code == 302
    key = Token.objects.get(user=system_user).key
    assert key in admin_client_.get("/admin/authtoken/tokenproxy/").content.decode()
    assert key in admin_client_.get(f"/admin/authtoken/tokenproxy/{system_user.pk}/change/").content.decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/kpis/summary/").status_code == 200
    upload = SimpleUploadedFile("week.csv", b"org_id\r\n", content_type="text/csv")
    assert api.post("/api/v1/uploads/", {"file": upload, "region": "62"}, format="multipart").status_code == 403


def test_deleting_the_token_revokes_it(admin_client_, system_user):
    token = Token.objects.create(user=system_user)
    response = admin_client_.post(f"/admin/authtoken/tokenproxy/{system_user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/regions/").status_code == 401
