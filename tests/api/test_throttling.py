"""Per-user and per-address rate limits of the API: 429 with Retry-After, JSON."""

import pytest
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
