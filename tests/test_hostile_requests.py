"""Every URL of the URL conf (the permission matrix's list) with hostile weeks and NUL characters,
under the production settings (DEBUG off, production's security settings): a 400 or 404, never a
500 (sferum_migration.middleware.RequestGuardMiddleware, metrics.kpi.accepted_weeks)."""

import ast
import importlib
import json
from pathlib import Path

import pytest

from tests.test_permission_matrix import RULES, client_for, world  # noqa: F401 (world is a fixture)

PRODUCTION = Path(__file__).resolve().parent.parent / "sferum_migration" / "settings" / "production.py"
HOST = "dashboard.example.ru"

# Dates that parse but lie outside the accepted weeks (years 1 and 9999 overflow date arithmetic).
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "31.12.9999", "01.01.0001", "1901-01-07", "2024-12-01", "2099-01-05"]
NOT_A_WEEK = ["garbage", "2025-02-30", "10000-01-01", "0000-01-01", "-1", "2025-W05", "%E2%80%AE", "9" * 400]

CASES = [(name, method, path) for name, rules in RULES.items() for method, path, _expected in rules]


@pytest.fixture
def production(settings, monkeypatch):
    """The values production.py sets itself, applied over the test settings."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k3y-" + "z9Q" * 20)
    monkeypatch.setenv("EMAIL_URL", "smtp://relay.example.ru:25")
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", HOST)
    module = importlib.import_module("sferum_migration.settings.production")
    names = {
        target.id
        for node in ast.parse(PRODUCTION.read_text()).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }
    assert {"DEBUG", "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS"} <= names
    for name in names:
        setattr(settings, name, getattr(module, name))
    assert settings.DEBUG is False


def client_as_admin(world, path):  # noqa: F811 (world is the fixture's value)
    api = path.startswith("/api/") and not path.startswith("/api/v1/docs/")
    client = client_for("admin", world, api=api)
    client.raise_request_exception = False  # a 500 is an answer to check, as a browser would get it
    client.defaults["HTTP_HOST"] = HOST
    return client


def call(client, method, url):
    return getattr(client, method)(url, secure=True)


def text_of(response) -> str:
    if response["Content-Type"] == "application/json":
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


@pytest.mark.parametrize(("name", "method", "path"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_weeks_out_of_range_are_400_and_unreadable_weeks_never_500(
    production,
    world,  # noqa: F811
    name,
    method,
    path,
    django_capture_on_commit_callbacks,
):
    client = client_as_admin(world, path)
    url = path.format(**world)
    for week in OUT_OF_RANGE:
        response = call(client, method, with_query(url, f"week={week}"))
        if name == "admin" or method != "get":
            # The admin lists the stored weeks whatever they are, and filters itself; a write
            # reads no week from the address.
            assert response.status_code < 500, (week, response.status_code)
        else:
            assert response.status_code == 400, (week, response.status_code, response.content[:300])
            assert "допустимы недели" in text_of(response)
    for week in NOT_A_WEEK:
        response = call(client, method, with_query(url, f"week={week}"))
        assert response.status_code < 500, (week, response.status_code, response.content[:300])


@pytest.mark.parametrize(("name", "method", "path"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_nul_in_any_path_segment_or_parameter_is_400(
    production,
    world,  # noqa: F811
    name,
    method,
    path,
    django_capture_on_commit_callbacks,
):
    client = client_as_admin(world, path)
    url = path.format(**world)
    base, _, query = url.partition("?")
    segments = base.strip("/").split("/")
    variants = [f"{base}%00/", with_query(url, "region=%00"), with_query(url, "q%00=1")]
    for i in range(len(segments)):
        variants.append(
            "/" + "/".join([*segments[:i], "%00", *segments[i + 1 :]]) + "/" + (f"?{query}" if query else "")
        )
        variants.append("/" + "/".join([*segments[:i], segments[i] + "%00", *segments[i + 1 :]]) + "/")
    for variant in variants:
        response = call(client, method, variant)
        assert response.status_code == 400, (variant, response.status_code, response.content[:300])
        if variant.startswith("/api/"):
            assert response["Content-Type"] == "application/json"


def test_a_page_refusing_a_week_says_why_in_russian(production, world):  # noqa: F811
    response = call(client_as_admin(world, "/"), "get", "/regions/63/?week=0001-01-01")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Неделя вне допустимого диапазона" in html and "30.12.2024" in html


def test_the_api_names_the_week_parameter(production, world):  # noqa: F811
    response = call(client_as_admin(world, "/api/v1/kpis/summary/"), "get", "/api/v1/kpis/summary/?week=9999-12-31")
    assert response.status_code == 400
    assert response.json()["week"][0].startswith("Неделя вне допустимого диапазона")
