"""The admin of uploads: its list never loads an upload's errors or diff; one upload's page shows the
head of its kept errors and how many more there are in all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.metrics.test_services_uploads import hostile_errors_upload

pytestmark = pytest.mark.django_db


def test_the_upload_list_loads_no_payloads_and_the_page_counts_all_errors(
    client, admin_user, coordinator62, django_capture_on_commit_callbacks, settings
):
    settings.UPLOAD_ERRORS_KEPT = 60
    upload = hostile_errors_upload(coordinator62, django_capture_on_commit_callbacks, nonsense_rows=100)
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:metrics_upload_changelist")).status_code == 200
    uploads = [q["sql"] for q in queries.captured_queries if 'FROM "metrics_upload"' in q["sql"]]
    assert uploads and not any('"errors"' in sql or '"diff"' in sql for sql in uploads)
    page = client.get(reverse("admin:metrics_upload_change", args=[upload.pk])).content.decode()
    assert "… и ещё 155" in page  # 205 errors, the first 50 shown
