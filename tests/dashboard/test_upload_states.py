"""Upload states named right (issue #17 item 2): the weeks a file covers shown and filterable
whatever their source, a passed dry run «Проверен» with a way to import it, a partial import and a
superseded one told apart, the change summary in words, one hint for a file without weeks, and the
registry organisations absent from the file counted as such."""

from datetime import timedelta

import pytest

from metrics.models import Upload
from tests.factories import WEEK, OrganisationFactory
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
