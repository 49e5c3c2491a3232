"""Snapshots partitioned by week (migration 0012) and an import's data-quality checks worked out
beside its write (issue #19): PostgreSQL's, run by CI's second pass."""

import os
import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from metrics.choices import UploadStatus, WarningCode
from metrics.models import UploadWarning, WeeklySnapshot
from metrics.services import kpi_values_rebuild, snapshot_partitions_ensure, upload_create, upload_process
from metrics.services.snapshots import PARTITION_WEEKS_AHEAD, PARTITION_WEEKS_BACK, snapshot_partition_name
from sferum_migration import db
from sferum_migration.db import separate_connection
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, region
from tests.metrics.test_services_quality import SENT
from tests.metrics.test_services_uploads import csv_file, row, send

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]
# Weeks no other test writes (a partition another test made and committed would stay).
ALONE = date(2025, 3, 3)
TODAY = ALONE + timedelta(days=9)  # a Wednesday: ALONE is last week


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the partitions are PostgreSQL's (CI's second pass runs this)")


def partition_of(snapshot_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM metrics_weeklysnapshot WHERE id = %s", [snapshot_id])
        return cursor.fetchone()[0]


def test_a_week_gets_its_own_partition_once_and_only_near_today():
    far = ALONE - timedelta(weeks=PARTITION_WEEKS_BACK + 1)
    future = ALONE + timedelta(weeks=PARTITION_WEEKS_AHEAD + 2)
    assert snapshot_partitions_ensure(weeks=[ALONE, ALONE, far, future], today=TODAY) == [ALONE]
    assert snapshot_partitions_ensure(weeks=[ALONE], today=TODAY) == []  # there already
    inside = SnapshotFactory(week=ALONE)
    outside = SnapshotFactory(week=far)
    assert partition_of(inside.id) == snapshot_partition_name(ALONE) == "metrics_weeklysnapshot_20250303"
    assert partition_of(outside.id) == "metrics_weeklysnapshot_default"
    # One table to Django and to the constraints: a second row of the organisation-week is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        SnapshotFactory(organisation=inside.organisation, week=ALONE)
    assert WeeklySnapshot.objects.filter(week__in=[ALONE, far]).count() == 2


def test_making_a_partition_inside_a_transaction_leaves_its_lock_timeout_as_it_was():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        before = cursor.fetchone()[0]
        assert snapshot_partitions_ensure(weeks=[ALONE], today=TODAY) == [ALONE]
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_partition_waits_only_briefly_for_an_import_that_registers_organisations():
    """Attaching takes a lock the organisations' foreign key needs: while another transaction has
    registered an organisation and not committed, the week is left to the default partition at
    once instead of holding back the pages behind a queued lock."""
    import time

    organisation = OrganisationFactory()
    week = ALONE + timedelta(weeks=2)
    with separate_connection() as other:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("UPDATE regions_organisation SET name = name WHERE id = %s", [organisation.id])
        started = time.monotonic()
        assert snapshot_partitions_ensure(weeks=[week], today=TODAY) == []
        assert time.monotonic() - started < 2
        other.rollback()
    snapshot = SnapshotFactory(organisation=organisation, week=week)
    assert partition_of(snapshot.id) == "metrics_weeklysnapshot_default"
    assert snapshot_partitions_ensure(weeks=[week], today=TODAY) == []  # not tried again: its rows are there


def test_a_week_already_in_the_default_partition_stays_there():
    """Its rows were written while its partition could not be made: no error, nothing moved."""
    week = ALONE + timedelta(weeks=1)
    snapshot = SnapshotFactory(week=week)
    assert partition_of(snapshot.id) == "metrics_weeklysnapshot_default"
    assert snapshot_partitions_ensure(weeks=[week], today=TODAY) == []
    assert partition_of(snapshot.id) == "metrics_weeklysnapshot_default"
    assert WeeklySnapshot.objects.get().staff_active == snapshot.staff_active


def test_an_import_writes_a_new_week_into_its_own_partition(coordinator62, django_capture_on_commit_callbacks):
    for i in range(3):
        OrganisationFactory(org_id=f"62-{i}")
    week = date.today() - timedelta(days=date.today().weekday() + 7)  # last week: within the window
    upload = send(
        coordinator62, [row(f"62-{i}") for i in range(3)], week=week, on_commit=django_capture_on_commit_callbacks
    )
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    partitions = {partition_of(pk) for pk in WeeklySnapshot.objects.values_list("id", flat=True)}
    assert partitions == {snapshot_partition_name(week)}


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("other_thread", [False, True], ids=["in a process", "on a thread"])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_checks_run_beside_the_write_and_find_what_they_find_in_line(
    coordinator62, monkeypatch, tmp_path, other_thread
):
    """In the import's own transaction the checks of a large file (this test lowers "large" to 3
    rows) run beside the write: in a process of their own when the importing process runs one
    thread (a Celery worker's), on a thread when it runs others (a threaded server). Either way
    they find what they find in line, in a caller's transaction."""
    from metrics.services import uploads

    organisations = [OrganisationFactory(org_id=f"62-{i}") for i in range(3)]
    for organisation in organisations:
        SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=1), **SENT)
    kpi_values_rebuild()
    monkeypatch.setattr(uploads, "QUALITY_BESIDE_MIN_ROWS", 3)
    monkeypatch.setattr(uploads, "upload_enqueue", lambda upload_id: True)  # run here, below
    where = tmp_path / "where"  # a process beside cannot append to this test's lists: it writes here
    check = uploads.upload_quality_check

    def check_and_note_where(**kwargs):
        with where.open("a") as note:
            note.write(f"{os.getpid()} {threading.current_thread() is threading.main_thread()}\n")
        return check(**kwargs)

    monkeypatch.setattr(uploads, "upload_quality_check", check_and_note_where)
    rows = [row("62-0", staff=(1000, 80)), row("62-1", staff=(100, 0)), row("62-2", staff=(100, 81))]

    def run(**kwargs):
        upload = upload_create(user=coordinator62, file=csv_file(rows), region=region("62"), week=WEEK, **kwargs)
        return upload_process(upload_id=upload.id)

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    if other_thread:
        other.start()
    else:  # as a worker's process is (pytest-django's live server may be running on a thread)
        monkeypatch.setattr(db, "_fork_safe", lambda: True)
    try:
        beside = run()
    finally:
        stop.set()
        if other_thread:
            other.join()
    with transaction.atomic():  # a caller's transaction: the checks run at once, in line
        in_line = run(dry_run=True)
    me = str(os.getpid())
    beside_note, in_line_note = where.read_text().splitlines()
    assert in_line_note == f"{me} True"  # this process, its main thread
    if other_thread:
        assert beside_note == f"{me} False"  # this process, another thread
    else:
        pid, main_thread = beside_note.split()
        assert pid != me and main_thread == "True"  # another process
    assert beside.status == in_line.status == UploadStatus.SUCCEEDED, beside.message
    expected = {WarningCode.BASE_JUMP: 1, WarningCode.DROP_TO_ZERO: 1, WarningCode.REGION_SWING: 1}
    assert beside.warning_counts == in_line.warning_counts == expected

    def stored(upload):
        fields = ("code", "org_id", "column", "previous", "new", "line", "message")
        return sorted(UploadWarning.objects.filter(upload=upload).values_list(*fields))

    assert stored(beside) == stored(in_line) and len(stored(beside)) == 3
    assert WeeklySnapshot.objects.filter(week=WEEK, upload=beside).count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_checks_that_fail_beside_the_write_leave_nothing_written(coordinator62, monkeypatch):
    from metrics.services import uploads

    for i in range(3):
        OrganisationFactory(org_id=f"62-{i}")
    monkeypatch.setattr(uploads, "QUALITY_BESIDE_MIN_ROWS", 3)
    monkeypatch.setattr(uploads, "upload_enqueue", lambda upload_id: True)

    def broken(**_kwargs):
        raise RuntimeError("the checks broke")

    monkeypatch.setattr(uploads, "upload_quality_check", broken)
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(3)]), region=region("62"), week=WEEK
    )
    upload = upload_process(upload_id=upload.id)
    assert upload.status == UploadStatus.FAILED
    assert "Внутренняя ошибка" in upload.message
    assert not WeeklySnapshot.objects.exists()
