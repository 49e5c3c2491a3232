"""The jobs on a real Celery worker and a real Redis broker: nothing lost when the broker is down,
a killed worker's import done again cleanly. Runs in CI's PostgreSQL + Redis pass (`live_worker`)."""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from metrics.choices import UploadStatus
from metrics.models import Upload, WeeklySnapshot
from metrics.services import upload_create, uploads_requeue_stuck
from regions.models import Organisation
from sferum_migration.celery import app as celery_app
from tests.factories import WEEK, region
from tests.metrics.test_services_uploads import csv_file, row

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_for(upload_id, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload = Upload.objects.get(id=upload_id)
        if upload.status in statuses:
            return upload
        time.sleep(0.05)
    raise AssertionError(f"upload {upload_id} still {Upload.objects.get(id=upload_id).status} after {timeout}s")


def _reset_publisher():
    celery_app._pool = None
    celery_app.__dict__.get("amqp") and setattr(celery_app.amqp, "_producer_pool", None)


@contextmanager
def broker_down():
    """Publishing goes to an address where nothing listens, as when Redis is down."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_write_url
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    _reset_publisher()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_write_url = saved
        _reset_publisher()


def registry(n):
    for i in range(n):
        Organisation.objects.create(org_id=f"62-{i}", name=f"Школа {i}", kind="school", region=region("62"))


def test_upload_goes_from_queued_to_succeeded_on_a_real_worker(live_worker, coordinator62):
    registry(3)
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(3)]), region=region("62"), week=WEEK
    )
    assert Upload.objects.get(id=upload.id).status in (
        UploadStatus.QUEUED,
        UploadStatus.PROCESSING,
        UploadStatus.SUCCEEDED,
    )
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED})
    assert done.status == UploadStatus.SUCCEEDED, done.message
    assert WeeklySnapshot.objects.filter(upload=done).count() == 3


def test_upload_while_broker_is_down_is_kept_and_processed_later(live_worker, coordinator62):
    registry(2)
    with broker_down():
        started = time.monotonic()
        upload = upload_create(
            user=coordinator62, file=csv_file([row("62-0"), row("62-1")]), region=region("62"), week=WEEK
        )
        assert time.monotonic() - started < 15, "a dead broker must not hang the request"
    upload.refresh_from_db()
    assert upload.status == UploadStatus.QUEUED
    assert upload.file and upload.file.size > 0
    time.sleep(1)
    assert Upload.objects.get(id=upload.id).status == UploadStatus.QUEUED  # really never published
    # The broker is back; the beat job finds the upload and queues it again.
    Upload.objects.filter(id=upload.id).update(queued_at=timezone.now() - timedelta(minutes=5))
    assert uploads_requeue_stuck() == [upload.id]
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED})
    assert done.status == UploadStatus.SUCCEEDED
    assert WeeklySnapshot.objects.count() == 2


def test_worker_killed_mid_import_is_processed_again_cleanly(live_worker, coordinator62):
    n = 30000
    registry_rows = [
        Organisation(org_id=f"62-{i}", name=f"Школа {i}", kind="school", region=region("62")) for i in range(n)
    ]
    Organisation.objects.bulk_create(registry_rows, batch_size=5000)
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(n)]), region=region("62"), week=WEEK
    )
    wait_for(upload.id, {UploadStatus.PROCESSING})
    live_worker.kill()
    killed = Upload.objects.get(id=upload.id)
    assert killed.status == UploadStatus.PROCESSING
    assert WeeklySnapshot.objects.count() == 0  # nothing half-written
    live_worker.start()
    # The sweeper takes over uploads left `processing` by a lost worker.
    with override_settings(UPLOAD_STALE_PROCESSING_SECONDS=0):
        assert uploads_requeue_stuck(older_than_seconds=0) == [upload.id]
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED}, timeout=120)
    assert done.status == UploadStatus.SUCCEEDED, done.message
    assert done.attempts == 2
    assert WeeklySnapshot.objects.count() == n
    assert WeeklySnapshot.objects.filter(upload=done, staff_active=80).count() == n
