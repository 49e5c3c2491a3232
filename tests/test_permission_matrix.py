"""Every URL × every role, with the expected answer. The URL list comes from the URL conf, so a
new route without a rule here fails `test_every_route_has_a_rule`."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from digests.services import unsubscribe_token
from metrics.models import Upload, UploadWarning
from metrics.services import kpi_values_rebuild
from regions.choices import UserRole
from regions.services import api_token_create
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, UserFactory, region
from tests.metrics.test_services_uploads import csv_file, row

# "norole": signed in, but its role was removed (its API token was issued before that, so it died).
ROLES = ("anonymous", "ministry", "coordinator62", "coordinator63", "system", "admin", "norole")
LOGIN = 302  # a page without a login answers with a redirect to the login page
# role -> status, in ROLES order
ALL_LOGGED_IN = dict(zip(ROLES, (LOGIN, 200, 200, 200, 200, 200, 403), strict=True))
REGION63_UPLOADS = dict(zip(ROLES, (LOGIN, 200, 403, 200, 403, 200, 403), strict=True))
API_READ = dict(zip(ROLES, (401, 200, 200, 200, 200, 200, 401), strict=True))
API_REGION63_UPLOADS = dict(zip(ROLES, (401, 200, 403, 200, 403, 200, 401), strict=True))

# route name -> [(method, path template, {role: status})]; {org}, {municipality}, {upload}, {org_id},
# {warning} are filled from the fixture data (all in region 63), {unsubscribe_token} is the ministry user's.
RULES = {
    "dashboard:home": [("get", "/", dict(ALL_LOGGED_IN, coordinator62=302, coordinator63=302))],
    "dashboard:regions_export": [("get", "/regions.csv", ALL_LOGGED_IN), ("get", "/regions.xlsx", ALL_LOGGED_IN)],
    "dashboard:region": [("get", "/regions/63/", ALL_LOGGED_IN)],
    "dashboard:region_uploads": [("get", "/regions/63/uploads/", REGION63_UPLOADS)],
    # The register's statuses are not secret; which organisations did not report is, like uploads.
    "dashboard:reporting": [("get", "/reporting/", ALL_LOGGED_IN)],
    "dashboard:reporting_export": [("get", "/reporting.csv", ALL_LOGGED_IN), ("get", "/reporting.xlsx", ALL_LOGGED_IN)],
    "dashboard:region_missing": [("get", "/regions/63/missing/", REGION63_UPLOADS)],
    "dashboard:region_missing_export": [
        ("get", "/regions/63/missing.csv", REGION63_UPLOADS),
        ("get", "/regions/63/missing.xlsx", REGION63_UPLOADS),
    ],
    "dashboard:region_municipalities_export": [("get", "/regions/63/municipalities.csv", ALL_LOGGED_IN)],
    "dashboard:region_lagging_export": [("get", "/regions/63/lagging.xlsx", ALL_LOGGED_IN)],
    "dashboard:municipality": [("get", "/municipalities/{municipality}/", ALL_LOGGED_IN)],
    "dashboard:municipality_organisations_export": [
        ("get", "/municipalities/{municipality}/organisations.csv", ALL_LOGGED_IN)
    ],
    "dashboard:organisation": [("get", "/organisations/{org}/", ALL_LOGGED_IN)],
    "dashboard:organisation_weeks_export": [("get", "/organisations/{org}/weeks.csv", ALL_LOGGED_IN)],
    "dashboard:upload_list": [
        ("get", "/uploads/", ALL_LOGGED_IN),
        ("get", "/uploads/?region=63", REGION63_UPLOADS),
        # a file for region 63: its coordinator and national roles only; nothing saved otherwise
        ("post", "/uploads/", dict(zip(ROLES, (LOGIN, 302, 403, 302, 403, 302, 403), strict=True))),
    ],
    "dashboard:upload_template": [
        ("get", "/uploads/template.csv", ALL_LOGGED_IN),
        ("get", "/uploads/template.xlsx", ALL_LOGGED_IN),
    ],
    "dashboard:upload_detail": [("get", "/uploads/{upload}/", REGION63_UPLOADS)],
    "dashboard:upload_errors_export": [("get", "/uploads/{upload}/errors.csv", REGION63_UPLOADS)],
    # the file of a region-63 check sent again: who may upload for region 63 is sent back to the
    # page (this check failed, so it says why); nobody else gets further than a 403
    "dashboard:upload_import": [
        ("post", "/uploads/{upload}/import/", dict(zip(ROLES, (LOGIN, 302, 403, 302, 403, 302, 403), strict=True))),
        ("get", "/uploads/{upload}/import/", dict(dict.fromkeys(ROLES, 405), anonymous=LOGIN, norole=403)),
    ],
    "digests:profile": [("get", "/profile/digests/", ALL_LOGGED_IN)],
    # The link of an e-mail: its signed token is the access, with or without a login.
    # (an account without a role is refused every page before any view, this one included)
    "digests:unsubscribe": [
        ("get", "/digests/unsubscribe/{unsubscribe_token}/", dict(dict.fromkeys(ROLES, 200), norole=403))
    ],
    "dashboard:upload_warnings_export": [("get", "/uploads/{upload}/warnings.xlsx", REGION63_UPLOADS)],
    # ministry staff only (back to the upload page); the region's own coordinator may read, not explain
    "dashboard:upload_warning_explain": [
        (
            "post",
            "/uploads/{upload}/warnings/{warning}/explain/",
            dict(zip(ROLES, (LOGIN, 302, 403, 403, 403, 302, 403), strict=True)),
        ),
        (
            "get",
            "/uploads/{upload}/warnings/{warning}/explain/",
            dict(dict.fromkeys(ROLES, 405), anonymous=LOGIN, norole=403),
        ),
    ],
    "login": [("get", "/accounts/login/", dict.fromkeys(ROLES, 200))],
    "logout": [("get", "/accounts/logout/", dict(dict.fromkeys(ROLES, 405), anonymous=LOGIN))],
    "set_language": [("get", "/i18n/setlang/", dict.fromkeys(ROLES, 302))],
    "admin": [("get", "/admin/", dict(dict.fromkeys(ROLES, 302), admin=200))],
    "api:api-root": [("get", "/api/v1/", API_READ)],
    "api:token": [("post", "/api/v1/auth/token/", dict.fromkeys(ROLES, 400))],
    # every account may revoke the token it calls with, the read-only one too
    "api:logout": [("post", "/api/v1/auth/logout/", dict(dict.fromkeys(ROLES, 204), anonymous=401, norole=401))],
    "api:region-list": [("get", "/api/v1/regions/", API_READ)],
    "api:region-detail": [("get", "/api/v1/regions/63/", API_READ)],
    "api:region-kpis": [("get", "/api/v1/regions/63/kpis/", API_READ)],
    "api:region-kpi-history": [("get", "/api/v1/regions/63/kpis/history/?kpi=staff_weekly_active", API_READ)],
    "api:kpi-summary": [("get", "/api/v1/kpis/summary/", API_READ)],
    "api:reporting": [("get", "/api/v1/reporting/", API_READ)],
    "api:kpi-changes": [("get", "/api/v1/kpis/changes/", API_READ)],
    "api:organisation-list": [("get", "/api/v1/organisations/?region=63", API_READ)],
    "api:organisation-detail": [("get", "/api/v1/organisations/{org_id}/", API_READ)],
    "api:snapshot-list": [("get", "/api/v1/snapshots/?region=63", API_READ)],
    "api:upload-list": [
        ("get", "/api/v1/uploads/", API_READ),
        ("get", "/api/v1/uploads/?region=63", API_REGION63_UPLOADS),
        ("post", "/api/v1/uploads/", dict(zip(ROLES, (401, 202, 403, 202, 403, 202, 401), strict=True))),
    ],
    "api:upload-detail": [("get", "/api/v1/uploads/{upload}/", API_REGION63_UPLOADS)],
    "api:upload-errors": [
        ("get", "/api/v1/uploads/{upload}/errors/csv/", API_REGION63_UPLOADS),
        ("get", "/api/v1/uploads/{upload}/errors/xlsx/", API_REGION63_UPLOADS),
    ],
    "api:schema": [("get", "/api/v1/schema/", API_READ)],
    # Swagger UI is a page for people: a session login, like the other pages.
    "api:docs": [("get", "/api/v1/docs/", ALL_LOGGED_IN)],
}


def route_names(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                yield "admin"
                continue
            inner = ":".join(filter(None, (namespace, pattern.namespace)))
            yield from route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield ":".join(filter(None, (namespace, pattern.name or "")))


def test_every_route_has_a_rule():
    names = set(route_names())
    assert names - set(RULES) == set(), "routes without an access rule in tests/test_permission_matrix.py"
    assert set(RULES) - names == set(), "rules for routes that no longer exist"


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    samara = region("63")
    organisation = OrganisationFactory(region=samara, org_id="63-1")
    SnapshotFactory(organisation=organisation, week=WEEK)
    kpi_values_rebuild()
    users = {
        "ministry": UserFactory(role=UserRole.MINISTRY),
        "coordinator62": UserFactory(role=UserRole.COORDINATOR, role__region=region("62")),
        "coordinator63": UserFactory(role=UserRole.COORDINATOR, role__region=samara),
        "system": UserFactory(role=UserRole.SYSTEM),
        "admin": UserFactory(role=UserRole.ADMINISTRATOR),
        "norole": UserFactory(role=UserRole.MINISTRY),
    }
    norole_key = api_token_create(user=users["norole"])[1]
    users["norole"].scope.delete()
    users["norole"] = get_user_model().objects.get(pk=users["norole"].pk)
    upload = Upload.objects.create(
        original_name="w.csv",
        uploaded_by=users["coordinator63"],
        region=samara,
        week=WEEK,
        status="failed",
        errors=[{"line": 2, "column": "c", "value": "v", "message": "m"}],
        rows_total=1,
        rows_rejected=1,
    )
    warning = UploadWarning.objects.create(
        upload=upload, code="base_jump", region=samara, week=WEEK, org_id="63-1", column="staff_total", message="m"
    )
    return {
        "users": users,
        "warning": warning.pk,
        "org": organisation.pk,
        "org_id": organisation.org_id,
        "municipality": organisation.municipality_id,
        "upload": upload.pk,
        "unsubscribe_token": unsubscribe_token(user_id=users["ministry"].pk),
        "norole_key": norole_key,
    }


def client_for(role, world, *, api):
    client = Client()
    if role == "anonymous":
        return client
    user = world["users"][role]
    if api:
        key = world["norole_key"] if role == "norole" else api_token_create(user=user)[1]
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    else:
        client.force_login(user)
    return client


CASES = [
    (name, method, path, role, expected[role])
    for name, rules in RULES.items()
    for method, path, expected in rules
    for role in ROLES
]


@pytest.mark.parametrize(
    ("name", "method", "path", "role", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CASES]
)
def test_access(name, method, path, role, expected, world, django_capture_on_commit_callbacks):
    api = path.startswith("/api/") and name != "api:docs"
    client = client_for(role, world, api=api)
    url = path.format(**world)
    if method == "get":
        response = client.get(url)
    elif name == "api:token":
        response = client.post(url, {"username": "nobody", "password": "wrong"})
    elif name == "dashboard:upload_warning_explain":
        response = client.post(url, {"comment": "Школа присоединила филиал"})
    elif name == "api:logout":
        response = client.post(url)
    else:
        data = {
            "file": csv_file([row("63-1")]),
            "region": "63" if api else str(region("63").pk),
            "week": WEEK.isoformat(),
            "mode": "atomic",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
    assert response.status_code == expected, (response.status_code, response.content[:300])
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        directives = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
        assert directives["script-src"].startswith("'self'")
        assert "unsafe" not in directives["script-src"]
    if method == "post" and expected == 403:
        assert Upload.objects.count() == 1  # nothing saved
        assert not UploadWarning.objects.filter(explained_at__isnull=False).exists()


def test_login_page_and_api_docs_serve_no_third_party_assets(world):
    client = client_for("ministry", world, api=False)
    for url in ("/accounts/login/", "/api/v1/docs/", "/"):
        html = client.get(url).content.decode()
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html.replace(
            "https://www.w3.org", ""
        )


@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/regions/"])
def test_an_account_without_a_role_signed_in_gets_403_from_the_api_schema_and_docs(world, url):
    client = client_for("norole", world, api=False)
    response = client.get(url)
    assert response.status_code == 403
    assert "роли" in response.json()["detail"]


def test_the_403_page_of_an_account_without_a_role_says_why(world):
    response = client_for("norole", world, api=False).get("/regions/63/")
    assert response.status_code == 403
    assert "нет роли" in response.content.decode()
