"""Migration 0009 bounds the uploads stored before it: every error counted, by column and reason (the
values taken out of the sentences), the first UPLOAD_ERRORS_KEPT kept."""

import importlib

import pytest
from django.apps import apps

from metrics.models import Upload

pytestmark = pytest.mark.django_db

migration = importlib.import_module("metrics.migrations.0009_upload_errors_bounded")


def test_old_uploads_keep_their_first_errors_and_count_all(coordinator62, settings):
    settings.UPLOAD_ERRORS_KEPT = 5
    errors = [
        {"line": n, "column": "Работники всего", "value": f"x{n}", "message": f"Значение «x{n}» не является числом"}
        for n in range(2, 14)
    ] + [{"line": 20, "column": "Неделя", "value": "", "message": "Не указана неделя"}]
    old = Upload.objects.create(uploaded_by=coordinator62, original_name="old.csv", errors=errors)
    clean = Upload.objects.create(uploaded_by=coordinator62, original_name="clean.csv")
    migration.errors_bound(apps, None)
    old.refresh_from_db()
    clean.refresh_from_db()
    assert (old.errors, old.errors_total) == (errors[:5], 13)
    assert old.errors_summary == [
        {"column": "Работники всего", "reason": "Значение «…» не является числом", "count": 12, "not_kept": 7},
        {"column": "Неделя", "reason": "Не указана неделя", "count": 1, "not_kept": 1},
    ]
    assert (clean.errors, clean.errors_total, clean.errors_summary) == ([], 0, [])
