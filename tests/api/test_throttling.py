"""Per-user and per-address rate limits of the API: 429 with Retry-After, JSON."""

import os

import pytest
import redis
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    # Throttle classes copy DEFAULT_THROTTLE_RATES when DRF loads, so the test patches the copy;
    # the conftest clears the cache (the request history) around every test.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"})


def test_a_user_over_the_rate_gets_429_with_retry_after(token_client, ministry_user, low_rates):
    client = token_client(ministry_user)
    for _call in range(3):
        assert client.get("/api/v1/regions/").status_code == 200
    response = client.get("/api/v1/kpis/summary/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 60


def test_the_rate_is_counted_per_user(token_client, ministry_user, system_user, low_rates):
    busy = token_client(ministry_user)
    for _call in range(4):
        busy.get("/api/v1/regions/")
    assert token_client(system_user).get("/api/v1/regions/").status_code == 200


def test_token_requests_are_limited_per_address(system_user, low_rates):
    client = APIClient()
    for _call in range(2):
        client.post("/api/v1/auth/token/", {"username": "system", "password": "pass-word-123"})
    response = client.post("/api/v1/auth/token/", {"username": "system", "password": "pass-word-123"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_the_request_history_is_in_the_shared_redis_cache(token_client, ministry_user, low_rates, settings):
    # Every web process must see the same count, or the limit multiplies by their number: with
    # TEST_CACHE_URL set (CI's second pass), the history is in Redis, where another process reads it.
    url = os.environ.get("TEST_CACHE_URL", "")
    if not url.startswith("redis"):
        pytest.skip("needs TEST_CACHE_URL=redis://… (CI's second pass runs it)")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    client = token_client(ministry_user)
    for _call in range(3):
        client.get("/api/v1/regions/")
    other_process = redis.Redis.from_url(url)  # not Django's cache object: a separate connection
    keys = [key for key in other_process.keys("*throttle_user_*") if key.endswith(str(ministry_user.pk).encode())]
    assert len(keys) == 1
    assert client.get("/api/v1/regions/").status_code == 429


def test_an_unreachable_cache_does_not_take_the_api_down(token_client, ministry_user, low_rates, settings, caplog):
    # Redis down: the request is served without its rate limit, and the operators are told.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    client = token_client(ministry_user)
    for _call in range(4):
        assert client.get("/api/v1/regions/").status_code == 200
    assert "Rate limit not applied" in caplog.text


def test_an_unreachable_cache_does_not_take_the_token_call_down(system_user, low_rates, settings, caplog):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6390/0"}
    }
    client = APIClient()
    for _call in range(3):
        response = client.post("/api/v1/auth/token/", {"username": "system", "password": "pass-word-123"})
        assert response.status_code == 200, response.content
    assert "Rate limit not applied" in caplog.text


def test_every_throttle_of_every_api_view_fails_open():
    # A view that names its own throttles must name the project's fail-open ones.
    from django.urls import get_resolver

    from sferum_migration.throttling import _FailOpen

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            elif hasattr(pattern.callback, "cls"):
                yield pattern.callback.cls

    api_views = list(views(get_resolver().url_patterns))
    assert api_views
    for view in api_views:
        for throttle in view().get_throttles():
            assert isinstance(throttle, _FailOpen), (view, throttle)


def test_an_invented_forwarded_address_does_not_escape_the_address_limit(system_user, low_rates):
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "system", "password": "pass-word-123"},
            HTTP_X_FORWARDED_FOR=f"10.0.{n}.{n}",
        ).status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 429, 429]


def test_behind_a_configured_proxy_the_forwarded_client_address_is_counted(system_user, low_rates, settings):
    # API_NUM_PROXIES=1 (one nginx): the last address nginx appended is the client's.
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert api_settings.NUM_PROXIES == 1
    client = APIClient()

    def post(forwarded):
        data = {"username": "system", "password": "pass-word-123"}
        return client.post("/api/v1/auth/token/", data, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [post("spoofed-1, 203.0.113.7"), post("spoofed-2, 203.0.113.7"), post("203.0.113.7")] == [200, 200, 429]
    assert post("198.51.100.2") == 200, "another client behind the same proxy has its own count"


def test_proxies_are_not_trusted_unless_configured():
    from tests.test_project import settings_value

    assert settings_value("settings.REST_FRAMEWORK['NUM_PROXIES']") == "0"
    assert settings_value("settings.REST_FRAMEWORK['NUM_PROXIES']", API_NUM_PROXIES="1") == "1"
