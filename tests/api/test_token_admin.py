"""An administrator issues, lists and revokes API tokens in the admin (regions/admin.py), and the
admin's user and role forms end the tokens of an account whose password or role they change."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from regions.choices import UserRole
from regions.models import ApiToken, UserScope
from regions.services import api_token_create
from tests.factories import UserFactory, region

pytestmark = pytest.mark.django_db

TOKENS = "/admin/regions/apitoken/"


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def api_status(key, url="/api/v1/regions/"):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(url).status_code


def test_administrator_issues_a_read_only_token_for_a_system_account(admin_client_, system_user):
    add_page = admin_client_.get(f"{TOKENS}add/")
    assert add_page.status_code == 200
    assert "admin-autocomplete" in add_page.content.decode(), "the user is picked by autocomplete"

    found = admin_client_.get(
        "/admin/autocomplete/",
        {"app_label": "regions", "model_name": "apitoken", "field_name": "user", "term": "syst"},
    ).json()
    assert [r["text"] for r in found["results"]] == ["system"]

    response = admin_client_.post(f"{TOKENS}add/", {"user": system_user.pk})
    assert response.status_code == 200, "the key is shown on the page after saving, once"
    key = response.context["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=system_user)
    assert key not in (token.digest, token.token_key), "only a hash of the key is stored"
    listing = admin_client_.get(TOKENS).content.decode()
    assert key not in listing and key[:8] in listing and "действует" in listing
    assert key not in admin_client_.get(f"{TOKENS}{token.pk}/change/").content.decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/kpis/summary/").status_code == 200
    upload = SimpleUploadedFile("week.csv", b"org_id\r\n", content_type="text/csv")
    assert api.post("/api/v1/uploads/", {"file": upload, "region": "62"}, format="multipart").status_code == 403


def test_no_token_for_an_account_without_a_role(admin_client_):
    nobody = UserFactory(username="nobody")
    nobody.scope.delete()
    response = admin_client_.post(f"{TOKENS}add/", {"user": nobody.pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_deleting_the_token_revokes_it(admin_client_, system_user):
    token, key = api_token_create(user=system_user)
    response = admin_client_.post(f"{TOKENS}{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert api_status(key) == 401


def test_the_list_shows_which_tokens_no_longer_open_the_api(admin_client_, ministry_user):
    api_token_create(user=ministry_user)
    ministry_user.set_password("another-pass-word-456")  # a path that does not revoke: a shell
    ministry_user.save()
    assert "недействителен" in admin_client_.get(TOKENS).content.decode()


def test_password_set_in_the_admin_ends_the_tokens(admin_client_, ministry_user):
    _token, key = api_token_create(user=ministry_user)
    response = admin_client_.post(
        f"/admin/auth/user/{ministry_user.pk}/password/",
        {"password1": "n3w-Pass-word-789", "password2": "n3w-Pass-word-789", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=ministry_user).exists()
    assert api_status(key) == 401


def test_password_made_unusable_in_the_admin_ends_the_tokens(admin_client_, ministry_user):
    api_token_create(user=ministry_user)
    response = admin_client_.post(
        f"/admin/auth/user/{ministry_user.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302
    ministry_user.refresh_from_db()
    assert not ministry_user.has_usable_password()
    assert not ApiToken.objects.filter(user=ministry_user).exists()


def user_form(user, **changes):
    """The admin's user change form as the browser posts it, with the scope inline."""
    scope = user.scope
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
        "scope-TOTAL_FORMS": "1",
        "scope-INITIAL_FORMS": "1",
        "scope-MIN_NUM_FORMS": "0",
        "scope-MAX_NUM_FORMS": "1",
        "scope-0-id": scope.pk,
        "scope-0-user": user.pk,
        "scope-0-role": scope.role,
        "scope-0-region": scope.region_id or "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_deactivating_a_user_in_the_admin_ends_the_tokens(admin_client_, ministry_user):
    api_token_create(user=ministry_user)
    response = admin_client_.post(
        f"/admin/auth/user/{ministry_user.pk}/change/", user_form(ministry_user, is_active=None)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not ApiToken.objects.filter(user=ministry_user).exists()


def test_saving_a_user_unchanged_keeps_the_tokens(admin_client_, ministry_user):
    _token, key = api_token_create(user=ministry_user)
    response = admin_client_.post(f"/admin/auth/user/{ministry_user.pk}/change/", user_form(ministry_user))
    assert response.status_code == 302
    assert api_status(key) == 200


def test_changing_the_role_in_the_user_form_ends_the_tokens(admin_client_, coordinator62):
    _token, key = api_token_create(user=coordinator62)
    response = admin_client_.post(
        f"/admin/auth/user/{coordinator62.pk}/change/",
        user_form(coordinator62, **{"scope-0-role": UserRole.MINISTRY, "scope-0-region": ""}),
    )
    assert response.status_code == 302
    assert UserScope.objects.get(user=coordinator62).role == UserRole.MINISTRY
    assert not ApiToken.objects.filter(user=coordinator62).exists()
    assert api_status(key) == 401


def test_role_changed_or_removed_in_the_role_admin_ends_the_tokens(admin_client_, coordinator62, ministry_user):
    api_token_create(user=coordinator62)
    scope = coordinator62.scope
    response = admin_client_.post(
        f"/admin/regions/userscope/{scope.pk}/change/",
        {"user": coordinator62.pk, "role": UserRole.COORDINATOR, "region": region("63").pk},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=coordinator62).exists(), "another region: another token"

    api_token_create(user=ministry_user)
    response = admin_client_.post(f"/admin/regions/userscope/{ministry_user.scope.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=ministry_user).exists()


def test_roles_removed_in_bulk_end_the_tokens(admin_client_, ministry_user, system_user):
    for user in (ministry_user, system_user):
        api_token_create(user=user)
    response = admin_client_.post(
        "/admin/regions/userscope/",
        {
            "action": "delete_selected",
            "_selected_action": [ministry_user.scope.pk, system_user.scope.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_an_administrator_revokes_every_token_of_chosen_users(admin_client_, ministry_user, system_user):
    keys = [api_token_create(user=user)[1] for user in (ministry_user, ministry_user, system_user)]
    response = admin_client_.post(
        "/admin/auth/user/", {"action": "revoke_api_tokens", "_selected_action": [ministry_user.pk]}
    )
    assert response.status_code == 302
    assert [api_status(key) for key in keys] == [401, 401, 200]
