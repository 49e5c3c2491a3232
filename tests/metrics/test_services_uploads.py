"""Uploads end to end through the services: kept as sent, validated against the registry and
scope, written all-or-nothing, replaced idempotently, KPIs recomputed."""

import logging
import re
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from metrics.choices import KpiCode, ScopeType, UploadMode, UploadStatus
from metrics.constants import ALL_KINDS
from metrics.models import KpiValue, Upload, WeeklySnapshot
from metrics.services import UploadRefused, upload_create, upload_process, uploads_requeue_stuck
from metrics.services.uploads import PROCESSOR_LOCK
from regions.choices import OrganisationKind
from regions.models import Municipality, Organisation
from sferum_migration.db import advisory_session_lock, separate_connection
from sferum_migration.exceptions import ServiceUnavailable
from tests.factories import WEEK, OrganisationFactory, region
from tests.storages import disk_full, files_under

pytestmark = pytest.mark.django_db

HEADER = [
    "ID организации",
    "Наименование организации",
    "Тип организации",
    "Муниципалитет",
    "Работники всего",
    "Работники активные",
    "Обучающиеся всего",
    "Обучающиеся активные",
    "Родители всего",
    "Родители активные",
    "Пользователи Сферума всего",
    "Пользователи только в MAX",
]


def row(
    org_id,
    staff=(100, 80),
    name="",
    kind="",
    municipality="",
    students=(500, 150),
    parents=(800, 240),
    sferum=(1400, 1300),
):
    return [org_id, name, kind, municipality, *staff, *students, *parents, *sferum]


def csv_file(rows, *, header=HEADER, encoding="cp1251", delimiter=";", name="week.csv"):
    lines = [delimiter.join(map(str, header))] + [delimiter.join(map(str, r)) for r in rows]
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding), content_type="text/csv")


def send(user, rows, *, region_code="62", on_commit=None, **kwargs):
    """Create an upload and run the job queued on commit, as the worker would."""
    kwargs.setdefault("week", WEEK)
    region_obj = region(region_code) if region_code else None
    with on_commit(execute=True):
        upload = upload_create(user=user, file=kwargs.pop("file", None) or csv_file(rows), region=region_obj, **kwargs)
    upload.refresh_from_db()
    return upload


@pytest.fixture
def orgs(db):
    return [OrganisationFactory(org_id=f"62-{i}") for i in range(3)]


def test_upload_is_kept_as_sent_and_imported(coordinator62, orgs, django_capture_on_commit_callbacks):
    sent = csv_file([row("62-0"), row("62-1"), row("62-2")])
    content = sent.read()
    sent.seek(0)
    upload = send(coordinator62, [], file=sent, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    assert (upload.rows_total, upload.rows_imported, upload.rows_rejected) == (3, 3, 0)
    with upload.file.open("rb") as stored:
        assert stored.read() == content
    assert upload.file.name.startswith("uploads/") and "week" not in upload.file.name
    assert WeeklySnapshot.objects.filter(week=WEEK, upload=upload).count() == 3
    staff = KpiValue.objects.get(
        scope=ScopeType.REGION, scope_id=region("62").id, kind=ALL_KINDS, kpi=KpiCode.STAFF_WEEKLY_ACTIVE, week=WEEK
    )
    assert (staff.numerator, staff.denominator) == (240, 300)
    assert upload.started_at and upload.finished_at and upload.progress == 100


def test_upload_with_error_changes_nothing(coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62,
        [row("62-0"), row("62-1", staff=(10, 20)), row("62-2", sferum=(5, 9))],
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.FAILED
    assert WeeklySnapshot.objects.count() == 0
    assert not KpiValue.objects.filter(week=WEEK).exists()
    lines = {(e["line"], e["column"]) for e in upload.errors}
    assert lines == {(3, "Работники активные"), (4, "Пользователи только в MAX")}
    assert all(e["message"] for e in upload.errors)
    assert upload.rows_rejected == 2 and upload.rows_imported == 0


def test_skip_invalid_saves_the_valid_rows(coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62,
        [row("62-0"), row("62-1", staff=(10, 20)), row("62-2")],
        mode=UploadMode.SKIP_INVALID,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED
    assert (upload.rows_imported, upload.rows_rejected) == (2, 1)
    assert set(WeeklySnapshot.objects.values_list("organisation__org_id", flat=True)) == {"62-0", "62-2"}


def test_dry_run_saves_nothing_and_reports_the_difference(coordinator62, orgs, django_capture_on_commit_callbacks):
    send(coordinator62, [row("62-0", staff=(100, 50)), row("62-1")], on_commit=django_capture_on_commit_callbacks)
    before = sorted(WeeklySnapshot.objects.values_list("organisation_id", "staff_active"))
    upload = send(
        coordinator62,
        [row("62-0", staff=(100, 70)), row("62-1"), row("62-2")],
        dry_run=True,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED
    assert upload.rows_imported == 0
    assert sorted(WeeklySnapshot.objects.values_list("organisation_id", "staff_active")) == before
    assert upload.diff["new"] == 1
    assert upload.diff["changed"] == 1
    assert upload.diff["unchanged"] == 1
    assert upload.diff["changed_totals"] == {"staff_active": 20}
    assert upload.diff["missing_count"] == 0


def test_the_difference_sums_every_changed_row_column_by_column(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    send(coordinator62, [row(f"62-{i}") for i in range(3)], on_commit=django_capture_on_commit_callbacks)
    upload = send(
        coordinator62,
        [row("62-0", staff=(100, 60)), row("62-1", staff=(120, 90), students=(480, 150)), row("62-2")],
        dry_run=True,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert (upload.diff["changed"], upload.diff["unchanged"]) == (2, 1)
    assert upload.diff["changed_totals"] == {"staff_total": 20, "staff_active": -10, "students_total": -20}


def test_diff_lists_registry_organisations_missing_from_the_file(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send(coordinator62, [row("62-0")], on_commit=django_capture_on_commit_callbacks)
    assert upload.diff["missing_count"] == 2
    assert upload.diff["missing_sample"] == ["62-1", "62-2"]


def test_later_upload_replaces_values_and_keeps_history(coordinator62, orgs, django_capture_on_commit_callbacks):
    first = send(
        coordinator62,
        [row("62-0", staff=(100, 10)), row("62-1", staff=(100, 10))],
        on_commit=django_capture_on_commit_callbacks,
    )
    second = send(
        coordinator62,
        [row("62-0", staff=(100, 90)), row("62-1", staff=(100, 90))],
        on_commit=django_capture_on_commit_callbacks,
    )
    assert WeeklySnapshot.objects.count() == 2
    assert set(WeeklySnapshot.objects.values_list("staff_active", "upload_id")) == {(90, second.id)}
    first.refresh_from_db()
    assert first.status == UploadStatus.SUPERSEDED
    assert Upload.objects.count() == 2


def test_partial_replacement_keeps_other_organisations(coordinator62, orgs, django_capture_on_commit_callbacks):
    first = send(
        coordinator62,
        [row("62-0", staff=(100, 10)), row("62-1", staff=(100, 10))],
        on_commit=django_capture_on_commit_callbacks,
    )
    send(coordinator62, [row("62-0", staff=(100, 90))], on_commit=django_capture_on_commit_callbacks)
    values = dict(WeeklySnapshot.objects.values_list("organisation__org_id", "staff_active"))
    assert values == {"62-0": 90, "62-1": 10}
    first.refresh_from_db()
    assert first.status == UploadStatus.SUCCEEDED  # one of its values still stands


def test_organisation_moved_to_another_region_is_replaced_not_duplicated(
    coordinator62, ministry_user, django_capture_on_commit_callbacks
):
    # Its row of the week is filed under the former region, outside the region-weeks the next
    # file touches: the straight COPY of a fresh region-week conflicts, the upsert replaces it.
    moved = OrganisationFactory(org_id="62-moved")
    send(coordinator62, [row("62-moved", staff=(100, 10))], on_commit=django_capture_on_commit_callbacks)
    moved.region, moved.municipality = region("63"), None
    moved.save(update_fields=["region", "municipality"])
    upload = send(
        ministry_user,
        [["63", *row("62-moved", staff=(100, 70))]],
        region_code=None,
        file=csv_file([["63", *row("62-moved", staff=(100, 70))]], header=["Код региона", *HEADER]),
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    snapshot = WeeklySnapshot.objects.get(organisation=moved, week=WEEK)
    assert (snapshot.region_id, snapshot.staff_active, snapshot.upload_id) == (region("63").id, 70, upload.id)


def test_a_fresh_region_week_is_copied_straight_in_and_a_resent_one_upserted(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (CI's second pass runs this)")

    def staged():  # the upsert's staging table lives until the (test's) transaction ends
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('pg_temp.snapshot_stage') IS NOT NULL")
            return cursor.fetchone()[0]

    send(coordinator62, [row("62-0"), row("62-1")], on_commit=django_capture_on_commit_callbacks)
    assert WeeklySnapshot.objects.filter(week=WEEK).count() == 2
    assert not staged()
    send(coordinator62, [row("62-0", staff=(100, 90))], on_commit=django_capture_on_commit_callbacks)
    assert staged()
    assert WeeklySnapshot.objects.get(week=WEEK, organisation__org_id="62-0").staff_active == 90


def test_same_file_twice_leaves_the_same_state(coordinator62, orgs, django_capture_on_commit_callbacks):
    rows = [row("62-0"), row("62-1", staff=(50, 25))]
    send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    state = sorted(WeeklySnapshot.objects.values_list("organisation_id", "week", "staff_total", "staff_active"))
    kpis = sorted(KpiValue.objects.values_list("scope", "scope_id", "kind", "kpi", "numerator", "denominator"))
    send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    assert sorted(WeeklySnapshot.objects.values_list("organisation_id", "week", "staff_total", "staff_active")) == state
    assert sorted(KpiValue.objects.values_list("scope", "scope_id", "kind", "kpi", "numerator", "denominator")) == kpis


def test_processing_twice_is_harmless(coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(coordinator62, [row("62-0")], on_commit=django_capture_on_commit_callbacks)
    again = upload_process(upload_id=upload.id)
    assert again.status == UploadStatus.SUCCEEDED
    assert again.attempts == 1
    assert WeeklySnapshot.objects.count() == 1


def test_coordinator_refused_for_another_region(coordinator62, django_capture_on_commit_callbacks):
    with pytest.raises(UploadRefused) as refused:
        send(coordinator62, [row("63-0")], region_code="63", on_commit=django_capture_on_commit_callbacks)
    assert refused.value.code == "permission_denied"
    assert Upload.objects.count() == 0


def test_coordinator_cannot_send_another_regions_organisation(coordinator62, django_capture_on_commit_callbacks):
    OrganisationFactory(org_id="63-0", region=region("63"))
    upload = send(coordinator62, [row("63-0")], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert upload.errors[0]["column"] == "ID организации"
    assert "63" in upload.errors[0]["message"]
    assert WeeklySnapshot.objects.count() == 0


def test_system_account_cannot_upload(system_user, django_capture_on_commit_callbacks):
    with pytest.raises(UploadRefused):
        send(system_user, [row("62-0")], on_commit=django_capture_on_commit_callbacks)


def test_unknown_organisation_with_name_and_kind_is_registered(coordinator62, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62,
        [row("NEW-1", name="МБОУ СОШ № 99", kind="ОО", municipality="Новый район")],
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED, upload.errors
    organisation = Organisation.objects.get(org_id="NEW-1")
    assert (organisation.region.code, organisation.kind, organisation.name) == (
        "62",
        OrganisationKind.SCHOOL,
        "МБОУ СОШ № 99",
    )
    assert organisation.municipality == Municipality.objects.get(region=region("62"), name="Новый район")


def test_unknown_organisation_without_name_is_a_row_error(coordinator62, django_capture_on_commit_callbacks):
    upload = send(coordinator62, [row("NEW-2")], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert upload.errors[0]["line"] == 2
    assert not Organisation.objects.filter(org_id="NEW-2").exists()


def test_dry_run_does_not_register_unknown_organisations(coordinator62, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62,
        [row("NEW-3", name="Детский сад", kind="ДОО")],
        dry_run=True,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED
    assert upload.diff["new"] == 1
    assert not Organisation.objects.filter(org_id="NEW-3").exists()


def test_dry_run_of_unknown_organisations_only_counts_them_new_and_the_registry_missing(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send(
        coordinator62,
        [row("NEW-4", name="Школа", kind="ОО"), row("NEW-5", name="Лицей", kind="ОО")],
        dry_run=True,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED, upload.errors
    assert (upload.diff["rows_valid"], upload.diff["new"], upload.diff["changed"]) == (2, 2, 0)
    assert (upload.diff["missing_count"], upload.diff["missing_sample"]) == (3, ["62-0", "62-1", "62-2"])
    assert not Organisation.objects.filter(org_id__startswith="NEW").exists()


def test_national_file_spans_regions_with_a_region_column(ministry_user, django_capture_on_commit_callbacks):
    OrganisationFactory(org_id="A", region=region("62"))
    OrganisationFactory(org_id="B", region=region("63"))
    header = ["Код региона", *HEADER]
    upload = send(
        ministry_user,
        [["62", *row("A")], ["63", *row("B")]],
        region_code=None,
        file=csv_file([["62", *row("A")], ["63", *row("B")]], header=header),
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.SUCCEEDED, (upload.message, upload.errors)
    assert set(WeeklySnapshot.objects.values_list("region__code", flat=True)) == {"62", "63"}


def test_national_file_without_region_column_is_refused(ministry_user, django_capture_on_commit_callbacks):
    OrganisationFactory(org_id="A")
    upload = send(ministry_user, [row("A")], region_code=None, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert "Код региона" in upload.message


def test_future_week_is_a_row_error(coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62,
        [row("62-0")],
        week=timezone.localdate() + timedelta(weeks=2),
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.FAILED
    assert upload.errors[0]["message"] == "Неделя ещё не наступила"


def test_file_over_the_size_limit_is_recorded_as_failed(coordinator62, settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_MAX_BYTES = 100
    upload = send(coordinator62, [row(f"62-{i}") for i in range(10)], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert "МБ" in upload.message
    assert not upload.file


def test_not_a_table_gets_one_clear_message(coordinator62, django_capture_on_commit_callbacks):
    junk = SimpleUploadedFile("week.csv", b"\x00\x01\x02binary\xff\xfe" * 50)
    upload = send(coordinator62, [], file=junk, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert upload.message and not upload.errors


def test_stuck_upload_is_queued_again(coordinator62, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the broker never got it
        upload = upload_create(user=coordinator62, file=csv_file([row("62-0")]), region=region("62"), week=WEEK)
    Upload.objects.filter(id=upload.id).update(queued_at=timezone.now() - timedelta(minutes=10))
    assert uploads_requeue_stuck() == [upload.id]  # inline here: queued means processed
    upload.refresh_from_db()
    assert upload.status == UploadStatus.SUCCEEDED
    assert uploads_requeue_stuck() == []


def test_fresh_queued_upload_is_left_alone(coordinator62, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        upload_create(user=coordinator62, file=csv_file([row("62-0")]), region=region("62"), week=WEEK)
    assert uploads_requeue_stuck() == []


def processing(user, capture, *, started_ago):
    """An upload a worker claimed ``started_ago`` and has not finished."""
    with capture(execute=False):
        upload = upload_create(user=user, file=csv_file([row("62-0")]), region=region("62"), week=WEEK)
    Upload.objects.filter(id=upload.id).update(
        status=UploadStatus.PROCESSING, started_at=timezone.now() - started_ago, progress=55, attempts=1
    )
    return upload


@pytest.fixture
def queued_here(monkeypatch):
    """What the sweeper queues, recorded instead of run inline."""
    from metrics.services import uploads

    queued = []
    monkeypatch.setattr(uploads, "upload_enqueue", lambda upload_id: queued.append(upload_id) or True)
    return queued


@pytest.mark.postgresql
def test_processing_upload_is_left_while_its_processor_lives_and_queued_again_once_it_is_gone(
    coordinator62, orgs, queued_here, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("the processor's session lock is PostgreSQL's (CI's second pass runs this)")
    upload = processing(coordinator62, django_capture_on_commit_callbacks, started_ago=timedelta(hours=5))
    with advisory_session_lock(PROCESSOR_LOCK, upload.id) as taken:  # its processor, alive however long
        assert taken
        assert uploads_requeue_stuck() == []
    # The processor's connection gone (its lock with it): queued again at the next sweep, not in an hour.
    fresh = processing(coordinator62, django_capture_on_commit_callbacks, started_ago=timedelta(seconds=5))
    assert uploads_requeue_stuck() == [upload.id, fresh.id] == queued_here
    upload.refresh_from_db()
    assert (upload.status, upload.progress) == (UploadStatus.QUEUED, 0)
    assert uploads_requeue_stuck() == []  # queued just now: the next sweeps wait for the queued age


def test_on_sqlite_a_processing_upload_is_taken_as_lost_only_after_its_age(
    coordinator62, orgs, queued_here, settings, django_capture_on_commit_callbacks
):
    if connection.vendor == "postgresql":
        pytest.skip("the embedded database's rule: it has no session lock")
    settings.UPLOAD_STALE_PROCESSING_SECONDS = 3600
    recent = processing(coordinator62, django_capture_on_commit_callbacks, started_ago=timedelta(minutes=10))
    old = processing(coordinator62, django_capture_on_commit_callbacks, started_ago=timedelta(hours=2))
    assert uploads_requeue_stuck() == [old.id] == queued_here
    assert Upload.objects.get(id=recent.id).status == UploadStatus.PROCESSING


def test_older_upload_processed_last_does_not_overwrite_newer_values(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        older = upload_create(
            user=coordinator62, file=csv_file([row("62-0", staff=(100, 10))]), region=region("62"), week=WEEK
        )
        newer = upload_create(
            user=coordinator62, file=csv_file([row("62-0", staff=(100, 90))]), region=region("62"), week=WEEK
        )
    assert upload_process(upload_id=newer.id).status == UploadStatus.SUCCEEDED
    late = upload_process(upload_id=older.id)
    assert late.status == UploadStatus.SUPERSEDED
    assert WeeklySnapshot.objects.get().staff_active == 90
    assert WeeklySnapshot.objects.get().upload_id == newer.id


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_while_the_import_runs_others_see_its_progress_and_the_sweeper_passes_it_by(coordinator62, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: its progress is written outside the import only")
    from metrics.services import uploads

    for i in range(3):
        OrganisationFactory(org_id=f"62-{i}")
    seen = []
    record = uploads._progress

    def record_and_look(upload_id, percent):
        record(upload_id, percent)
        if connection.in_atomic_block:  # the import's transaction, still open
            with separate_connection() as other, other.cursor() as cursor:
                cursor.execute("SELECT progress FROM metrics_upload WHERE id = %s", [upload_id])
                progress = cursor.fetchone()[0]
                # What the sweeper asks: a running import is not for it to queue again.
                cursor.execute("SELECT id FROM metrics_upload WHERE id = %s FOR UPDATE SKIP LOCKED", [upload_id])
                seen.append((percent, progress, cursor.fetchall()))

    monkeypatch.setattr(uploads, "_progress", record_and_look)
    monkeypatch.setattr(uploads, "upload_enqueue", lambda upload_id: True)  # run here, not by a broker's worker
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(3)]), region=region("62"), week=WEEK
    )
    upload = upload_process(upload_id=upload.id)
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    assert seen == [(65, 65, []), (70, 70, []), (85, 85, [])]
    assert upload.progress == 100


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_of_one_upload_at_once_import_it_once(coordinator62, monkeypatch):
    """Its message delivered twice: the second run, finding the first processing it, leaves it alone
    at once (no second claim, no second parse); the first imports it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections writing at once")
    import threading

    from metrics.services import uploads

    for i in range(3):
        OrganisationFactory(org_id=f"62-{i}")
    monkeypatch.setattr(uploads, "upload_enqueue", lambda upload_id: True)  # the two runs below are its jobs
    upload = upload_create(
        user=coordinator62, file=csv_file([row(f"62-{i}") for i in range(3)]), region=region("62"), week=WEEK
    )
    first_parsed, second_done = threading.Event(), threading.Event()
    parse, import_ = uploads._upload_parse, uploads._upload_import
    parses, imports = [], []

    def parse_then_wait(upload):
        parses.append(upload.id)
        parsed = parse(upload)
        first_parsed.set()
        assert second_done.wait(30)
        return parsed

    def count_import(upload, parsed):
        imports.append(upload.id)
        import_(upload, parsed)

    monkeypatch.setattr(uploads, "_upload_parse", parse_then_wait)
    monkeypatch.setattr(uploads, "_upload_import", count_import)
    results = {}

    def run(name, after=None, then=None):
        try:
            if after:
                assert after.wait(30)
            results[name] = upload_process(upload_id=upload.id).status
            if then:
                then.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("first",)),
        threading.Thread(target=run, args=("second", first_parsed, second_done)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"second": UploadStatus.PROCESSING, "first": UploadStatus.SUCCEEDED}
    assert (parses, imports) == ([upload.id], [upload.id])
    upload.refresh_from_db()
    assert (upload.attempts, upload.diff["new"], WeeklySnapshot.objects.count()) == (1, 3, 3)


TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION test_boom() RETURNS trigger AS $$ BEGIN
           IF NEW.staff_total = 777777 THEN RAISE EXCEPTION 'test: the disk is full'; END IF; RETURN NEW; END;
           $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER test_boom BEFORE INSERT ON metrics_weeklysnapshot
           FOR EACH ROW EXECUTE FUNCTION test_boom()""",
    ],
    "sqlite": [
        """CREATE TRIGGER test_boom BEFORE INSERT ON metrics_weeklysnapshot WHEN NEW.staff_total = 777777
           BEGIN SELECT RAISE(ABORT, 'test: the disk is full'); END""",
    ],
}


def test_database_error_mid_import_leaves_no_row(coordinator62, django_capture_on_commit_callbacks):
    """The database refuses the 300th of 600 rows: the upload fails with a message and no row stays."""
    from django.db import connection

    for i in range(600):
        OrganisationFactory(org_id=f"62-{i}")
    with connection.cursor() as cursor:
        for statement in TRIGGERS[connection.vendor]:
            cursor.execute(statement)
    rows = [row(f"62-{i}", staff=(777777, 1) if i == 300 else (100, 80)) for i in range(600)]
    upload = send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert "данные не изменены" in upload.message
    assert WeeklySnapshot.objects.count() == 0
    assert not KpiValue.objects.filter(week=WEEK).exists()
    assert Organisation.objects.count() == 600


def test_uploaded_file_is_stored_under_a_generated_name_and_never_served(
    coordinator62, client, django_capture_on_commit_callbacks
):
    hostile = SimpleUploadedFile("../../evil.html", b"<script>alert(1)</script>", content_type="text/html")
    upload = send(coordinator62, [], file=hostile, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert upload.original_name == "evil.html"
    name = upload.file.name
    assert name.startswith("uploads/") and name.endswith(".bin") and "evil" not in name
    client.force_login(coordinator62)
    for url in (f"/media/{name}", f"/{name}", f"/static/{name}"):
        assert client.get(url).status_code == 404


def test_an_internal_error_shows_the_uploader_an_error_id_and_logs_the_text(
    coordinator62, django_capture_on_commit_callbacks, caplog
):
    """The database's own error text stays in the log, under the id the uploader is given."""
    from django.db import connection

    for i in range(3):
        OrganisationFactory(org_id=f"62-{i}")
    with connection.cursor() as cursor:
        for statement in TRIGGERS[connection.vendor]:
            cursor.execute(statement)
    with caplog.at_level(logging.ERROR, logger="metrics.services.uploads"):
        upload = send(coordinator62, [row("62-0", staff=(777777, 1))], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    found = re.fullmatch(
        r"Внутренняя ошибка при обработке файла, данные не изменены\. Код ошибки: ([0-9a-f]{8})\. "
        r"Сообщите его администратору\.",
        upload.message,
    )
    assert found, upload.message
    error_id = found.group(1)
    assert not re.search(r"[A-Za-z]", upload.message.replace(error_id, ""))
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info and "the disk is full" in str(record.exc_info[1])
    assert str(upload.id) in record.getMessage()


def test_a_full_disk_at_upload_leaves_no_fragment_no_row_and_says_so(coordinator62, settings, tmp_path):
    disk_full(settings, tmp_path)
    with pytest.raises(ServiceUnavailable) as refused:
        upload_create(user=coordinator62, file=csv_file([row("62-0")] * 200), region=region("62"), week=WEEK)
    assert refused.value.message.startswith("Файл не сохранён")
    assert not Upload.objects.exists()
    assert files_under(tmp_path) == []


REFUSE_FILE_NAME = {
    "postgresql": [
        """CREATE FUNCTION test_refuse_file() RETURNS trigger AS $$ BEGIN
           IF NEW.file <> '' THEN RAISE EXCEPTION 'test: the row cannot take its file'; END IF; RETURN NEW; END;
           $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER test_refuse_file BEFORE UPDATE ON metrics_upload
           FOR EACH ROW EXECUTE FUNCTION test_refuse_file()""",
    ],
    "sqlite": [
        """CREATE TRIGGER test_refuse_file BEFORE UPDATE ON metrics_upload WHEN NEW.file <> ''
           BEGIN SELECT RAISE(ABORT, 'test: the row cannot take its file'); END""",
    ],
}


def test_a_row_that_cannot_be_recorded_keeps_no_file(coordinator62, settings, tmp_path):
    from django.db import DatabaseError, connection

    settings.MEDIA_ROOT = str(tmp_path)
    with connection.cursor() as cursor:
        for statement in REFUSE_FILE_NAME[connection.vendor]:
            cursor.execute(statement)
    with pytest.raises(DatabaseError):
        upload_create(user=coordinator62, file=csv_file([row("62-0")]), region=region("62"), week=WEEK)
    assert not Upload.objects.exists()
    assert files_under(tmp_path) == []
def nonsense_file(rows: int, *, bad="n/a") -> SimpleUploadedFile:
    """A file of ``rows`` organisations with every count cell ``bad`` (issue #18: 10 errors a row)."""
    header = "ID организации;Наименование организации;" + ";".join(HEADER[4:]) + ";Должностные лица всего;"
    header += "Должностные лица активные"
    lines = [header] + [f"62-{i};Школа {i};" + ";".join([bad] * 10) for i in range(rows)]
    return SimpleUploadedFile("nonsense.csv", ("\r\n".join(lines) + "\r\n").encode("utf-8"), content_type="text/csv")


def resident_peak_reset() -> int:
    """Reset this process's peak resident size (Linux: /proc/self/clear_refs) and return its size now, KB."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status_kb("VmRSS")


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+)", status.read()).group(1))


def test_a_file_of_nonsense_keeps_the_first_errors_counts_all_in_bounded_memory(
    coordinator62, django_capture_on_commit_callbacks, settings
):
    """100,000 rows × 10 bad cells: a million errors. Before the bound they were all built, stored
    and loaded (the worker peaked at 2.8 GB on PostgreSQL); now the first UPLOAD_ERRORS_KEPT are kept,
    every one counted by column and reason, and the process's peak resident size grows by a bound
    independent of the number of errors."""
    kept = settings.UPLOAD_ERRORS_KEPT = 10_000
    sent = nonsense_file(100_000)
    before = resident_peak_reset()
    started = time.monotonic()
    upload = send(coordinator62, [], file=sent, on_commit=django_capture_on_commit_callbacks)
    seconds, growth = time.monotonic() - started, _status_kb("VmHWM") - before
    print(f"\nnonsense file: {seconds:.1f} s, peak resident size +{growth / 1024:.0f} MB")
    assert upload.status == UploadStatus.FAILED
    assert (upload.rows_total, upload.rows_rejected, upload.errors_total) == (100_000, 100_000, 1_000_000)
    assert len(upload.errors) == kept
    assert [e["line"] for e in upload.errors[:11]] == [2] * 10 + [3], "the first ones, in line order"
    assert upload.errors[0]["org_id"] == "62-0" and upload.errors[0]["org_name"] == "Школа 0"
    summary = {(s["column"], s["reason"]): (s["count"], s["not_kept"]) for s in upload.errors_summary}
    assert len(summary) == 10 and set(summary.values()) == {(100_000, 100_000 - kept // 10)}
    assert ("Работники активные", "Не целое неотрицательное число") in summary
    assert "1000000" in upload.message.replace("\u00a0", "").replace(" ", "")
    # The 9 MB file is read whole; keeping the million errors took ~300 MB more in the parser alone.
    assert growth < 150 * 1024


def hostile_errors_upload(user, on_commit, *, nonsense_rows=0):
    """An upload processed for real whose errors show every kind of value and organisation: «-5»
    (a negative count), «=1+2» and «@SUM(A1)» (formulas), a row without an ID (no organisation), an
    unregistered organisation without a name (a registry error), then ``nonsense_rows`` rows of «n/a»."""
    if not Organisation.objects.filter(org_id="62-0").exists():
        OrganisationFactory(org_id="62-0", name="Школа № 1")
        OrganisationFactory(org_id="62-1", name="Лицей")
    rows = [
        row("62-0", staff=(100, "-5")),
        row("62-1", staff=("=1+2", 5), municipality="@SUM(A1)", kind="@SUM(A1)"),
        row("", name="Без ID"),
        row("NEW-1"),
        *(row(f"62-{i + 10}", staff=("n/a", "n/a")) for i in range(nonsense_rows)),
    ]
    return send(user, rows, on_commit=on_commit)


def test_reading_a_file_moves_the_progress_in_proportion_to_its_rows():
    from metrics.services.uploads import _parse_percent

    # A 250,000-row file is half read at 30 %, not at 55 % from its 100,000th row on.
    assert [_parse_percent(rows, 250_000) for rows in (5_000, 100_000, 125_000, 250_000)] == [6, 25, 30, 55]
    assert _parse_percent(300_000, 250_000) == 55  # never past the reading's share
    assert [_parse_percent(rows, None) for rows in (10_000, 200_000)] == [10, 55]
