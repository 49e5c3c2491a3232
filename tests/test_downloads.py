"""Streamed downloads (sferum_migration/downloads.py): formulas neutralised and nothing else, CSV
for Excel in Russian, XLSX that openpyxl opens, both produced row by row."""

import io

import pytest
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import load_workbook

from sferum_migration.downloads import csv_streaming_response, formula_safe, xlsx_streaming_response


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-5", "-5"),
        ("+12", "+12"),
        ("-0,25", "-0,25"),
        ("3.5", "3.5"),
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-5+3", "'-5+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-", "'-"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("\t=1", "'\t=1"),
        ("n/a", "n/a"),
        ("Школа № 5", "Школа № 5"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_only_what_a_spreadsheet_would_run_is_neutralised(value, shown):
    assert formula_safe(value) == shown


def rows_counted(count, seen):
    for n in range(count):
        seen.append(n)
        yield (n, "-5", "=1+2", None)


def test_csv_is_streamed_with_a_bom_and_semicolons():
    seen = []
    response = csv_streaming_response("t", ["Строка", "Значение", "Формула", "Пусто"], rows_counted(2_000, seen))
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert seen == [], "nothing is read before the response is sent"
    chunks = list(response.streaming_content)
    assert len(chunks) > 2, "sent in pieces, not as one body"
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith("\ufeffСтрока;Значение;Формула;Пусто\r\n")
    assert "\r\n0;-5;'=1+2;\r\n" in text
    assert len(seen) == 2_000 and text.count("\r\n") == 2_001
    assert response["Content-Disposition"] == 'attachment; filename="t.csv"'


def test_xlsx_is_written_row_by_row_and_opens_with_the_values_as_sent():
    response = xlsx_streaming_response("t", ["Строка", "Значение", "Формула", "Пусто"], rows_counted(3, []))
    assert isinstance(response, FileResponse) and response.streaming
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Строка", "Значение", "Формула", "Пусто")
    assert rows[1][:3] == (0, "-5", "'=1+2")  # a trailing empty cell is not written
    assert len(rows) == 4
    assert 'filename="t.xlsx"' in response["Content-Disposition"]


def test_the_streamed_xlsx_has_the_header_of_every_export_bold_frozen_and_filtered():
    response = xlsx_streaming_response("t", ["Строка", "Причина ошибки в строке файла"], rows_counted(3, []))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B4"
    assert sheet["A1"].font.bold and sheet["B1"].font.bold
    assert sheet.column_dimensions["B"].width == len("Причина ошибки в строке файла") + 3
