"""The jobs on a real Celery worker and a real Redis broker: nothing lost when the broker is down,
a killed worker's import done again cleanly. Runs in CI's PostgreSQL + Redis pass (`live_worker`)."""

import os
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


def test_two_uploads_of_one_region_week_at_the_same_moment(live_worker, coordinator62):
    """Both end, no deadlock is left hanging, no mixed rows: every value is the later upload's."""
    import threading

    from django.db import connection

    from metrics.services import upload_process

    n = 3000
    Organisation.objects.bulk_create(
        [Organisation(org_id=f"62-{i}", name=f"Школа {i}", kind="school", region=region("62")) for i in range(n)]
    )
    with broker_down():  # both stay queued: the two runs below are the jobs, side by side
        first = upload_create(
            user=coordinator62,
            file=csv_file([row(f"62-{i}", staff=(100, 10)) for i in range(n)]),
            region=region("62"),
            week=WEEK,
        )
        second = upload_create(
            user=coordinator62,
            file=csv_file([row(f"62-{i}", staff=(100, 90)) for i in range(n)]),
            region=region("62"),
            week=WEEK,
        )
    results = {}
    start = threading.Barrier(2)

    def run(upload_id):
        start.wait()
        try:
            results[upload_id] = upload_process(upload_id=upload_id).status
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u.id,)) for u in (second, first)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an import hung"
    assert results[second.id] == UploadStatus.SUCCEEDED
    assert results[first.id] in (UploadStatus.SUCCEEDED, UploadStatus.SUPERSEDED)
    assert WeeklySnapshot.objects.count() == n
    assert set(WeeklySnapshot.objects.values_list("staff_active", "upload_id").distinct()) == {(90, second.id)}


def test_status_is_read_correctly_after_the_web_app_restarts(live_worker, coordinator62):
    """The job runs in the worker; a web process started anew reads its status from the database."""
    import json
    import urllib.request

    from regions.services import api_token_create

    registry(20000)
    _token, token = api_token_create(user=coordinator62)
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(20000)]), region=region("62"), week=WEEK
    )
    wait_for(upload.id, {UploadStatus.PROCESSING, UploadStatus.SUCCEEDED})
    # A web process of its own: gunicorn on the same database, started after the job began.
    import subprocess
    import sys

    port = 8790 + (os.getpid() % 100)
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sferum_migration.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env={**live_worker.env, "DJANGO_SETTINGS_MODULE": "sferum_migration.settings.test"},
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != UploadStatus.SUCCEEDED:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/uploads/{upload.id}/", headers={"Authorization": f"Token {token}"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
                    status = json.load(response)["status"]
                assert status in (UploadStatus.QUEUED, UploadStatus.PROCESSING, UploadStatus.SUCCEEDED)
            except OSError:
                pass  # still starting
            time.sleep(0.2)
    finally:
        web.terminate()
        web.wait(20)
    assert status == UploadStatus.SUCCEEDED
