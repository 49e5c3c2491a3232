"""Streamed table downloads in constant memory, for pages and the API alike: CSV that Excel in
Russian opens right (UTF-8 BOM, `;`) as a StreamingHttpResponse, XLSX written row by row
(openpyxl write_only) to a temporary file and streamed from it.

Values stay what was sent: only a text that a spreadsheet would read as a formula gets a leading
apostrophe (OWASP, CWE-1236), so «=1+2» and «@SUM(A1)» are neutralised while «-5» stays «-5».
"""

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.http import FileResponse, StreamingHttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number (what a spreadsheet reads as a number, never as a formula): -5, +12, 3,5, -0.25.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
# Column widths of an XLSX sheet, in characters.
XLSX_MIN_WIDTH, XLSX_MAX_WIDTH = 6, 60
# Rows of CSV sent to the client per chunk.
_CSV_ROWS_PER_CHUNK = 500


def formula_safe(value):
    """The value, with a leading apostrophe where a spreadsheet would otherwise run it as a formula:
    a text starting with = + - @ (or a tab or a carriage return) that is not a plain number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y %H:%M" if isinstance(value, datetime) else "%d.%m.%Y")
    return formula_safe(str(value))


class _Line:
    """A file-like object whose write() hands back what csv.writer wrote."""

    def write(self, text: str) -> str:
        return text


def _csv_chunks(headers: list[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow([formula_safe(header) for header in headers])).encode()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([_csv_cell(value) for value in row]))
        if len(chunk) >= _CSV_ROWS_PER_CHUNK:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def csv_streaming_response(filename: str, headers: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """``filename``.csv, written as it is sent: the rows are read one by one from ``rows``."""
    response = StreamingHttpResponse(_csv_chunks(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_streaming_response(
    filename: str, headers: list[str], rows: Iterable[Iterable], *, title: str = "Данные"
) -> FileResponse:
    """``filename``.xlsx: openpyxl's write_only mode keeps one row in memory at a time, the workbook
    goes to a temporary file, and the response streams that file (closed and removed after)."""
    # Imported here: openpyxl is slow to import and most requests never need it.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    xlsx_header(sheet, headers)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in row])
        count += 1
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(spool)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_header(sheet, headers: list[str], widths: list[int] | None = None) -> None:
    """The first row of a write_only sheet: its headers in bold, frozen, the columns as wide as
    ``widths`` (characters; by default as wide as each header and its filter button). Column
    widths and panes go into the sheet's XML before its rows: call this before any row."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    widths = widths or [len(str(header)) + 3 for header in headers]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, XLSX_MIN_WIDTH), XLSX_MAX_WIDTH)
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=formula_safe(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)


def _xlsx_cell(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return formula_safe(value)


def table_streaming_response(fmt: str, filename: str, headers: list[str], rows: Iterable[Iterable], **kwargs):
    """A streamed download of one table as `csv` or `xlsx`."""
    if fmt == "xlsx":
        return xlsx_streaming_response(filename, headers, rows, **kwargs)
    return csv_streaming_response(filename, headers, rows)
