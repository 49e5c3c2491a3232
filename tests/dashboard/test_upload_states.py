"""Upload states named right (issue #17 item 2): the weeks a file covers shown and filterable
whatever their source, a passed dry run «Проверен» with a way to import it, a partial import and a
superseded one told apart, the change summary in words, one hint for a file without weeks, and the
registry organisations absent from the file counted as such."""

from datetime import timedelta

import pytest

from metrics.choices import UploadState, UploadStatus
from metrics.models import Upload, WeeklySnapshot
from tests.factories import WEEK, OrganisationFactory, region
from tests.metrics.test_services_uploads import HEADER, csv_file, row, send

pytestmark = pytest.mark.django_db

WEEK2 = WEEK + timedelta(days=7)
HEADER_WEEK = [*HEADER[:4], "Неделя", *HEADER[4:]]


def week_row(org_id, week, **kwargs):
    cells = row(org_id, **kwargs)
    return [*cells[:4], week.strftime("%d.%m.%Y") if week else "", *cells[4:]]


@pytest.fixture
def orgs(db):
    return [OrganisationFactory(org_id=f"62-{i}") for i in range(3)]


def send_weeks(user, rows, capture, **kwargs):
    """A template-style file: the weeks in its «Неделя» column, none chosen in the form."""
    return send(user, None, file=csv_file(rows, header=HEADER_WEEK), week=None, on_commit=capture, **kwargs)


def test_weeks_from_the_file_are_recorded_shown_and_filterable(
    client, coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send_weeks(
        coordinator62,
        [week_row("62-0", WEEK), week_row("62-1", WEEK2)],
        django_capture_on_commit_callbacks,
    )
    assert upload.week is None
    assert (upload.week_first, upload.week_last) == (WEEK, WEEK2)
    client.force_login(coordinator62)
    detail = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert '<span id="upload-weeks">27.10.2025–03.11.2025' in detail
    history = client.get("/uploads/").content.decode()
    assert "27.10.2025–03.11.2025" in history
    region_history = client.get("/regions/62/uploads/").content.decode()
    assert "27.10.2025–03.11.2025" in region_history
    for week, found in ((WEEK, True), (WEEK2, True), (WEEK - timedelta(days=7), False)):
        page = client.get("/uploads/", {"week": week.isoformat()}).content.decode()
        assert (f'href="/uploads/{upload.pk}/"' in page) is found, week
        api = client.get("/api/v1/uploads/", {"week": week.isoformat()}).json()
        assert ([item["id"] for item in api["results"]] == [upload.pk]) is found, week
    answer = client.get(f"/api/v1/uploads/{upload.pk}/").json()
    assert (answer["week"], answer["week_first"], answer["week_last"]) == (None, "2025-10-27", "2025-11-03")


def test_a_week_chosen_in_the_form_is_the_range_of_the_upload(coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(coordinator62, [row("62-0")], on_commit=django_capture_on_commit_callbacks)
    assert (upload.week, upload.week_first, upload.week_last) == (WEEK, WEEK, WEEK)


def test_the_migration_fills_the_range_from_the_diff_or_the_week(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    from importlib import import_module

    from django.apps import apps

    fill = import_module("metrics.migrations.0010_upload_week_range").week_range_fill
    from_file = send_weeks(coordinator62, [week_row("62-0", WEEK2)], django_capture_on_commit_callbacks)
    chosen = send(coordinator62, [row("62-0", staff=(1, 2))], on_commit=django_capture_on_commit_callbacks)
    Upload.objects.update(week_first=None, week_last=None)
    fill(apps, None)
    from_file.refresh_from_db()
    chosen.refresh_from_db()
    assert (from_file.week_first, from_file.week_last) == (WEEK2, WEEK2)
    assert chosen.status == "failed" and (chosen.week_first, chosen.week_last) == (WEEK, WEEK)


def post_file(client, rows, capture, **data):
    """Send a file through the upload page, as a coordinator does; returns the page it lands on."""
    data = {"region": region("62").pk, "week": WEEK.isoformat(), "mode": "atomic", **data}
    with capture(execute=True):
        return client.post("/uploads/", {"file": csv_file(rows), **data}, follow=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_passed_dry_run_is_checked_and_its_page_imports_the_same_file(
    client, coordinator62, orgs, django_capture_on_commit_callbacks
):
    client.force_login(coordinator62)
    page = post_file(
        client, [row("62-0"), row("62-1")], django_capture_on_commit_callbacks, dry_run="on", mode="skip_invalid"
    )
    html = page.content.decode()
    checked = Upload.objects.get()
    assert checked.status == UploadStatus.SUCCEEDED and checked.state == UploadState.CHECKED
    assert 'data-state="checked">Проверен</span>' in html
    assert "Файл проверен, ошибок нет. Ничего не сохранено" in html
    assert "поставлен в очередь" not in html
    assert "Что изменится" in html and "Что изменилось" not in html
    assert 'id="upload-import"' in html and "Загрузить этот файл" in html
    assert not WeeklySnapshot.objects.exists()
    assert client.get("/api/v1/uploads/").json()["results"][0]["state"] == "checked"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/uploads/{checked.pk}/import/", follow=True)
    imported = Upload.objects.exclude(pk=checked.pk).get()
    assert response.redirect_chain[-1][0] == f"/uploads/{imported.pk}/"
    assert (imported.dry_run, imported.status, imported.state) == (False, UploadStatus.SUCCEEDED, "succeeded")
    assert (imported.region_id, imported.week, imported.mode) == (checked.region_id, WEEK, "skip_invalid")
    assert (imported.sha256, imported.original_name) == (checked.sha256, checked.original_name)
    assert imported.file.name != checked.file.name
    assert WeeklySnapshot.objects.filter(upload=imported).count() == 2
    html = response.content.decode()
    assert 'data-state="succeeded">Загружен</span>' in html and 'id="upload-import"' not in html


def test_only_a_passed_dry_run_of_ones_own_region_can_be_imported(
    client, coordinator62, coordinator63, orgs, django_capture_on_commit_callbacks
):
    client.force_login(coordinator62)
    # The job runs after the request here, as it does with a worker: the flash cannot say more yet.
    page = post_file(client, [row("62-0", staff=(1, 2))], django_capture_on_commit_callbacks, dry_run="on")
    assert "Файл поставлен в очередь на проверку. Ничего не будет сохранено." in page.content.decode()
    failed = Upload.objects.get()
    assert failed.state == UploadStatus.FAILED
    html = client.get(f"/uploads/{failed.pk}/").content.decode()
    assert 'id="upload-import"' not in html
    page = client.post(f"/uploads/{failed.pk}/import/", follow=True).content.decode()
    assert "Загрузить можно только файл, который прошёл проверку без ошибок." in page
    post_file(client, [row("62-0")], django_capture_on_commit_callbacks, dry_run="on")
    checked = Upload.objects.get(status=UploadStatus.SUCCEEDED)
    client.force_login(coordinator63)
    assert client.post(f"/uploads/{checked.pk}/import/").status_code == 403
    assert client.get(f"/uploads/{checked.pk}/import/").status_code == 405
    assert Upload.objects.count() == 2


def test_a_rejected_file_shows_no_diff(client, coordinator62, orgs, django_capture_on_commit_callbacks):
    upload = send(coordinator62, [row("62-0"), row("62-1", staff=(1, 2))], on_commit=django_capture_on_commit_callbacks)
    assert upload.status == UploadStatus.FAILED and upload.diff
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert 'id="upload-diff"' not in html and "Что изменилось" not in html


def test_a_partial_import_has_its_own_badge_with_the_skipped_count(
    client, coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send(
        coordinator62,
        [row("62-0"), row("62-1", staff=(1, 2))],
        mode="skip_invalid",
        on_commit=django_capture_on_commit_callbacks,
    )
    assert (upload.status, upload.state, upload.rows_rejected) == (UploadStatus.SUCCEEDED, "partial", 1)
    client.force_login(coordinator62)
    badge = 'class="badge partial">Загружен частично: пропущено строк 1</span>'
    assert badge in client.get("/uploads/").content.decode()
    assert badge in client.get("/regions/62/uploads/").content.decode()
    assert (
        'data-state="partial">Загружен частично: пропущено строк 1'
        in client.get(f"/uploads/{upload.pk}/").content.decode()
    )
    answer = client.get(f"/api/v1/uploads/{upload.pk}/").json()
    assert (answer["status"], answer["state"]) == ("succeeded", "partial")


def test_a_superseded_upload_names_the_one_that_replaced_it(
    client, coordinator62, orgs, django_capture_on_commit_callbacks
):
    first = send(coordinator62, [row("62-0")], on_commit=django_capture_on_commit_callbacks)
    assert "Загружено строк: 1." in first.message
    second = send(coordinator62, [row("62-0", staff=(100, 90))], on_commit=django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert (first.status, first.superseded_by_id) == (UploadStatus.SUPERSEDED, second.pk)
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{first.pk}/").content.decode()
    assert f'Заменена <a href="/uploads/{second.pk}/">загрузкой № {second.pk}</a>' in html
    assert "Загружено строк" not in html
    assert "Было загружено (заменено)" in html
    assert client.get(f"/api/v1/uploads/{first.pk}/").json()["superseded_by"] == second.pk


def test_the_change_summary_names_the_counts_in_words(client, coordinator62, orgs, django_capture_on_commit_callbacks):
    send(coordinator62, [row("62-0", staff=(100, 50)), row("62-1")], on_commit=django_capture_on_commit_callbacks)
    upload = send(
        coordinator62,
        [row("62-0", staff=(100, 65), students=(480, 150)), row("62-1")],
        dry_run=True,
        on_commit=django_capture_on_commit_callbacks,
    )
    assert upload.diff["changed_totals"] == {"staff_active": 15, "students_total": -20}
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert '<span id="diff-changes">(Работники, активные: +15; Обучающиеся, всего: −20)</span>' in html
    assert "staff_active" not in html and "students_total" not in html


def test_a_blank_week_column_without_a_chosen_week_is_one_hint(
    client, coordinator62, django_capture_on_commit_callbacks
):
    for i in range(28):
        OrganisationFactory(org_id=f"62-{i}")
    upload = send_weeks(
        coordinator62, [week_row(f"62-{i}", None) for i in range(28)], django_capture_on_commit_callbacks
    )
    assert upload.status == UploadStatus.FAILED
    assert upload.message == "Укажите неделю в форме или заполните столбец «Неделя»."
    assert (upload.errors_total, upload.errors) == (0, [])
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "Укажите неделю в форме или заполните столбец «Неделя»." in html and "Не указана неделя" not in html
    # The same file with a week chosen in the form is imported.
    chosen = send(
        coordinator62,
        None,
        file=csv_file([week_row(f"62-{i}", None) for i in range(28)], header=HEADER_WEEK),
        on_commit=django_capture_on_commit_callbacks,
    )
    assert (chosen.status, chosen.rows_imported, chosen.week_first) == (UploadStatus.SUCCEEDED, 28, WEEK)


def test_a_week_column_filled_in_some_rows_still_names_each_row_without_one(
    coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send_weeks(
        coordinator62,
        [week_row("62-0", WEEK), week_row("62-1", None), week_row("62-2", None)],
        django_capture_on_commit_callbacks,
    )
    assert upload.status == UploadStatus.FAILED and upload.errors_total == 2
    assert [error["message"] for error in upload.errors] == ["Не указана неделя", "Не указана неделя"]


def test_registry_organisations_absent_from_the_file_are_counted_not_rows_with_errors(
    client, coordinator62, orgs, django_capture_on_commit_callbacks
):
    upload = send(
        coordinator62,
        [row("62-0"), row("62-1", staff=(1, 2)), row("NEW-1", name="Школа", kind="x")],
        mode="skip_invalid",
        on_commit=django_capture_on_commit_callbacks,
    )
    assert (upload.state, upload.rows_rejected) == ("partial", 2)
    assert (upload.diff["missing_count"], upload.diff["missing_sample"]) == (1, ["62-2"])
    client.force_login(coordinator62)
    html = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "Организаций реестра региона нет в файле: <strong>1</strong>" in html
