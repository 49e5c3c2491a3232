"""Table downloads: CSV that Excel in Russian opens right (UTF-8 BOM, `;`) and XLSX that is a
spreadsheet at once (real numbers, percentages and dates in their formats, «да»/«нет», a frozen
header with a filter, columns as wide as their content).

Both carry the values the pages show: a KPI share is truncated as ``percent`` truncates it.
Text cells that a spreadsheet would read as a formula are prefixed with `'` (OWASP, CWE-1236);
real numbers stay numeric.
"""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from sferum_migration.downloads import formula_safe, xlsx_header

from .templatetags.dashboard_tags import percent_number, shown_share

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# Column widths in characters: fitted to the longest value, within these bounds; the widths are
# measured on the first rows only (a long table is not read twice for them).
WIDTH_SAMPLE = 500


class Percent(float):
    """A KPI share (a fraction in [0, 1]) as the pages show it (truncated, ``shown_share``): a
    percentage in a spreadsheet, «87,8» in a CSV under a «…, %» header."""

    def __new__(cls, value):
        return super().__new__(cls, shown_share(value))


def _yes_no(value: bool) -> str:
    return _("да") if value else _("нет")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, Percent):
        return percent_number(value)
    if isinstance(value, float | Decimal):
        # As many decimals as the number has (up to four), with a decimal comma: «75,5».
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return formula_safe(str(value))


def csv_bytes(headers: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([formula_safe(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value):
    """The value a cell holds and its number format (None: General)."""
    if isinstance(value, bool):
        return _yes_no(value), None
    if isinstance(value, Percent):
        return float(value), PERCENT_FORMAT
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, Decimal):
        return float(value), None
    return formula_safe(value), None


def _shown_width(value, number_format) -> int:
    """How many characters a cell's value takes on the screen."""
    if value is None:
        return 0
    if number_format == PERCENT_FORMAT:
        return 7
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        return len(number_format)
    return len(str(value))


def xlsx_bytes(headers: list[str], rows, *, title: str | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or _("Данные"))[:31])
    rows = iter(rows)
    sample = [[_xlsx_value(value) for value in row] for _row, row in zip(range(WIDTH_SAMPLE), rows, strict=False)]
    # Dimensions, panes and the filter go into the sheet's XML before its rows: set them first.
    widths = [len(str(header)) + 3 for header in headers]  # the filter's button beside the bold header
    for row in sample:
        for index, (value, number_format) in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _shown_width(value, number_format) + 1)
    xlsx_header(sheet, headers, widths)
    count = 0
    for row in sample:
        sheet.append([_cell(sheet, value, number_format) for value, number_format in row])
        count += 1
    for row in rows:
        sheet.append([_cell(sheet, *_xlsx_value(value)) for value in row])
        count += 1
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value, number_format):
    if number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def table_response(fmt: str, filename: str, headers: list[str], rows) -> HttpResponse:
    """A download of one table as `csv` or `xlsx`."""
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(headers, rows), content_type=XLSX_TYPE)
        filename += ".xlsx"
    else:
        response = HttpResponse(csv_bytes(headers, rows), content_type="text/csv; charset=utf-8")
        filename += ".csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
