"""The OpenAPI 3 schema (sferum_migration/api_schema.py, api_urls.py) and the offline Swagger UI:
valid, complete, typed down to the enums, behind a login, served with no CDN."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from drf_spectacular.validation import validate_schema

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, UploadMode, UploadStatus
from regions.choices import OrganisationKind

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/auth/logout/", "post"),
    ("/api/v1/regions/", "get"),
    ("/api/v1/regions/{code}/", "get"),
    ("/api/v1/regions/{code}/kpis/", "get"),
    ("/api/v1/regions/{code}/kpis/history/", "get"),
    ("/api/v1/kpis/summary/", "get"),
    ("/api/v1/reporting/", "get"),
    ("/api/v1/kpis/changes/", "get"),
    ("/api/v1/organisations/", "get"),
    ("/api/v1/organisations/{org_id}/", "get"),
    ("/api/v1/snapshots/", "get"),
    ("/api/v1/uploads/", "get"),
    ("/api/v1/uploads/", "post"),
    ("/api/v1/uploads/{id}/", "get"),
    ("/api/v1/uploads/{id}/errors/{fmt}/", "get"),
}


@pytest.fixture
def schema(token_client, system_user):
    response = token_client(system_user).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def components(schema):
    return schema["components"]["schemas"]


def properties(schema, name):
    return set(components(schema)[name]["properties"])


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_lists_every_call(schema):
    operations = {(p, method) for p, item in schema["paths"].items() for method in item if method != "parameters"}
    assert operations == OPERATIONS


def test_every_call_documents_its_parameters(schema):
    def names(path, method="get"):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", [])}

    assert {"federal_district", "pilot", "page", "page_size"} <= names("/api/v1/regions/")
    assert {"week", "code"} <= names("/api/v1/regions/{code}/kpis/")
    assert {"kpi", "code"} <= names("/api/v1/regions/{code}/kpis/history/")
    assert {"week", "federal_district", "pilot"} <= names("/api/v1/kpis/summary/")
    assert {"week"} <= names("/api/v1/kpis/changes/")
    assert {"region", "kind", "municipality", "search", "page"} <= names("/api/v1/organisations/")
    assert {"region", "week", "org_id", "page"} <= names("/api/v1/snapshots/")
    assert {"region"} <= names("/api/v1/uploads/")
    history = schema["paths"]["/api/v1/regions/{code}/kpis/history/"]["get"]
    kpi = next(p for p in history["parameters"] if p["name"] == "kpi")
    assert kpi["required"] is True
    upload_form = schema["paths"]["/api/v1/uploads/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    upload_fields = components(schema)[upload_form["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"file", "region", "week", "mode", "dry_run"} <= set(upload_fields)


def test_contract_fields_are_in_the_schema(schema):
    assert {"code", "name", "federal_district", "pilot"} <= properties(schema, "Region")
    assert {"region", "week", "kpis"} <= properties(schema, "RegionKpis")
    assert {
        "code",
        "value",
        "numerator",
        "denominator",
        "target",
        "met",
        "delta",
        "schedule_status",
        "projected_date",
    } <= properties(schema, "KpiStatus")
    assert {"region", "kpi", "target", "series", "stages"} <= properties(schema, "KpiHistory")
    assert {"week", "value", "numerator", "denominator", "met", "delta", "planned"} <= properties(schema, "KpiPoint")
    assert {"week", "country", "regions"} <= properties(schema, "KpiSummary")
    assert {"week", "previous_week", "status_changes", "crossings", "movers", "stopped_reporting"} <= properties(
        schema, "WeekChanges"
    )
    assert {"org_id", "name", "kind", "region", "municipality", "diary_integrated"} <= properties(
        schema, "Organisation"
    )
    assert {"org_id", "region", "week", "upload", "staff_total", "sferum_max_only"} <= properties(schema, "Snapshot")
    assert {
        "id",
        "status",
        "region",
        "week",
        "rows_total",
        "rows_imported",
        "rows_rejected",
        "errors",
        "created_at",
        "finished_at",
    } <= properties(schema, "Upload")
    assert properties(schema, "RowError") == {"line", "column", "value", "message", "reason", "org_id", "org_name"}
    assert properties(schema, "Token") == {"token", "expiry"}
    paginated = components(schema)["PaginatedRegionList"]["properties"]
    assert set(paginated) == {"count", "next", "previous", "results"}


def test_codes_and_statuses_are_enums(schema):
    enums = {name: set(body["enum"]) for name, body in components(schema).items() if "enum" in body}
    assert enums["KpiCodeEnum"] == set(KpiCode.values)
    assert enums["ScheduleStatusEnum"] == set(ScheduleStatus.values)
    assert enums["UploadStatusEnum"] == set(UploadStatus.values)
    assert enums["UploadModeEnum"] == set(UploadMode.values)
    assert enums["OrganisationKindEnum"] == set(OrganisationKind.values)
    assert enums["ReportingStatusEnum"] == set(ReportingStatus.values)
    change = components(schema)["StatusChange"]["properties"]
    assert change["to_status"]["allOf"][0]["$ref"].endswith("/ScheduleStatusEnum")
    assert components(schema)["Crossing"]["properties"]["kpi"]["$ref"].endswith("/KpiCodeEnum")
    kpi_status = components(schema)["KpiStatus"]["properties"]
    assert kpi_status["code"]["$ref"].endswith("/KpiCodeEnum")
    assert any(ref["$ref"].endswith("/ScheduleStatusEnum") for ref in kpi_status["schedule_status"]["oneOf"])
    assert kpi_status["value"]["nullable"] is True
    assert (kpi_status["value"]["minimum"], kpi_status["value"]["maximum"]) == (0, 1)


def test_no_untyped_object_anywhere(schema):
    """Every object in the schema says what it holds: no free-form blobs."""

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("properties") or isinstance(node.get("additionalProperties"), dict), where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(schema, "#")


def test_errors_and_retry_after_are_documented(schema):
    responses = schema["paths"]["/api/v1/regions/{code}/kpis/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(responses)
    assert "Retry-After" in responses["429"]["headers"]
    assert schema["paths"]["/api/v1/uploads/"]["post"]["responses"]["202"]
    assert set(schema["components"]["securitySchemes"]) >= {"tokenAuth", "cookieAuth"}


def test_schema_needs_a_login():
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 401


# --- Swagger UI, offline ---------------------------------------------------------------------------


def test_docs_send_an_anonymous_browser_to_the_login_page():
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_docs_are_served_offline_from_our_own_static_files(ministry_user):
    client = Client()
    client.force_login(ministry_user)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], "no CDN"
    assert not re.search(r"<script>(?!\s*</script>)", html), "no inline script: the CSP allows none"
    assert "Content-Security-Policy" in response.headers

    static = [a for a in assets if a.startswith("/static/")]
    assert {a.rsplit("/", 1)[1] for a in static} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    for asset in static:
        served = client.get(asset)
        assert served.status_code == 200, asset
        # Read through the test client's wrapper, which closes the file without the
        # end-of-request signal closing the test's database connection.
        assert b"".join(served.streaming_content)

    [script] = [a for a in assets if a.startswith("/api/v1/docs/")]
    init = client.get(script.replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in init.content.decode()


def test_the_docs_page_has_a_way_back_to_the_dashboard(ministry_user):
    client = Client()
    client.force_login(ministry_user)
    html = client.get("/api/v1/docs/").content.decode()
    assert re.search(r'<nav class="api-back"[^>]*>\s*<a href="/">', html)
    assert '<div id="swagger-ui"></div>' in html  # the library's page still renders below it
