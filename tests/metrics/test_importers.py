"""The weekly activity file parser: formats, header matching, cell rules, hostile files.

Pure tests: no database (the messages need only the settings, for gettext).
"""

import csv
import dataclasses
import io
import random
import struct
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from metrics.counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from metrics.importers import (
    FileRejected,
    ParsedRow,
    ParseResult,
    RowError,
    column_label,
    monday_of,
    parse_upload,
    template_headers,
)

MB = 1024 * 1024
HEADERS = template_headers()
# One table, written in every format below: (org_id, name, kind, municipality, week, 10 counts).
TABLE = [
    ["1001", "МБОУ «СОШ № 1»", "ОО", "г. Новосибирск", "2025-08-06", 40, 31, 500, 120, 900, 210, 3, 2, 1200, 400],
    ["1002", "Детский сад «Ёлочка; 5»", "ДОО", "Искитимский р-н", "2025-08-04", 25, 25, 0, 0, 80, 10, 0, 0, 110, 0],
    ["R-54", "Минобразования", "РОИВ", "", "2025-08-10", 120, 100, 0, 0, 0, 0, 90, 85, 95, 95],
]
# Kinds become codes and every date the Monday of its week; the rest is kept as written.
EXPECTED = [
    ParsedRow(line, org_id, name, kind, municipality, date(2025, 8, 4), None, tuple(counts))
    for line, kind, (org_id, name, _, municipality, _, *counts) in zip(
        (2, 3, 4), ("school", "preschool", "authority_regional"), TABLE, strict=True
    )
]
REQUIRED_RUSSIAN = [
    "ID организации",
    "Работники всего",
    "Работники активные",
    "Обучающиеся всего",
    "Обучающиеся активные",
    "Родители всего",
    "Родители активные",
    "Пользователи Сферума всего",
    "Пользователи только в MAX",
]


def csv_bytes(rows, *, delimiter=";", encoding="utf-8", header=None) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS if header is None else header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=None, epoch=None) -> bytes:
    workbook = openpyxl.Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    sheet = workbook.active
    sheet.append(HEADERS if header is None else header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse(data: bytes, *, filename="activity.csv", max_bytes=10 * MB, **kwargs) -> ParseResult:
    return parse_upload(data, filename=filename, max_bytes=max_bytes, **kwargs)


def row(org_id="1001", *counts, kind="ОО", week="2025-08-04", name="Школа", municipality="Город"):
    """A data row in template order; counts default to a valid set."""
    counts = counts or (10, 5, 100, 50, 80, 40, 2, 1, 150, 60)
    return [org_id, name, kind, municipality, week, *counts]


def rejected(data: bytes, **kwargs) -> str:
    with pytest.raises(FileRejected) as caught:
        parse(data, **kwargs)
    assert caught.value.message == str(caught.value)
    return caught.value.message


def only_error(result: ParseResult) -> RowError:
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_csv_encoding_and_delimiter_gives_the_same_rows(encoding, delimiter):
    result = parse(csv_bytes(TABLE, delimiter=delimiter, encoding=encoding))

    assert result.errors == []
    assert result.rows == EXPECTED
    assert result.rows_total == 3
    assert result.has_week_column and not result.has_region_column


def test_xlsx_gives_the_same_rows_as_csv():
    result = parse(xlsx_bytes(TABLE), filename="activity.xlsx")

    assert result.errors == []
    assert result.rows == EXPECTED


def test_format_is_detected_from_content_not_extension():
    assert parse(xlsx_bytes(TABLE), filename="activity.csv").rows == EXPECTED
    assert parse(csv_bytes(TABLE), filename="activity.xlsx").rows == EXPECTED


def test_a_file_object_is_read_like_bytes():
    with io.BytesIO(csv_bytes(TABLE, encoding="cp1251")) as source:
        assert parse_upload(source, filename="a.csv", max_bytes=MB).rows == EXPECTED


def test_a_bom_does_not_hide_the_first_header_even_when_doubled():
    result = parse(b"\xef\xbb\xbf\xef\xbb\xbf" + csv_bytes(TABLE))

    assert result.errors == []
    assert result.rows == EXPECTED


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks():
    name = 'Школа "Радуга"; корпус 2\nул. Ленина, 1'
    result = parse(csv_bytes([row(name=name)], delimiter=";"))

    assert result.rows[0].org_name == name


def test_excel_sep_hint_line_sets_the_delimiter_and_is_not_counted():
    data = b"sep=,\r\n" + csv_bytes([row(), row("1002", 1, 1, 1, 1, 1, 1, 1, 1, 1, 5)], delimiter=",")

    result = parse(data)

    assert [r.line for r in result.rows] == [2]
    assert only_error(result).line == 3


def test_old_mac_line_endings_are_read():
    data = csv_bytes(TABLE).replace(b"\r\n", b"\r")

    assert parse(data).rows == EXPECTED


# --- headers -----------------------------------------------------------------------------------


def test_english_headers_are_accepted():
    english = ["org_id", "org_name", "org_kind", "municipality", "week", *COUNT_FIELDS]

    assert parse(csv_bytes(TABLE, header=english)).rows == EXPECTED


def test_headers_match_case_insensitively_ignoring_padding_and_nbsp():
    header = [f"  {name.upper()}\u00a0" if i % 2 else f"\t{name.lower()} " for i, name in enumerate(HEADERS)]
    header[0] = "\u00a0id  ОРГАНИЗАЦИИ"

    result = parse(csv_bytes(TABLE, header=header, delimiter=","))

    assert result.rows == EXPECTED


@pytest.mark.parametrize("alias", ["id организации", "Идентификатор организации", "ORG_ID", "Org Id"])
def test_org_id_aliases(alias):
    assert parse(csv_bytes(TABLE, header=[alias, *HEADERS[1:]])).rows == EXPECTED


def test_unknown_columns_are_ignored_and_columns_may_come_in_any_order():
    header = ["Примечание", *reversed(HEADERS), "Ещё столбец"]
    rows = [["что угодно", *reversed(r), "x"] for r in TABLE]

    assert parse(csv_bytes(rows, header=header)).rows == EXPECTED


def test_errors_name_the_column_as_written_in_the_file():
    header = list(HEADERS)
    header[5] = "  работники ВСЕГО "

    error = only_error(parse(csv_bytes([row("1001", "x", 5, 100, 50, 80, 40, 2, 1, 150, 60)], header=header)))

    assert error.column == "работники ВСЕГО"


def test_missing_required_columns_are_listed_in_one_message():
    header = [h for h in HEADERS if h not in ("Работники всего", "Родители активные")]

    message = rejected(csv_bytes([], header=header))

    assert message == "В файле нет обязательных столбцов: «Работники всего», «Родители активные»"


def test_a_header_of_optional_columns_lists_every_required_one_in_order():
    message = rejected(csv_bytes([], header=["Наименование организации", "Неделя"]))

    assert message == "В файле нет обязательных столбцов: " + ", ".join(f"«{name}»" for name in REQUIRED_RUSSIAN)


def test_a_single_missing_column_is_named():
    message = rejected(csv_bytes([], header=HEADERS[1:]))

    assert message == "В файле нет обязательного столбца «ID организации»"


def test_officials_columns_are_optional_and_zero_when_absent():
    header = [h for h in HEADERS if not h.startswith("Должностные")]
    rows = [r[:11] + r[13:] for r in TABLE]

    result = parse(csv_bytes(rows, header=header))

    assert result.errors == []
    assert [r.counts[6:8] for r in result.rows] == [(0, 0)] * 3
    assert [r.counts[:6] + r.counts[8:] for r in result.rows] == [e.counts[:6] + e.counts[8:] for e in EXPECTED]


def test_one_officials_column_without_the_other_is_rejected():
    header = [h for h in HEADERS if h != "Должностные лица активные"]

    assert "«Должностные лица активные»" in rejected(csv_bytes([], header=header))


def test_a_column_given_twice_is_rejected_by_name():
    header = [*HEADERS, "staff_total"]

    message = rejected(csv_bytes([[*row(), 1]], header=header))

    assert "«Работники всего»" in message
    assert "дважды" in message


def test_a_first_row_without_known_headers_asks_for_the_header():
    message = rejected("Отчёт за неделю;;;\r\n1001;5;6\r\n".encode("cp1251"))

    assert "заголов" in message
    assert "«ID организации»" in message


def test_blank_rows_above_the_header_are_skipped_and_lines_stay_true():
    data = b";;;\r\n\r\n" + csv_bytes([row(), row("1002", 1, 2, 1, 1, 1, 1, 1, 1, 1, 1)])

    result = parse(data)

    assert [r.line for r in result.rows] == [4]
    assert only_error(result).line == 5


def test_template_headers_are_russian_in_canonical_order():
    assert HEADERS[:5] == ["ID организации", "Наименование организации", "Тип организации", "Муниципалитет", "Неделя"]
    assert HEADERS[5:] == [
        "Работники всего",
        "Работники активные",
        "Обучающиеся всего",
        "Обучающиеся активные",
        "Родители всего",
        "Родители активные",
        "Должностные лица всего",
        "Должностные лица активные",
        "Пользователи Сферума всего",
        "Пользователи только в MAX",
    ]
    english = ["org_id", "org_name", "org_kind", "municipality", "week", *COUNT_FIELDS]
    assert parse(csv_bytes(TABLE, header=english)).rows == parse(csv_bytes(TABLE)).rows


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1 234", "1\u00a0234", "1\u202f234", " 1 234 ", "1 234 567"])
def test_thousands_separators_are_accepted(text):
    result = parse(csv_bytes([row("1001", "9 999 999", 5, text, 0, 0, 0, 0, 0, 0, 0)]))

    assert result.errors == []
    assert result.rows[0].counts[0] == 9_999_999
    assert result.rows[0].counts[2] == int(text.replace(" ", "").replace("\u00a0", "").replace("\u202f", ""))


@pytest.mark.parametrize("text", ["12,5", "12.5", "-3", "abc", "1e3", "1 23", "12 3456", "=A1+1", "0x10", "½"])
def test_non_integers_are_row_errors(text):
    error = only_error(parse(csv_bytes([row("1001", 10, text, 100, 50, 80, 40, 2, 1, 150, 60)])))

    assert (error.line, error.column, error.value) == (2, "Работники активные", text)
    assert error.message == f"Значение «{text.strip()}» не является целым неотрицательным числом"


def test_a_blank_required_count_is_an_error():
    error = only_error(parse(csv_bytes([row("1001", 10, 5, 100, 50, 80, 40, 2, 1, 150, "  ")])))

    assert (error.line, error.column, error.message) == (2, "Пользователи только в MAX", "Пустое значение")


def test_a_short_row_reports_its_missing_counts_as_blank():
    result = parse(csv_bytes([["1001", "Школа", "ОО", "Город", "2025-08-04", 10, 5]]))

    assert {e.column for e in result.errors} == set(HEADERS[7:])
    assert {e.message for e in result.errors} == {"Пустое значение"}


def test_numbers_beyond_the_database_integer_are_errors():
    error = only_error(parse(csv_bytes([row("1001", 10, 5, 100, 50, 80, 40, 2, 1, "2147483648", 60)])))

    assert error.column == "Пользователи Сферума всего"
    assert "больше допустимого" in error.message


def test_xlsx_whole_floats_are_integers_and_fractions_are_errors():
    result = parse(xlsx_bytes([row("1001", 10.0, 5.0, 100, 50, 80, 40, 2, 1, 150, 60.5)]), filename="a.xlsx")

    error = only_error(result)
    assert (error.column, error.value) == ("Пользователи только в MAX", "60.5")


# --- row rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("active", "total"), ACTIVE_TOTAL_PAIRS)
def test_active_above_total_is_an_error_on_the_active_column(active, total):
    counts = dict(zip(COUNT_FIELDS, (10, 5, 100, 50, 80, 40, 2, 1, 150, 60), strict=True))
    counts[active] = counts[total] + 1

    error = only_error(parse(csv_bytes([row("1001", *counts.values())])))

    active_header = HEADERS[5 + COUNT_FIELDS.index(active)]
    total_header = HEADERS[5 + COUNT_FIELDS.index(total)]
    assert (error.line, error.column, error.value) == (2, active_header, str(counts[total] + 1))
    assert error.message == f"Значение {counts[total] + 1} больше, чем «{total_header}» ({counts[total]})"


def test_active_equal_to_total_is_fine():
    assert parse(csv_bytes([row("1001", 5, 5, 0, 0, 7, 7, 1, 1, 9, 9)])).errors == []


@pytest.mark.parametrize("org_id", ["", "   "])
def test_a_row_without_org_id_is_an_error(org_id):
    error = only_error(parse(csv_bytes([row(org_id)])))

    assert (error.line, error.column, error.message) == (2, "ID организации", "Не указан ID организации")


def test_org_ids_are_stripped_and_xlsx_numeric_ids_lose_the_float_suffix():
    assert parse(csv_bytes([row("  77-001 ")])).rows[0].org_id == "77-001"
    assert parse(xlsx_bytes([row(12345)]), filename="a.xlsx").rows[0].org_id == "12345"
    assert parse(xlsx_bytes([row(12345.0)]), filename="a.xlsx").rows[0].org_id == "12345"


def test_too_long_texts_are_errors():
    result = parse(csv_bytes([row("9" * 65, name="Ш" * 501, municipality="М" * 256)]))

    assert [e.column for e in result.errors] == ["ID организации", "Наименование организации", "Муниципалитет"]
    assert all(len(e.value) <= 200 for e in result.errors)


def test_the_same_org_twice_in_one_week_is_an_error_naming_the_earlier_line():
    rows = [row("1001", week="2025-08-04"), row("1002"), row("1001", week="07.08.2025")]

    result = parse(csv_bytes(rows))

    error = only_error(result)
    assert (error.line, error.column, error.value) == (4, "ID организации", "1001")
    assert "строке 2" in error.message
    assert [r.line for r in result.rows] == [2, 3]


def test_the_same_org_in_different_weeks_is_fine():
    result = parse(csv_bytes([row("1001", week="2025-08-04"), row("1001", week="2025-08-11")]))

    assert result.errors == []
    assert [r.week for r in result.rows] == [date(2025, 8, 4), date(2025, 8, 11)]


def test_the_same_org_twice_without_a_week_column_is_an_error():
    header = [h for h in HEADERS if h != "Неделя"]
    rows = [r[:4] + r[5:] for r in (row("1001"), row("1001"))]

    error = only_error(parse(csv_bytes(rows, header=header)))

    assert error.line == 3


def test_every_error_of_every_row_is_reported_in_line_order():
    rows = [
        row("1001", 10, 11, 100, 50, 80, 40, 2, 1, 150, 60),  # one error
        row("1002"),
        row("", "x", 5, "1,5", 50, 80, 40, 2, 1, 150, 60, kind="школа", week="вчера"),  # five errors
        row("1004", 10, 5, 100, 50, 80, 90, 2, 1, 150, 60),  # one error
    ]

    result = parse(csv_bytes(rows))

    assert [e.line for e in result.errors] == [2, 4, 4, 4, 4, 4, 5]
    assert {e.column for e in result.errors if e.line == 4} == {
        "ID организации",
        "Тип организации",
        "Неделя",
        "Работники всего",
        "Обучающиеся всего",
    }
    assert [r.line for r in result.rows] == [3]
    assert result.rows_total == 4
    assert all(e.message and e.value is not None for e in result.errors)


def test_error_values_are_cut_to_200_characters():
    error = only_error(parse(csv_bytes([row("1001", "7" * 5000, 5, 100, 50, 80, 40, 2, 1, 150, 60)])))

    assert len(error.value) == 200
    assert len(error.message) < 200


def test_blank_rows_are_skipped_and_not_counted():
    data = csv_bytes([row("1001"), ["", "", "", "", "", "", "", "", "", "", "", "", "", "", ""], row("1002")])
    data = data.replace(b"\r\n1002", b"\r\n\r\n \r\n1002")

    result = parse(data)

    assert result.errors == []
    assert [r.line for r in result.rows] == [2, 6]
    assert result.rows_total == 2


def test_formulas_are_plain_text():
    result = parse(csv_bytes([row('=HYPERLINK("x")', name="=1+2")]))

    assert result.rows[0].org_name == "=1+2"
    assert result.rows[0].org_id == '=HYPERLINK("x")'


def test_progress_is_reported_every_5000_rows():
    rows = [row(str(i)) for i in range(12_000)]
    seen = []

    result = parse(csv_bytes(rows), progress=lambda done, expected: seen.append((done, expected)))

    # With the file's line count (the header's line too), so that a page shows how far it is.
    assert seen == [(5000, 12_001), (10000, 12_001)]
    assert len(result.rows) == 12_000


def test_an_xlsx_reports_its_progress_against_the_sheets_height():
    seen = []
    parse(
        xlsx_bytes([row(str(i)) for i in range(5_500)]),
        filename="activity.xlsx",
        progress=lambda done, expected: seen.append((done, expected)),
    )
    assert seen == [(5000, 5_501)]


# --- kinds, weeks, regions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ДОО", "preschool"),
        ("оо", "school"),
        (" СПО ", "college"),
        ("До", "extra"),
        ("РОИВ", "authority_regional"),
        ("омсу", "authority_municipal"),
        ("school", "school"),
        ("AUTHORITY_MUNICIPAL", "authority_municipal"),
        ("OO", "school"),  # Latin letters that look Cyrillic
        ("", None),
    ],
)
def test_kinds_by_code_or_abbreviation(text, kind):
    result = parse(csv_bytes([row(kind=text)]))

    assert result.errors == []
    assert result.rows[0].org_kind == kind


def test_an_unknown_kind_is_an_error_listing_the_valid_ones():
    error = only_error(parse(csv_bytes([row(kind="Школа")])))

    assert (error.column, error.value) == ("Тип организации", "Школа")
    assert "ДОО, ОО, СПО, ДО, РОИВ, ОМСУ" in error.message


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2025-08-04", date(2025, 8, 4)),
        ("2025-08-10", date(2025, 8, 4)),
        ("2025-08-10 23:59:00", date(2025, 8, 4)),
        ("07.08.2025", date(2025, 8, 4)),
        ("7.8.2025", date(2025, 8, 4)),
        ("07.08.2025 0:00:00", date(2025, 8, 4)),
        ("45873", date(2025, 8, 4)),  # Excel serial of 2025-08-04, a date cell formatted as "General"
        ("45879.75", date(2025, 8, 4)),
        ("2025-01-01", date(2024, 12, 30)),  # ISO week 1 of 2025 starts in 2024
        ("", None),
    ],
)
def test_week_text_is_normalised_to_its_monday(text, monday):
    result = parse(csv_bytes([row(week=text)]))

    assert result.errors == []
    assert result.rows[0].week == monday


@pytest.mark.parametrize(
    "text", ["2025-13-01", "31.02.2025", "08/04/2025", "4 августа", "2025-W32", "04.08.25", "1900-01-01"]
)
def test_unreadable_weeks_are_errors(text):
    error = only_error(parse(csv_bytes([row(week=text)])))

    assert (error.line, error.column, error.value) == (2, "Неделя", text)
    assert error.message.startswith("Дата «")


@pytest.mark.parametrize(
    "cell", [date(2025, 8, 7), datetime(2025, 8, 9, 18, 30), 45876, 45876.0, "07.08.2025", "2025-08-07"]
)
def test_xlsx_week_cells_of_every_kind(cell):
    result = parse(xlsx_bytes([row(week=cell)]), filename="a.xlsx")

    assert result.errors == []
    assert result.rows[0].week == date(2025, 8, 4)


def test_xlsx_serials_follow_the_1904_calendar_of_old_mac_workbooks():
    serial_1904 = (date(2025, 8, 7) - date(1904, 1, 1)).days
    data = xlsx_bytes([row(week=serial_1904)], epoch=CALENDAR_MAC_1904)

    assert parse(data, filename="a.xlsx").rows[0].week == date(2025, 8, 4)


def test_parsed_rows_are_ordinary_frozen_dataclasses():
    parsed = parse(csv_bytes(TABLE)).rows[0]

    assert parsed == EXPECTED[0]
    assert hash(parsed) == hash(EXPECTED[0])
    assert dataclasses.replace(parsed, org_id="2") == dataclasses.replace(EXPECTED[0], org_id="2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.org_id = "2"


def test_column_label_gives_the_template_header():
    assert column_label("staff_active") == "Работники активные"
    assert column_label("region") == "Код региона"
    assert column_label("something_else") == "something_else"


def test_monday_of():
    assert monday_of(date(2025, 8, 4)) == date(2025, 8, 4)
    assert monday_of(date(2025, 8, 10)) == date(2025, 8, 4)


@pytest.mark.parametrize(("text", "code"), [("7", "07"), ("07", "07"), (" 77 ", "77"), ("", None)])
def test_region_codes_are_two_digits(text, code):
    result = parse(csv_bytes([[*row(), text]], header=[*HEADERS, "Код региона"]))

    assert result.errors == []
    assert result.has_region_column
    assert result.rows[0].region_code == code


@pytest.mark.parametrize("header", ["region", "Регион", "КОД РЕГИОНА"])
def test_region_column_aliases(header):
    assert parse(csv_bytes([[*row(), "54"]], header=[*HEADERS, header])).rows[0].region_code == "54"


@pytest.mark.parametrize("text", ["077", "0", "Москва", "7.5", "-7"])
def test_bad_region_codes_are_errors(text):
    error = only_error(parse(csv_bytes([[*row(), text]], header=[*HEADERS, "Код региона"])))

    assert (error.column, error.value) == ("Код региона", text)


def test_xlsx_numeric_region_code_is_padded():
    result = parse(xlsx_bytes([[*row(), 7]], header=[*HEADERS, "Регион"]), filename="a.xlsx")

    assert result.rows[0].region_code == "07"


# --- files that are not tables ----------------------------------------------------------------


def test_an_empty_file_is_rejected():
    assert rejected(b"") == "Файл пуст"
    assert rejected(b" \r\n\r\n;;;\r\n") == "Файл пуст"


def test_headers_only_is_rejected():
    assert rejected(csv_bytes([])) == "В файле нет строк с данными"
    assert rejected(csv_bytes([[""] * 15, [""] * 15])) == "В файле нет строк с данными"
    assert rejected(xlsx_bytes([]), filename="a.xlsx") == "В файле нет строк с данными"


def test_an_empty_xlsx_sheet_is_rejected():
    assert rejected(xlsx_bytes([], header=[]), filename="a.xlsx") == "Файл пуст"


def test_a_file_over_the_limit_is_rejected_naming_the_limit_in_mb():
    data = csv_bytes([row(str(i)) for i in range(40_000)])
    assert len(data) > 2 * MB

    assert rejected(data, max_bytes=2 * MB) == "Файл больше допустимых 2 МБ"


def test_an_oversized_stream_is_not_read_beyond_the_limit():
    source = io.BytesIO(b"x" * (5 * MB))

    with pytest.raises(FileRejected):
        parse_upload(source, filename="a.csv", max_bytes=MB)
    assert source.tell() == MB + 1


def test_a_stream_returning_short_reads_is_read_to_the_end():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def read(self, size=-1):
            chunk, self.data = self.data[:7], self.data[7:]
            return chunk

    assert parse_upload(Trickle(csv_bytes(TABLE)), filename="a.csv", max_bytes=MB).rows == EXPECTED


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        bytes(range(256)) * 8,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\x00>>",
        csv_bytes(TABLE).replace(b"1002", b"10\x0002"),
    ],
)
def test_binary_junk_is_not_a_table(data):
    assert rejected(data) == "Файл не является таблицей CSV или XLSX"


def test_control_characters_without_nul_are_not_a_table():
    junk = bytes(b for b in random.Random(7).randbytes(4096) if b not in (0, 0x98))

    assert rejected(junk) == "Файл не является таблицей CSV или XLSX"


def test_undecodable_text_is_not_a_table():
    data = csv_bytes(TABLE, encoding="cp1251") + b"1004;\x98"  # 0x98 is the one byte cp1251 lacks

    assert rejected(data) == "Файл не является таблицей CSV или XLSX"


def test_mixed_encodings_are_rejected():
    data = csv_bytes(TABLE[:2], encoding="utf-8") + csv_bytes(TABLE[2:], encoding="cp1251").split(b"\r\n", 1)[1]

    assert "смешаны кодировки" in rejected(data)


def test_a_cp1251_file_is_not_mistaken_for_mixed_encodings():
    names = ["ООО «ТЕСТ»", "СОШ «РОСТ» — филиал", "Р«С»Т»", "ЁЖИК ёж №5"]
    rows = [row(str(i), name=name) for i, name in enumerate(names)]

    assert [r.org_name for r in parse(csv_bytes(rows, encoding="cp1251")).rows] == names


def test_utf16_old_xls_and_opendocument_get_their_own_advice():
    assert "UTF-16" in rejected("ID организации\t".encode("utf-16"))
    assert "XLS" in rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, filename="a.xls")
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument" in rejected(ods.getvalue(), filename="a.ods")


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 100,
        b"PK\x05\x06" + b"\x00" * 18,
        xlsx_bytes(TABLE)[:2000],
    ],
)
def test_a_broken_zip_is_not_a_workbook(data):
    assert rejected(data, filename="a.xlsx") == "Файл повреждён или не является книгой Excel (XLSX)"


def test_a_zip_that_is_not_a_workbook_is_rejected():
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")

    assert rejected(docx.getvalue(), filename="a.docx") == "Файл повреждён или не является книгой Excel (XLSX)"


def test_binary_junk_named_xlsx_says_it_is_not_a_workbook():
    assert rejected(b"\x00\x01\x02junk", filename="report.XLSX") == "Файл повреждён или не является книгой Excel (XLSX)"


# --- hostile shapes ----------------------------------------------------------------------------


def zip_bomb(inflated_size: int) -> bytes:
    """An xlsx-shaped zip whose sheet inflates to ``inflated_size`` bytes of spaces."""
    sheet = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
    sheet.compress_type = zipfile.ZIP_DEFLATED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open(sheet, "w") as member:
            chunk = b" " * MB
            for _ in range(inflated_size // MB):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_opened(monkeypatch):
    def must_not_open(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    bomb = zip_bomb(64 * MB)
    assert len(bomb) < 200_000

    message = rejected(bomb, filename="a.xlsx", max_bytes=MB)

    assert "после распаковки" in message
    assert "20 МБ" in message


def test_a_zip_that_understates_its_sizes_is_refused():
    data = bytearray(xlsx_bytes([row(str(i)) for i in range(300)]))
    # Declare every member 10 bytes long, in the local headers and in the central directory.
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            struct.pack_into("<I", data, start + size_offset, 10)
            start = data.find(signature, start + 4)

    assert "XLSX" in rejected(bytes(data), filename="a.xlsx")


def test_an_encrypted_zip_entry_is_refused():
    data = bytearray(xlsx_bytes(TABLE))
    start = data.find(b"PK\x01\x02")
    while start != -1:
        data[start + 8] |= 0x1
        start = data.find(b"PK\x01\x02", start + 4)

    assert "паролем" in rejected(bytes(data), filename="a.xlsx")


def edited_sheet(data: bytes, *replacements: tuple[bytes, bytes]) -> bytes:
    """The workbook with its first sheet's XML edited; every replacement must apply."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                for old, new in replacements:
                    assert old in content
                    content = content.replace(old, new)
            target.writestr(item, content)
    return out.getvalue()


FORGED_DIMENSION = (b'<dimension ref="A1:O4" />', b'<dimension ref="A1:XFD1048576" />')


def test_a_wrong_sheet_dimension_is_ignored():
    data = edited_sheet(xlsx_bytes(TABLE), FORGED_DIMENSION)

    assert parse(data, filename="a.xlsx").rows == EXPECTED


def test_a_row_number_beyond_excel_limits_is_refused_without_walking_to_it():
    far_row = b'<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    data = edited_sheet(xlsx_bytes(TABLE), FORGED_DIMENSION, (b"</sheetData>", far_row))

    assert rejected(data, filename="a.xlsx") == "Файл повреждён или не является книгой Excel (XLSX)"


def test_a_10_mb_single_line_is_refused():
    assert "длиннее" in rejected(b"x" * (10 * MB), max_bytes=20 * MB)
    assert "длиннее" in rejected(b'"' + b"x" * (10 * MB), max_bytes=20 * MB)


def test_a_10_mb_data_line_is_refused_naming_the_line():
    data = csv_bytes([row()]) + b"1002;" + b"7" * (10 * MB) + b"\r\n"

    assert "Строка 3" in rejected(data, max_bytes=20 * MB)


def test_a_million_columns_are_refused():
    header = ";".join(f"c{i}" for i in range(1_000_000)).encode()

    assert "больше 200 столбцов" in rejected(header, max_bytes=20 * MB)


def test_a_million_columns_in_a_data_row_are_refused():
    data = csv_bytes([row()]) + b";" * 1_000_000 + b"\r\n"

    assert "длиннее" in rejected(data, max_bytes=20 * MB)


def test_a_wide_header_within_the_first_line_limit_is_refused():
    header = ";".join([*HEADERS, *(f"extra{i}" for i in range(300))])

    assert "больше 200 столбцов" in rejected(header.encode() + b"\r\n1;2\r\n")


def test_trailing_empty_header_cells_do_not_count_as_columns():
    data = csv_bytes([[*row(), *[""] * 300]], header=[*HEADERS, *[""] * 300])

    assert parse(data).errors == []


def test_an_unterminated_quote_over_a_huge_field_is_refused():
    data = csv_bytes([row()]) + b'1002;"' + b"x\r\n" * 60_000

    assert "CSV" in rejected(data)


# --- properties --------------------------------------------------------------------------------

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPOTHESIS
@given(st.binary(max_size=4096) | st.binary(max_size=512).map(lambda b: b"PK\x03\x04" + b))
def test_random_bytes_give_rows_or_file_rejected(data):
    try:
        result = parse(data, max_bytes=MB)
    except FileRejected as rejected_file:
        assert rejected_file.message
        return
    assert isinstance(result, ParseResult)


VALID_HEADERS = [*HEADERS, "Код региона", "org_id", "staff_total", "week"]
CELLS = st.one_of(
    st.sampled_from(
        [
            "0",
            "7",
            "1 234",
            "1\u00a0000",
            "12,5",
            "-3",
            "abc",
            "1e3",
            "",
            " ",
            "ОО",
            "school",
            "2025-08-04",
            "07.08.2025",
            "45873",
            "31.02.2025",
            "77",
            '"',
            ";",
            "\r\n",
            "=1+2",
            "9" * 30,
        ]
    ),
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.text(max_size=12),
)


def _assert_well_formed(result: ParseResult) -> None:
    assert result.rows_total >= len(result.rows)
    error_lines = {e.line for e in result.errors}
    assert [e.line for e in result.errors] == sorted(e.line for e in result.errors)
    for error in result.errors:
        assert error.line >= 2
        assert error.message
        assert any("а" <= ch.lower() <= "я" for ch in error.message)
        assert len(error.value) <= 200
    for parsed in result.rows:
        assert parsed.line not in error_lines
        assert len(parsed.counts) == len(COUNT_FIELDS)
        assert all(isinstance(c, int) and c >= 0 for c in parsed.counts)
        assert parsed.week is None or parsed.week.weekday() == 0


@HYPOTHESIS
@given(
    header=st.lists(st.sampled_from(VALID_HEADERS) | st.text(max_size=10), min_size=1, max_size=20),
    rows=st.lists(st.lists(CELLS, max_size=20), max_size=12),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
)
def test_random_tables_parse_or_are_rejected(header, rows, delimiter, encoding):
    try:
        data = csv_bytes(rows, header=header, delimiter=delimiter, encoding=encoding)
    except UnicodeEncodeError:
        data = csv_bytes(rows, header=header, delimiter=delimiter, encoding="utf-8")
    try:
        result = parse(data)
    except FileRejected as rejected_file:
        assert rejected_file.message
        return
    _assert_well_formed(result)


@HYPOTHESIS
@given(rows=st.lists(st.lists(CELLS, min_size=15, max_size=16), min_size=1, max_size=8))
def test_random_cells_under_the_template_header_parse_or_are_rejected(rows):
    try:
        result = parse(csv_bytes(rows))
    except FileRejected as rejected_file:
        assert rejected_file.message
        return
    _assert_well_formed(result)


XLSX_SAMPLE = xlsx_bytes(TABLE)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_xlsx_gives_rows_or_file_rejected(data):
    damaged = bytearray(XLSX_SAMPLE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        position = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1))
        damaged[position] = data.draw(st.integers(min_value=0, max_value=255))
    try:
        result = parse(bytes(damaged), filename="a.xlsx")
    except FileRejected as rejected_file:
        assert rejected_file.message
        return
    _assert_well_formed(result)


def test_workbook_with_a_forged_far_cell_is_read_without_a_dense_grid():
    """A cell at XFD1048576 would make the dense reader allocate 17 billion cells and abort the
    process; the pre-scan sends such a sheet to the streaming reader, which refuses it."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ID организации", "Работники всего"])
    sheet["XFD1048576"] = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileRejected):
        parse(buffer.getvalue(), filename="forged.xlsx")


def test_names_from_the_file_lose_their_bidi_controls():
    result = parse(csv_bytes([row(name="Школа\u202e №\u2066 5\u2069\u200f", municipality="\u061cГород\u202c")]))

    assert result.errors == []
    assert (result.rows[0].org_name, result.rows[0].municipality) == ("Школа № 5", "Город")


def test_errors_beyond_the_kept_ones_are_counted_by_column_and_reason_and_name_the_organisation():
    rows = [row(f"N-{i}", *(["n/a"] * 10), name=f"Школа {i}") for i in range(300)]
    rows.insert(1, row("", kind="XX", name="Без ID"))
    result = parse(csv_bytes(rows), errors_kept=25)
    log = result.error_log
    assert result.errors == log.kept and len(log.kept) == 25
    assert (log.total, log.rows) == (3_002, 301)
    assert [(e.line, e.org_id, e.org_name) for e in log.kept[:2]] == [(2, "N-0", "Школа 0")] * 2
    no_id = [e for e in log.kept if e.line == 3]
    assert [(e.reason, e.org_id) for e in no_id] == [
        ("Не указан ID организации", ""),
        ("Неизвестный тип организации", ""),
    ]
    assert log.counts[("Работники всего", "Не целое неотрицательное число")] == 300
    assert len(log.counts) == 12, "one entry per column and reason, not per value"
    assert sum(entry["not_kept"] for entry in log.summary()) == 3_002 - 25


def test_without_a_bound_every_error_is_kept_as_before():
    rows = [row(f"N-{i}", *(["n/a"] * 10)) for i in range(100)]
    result = parse(csv_bytes(rows))
    assert len(result.errors) == result.error_log.total == 1_000
