"""Data-quality warnings in the API: added to an upload's answer (bounded, with totals by code),
left out of the history list but for their counts, in the OpenAPI schema."""

import pytest

from metrics.choices import WarningCode
from metrics.models import UploadWarning
from tests.dashboard.test_quality import upload_with_warnings
from tests.factories import WEEK, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def warned(coordinator62, django_capture_on_commit_callbacks):
    return upload_with_warnings(coordinator62, django_capture_on_commit_callbacks)


def test_an_upload_answer_carries_its_warnings(token_client, coordinator62, warned):
    body = token_client(coordinator62).get(f"/api/v1/uploads/{warned.pk}/").json()
    # The contract's fields are all still there.
    assert {"id", "status", "region", "week", "rows_total", "rows_imported", "rows_rejected", "errors"} <= set(body)
    assert body["warnings_total"] == 4
    assert body["warning_counts"] == {"base_jump": 3, "region_swing": 1}
    first = body["warnings"][0]
    assert set(first) == {
        "id",
        "code",
        "label",
        "region",
        "week",
        "line",
        "org_id",
        "name",
        "column",
        "previous",
        "new",
        "message",
        "explained_at",
        "explained_by",
        "explanation",
    }
    jump = next(w for w in body["warnings"] if w["code"] == "base_jump")
    assert (jump["label"], jump["region"], jump["week"], jump["column"]) == (
        "Скачок численности",
        "62",
        WEEK.isoformat(),
        "staff_total",
    )
    assert (jump["org_id"], jump["line"], jump["previous"], jump["new"]) == ("62-0", 2, 100, 1000)
    assert jump["explained_at"] is None and jump["explained_by"] is None


def test_the_upload_history_leaves_the_warnings_out_but_counts_them(token_client, coordinator62, warned):
    result = token_client(coordinator62).get("/api/v1/uploads/").json()["results"][0]
    assert "warnings" not in result and "errors" not in result
    assert (result["warnings_total"], result["warning_counts"]) == (4, {"base_jump": 3, "region_swing": 1})


def test_an_upload_answer_with_many_warnings_is_bounded_and_takes_fixed_queries(
    token_client,
    coordinator62,
    warned,
    django_assert_max_num_queries,
):
    client = token_client(coordinator62)
    url = f"/api/v1/uploads/{warned.pk}/"
    with django_assert_max_num_queries(6):
        client.get(url)
    UploadWarning.objects.bulk_create(
        [
            UploadWarning(upload=warned, code=WarningCode.DROP_TO_ZERO, region=region("62"), week=WEEK, message="m")
            for _ in range(700)
        ]
    )
    warned.warning_counts = {**warned.warning_counts, WarningCode.DROP_TO_ZERO: 5000}
    warned.save(update_fields=["warning_counts"])
    with django_assert_max_num_queries(6):
        body = client.get(url).json()
    assert len(body["warnings"]) == 500 and body["warnings_total"] == 5004


def test_the_schema_describes_the_warnings(token_client, ministry_user):
    schema = token_client(ministry_user).get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"warnings", "warnings_total", "warning_counts"} <= set(components["Upload"]["properties"])
    assert "warnings" not in components["UploadList"]["properties"]
    assert {"code", "label", "org_id", "column", "previous", "new", "message"} <= set(
        components["UploadWarning"]["properties"]
    )
