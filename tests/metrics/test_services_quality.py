"""Data-quality warnings through the upload pipeline: found before saving (a dry run too), stored
with the upload (bounded, counted exactly), summed per region and week, explained by the ministry,
blocking when an administrator says so; the history read in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from metrics.choices import UploadMode, UploadStatus, WarningCode
from metrics.counts import COUNT_FIELDS
from metrics.models import KpiValue, UploadWarning, UploadWarningCount, WarningRule, WeeklySnapshot
from metrics.quality import QualityRow
from metrics.selectors import warning_counts
from metrics.services import kpi_values_rebuild, upload_warning_explain
from metrics.services.quality import quality_rows_check
from regions.models import Municipality, Organisation
from tests.factories import WEEK, OrganisationFactory, SnapshotFactory, region
from tests.metrics.test_services_uploads import row, send

pytestmark = pytest.mark.django_db

BEFORE = WEEK - timedelta(weeks=1)
# What row() sends by default (the file has no officials columns: 0).
SENT = {
    "staff_total": 100,
    "staff_active": 80,
    "students_total": 500,
    "students_active": 150,
    "parents_total": 800,
    "parents_active": 240,
    "officials_total": 0,
    "officials_active": 0,
    "sferum_total": 1400,
    "sferum_max_only": 1300,
}


@pytest.fixture
def last_week(db):
    """Three organisations of region 62 that reported last week exactly what row() sends."""
    organisations = [OrganisationFactory(org_id=f"62-{i}") for i in range(3)]
    for organisation in organisations:
        SnapshotFactory(organisation=organisation, week=BEFORE, **SENT)
    kpi_values_rebuild()
    return organisations


def stored_codes(upload):
    return list(UploadWarning.objects.filter(upload=upload).values_list("code", flat=True))


def test_a_dry_run_shows_the_warnings_and_saves_no_row(coordinator62, last_week, django_capture_on_commit_callbacks):
    upload = send(
        coordinator62, [row(f"62-{i}") for i in range(3)], dry_run=True, on_commit=django_capture_on_commit_callbacks
    )
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    assert upload.warning_counts == {WarningCode.SAME_AS_PREVIOUS: 1}
    warning = UploadWarning.objects.get(upload=upload)
    assert (warning.code, warning.region, warning.week, warning.org_id) == (
        WarningCode.SAME_AS_PREVIOUS,
        region("62"),
        WEEK,
        "62-0",
    )
    assert "3 из 3 строк (100\u00a0%)" in warning.message
    assert not WeeklySnapshot.objects.filter(week=WEEK).exists()
    assert warning_counts(week=WEEK) == {}  # a dry run's values do not stand


def test_an_import_stores_its_warnings_with_their_values(coordinator62, last_week, django_capture_on_commit_callbacks):
    rows = [row("62-0", staff=(1000, 80)), row("62-1", staff=(100, 0)), row("62-2", staff=(100, 81))]
    upload = send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.SUCCEEDED, upload.message
    assert WeeklySnapshot.objects.filter(week=WEEK, upload=upload).count() == 3
    assert upload.warning_counts == {
        WarningCode.BASE_JUMP: 1,
        WarningCode.DROP_TO_ZERO: 1,
        WarningCode.REGION_SWING: 1,
    }
    jump = UploadWarning.objects.get(upload=upload, code=WarningCode.BASE_JUMP)
    assert (jump.org_id, jump.organisation, jump.column, jump.previous, jump.new, jump.line) == (
        "62-0",
        last_week[0],
        "staff_total",
        100,
        1000,
        2,
    )
    assert jump.name == last_week[0].name
    assert jump.message == "«Работники всего»: 100 → 1\u00a0000 (+900\u00a0% за неделю). Проверьте численность."
    swing = UploadWarning.objects.get(upload=upload, code=WarningCode.REGION_SWING)
    assert (swing.organisation, swing.column, swing.previous) == (None, "staff_weekly_active", 0.8)
    assert warning_counts(week=WEEK) == {
        region("62").id: {WarningCode.BASE_JUMP: 1, WarningCode.DROP_TO_ZERO: 1, WarningCode.REGION_SWING: 1}
    }


def test_a_plausible_week_raises_no_warning(coordinator62, last_week, django_capture_on_commit_callbacks):
    rows = [row(f"62-{i}", staff=(101 + i, 82), sferum=(1400, 1310)) for i in range(3)]
    upload = send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.SUCCEEDED and upload.warning_counts == {}
    assert not UploadWarning.objects.exists() and not UploadWarningCount.objects.exists()


@override_settings(QUALITY_WARNINGS_STORED_PER_CODE=2)
def test_warnings_are_stored_up_to_a_bound_and_counted_exactly(coordinator62, django_capture_on_commit_callbacks):
    for i in range(5):
        SnapshotFactory(organisation=OrganisationFactory(org_id=f"62-{i}"), week=BEFORE, **SENT)
    rows = [row(f"62-{i}", staff=(100, 0)) for i in range(5)]
    upload = send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    assert upload.warning_counts[WarningCode.DROP_TO_ZERO] == 5
    assert stored_codes(upload).count(WarningCode.DROP_TO_ZERO) == 2
    assert UploadWarningCount.objects.get(upload=upload, code=WarningCode.DROP_TO_ZERO).total == 5
    assert warning_counts(week=WEEK)[region("62").id][WarningCode.DROP_TO_ZERO] == 5


def test_a_blocking_code_fails_an_atomic_import_and_saves_nothing(
    coordinator62, last_week, django_capture_on_commit_callbacks
):
    WarningRule.objects.filter(code=WarningCode.SAME_AS_PREVIOUS).update(blocking=True)
    values_before = KpiValue.objects.count()
    upload = send(coordinator62, [row(f"62-{i}") for i in range(3)], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert "«Повтор прошлой недели» (same_as_previous) — 1" in upload.message
    assert upload.message.startswith("Файл не загружен, данные не изменены")
    assert not WeeklySnapshot.objects.filter(week=WEEK).exists()
    assert KpiValue.objects.count() == values_before and upload.rows_imported == 0
    assert stored_codes(upload) == [WarningCode.SAME_AS_PREVIOUS]  # the reason stays readable
    assert warning_counts(week=WEEK) == {}


@pytest.mark.parametrize("mode", [UploadMode.ATOMIC, UploadMode.SKIP_INVALID])
def test_a_dry_run_says_a_blocking_code_would_fail_the_import(
    coordinator62, last_week, django_capture_on_commit_callbacks, mode
):
    WarningRule.objects.filter(code=WarningCode.SAME_AS_PREVIOUS).update(blocking=True)
    rows = [row(f"62-{i}") for i in range(3)]
    upload = send(coordinator62, rows, dry_run=True, mode=mode, on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED
    assert "Файл не будет загружен" in upload.message and "same_as_previous" in upload.message


def test_codes_that_are_not_blocking_never_stop_an_import(coordinator62, last_week, django_capture_on_commit_callbacks):
    WarningRule.objects.filter(code=WarningCode.BASE_JUMP).update(blocking=True)
    upload = send(coordinator62, [row(f"62-{i}") for i in range(3)], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.SUCCEEDED
    assert upload.warning_counts == {WarningCode.SAME_AS_PREVIOUS: 1}


def test_warnings_of_a_superseded_upload_stop_counting(coordinator62, last_week, django_capture_on_commit_callbacks):
    first = send(coordinator62, [row(f"62-{i}") for i in range(3)], on_commit=django_capture_on_commit_callbacks)
    assert warning_counts(week=WEEK) == {region("62").id: {WarningCode.SAME_AS_PREVIOUS: 1}}
    fresh = [row(f"62-{i}", staff=(101 + i, 82)) for i in range(3)]
    second = send(coordinator62, fresh, on_commit=django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert (first.status, second.status) == (UploadStatus.SUPERSEDED, UploadStatus.SUCCEEDED)
    assert warning_counts(week=WEEK) == {}


def test_warning_counts_is_one_query_and_filters_regions(
    coordinator62, last_week, django_capture_on_commit_callbacks, django_assert_num_queries
):
    send(coordinator62, [row(f"62-{i}") for i in range(3)], on_commit=django_capture_on_commit_callbacks)
    ryazan = region("62").id
    with django_assert_num_queries(1):
        assert warning_counts(week=WEEK, region_ids=[ryazan]) == {ryazan: {WarningCode.SAME_AS_PREVIOUS: 1}}
    assert warning_counts(week=WEEK, region_ids=[region("63").id]) == {}
    assert warning_counts(week=BEFORE) == {}


# --- explaining ---------------------------------------------------------------------------------


@pytest.fixture
def warned(coordinator62, last_week, django_capture_on_commit_callbacks):
    rows = [row("62-0", staff=(1000, 80)), row("62-1", staff=(101, 81)), row("62-2", staff=(102, 82))]
    upload = send(coordinator62, rows, on_commit=django_capture_on_commit_callbacks)
    return UploadWarning.objects.get(upload=upload, code=WarningCode.BASE_JUMP)


def test_a_ministry_user_explains_a_warning_and_it_stops_counting(ministry_user, warned):
    ryazan = region("62").id
    assert warning_counts(week=WEEK)[ryazan][WarningCode.BASE_JUMP] == 1
    upload_warning_explain(
        user=ministry_user, upload_id=warned.upload_id, warning_id=warned.id, comment="  Школа присоединила филиал. "
    )
    warned.refresh_from_db()
    assert (warned.explained_by, warned.explanation) == (ministry_user, "Школа присоединила филиал.")
    assert warned.explained_at is not None
    assert WarningCode.BASE_JUMP not in warning_counts(week=WEEK).get(ryazan, {})
    entry = LogEntry.objects.get(object_id=str(warned.pk))
    assert entry.user == ministry_user and entry.content_type.model == "uploadwarning"
    assert entry.change_message == "Предупреждение объяснено: Школа присоединила филиал."
    # Explaining it again replaces the comment, and still counts it once.
    upload_warning_explain(user=ministry_user, upload_id=warned.upload_id, warning_id=warned.id, comment="Филиал")
    assert UploadWarningCount.objects.get(upload_id=warned.upload_id, code=WarningCode.BASE_JUMP).explained == 1
    assert LogEntry.objects.filter(object_id=str(warned.pk)).count() == 2


def test_a_coordinator_may_not_explain_a_warning(coordinator62, warned):
    with pytest.raises(PermissionDenied):
        upload_warning_explain(user=coordinator62, upload_id=warned.upload_id, warning_id=warned.id, comment="Нет")
    warned.refresh_from_db()
    assert warned.explained_at is None and not LogEntry.objects.exists()


def test_a_warning_is_explained_only_through_its_own_upload(ministry_user, warned):
    with pytest.raises(UploadWarning.DoesNotExist):
        upload_warning_explain(user=ministry_user, upload_id=warned.upload_id + 1, warning_id=warned.id, comment="x")


# --- the history read ---------------------------------------------------------------------------


def organisations_with_history(count: int, *, weeks: int = 9) -> list[QualityRow]:
    """``count`` schools of region 63 with ``weeks`` weeks of steady figures before WEEK, and their
    rows of WEEK: all plausible but the first, whose staff activity falls from 80 % to 20 %."""
    samara = region("63")
    municipality = Municipality.objects.create(region=samara, name=f"Самара {count}")
    organisations = Organisation.objects.bulk_create(
        [
            Organisation(
                org_id=f"Q{count}-{i}", name=f"Школа {i}", kind="school", region=samara, municipality=municipality
            )
            for i in range(count)
        ]
    )
    values = [dict(SENT, staff_total=100 + i) for i in range(count)]  # no two alike
    WeeklySnapshot.objects.bulk_create(
        [
            WeeklySnapshot(organisation=o, region=samara, week=WEEK - timedelta(weeks=n), **values[i])
            for i, o in enumerate(organisations)
            for n in range(1, weeks + 1)
        ]
    )
    rows = []
    for i, organisation in enumerate(organisations):
        counts = dict(values[i], staff_active=20 if i == 0 else 81)
        fields = tuple(counts[f] for f in COUNT_FIELDS)
        rows.append(QualityRow(i + 2, organisation.id, organisation.org_id, "", "school", samara.id, WEEK, fields))
    return rows


def test_the_history_read_takes_the_same_queries_for_50_and_500_rows(django_assert_max_num_queries):
    small = organisations_with_history(50)
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(4):
        found = quality_rows_check(rows=small, stored={}).warnings
    assert [(w.code, w.org_id) for w in found] == [(WarningCode.OUTLIER, "Q50-0")]
    Organisation.objects.all().delete()
    large = organisations_with_history(500)
    with django_assert_max_num_queries(len(queries)):
        found = quality_rows_check(rows=large, stored={}).warnings
    assert [(w.code, w.org_id) for w in found] == [(WarningCode.OUTLIER, "Q500-0")]
