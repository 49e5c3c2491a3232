"""API tokens (regions/api/authentication.py, regions/services.py): stored as hashes, with an expiry,
revoked by logout, and dead once the account's password, role or state changes — by any path."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from regions.choices import UserRole
from regions.models import ApiToken, UserScope
from regions.services import API_TOKENS_PER_USER, api_token_create, api_tokens_revoke_stale, user_upsert
from tests.factories import region

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def status_with(key):
    return client_with(key).get("/api/v1/regions/").status_code


def obtain(username="ministry", password="pass-word-123"):  # noqa: S107
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_only_a_hash_of_the_key_is_stored(ministry_user):
    key = obtain()["token"]
    token = ApiToken.objects.get(user=ministry_user)
    stored = " ".join(str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields)
    assert key not in stored and len(token.digest) == 128


def test_a_token_expires_after_the_configured_days(ministry_user, settings):
    body = obtain()
    token = ApiToken.objects.get(user=ministry_user)
    assert abs(token.expiry - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    assert body["expiry"].startswith(timezone.localtime(token.expiry).date().isoformat())
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert status_with(body["token"]) == 401
    assert not ApiToken.objects.exists(), "an expired token is deleted when it is presented"


def test_the_lifetime_comes_from_the_environment():
    from tests.test_project import settings_value

    assert settings_value("settings.REST_KNOX['TOKEN_TTL'].days", API_TOKEN_TTL_DAYS="7") == "7"
    assert settings_value("settings.REST_KNOX['TOKEN_TTL'].days") == "90"


def test_logout_revokes_the_token_it_is_called_with_only(ministry_user):
    first, second = obtain()["token"], obtain()["token"]
    assert client_with(first).post(LOGOUT_URL).status_code == 204
    assert status_with(first) == 401
    assert status_with(second) == 200
    assert client_with(first).post(LOGOUT_URL).status_code == 401


def test_a_read_only_account_may_log_out(system_user):
    key = obtain("system")["token"]
    assert client_with(key).post(LOGOUT_URL).status_code == 204


def test_a_browser_session_cannot_log_out_a_token(ministry_user):
    browser = APIClient()
    browser.force_login(ministry_user)
    assert browser.post(LOGOUT_URL).status_code == 401


def test_password_changed_by_any_path_ends_every_token(ministry_user):
    keys = [obtain()["token"] for _ in range(2)]
    # Not through the admin or a service: the authentication refuses the token all the same.
    ministry_user.set_password("Another-pass-word-456")
    ministry_user.save()
    assert [status_with(key) for key in keys] == [401, 401]
    assert not ApiToken.objects.exists(), "a refused token is deleted for good"
    assert status_with(obtain(password="Another-pass-word-456")["token"]) == 200


def test_password_set_to_the_same_value_still_ends_the_tokens(ministry_user):
    key = obtain()["token"]
    ministry_user.set_password("pass-word-123")
    ministry_user.save()
    assert status_with(key) == 401


def test_changepassword_command_ends_the_tokens(ministry_user, monkeypatch):
    key = obtain()["token"]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Brand-new-pass-321")
    call_command("changepassword", "ministry")
    assert status_with(key) == 401


def test_unusable_password_ends_the_tokens(ministry_user):
    key = obtain()["token"]
    ministry_user.set_unusable_password()
    ministry_user.save()
    assert status_with(key) == 401


def test_deactivated_account_is_refused_and_its_token_stays_dead(ministry_user):
    key = obtain()["token"]
    get_user_model().objects.filter(pk=ministry_user.pk).update(is_active=False)
    assert status_with(key) == 401
    get_user_model().objects.filter(pk=ministry_user.pk).update(is_active=True)
    assert status_with(key) == 401, "enabled again, the account needs a new token"


def test_lost_role_ends_the_tokens(ministry_user):
    key = obtain()["token"]
    UserScope.objects.filter(user=ministry_user).delete()
    assert status_with(key) == 401
    UserScope.objects.create(user=ministry_user, role=UserRole.MINISTRY)
    assert status_with(key) == 401, "a role given back does not revive a token refused once"


@pytest.mark.parametrize(
    ("role", "region_code"), [(UserRole.MINISTRY, None), (UserRole.SYSTEM, None), (UserRole.COORDINATOR, "63")]
)
def test_changed_role_or_region_ends_the_tokens(coordinator62, role, region_code):
    key = obtain("coord62")["token"]
    UserScope.objects.filter(user=coordinator62).update(role=role, region=region(region_code) if region_code else None)
    assert status_with(key) == 401


def test_superuser_rights_removed_end_the_tokens_of_an_administrator_without_a_scope(db):
    admin = get_user_model().objects.create_superuser("root", password="pass-word-123")
    key = obtain("root")["token"]
    assert status_with(key) == 200
    get_user_model().objects.filter(pk=admin.pk).update(is_superuser=False)
    assert status_with(key) == 401


def test_user_create_sets_the_password_and_ends_the_old_tokens(ministry_user):
    key = obtain()["token"]
    user_upsert(username="ministry", password="pass-word-123", role=UserRole.MINISTRY)
    assert not ApiToken.objects.exists()
    assert status_with(key) == 401


def test_revoke_stale_keeps_the_tokens_that_still_match(ministry_user, coordinator62):
    ministry_key = obtain()["token"]
    obtain("coord62")
    UserScope.objects.filter(user=coordinator62).delete()
    assert api_tokens_revoke_stale(user=ministry_user) == 0
    assert api_tokens_revoke_stale(user=coordinator62) == 1
    assert status_with(ministry_key) == 200


def test_an_account_without_a_role_gets_no_token(ministry_user):
    UserScope.objects.filter(user=ministry_user).delete()
    response = APIClient().post(TOKEN_URL, {"username": "ministry", "password": "pass-word-123"}, format="json")
    assert response.status_code == 403
    assert "роли" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_an_inactive_account_gets_no_token(ministry_user):
    get_user_model().objects.filter(pk=ministry_user.pk).update(is_active=False)
    response = APIClient().post(TOKEN_URL, {"username": "ministry", "password": "pass-word-123"}, format="json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_tokens_of_one_account_are_bounded(ministry_user):
    keys = [api_token_create(user=ministry_user)[1] for _ in range(API_TOKENS_PER_USER + 2)]
    assert ApiToken.objects.filter(user=ministry_user).count() == API_TOKENS_PER_USER
    assert [status_with(key) for key in (keys[0], keys[1], keys[2], keys[-1])] == [401, 401, 200, 200]


def test_expired_tokens_are_deleted_when_a_new_one_is_issued(ministry_user):
    old, _key = api_token_create(user=ministry_user)
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(days=1))
    api_token_create(user=ministry_user)
    assert not ApiToken.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize(
    "header",
    [
        "Token " + "0" * 64,
        "Token short",
        "Token " + "g" * 64,
        "Token " + "a" * 63 + "\x00",
        b"Token \xff\xfe".decode("latin-1"),
        "Token " + "A" * 64,
    ],
    ids=["unknown", "short", "not-hex", "nul", "not-utf8", "upper"],
)
def test_malformed_or_unknown_keys_are_401_not_500(ministry_user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/regions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_authentication_costs_no_more_queries_than_drf_tokens_did(ministry_user, django_assert_num_queries):
    client = client_with(api_token_create(user=ministry_user)[1])
    client.get("/api/v1/regions/")
    # token + user, scope (read once for the fingerprint and the role), count, page
    with django_assert_num_queries(4):
        assert client.get("/api/v1/regions/").status_code == 200
