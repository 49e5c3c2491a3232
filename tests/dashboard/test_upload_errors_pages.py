"""Row errors on the pages (issue #18 item 3): lists never load an upload's errors, whatever their
number, in a fixed number of queries; one upload's page shows the total and the count of what was not
kept; its download is streamed."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.metrics.test_services_uploads import hostile_errors_upload

pytestmark = pytest.mark.django_db

PAYLOADS = ('"errors"', '"errors_summary"', '"diff"')


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("url", ["/uploads/", "/regions/62/uploads/", "/regions/62/"])
def test_lists_load_no_errors_in_the_same_queries_for_few_and_many(
    url, client, coordinator62, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_ERRORS_KEPT = 50
    hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks)
    client.force_login(coordinator62)
    few = queries_of(client, url)
    hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks, nonsense_rows=500)
    many = queries_of(client, url)
    assert len(few) == len(many)
    uploads = [sql for sql in many if 'FROM "metrics_upload"' in sql]
    assert uploads, "the page lists uploads"
    assert not any(payload in sql for sql in uploads for payload in PAYLOADS)


def test_the_upload_page_shows_the_total_and_what_was_not_kept(
    client, coordinator62, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_ERRORS_KEPT = 100
    upload = hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks, nonsense_rows=500)
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "Ошибок: 1005" in html
    assert "Сохранены первые 100 ошибок; ещё 905 посчитаны по столбцам и причинам" in html
    assert 'id="upload-errors-summary"' in html and "Не целое неотрицательное число" in html


def test_the_page_download_is_streamed_in_both_formats(
    client, coordinator62, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_ERRORS_KEPT = 100
    upload = hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks, nonsense_rows=500)
    client.force_login(coordinator62)
    csv = client.get(f"/uploads/{upload.pk}/errors.csv")
    assert csv.streaming and csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "\r\n2;Работники активные;-5;" in text and ";'=1+2;" in text
    xlsx = client.get(f"/uploads/{upload.pk}/errors.xlsx")
    assert xlsx.streaming
    rows = list(
        load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active.iter_rows(values_only=True)
    )
    assert len(rows) == 1 + 100 + 1 + 2
    assert rows[-3][6] == 905
