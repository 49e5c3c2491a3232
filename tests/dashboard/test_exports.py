"""Table downloads: CSV for Russian Excel (BOM, `;`), XLSX that is a spreadsheet at once (percent
and date formats, «да»/«нет», frozen header, filter, fitted widths), formulas neutralised, numbers
kept numeric, the same values and filters as the pages."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from dashboard.exports import Percent, csv_bytes, xlsx_bytes
from dashboard.tables import count_headers
from metrics.counts import COUNT_FIELDS
from metrics.services import kpi_values_rebuild
from sferum_migration.downloads import formula_safe
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x","y")', "+7 школа", "-1 гимназия", "@SUM(A1)"]


def read_csv(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def data(db):
    municipality = MunicipalityFactory(name="=cmd|' /C calc'!A0")
    for name in ["МБОУ СОШ № 1", *FORMULAS]:
        organisation = OrganisationFactory(name=name, municipality=municipality)
        SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=1), staff_active=40)
        SnapshotFactory(organisation=organisation, week=WEEK, staff_active=50)
    kpi_values_rebuild()
    return municipality


@pytest.fixture
def logged_in(client, ministry_user):
    client.force_login(ministry_user)
    return client


def test_csv_has_a_bom_semicolons_and_decimal_commas():
    body = csv_bytes(["Регион", "Доля, %"], [("Рязанская область", 75.5), ("Москва", None)])
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines() == ["Регион;Доля, %", "Рязанская область;75,5", "Москва;"]


def test_formula_like_text_is_neutralised_and_numbers_are_not():
    for value in [*FORMULAS, "\tx", "\rx"]:
        assert formula_safe(value) == "'" + value
    assert formula_safe(-5) == -5
    assert formula_safe(3.5) == 3.5
    assert formula_safe("Школа") == "Школа"
    # A plain negative number sent as text stays what was sent (issue #17): Excel reads it as -5.
    assert formula_safe("-5") == "-5"
    assert formula_safe("-5,5") == "-5,5"
    rows = list(
        load_workbook(io.BytesIO(xlsx_bytes(["a", "b", "c"], [("=1+1", -2, 0.5)])), read_only=True).active.values
    )
    assert rows[1] == ("'=1+1", -2, 0.5)


def test_regions_csv_lists_every_region_with_the_page_filters(logged_in, data):
    response = logged_in.get("/regions.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="regiony-{WEEK:%Y-%m-%d}.csv"'
    rows = read_csv(response)
    assert rows[0][:4] == ["Код", "Регион", "Федеральный округ", "Пилотный"]
    assert len(rows) == 1 + 89
    ryazan = next(row for row in rows if row[0] == "62")
    assert ryazan[4] == "50,0"  # staff activity, % (50 of 100), as the page writes it
    assert ryazan[3] in ("да", "нет")
    named = dict(zip(rows[0], ryazan, strict=True))
    assert (named["Организаций отчиталось"], named["Организаций всего"]) == ("5", "5")
    filtered = read_csv(logged_in.get("/regions.csv", {"district": "ЦФО", "week": "2025-10-29"}))
    assert {row[2] for row in filtered[1:]} == {"ЦФО"}


def test_regions_xlsx_opens_and_keeps_numbers_numeric(logged_in, data):
    response = logged_in.get("/regions.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = read_xlsx(response)
    header = rows[0]
    ryazan = dict(zip(header, next(row for row in rows if row[0] == "62"), strict=False))
    assert ryazan["Регион"] == "Рязанская область"
    assert ryazan["Пилотный"] in ("да", "нет")
    assert ryazan["Активность работников, %"] == pytest.approx(0.5)
    assert type(ryazan["Организаций отчиталось"]) is int and ryazan["Организаций отчиталось"] == 5
    moscow = next(row for row in rows if row[0] == "77")
    assert moscow[4] is None  # no data: an empty cell, not 0


def test_lagging_organisations_formula_safe_hostile_names(logged_in, data):
    rows = read_xlsx(logged_in.get("/regions/62/lagging.xlsx"))
    assert rows[0][:3] == ("ID организации", "Наименование", "Тип")
    names = {row[1] for row in rows[1:]}
    assert {"'" + formula for formula in FORMULAS} <= names
    assert "МБОУ СОШ № 1" in names
    assert {row[3] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}
    assert all(type(row[6]) in (int, float) and row[6] == 0.5 for row in rows[1:])
    csv_rows = read_csv(logged_in.get("/regions/62/lagging.csv"))
    assert '\'=HYPERLINK("http://x","y")' in {row[1] for row in csv_rows}


def test_municipalities_export(logged_in, data):
    rows = read_csv(logged_in.get("/regions/62/municipalities.csv"))
    assert rows[0][0] == "Муниципалитет"
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][2] == "50,0"


def test_municipality_organisations_export(logged_in, data):
    rows = read_xlsx(logged_in.get(f"/municipalities/{data.pk}/organisations.xlsx", {"week": WEEK.isoformat()}))
    assert len(rows) == 1 + 5
    assert {row[4] for row in rows[1:]} == {"нет"}  # 50 % staff activity: none ready


def test_organisation_weeks_export_has_dates_counts_and_kpis(logged_in, data):
    organisation = OrganisationFactory(name="Гимназия")
    SnapshotFactory(organisation=organisation, week=WEEK, staff_active=75)
    response = logged_in.get(f"/organisations/{organisation.pk}/weeks.xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="nedeli-organizatsii-{organisation.pk}.xlsx"'
    header, row = read_xlsx(response)
    assert header[:3] == ("Неделя", "Работники, всего", "Работники, активные")
    assert header[9:11] == ("Пользователи Сферума, всего", "Только в MAX")
    assert row[0] == datetime(WEEK.year, WEEK.month, WEEK.day)
    assert row[1:3] == (100, 75)
    assert row[11] == pytest.approx(0.75)
    csv_rows = read_csv(logged_in.get(f"/organisations/{organisation.pk}/weeks.csv"))
    assert csv_rows[1][0] == WEEK.strftime("%d.%m.%Y")


def test_exports_need_a_login(client, data):
    response = client.get("/regions.csv")
    assert response.status_code == 302


def test_a_week_without_data_exports_empty_kpis(logged_in, data):
    rows = read_csv(logged_in.get("/regions/62/municipalities.csv", {"week": date(2025, 3, 5).isoformat()}))
    assert rows[1][2] == ""


def test_xlsx_cells_carry_percent_and_date_formats_and_yes_no():
    day, moment = date(2025, 9, 15), datetime(2025, 9, 16, 11, 5)
    body = xlsx_bytes(
        ["Регион", "Доля, %", "Неделя", "Загружено", "Пилотный", "Организаций"],
        [("Рязанская область", Percent(0.87829), day, moment, True, 12), ("Москва", None, None, None, False, 0)],
    )
    sheet = load_workbook(io.BytesIO(body)).active
    share, week, loaded, pilot, count = sheet["B2"], sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"]
    assert share.value == pytest.approx(0.878) and share.number_format == "0.0%"  # 87,8 % as on the page
    assert week.is_date and week.value == datetime(2025, 9, 15) and week.number_format == "DD.MM.YYYY"
    assert loaded.is_date and loaded.number_format == "DD.MM.YYYY HH:MM"
    assert (pilot.value, sheet["E3"].value) == ("да", "нет")
    assert count.value == 12 and count.data_type == "n"
    assert sheet["B3"].value is None


def test_xlsx_has_a_frozen_header_a_filter_and_fitted_widths():
    long_name = "МБОУ «Средняя общеобразовательная школа № 1 г. Рязани»"
    body = xlsx_bytes(["Код", "Наименование", "Доля, %"], [("62", long_name, Percent(0.5)), ("77", "Школа", None)])
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    assert sheet["A1"].font.bold
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABC"}
    assert widths["A"] < 12  # a two-digit code: a narrow column
    assert widths["B"] >= len(long_name)  # the longest name fits
    assert 9 <= widths["C"] < 20  # the header «Доля, %» and its filter button fit


def test_a_very_long_text_does_not_make_a_column_wider_than_the_screen():
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["Текст"], [("ш" * 5000,)]))).active
    assert sheet.column_dimensions["A"].width <= 60


def test_csv_writes_percentages_dates_and_booleans_as_the_page_does():
    body = csv_bytes(
        ["Доля, %", "Неделя", "Загружено", "Пилотный"],
        [(Percent(0.99979), date(2025, 9, 15), datetime(2025, 9, 16, 11, 5), False)],
    )
    # 99,97 % is truncated, not rounded to «100,0» beside an unmet 100 % target (dashboard_tags.percent)
    assert body.decode("utf-8-sig").splitlines()[1] == "99,9;15.09.2025;16.09.2025 11:05;нет"


def test_count_headers_name_every_count_column_capitalised():
    headers = count_headers()
    assert len(headers) == len(COUNT_FIELDS)
    assert all(header[0].isupper() for header in headers)
    assert "Пользователи Сферума, всего" in headers and "Только в MAX" in headers


def test_regions_xlsx_is_a_formatted_table(logged_in, data):
    sheet = load_workbook(io.BytesIO(logged_in.get("/regions.xlsx").content)).active
    header = [cell.value for cell in sheet[1]]
    ryazan = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "62")
    kpi = ryazan[header.index("Активность работников, %")]
    assert kpi.number_format == "0.0%" and kpi.value == pytest.approx(0.5)
    assert ryazan[header.index("Пилотный")].value in ("да", "нет")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}90"
