"""The jobs on a real Celery worker and a real Redis broker: nothing lost when the broker is down,
a killed worker's import queued again at the next sweep and done again cleanly, a database lost
mid-import retried (or the upload marked failed). Runs in CI's PostgreSQL + Redis pass (`live_worker`)."""

import os
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from metrics.choices import UploadStatus, WarningCode
from metrics.models import Upload, UploadWarning, WeeklySnapshot
from metrics.services import upload_create, uploads_requeue_stuck
from regions.models import Organisation
from sferum_migration.celery import app as celery_app
from sferum_migration.db import advisory_session_lock
from tests.factories import WEEK, region
from tests.metrics.test_services_quality import SENT
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


def test_a_large_file_has_its_checks_worked_out_beside_its_write_on_a_real_worker(live_worker, coordinator62):
    """A file of QUALITY_BESIDE_MIN_ROWS rows or more: the worker checks it beside the write (in a
    process of its own) and keeps what the checks find with the upload."""
    from metrics.services.uploads import QUALITY_BESIDE_MIN_ROWS

    count = QUALITY_BESIDE_MIN_ROWS + 10
    Organisation.objects.bulk_create(
        [Organisation(org_id=f"62-{i}", name=f"Школа {i}", kind="school", region=region("62")) for i in range(count)]
    )
    before = WeeklySnapshot(organisation=Organisation.objects.get(org_id="62-0"), region=region("62"), **SENT)
    before.week = WEEK - timedelta(weeks=1)
    before.save()
    rows = [row("62-0", staff=(100, 0))] + [
        row(f"62-{i}", staff=(100 + i, 80)) for i in range(1, count)
    ]  # 80 active → 0
    upload = upload_create(user=coordinator62, file=csv_file(rows), region=region("62"), week=WEEK)
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED})
    assert done.status == UploadStatus.SUCCEEDED, done.message
    assert WeeklySnapshot.objects.filter(upload=done).count() == count
    assert done.warning_counts[WarningCode.DROP_TO_ZERO] == 1  # and the region's swing from 1 to 2,010 rows
    assert UploadWarning.objects.get(upload=done, code=WarningCode.DROP_TO_ZERO).org_id == "62-0"


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
    # Its processor is alive: the sweeper leaves it, however old (never two runs at once).
    Upload.objects.filter(id=upload.id).update(started_at=timezone.now() - timedelta(hours=2))
    assert uploads_requeue_stuck() == []
    live_worker.kill()  # the whole worker, parent and child, as a lost machine
    killed = time.monotonic()
    assert Upload.objects.get(id=upload.id).status == UploadStatus.PROCESSING
    assert WeeklySnapshot.objects.count() == 0  # nothing half-written
    # The sweeper (a beat job every minute) sees at once that nobody processes it any more: its
    # processor's session lock went with its connection. No waiting for the broker's hour.
    requeued = []
    while not requeued and time.monotonic() - killed < 10:
        requeued = uploads_requeue_stuck()
        time.sleep(0.1)
    assert requeued == [upload.id]
    print(f"lost worker's upload queued again {time.monotonic() - killed:.2f} s after the kill")
    assert Upload.objects.get(id=upload.id).status == UploadStatus.QUEUED
    live_worker.start()
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED}, timeout=120)
    print(f"... and succeeded {time.monotonic() - killed:.2f} s after the kill")
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


@contextmanager
def import_held_up(region_obj, week):
    """Hold, on the test's connection, the lock an import of this region-week takes: the worker's
    import waits there, a point mid-import that the test controls."""
    with advisory_session_lock("upload-region-week", region_obj.id, week) as taken:
        assert taken
        yield


def wait_for_import_waiting(timeout=60):
    """The pid of the worker's backend once its import waits for the region-week lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT pid FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()
                     AND wait_event_type = 'Lock' AND wait_event = 'advisory'"""
            )
            waiting = cursor.fetchall()
        if waiting:
            return waiting[0][0]
        time.sleep(0.05)
    raise AssertionError("no import reached the region-week lock")


def terminate_other_backends():
    """Every connection to the database but the test's own cut, as a restart of PostgreSQL would."""
    with connection.cursor() as cursor:
        cursor.execute(
            # Waits (up to 5 s) until each is gone: none is found waiting again afterwards.
            """SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
        return cursor.fetchone()[0]


@contextmanager
def connections_refused():
    """New connections to the database refused (PostgreSQL down), the test's own kept. Set from
    the server's maintenance database: a database cannot refuse connections from within."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    maintenance = connection.Database.connect(**{**connection.get_connection_params(), "dbname": "postgres"})
    maintenance.autocommit = True
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            try:
                yield
            finally:
                cursor.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    finally:
        maintenance.close()


def test_database_lost_for_13_seconds_mid_import_is_retried_and_succeeds(live_worker, coordinator62):
    """PostgreSQL gone for 13 s under the worker's import (its connection cut, new ones refused):
    the import is tried again on a new connection once it is back and succeeds, values exact."""
    n = 2000
    Organisation.objects.bulk_create(
        [Organisation(org_id=f"62-{i}", name=f"Школа {i}", kind="school", region=region("62")) for i in range(n)]
    )
    with import_held_up(region("62"), WEEK):
        upload = upload_create(
            user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(n)]), region=region("62"), week=WEEK
        )
        wait_for_import_waiting()
        with connections_refused():
            assert terminate_other_backends() >= 1
            lost = time.monotonic()
            time.sleep(13)
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED}, timeout=60)
    print(f"13 s outage: upload {done.status} {time.monotonic() - lost:.1f} s after its connection was cut")
    assert done.status == UploadStatus.SUCCEEDED, done.message
    assert done.attempts == 2  # the retries while connections were refused never reached the claim
    assert WeeklySnapshot.objects.filter(upload=done, staff_total=100, staff_active=80).count() == n
    assert WeeklySnapshot.objects.count() == n


def test_database_lost_through_every_retry_marks_the_upload_failed(live_worker, coordinator62):
    """The import's connection cut on each of its tries: after the last, the upload is `failed`,
    the mark written through a new connection, with a Russian message and an error id."""
    registry(3)
    saved = live_worker.env
    live_worker.stop()
    live_worker.env = {**saved, "UPLOAD_DB_RETRY_DELAYS": "1,1"}
    live_worker.start()
    try:
        with import_held_up(region("62"), WEEK):
            upload = upload_create(
                user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(3)]), region=region("62"), week=WEEK
            )
            for _try in range(3):  # the first run and its two retries
                wait_for_import_waiting()
                assert terminate_other_backends() >= 1
            done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED}, timeout=30)
    finally:
        live_worker.stop()
        live_worker.env = saved
        live_worker.start()
    assert done.status == UploadStatus.FAILED
    assert done.attempts == 3
    assert "База данных была недоступна" in done.message and "Код ошибки:" in done.message
    assert "terminat" not in done.message and "connection" not in done.message
    assert WeeklySnapshot.objects.count() == 0
