"""Row errors through the API (issue #18 item 3, #17): the answer for one upload is bounded and names
the full report; lists never load errors; the report is streamed and opens with openpyxl."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from metrics.models import Upload
from tests.metrics.test_services_uploads import hostile_errors_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def big(coordinator62, django_capture_on_commit_callbacks, settings):
    """2,004 rows with errors, 4,005 errors (row 3 has two), the first 1,500 kept."""
    settings.UPLOAD_ERRORS_KEPT = 1_500
    return hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks, nonsense_rows=2_000)


def test_one_upload_answers_the_first_errors_the_total_the_summary_and_the_report(
    big, token_client, coordinator62, settings
):
    settings.UPLOAD_ERRORS_SHOWN = 1_000
    response = token_client(coordinator62).get(f"/api/v1/uploads/{big.pk}/")
    body = response.json()
    assert (len(body["errors"]), body["errors_total"], body["rows_rejected"]) == (1_000, 4_005, 2_004)
    assert len(response.content) < 400_000
    first = body["errors"][0]
    assert (first["line"], first["value"], first["org_id"], first["org_name"]) == (2, "-5", "62-0", "Школа № 1")
    summary = {(s["column"], s["reason"]): (s["count"], s["not_kept"]) for s in body["errors_summary"]}
    # «-5» and «=1+2» are no counts either; the first 1,500 are the 5 of rows 2-5, then 748 «Работники
    # всего» and 747 «Работники активные» of the nonsense rows.
    assert summary[("Работники всего", "Не целое неотрицательное число")] == (2_001, 2_001 - 749)
    assert summary[("Работники активные", "Не целое неотрицательное число")] == (2_001, 2_001 - 748)
    assert body["errors_report"] == {
        "csv": f"http://testserver/api/v1/uploads/{big.pk}/errors/csv/",
        "xlsx": f"http://testserver/api/v1/uploads/{big.pk}/errors/xlsx/",
    }


def test_one_upload_takes_the_same_queries_whatever_its_errors(
    big, token_client, coordinator62, django_capture_on_commit_callbacks
):
    client = token_client(coordinator62)
    small = Upload.objects.create(uploaded_by=coordinator62, region=big.region, original_name="s.csv")
    counts = []
    for upload in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/uploads/{upload.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6


def test_the_list_never_loads_errors_or_diffs(big, token_client, coordinator62, ministry_user):
    for user in (coordinator62, ministry_user):
        with CaptureQueriesContext(connection) as queries:
            body = token_client(user).get("/api/v1/uploads/").json()
        assert body["results"][0]["errors_total"] == 4_005
        assert not {"errors", "errors_summary", "diff"} & set(body["results"][0])
        selects = [q["sql"] for q in queries.captured_queries if "metrics_upload" in q["sql"]]
        assert selects and not any('"errors"' in sql or '"diff"' in sql or '"errors_summary"' in sql for sql in selects)


def test_the_report_is_streamed_with_the_kept_errors_then_what_was_not_kept(big, token_client, coordinator62):
    response = token_client(coordinator62).get(f"/api/v1/uploads/{big.pk}/errors/csv/")
    assert response.status_code == 200 and response.streaming
    lines = b"".join(response.streaming_content).decode("utf-8-sig").split("\r\n")
    assert lines[0] == ("Строка;Столбец;Значение;Ошибка;ID организации;Наименование организации;Число ошибок")
    assert len(lines) == 1 + 1_500 + 1 + 2 + 1  # header, kept, the sentence, two reasons not kept, the end
    assert lines[1].startswith("2;Работники активные;-5;") and lines[1].endswith(";62-0;Школа № 1;")
    assert "ещё 2505 ошибок (сохранены первые 1500)" in lines[1_501] and lines[1_501].endswith(";2505")
    assert lines[1_502] == ";Работники активные;;Не целое неотрицательное число;;;1253"
    assert lines[1_503] == ";Работники всего;;Не целое неотрицательное число;;;1252"


def test_the_xlsx_report_opens_and_keeps_values_as_sent(big, token_client, coordinator62):
    response = token_client(coordinator62).get(f"/api/v1/uploads/{big.pk}/errors/xlsx/")
    assert response.status_code == 200 and response.streaming
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 1_500 + 1 + 2
    by_value = {row[2]: row for row in rows[1:8]}
    assert by_value["-5"][:2] == (2, "Работники активные")
    assert by_value["'=1+2"][4:6] == ("62-1", "Лицей")
    assert by_value["'@SUM(A1)"][1] in {"Тип организации", "Муниципалитет"}
    no_id = next(row for row in rows[1:8] if row[0] == 4)
    assert no_id[4:6] == (None, None) and no_id[3] == "Не указан ID организации"  # no organisation named
    unknown = next(row for row in rows[1:8] if row[0] == 5)
    assert unknown[4] == "NEW-1" and not unknown[5]
    assert rows[-2][1:] == ("Работники активные", None, "Не целое неотрицательное число", None, None, 1_253)
    assert rows[-1][1:] == ("Работники всего", None, "Не целое неотрицательное число", None, None, 1_252)
    assert rows[-3][6] == 2_505 and "2505" in rows[-3][3]
