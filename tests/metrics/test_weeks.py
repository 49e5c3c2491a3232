"""The weeks the product accepts (metrics.kpi.WeekRange, accepted_weeks, validate_accepted_week), and
every place a week comes in: the upload form and API call, the file's «Неделя» column, ?week=."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from dashboard.forms import PageFilterForm, UploadForm
from metrics.importers import parse_upload
from metrics.kpi import WeekRange, accepted_weeks, validate_accepted_week
from metrics.models import Upload
from regions.models import Region
from regions.services import api_token_create
from tests.factories import WEEK
from tests.metrics.test_importers import csv_bytes
from tests.metrics.test_importers import row as file_row
from tests.metrics.test_services_uploads import csv_file, row

TODAY = date(2026, 12, 1)  # a Tuesday
WEEKS = WeekRange.of(first=date(2025, 1, 1), today=TODAY)
HOSTILE = [date.min, date.max, date(1901, 1, 7), date(1999, 12, 27), date(2024, 12, 29), date(2026, 12, 14)]


def test_the_range_runs_from_the_week_of_the_first_day_to_the_week_after_this_one():
    assert (WEEKS.first, WEEKS.last) == (date(2024, 12, 30), date(2026, 12, 7))
    assert date(2024, 12, 30) in WEEKS and date(2025, 1, 5) in WEEKS, "the week of 1 January 2025, Monday to Sunday"
    assert date(2024, 12, 29) not in WEEKS
    assert date(2026, 12, 13) in WEEKS, "next week's Sunday"
    assert date(2026, 12, 14) not in WEEKS
    assert date.min not in WEEKS and date.max not in WEEKS
    assert WEEKS.message == "Неделя вне допустимого диапазона: допустимы недели с 30.12.2024 по 13.12.2026"


def test_the_first_week_comes_from_the_settings(settings):
    settings.WEEK_MIN = date(2025, 9, 3)
    assert accepted_weeks(today=TODAY) == WeekRange(date(2025, 9, 1), date(2026, 12, 7))


def test_the_first_week_comes_from_the_environment():
    from tests.test_project import settings_value

    assert settings_value("settings.WEEK_MIN") == "2025-01-01"
    assert settings_value("settings.WEEK_MIN", DATA_WEEK_MIN="2025-08-01") == "2025-08-01"


@pytest.mark.parametrize("day", HOSTILE)
def test_the_validator_refuses_weeks_outside(day, settings):
    if day == date(2026, 12, 14):
        day = accepted_weeks().last + timedelta(weeks=1)
    with pytest.raises(ValidationError) as refused:
        validate_accepted_week(day)
    assert refused.value.messages[0].startswith("Неделя вне допустимого диапазона")
    validate_accepted_week(WEEK)


# --- the file's «Неделя» column --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024-12-29", "1999-12-27", "03.06.2024", "01.01.0001", "9999-12-31", "2026-12-14"])
def test_a_file_week_outside_the_range_is_a_row_error(text):
    result = parse_upload(csv_bytes([file_row(week=text)]), filename="a.csv", max_bytes=1 << 20, weeks=WEEKS)
    assert result.rows == []
    (error,) = result.errors
    assert (error.column, error.value) == ("Неделя", text)
    assert error.message == f"Дата «{text}» вне допустимого диапазона: допустимы недели с 30.12.2024 по 13.12.2026"


def test_a_file_week_inside_the_range_is_read():
    for text, monday in [("2025-01-01", date(2024, 12, 30)), ("13.12.2026", date(2026, 12, 7))]:
        result = parse_upload(csv_bytes([file_row(week=text)]), filename="a.csv", max_bytes=1 << 20, weeks=WEEKS)
        assert result.errors == [] and result.rows[0].week == monday


def test_without_a_range_the_file_is_read_against_the_products(settings):
    settings.WEEK_MIN = date(2025, 9, 1)
    result = parse_upload(csv_bytes([file_row(week="2025-08-04")]), filename="a.csv", max_bytes=1 << 20)
    assert "допустимы недели с 01.09.2025" in result.errors[0].message


# --- the upload form, the API call, the page filters ----------------------------------------------


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1901-01-07", "1999-12-27", "2024-12-29"])
def test_the_upload_form_refuses_a_week_outside(day, ministry_user):
    region = Region.objects.get(code="62")
    form = UploadForm({"region": region.pk, "week": day, "mode": "atomic"}, {"file": csv_file([row("62-1")])})
    assert not form.is_valid()
    assert form.errors["week"][0].startswith("Неделя вне допустимого диапазона")


@pytest.mark.django_db
def test_the_upload_page_shows_the_error_and_saves_nothing(ministry_user):
    client = Client()
    client.force_login(ministry_user)
    region = Region.objects.get(code="62")
    data = {"file": csv_file([row("62-1")]), "region": region.pk, "week": "0001-01-01", "mode": "atomic"}
    response = client.post("/uploads/", data)
    assert response.status_code == 200
    assert "Неделя вне допустимого диапазона" in response.content.decode()
    assert not Upload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-27"])
def test_the_upload_call_refuses_a_week_outside_with_400(day, coordinator62):
    response = token_client(coordinator62).post(
        "/api/v1/uploads/", {"file": csv_file([row("62-1")]), "region": "62", "week": day}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["week"][0].startswith("Неделя вне допустимого диапазона")
    assert not Upload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/kpis/summary/",
        "/api/v1/regions/62/kpis/",
        "/api/v1/snapshots/?region=62",
        "/api/v1/uploads/",
    ],
)
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2024-06-03"])
def test_api_week_parameters_outside_are_400(url, day, ministry_user):
    response = token_client(ministry_user).get(url, {"week": day})
    assert response.status_code == 400
    assert response.json()["week"][0].startswith("Неделя вне допустимого диапазона")


def test_a_page_filter_ignores_a_week_outside_when_no_middleware_stops_it_first():
    # The page then shows its default week; RequestGuardMiddleware answers 400 before (tests/test_hostile_requests.py).
    assert PageFilterForm({"week": "0001-01-01"}).week_value() is None
    assert PageFilterForm({"week": "9999-12-31"}).week_value() is None
    assert PageFilterForm({"week": "05.03.2025"}).week_value() == date(2025, 3, 3)
