"""Parse an uploaded weekly activity file (DESIGN.md §5) into typed rows and Russian row errors.

Pure Python: no ORM, no HTTP, no Celery. Services check the rows against the registry and write them.
Every problem of a single cell is a ``RowError``; a file that is not a usable table at all raises
``FileRejected`` with one sentence for the user. Messages go through gettext like every other
user-facing string.
"""

import csv
import io
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import BinaryIO
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from regions.choices import KIND_ABBREVIATIONS, OrganisationKind
from regions.names import without_bidi_controls

from .counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from .kpi import WeekRange, accepted_weeks, monday_of

__all__ = [
    "FileRejected",
    "ParseResult",
    "ParsedRow",
    "RowError",
    "column_label",
    "monday_of",
    "parse_upload",
    "template_headers",
]

# Column -> the Russian header of the template, then further accepted aliases. The English name is
# always accepted too. Order is the template's order (DESIGN.md §5, counts in COUNT_FIELDS order).
_COLUMN_NAMES = {
    "org_id": ("ID организации", "Идентификатор организации"),
    "org_name": ("Наименование организации", "Название организации"),
    "org_kind": ("Тип организации",),
    "municipality": ("Муниципалитет", "Муниципальное образование"),
    "week": ("Неделя",),
    "staff_total": ("Работники всего",),
    "staff_active": ("Работники активные",),
    "students_total": ("Обучающиеся всего",),
    "students_active": ("Обучающиеся активные",),
    "parents_total": ("Родители всего",),
    "parents_active": ("Родители активные",),
    "officials_total": ("Должностные лица всего",),
    "officials_active": ("Должностные лица активные",),
    "sferum_total": ("Пользователи Сферума всего",),
    "sferum_max_only": ("Пользователи только в MAX",),
    # Only national files carry it (DESIGN.md §6), so it is not part of the template.
    "region": ("Код региона", "Регион", "Код субъекта", "region_code"),
}
_TEMPLATE_COLUMNS = tuple(name for name in _COLUMN_NAMES if name != "region")
_OPTIONAL_COUNTS = ("officials_total", "officials_active")
_REQUIRED = ("org_id", *(name for name in COUNT_FIELDS if name not in _OPTIONAL_COUNTS))
assert set(COUNT_FIELDS) <= set(_COLUMN_NAMES), "every count field needs a column in the file"

MAX_COLUMNS = 200
# A real row is a few hundred characters; longer physical lines are refused before the csv module
# splits them, so one hostile line cannot turn into millions of cell objects.
MAX_LINE_CHARS = 100_000
# The header must start within this many characters of the file.
HEADER_SCAN_CHARS = 64 * 1024
MAX_SHOWN_VALUE = 200
# Snapshot counts are PostgreSQL integers; larger numbers would fail only at write time.
MAX_COUNT = 2_147_483_647
# Lengths of regions.Organisation.org_id / .name and regions.Municipality.name.
ORG_ID_MAX = 64
ORG_NAME_MAX = 500
MUNICIPALITY_MAX = 255
# A genuine XLSX unpacks to a few times its size; a zip bomb to thousands of times.
XLSX_UNPACK_RATIO = 20
XLSX_MAX_UNPACKED = 500 * 1024 * 1024
XLSX_MAX_ENTRIES = 10_000
# The largest sheet grid (rows × columns) read by the fast dense reader: 90,000 × 16 is 1.4 million.
XLSX_DENSE_CELLS = 5_000_000
# What the readers hold in memory, bounded before either opens the workbook (_xlsx_survey):
# Excel's own limit of a cell's text; no string of the shared-strings part or of a sheet may be longer.
XLSX_TEXT_MAX = 32_767
# Each part unpacked, against the upload size limit (20 MB: 40 MB of shared strings, 200 MB a sheet).
# A national file of 90,000 organisations holds ~95,000 distinct texts in ~20 MB of shared strings.
XLSX_STRINGS_RATIO = 2
XLSX_SHEET_RATIO = 10
XLSX_MAX_STRINGS = 500_000
# calamine (the fast reader) builds the whole sheet: ~40 bytes a cell of its grid, the shared strings,
# and a copy of a shared string in every cell that shows it. Above this estimate openpyxl streams it.
XLSX_DENSE_BUDGET = 128 * 1024 * 1024
_XLSX_GRID_CELL_BYTES = 40
_XLSX_STRING_BYTES = 48  # a string's own overhead in calamine, beyond its characters
# Bytes without "<" longer than this are text no cell may hold (a character takes at most 10 bytes
# of XML, "&#1114111;") or a forged tag: refused while streaming, before any parser buffers them.
_XML_RUN_MAX = 10 * XLSX_TEXT_MAX + 1024
_XML_CHUNK = 1 << 20
_XML_ROOT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_SHEET_ROOTS = {b"worksheet", b"chartsheet", b"dialogsheet", b"macrosheet"}
# Cells and their references, without a namespace prefix (fast) and with one (calamine reads both);
# the index of a shared-string cell written the usual way, and that attribute written any way.
_XLSX_CELL = re.compile(rb"<c[\s>/]")
_XLSX_CELL_REF = re.compile(rb"<c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_XLSX_PREFIXED_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_XLSX_PREFIXED_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_XLSX_SHARED_VALUE = re.compile(rb't="s"><v>([0-9]{1,10})</v>')
_XLSX_SHARED_ATTR = re.compile(rb"\st\s*=\s*[\"']s[\"']")
_XLSX_UNUSUAL_ATTR = re.compile(rb"t(?:[ \t\r\n]+=|=[ \t\r\n'])")
EXCEL_MAX_ROWS = 1_048_576
PROGRESS_EVERY = 5000

_EXCEL_1900_BASE = date(1899, 12, 30)  # serial 1 is 1900-01-01, shifted by Lotus' phantom 1900-02-29
_EXCEL_1904_BASE = date(1904, 1, 1)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Digits grouped by thousands with a space, NBSP, narrow NBSP or thin space, as Excel shows "1 234".
_GROUPED_DIGITS = re.compile("[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3}){1,3}")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile("\r\n|\r|\n")
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
# Bytes mapped to UTF-8 roles: "L" for the lead byte of a Cyrillic letter (0xD0, 0xD1), "c" for a
# continuation byte. Three such letters in a row ("LcLcLc") never occur in Windows-1251 text, where
# 0xD0/0xD1 are the capitals Р/С and 0x80-0xBF punctuation and rare letters.
_UTF8_ROLES = bytes(
    ord("L") if byte in (0xD0, 0xD1) else ord("c") if 0x80 <= byte <= 0xBF else ord(".") for byte in range(256)
)
# Latin letters that look like Cyrillic ones, typed by mistake in abbreviations such as "OO".
_LATIN_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")

_KINDS = {kind.value: kind.value for kind in OrganisationKind}
_KINDS.update({abbreviation.lower(): kind.value for kind, abbreviation in KIND_ABBREVIATIONS.items()})
_KIND_LIST = ", ".join(KIND_ABBREVIATIONS.values())

# User-facing messages used in several places: marked here, translated where they are raised
# (never at import time, when no language is active yet).
MSG_EMPTY = gettext_noop("Файл пуст")
MSG_NO_ROWS = gettext_noop("В файле нет строк с данными")
MSG_NOT_TABLE = gettext_noop("Файл не является таблицей CSV или XLSX")
MSG_XLS = gettext_noop(
    "Файл сохранён в старом формате XLS или защищён паролем: сохраните его без пароля в формате XLSX "
    "или «CSV (разделители — точка с запятой)»"
)
MSG_UTF16 = gettext_noop("Файл сохранён в кодировке UTF-16: сохраните его в формате XLSX или «CSV UTF-8»")
MSG_ODS = gettext_noop("Файл сохранён в формате OpenDocument: сохраните его в формате XLSX или CSV")
MSG_BAD_XLSX = gettext_noop("Файл повреждён или не является книгой Excel (XLSX)")
MSG_ENCRYPTED = gettext_noop("Книга Excel защищена паролем: сохраните её без пароля")
MSG_MIXED_ENCODING = gettext_noop(
    "В файле смешаны кодировки UTF-8 и Windows-1251: сохраните его заново целиком в одной кодировке"
)
MSG_NO_SHEET = gettext_noop("В книге Excel нет листов с таблицей")
MSG_BLANK_COUNT = gettext_noop("Пустое значение")
MSG_NO_ORG_ID = gettext_noop("Не указан ID организации")


class FileRejected(Exception):
    """The file is not a usable table; .message is one clear Russian sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One valid data row of the file, converted to Python values."""

    line: int
    org_id: str
    org_name: str
    org_kind: str | None
    municipality: str
    week: date | None
    region_code: str | None
    counts: tuple[int, ...]


# A frozen dataclass's __init__ sets every field through object.__setattr__; setting the slots
# directly builds the same objects and takes about a tenth off parsing a national file.
_ROW_FIELDS = ("line", "org_id", "org_name", "org_kind", "municipality", "week", "region_code", "counts")
assert tuple(field.name for field in fields(ParsedRow)) == _ROW_FIELDS
_new_object = object.__new__
_set_line, _set_org_id, _set_org_name, _set_org_kind, _set_municipality, _set_week, _set_region, _set_counts = (
    getattr(ParsedRow, name).__set__ for name in _ROW_FIELDS
)


def _parsed_row(line, org_id, org_name, org_kind, municipality, week, region_code, counts) -> ParsedRow:
    """ParsedRow(...) without the per-field object.__setattr__ calls."""
    row = _new_object(ParsedRow)
    _set_line(row, line)
    _set_org_id(row, org_id)
    _set_org_name(row, org_name)
    _set_org_kind(row, org_kind)
    _set_municipality(row, municipality)
    _set_week(row, week)
    _set_region(row, region_code)
    _set_counts(row, counts)
    return row


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one cell (or of a whole row when ``column`` is empty)."""

    line: int
    column: str
    value: str
    message: str


@dataclass
class ParseResult:
    """The valid rows of a file and every error found in it."""

    rows: list[ParsedRow]
    errors: list[RowError]
    rows_total: int
    has_region_column: bool
    has_week_column: bool


def template_headers() -> list[str]:
    """The Russian header row of the template, in canonical order."""
    return [_COLUMN_NAMES[name][0] for name in _TEMPLATE_COLUMNS]


def parse_upload(
    source: BinaryIO | bytes,
    *,
    filename: str,
    max_bytes: int,
    progress: Callable[[int], None] | None = None,
    weeks: WeekRange | None = None,
) -> ParseResult:
    """Parse a CSV or XLSX weekly activity file; raise FileRejected if it is not a usable table.

    A «Неделя» cell outside ``weeks`` is a row error; None: the product's range (settings.WEEK_MIN
    to the week after this one, metrics.kpi.accepted_weeks)."""
    data = _read_bounded(source, max_bytes)
    if not data:
        raise FileRejected(_(MSG_EMPTY))
    read = _Reading(progress=progress, weeks=weeks or accepted_weeks())
    if data.startswith(b"PK\x03\x04"):
        return _parse_xlsx(data, max_bytes=max_bytes, read=read)
    if data.startswith(_OLE_MAGIC):
        raise FileRejected(_(MSG_XLS))
    if data.startswith(b"PK"):  # an empty or spanned zip archive
        raise FileRejected(_(MSG_BAD_XLSX))
    looks_like_xlsx = (filename or "").lower().endswith((".xlsx", ".xlsm"))
    return _parse_csv(data, read=read, not_text_message=_(MSG_BAD_XLSX) if looks_like_xlsx else _(MSG_NOT_TABLE))


@dataclass(frozen=True, slots=True)
class _Reading:
    """What every reader hands on to the row rules."""

    progress: Callable[[int], None] | None
    weeks: WeekRange


# --- reading the bytes -------------------------------------------------------------------------


def _read_bounded(source: BinaryIO | bytes, max_bytes: int) -> bytes:
    """All bytes of the source, refusing more than ``max_bytes`` without reading them all."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = source.read(max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileRejected(_("Файл больше допустимых %(size)s МБ") % {"size": _megabytes(max_bytes)})
    return data


def _grouped(number: int) -> str:
    """A number with Russian thousands separators: 100 000."""
    return f"{number:,}".replace(",", "\u00a0")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}".replace(".", ",")


# --- CSV ---------------------------------------------------------------------------------------


def _parse_csv(data: bytes, *, read: _Reading, not_text_message: str) -> ParseResult:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(_(MSG_UTF16))
    if b"\x00" in data:
        raise FileRejected(not_text_message)
    encoding = _csv_encoding(data)
    delimiter, preamble = _csv_dialect(data, encoding, not_text_message)

    # Decoded lazily, chunk by chunk: the whole text never exists at once next to the bytes.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(_bounded_lines(stream), delimiter=delimiter)
    try:
        for _skipped in range(preamble):
            next(reader)
        header_line, cells = _first_filled(enumerate(reader, 1))
        # The reader goes on from the row after the header, so the lines keep counting from there.
        return _parse_rows(reader, _map_header(cells), header_line=header_line, read=read)
    except csv.Error as error:
        raise FileRejected(
            _("Не удалось разобрать CSV в строке %(line)s: проверьте кавычки и разделители") % {"line": reader.line_num}
        ) from error
    except UnicodeDecodeError:
        raise FileRejected(not_text_message) from None


def _csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes decode strictly as such, else Windows-1251."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig"
    # Invalid UTF-8 that still holds UTF-8 Cyrillic words would decode as cp1251 into gibberish.
    if b"LcLcLc" in data.translate(_UTF8_ROLES):
        raise FileRejected(_(MSG_MIXED_ENCODING))
    # The one byte cp1251 cannot decode (0x98) is caught while reading, not by a second full pass.
    return "cp1251"


def _csv_dialect(data: bytes, encoding: str, not_text_message: str) -> tuple[str, int]:
    """The delimiter, chosen by counting in the header line, and how many preamble records to skip."""
    # Decoding a few bytes more than the scan window keeps a cut multibyte character out of the way.
    prefix = data[: HEADER_SCAN_CHARS * 2].decode(encoding, errors="ignore")[:HEADER_SCAN_CHARS]
    if len(_CONTROL_CHARS.findall(prefix)) * 100 > len(prefix):
        raise FileRejected(not_text_message)
    position = 0
    while True:
        found = _LINE_BREAK.search(prefix, position)
        line = prefix[position : found.start() if found else len(prefix)]
        if found is None and len(prefix) == HEADER_SCAN_CHARS:
            if max(line.count(d) for d in ";,\t") >= MAX_COLUMNS:
                raise FileRejected(_too_many_columns())
            raise FileRejected(
                _("Первая строка файла длиннее %(limit)s символов, а должна быть строкой заголовков")
                % {"limit": _grouped(HEADER_SCAN_CHARS)}
            )
        if line.strip(" \t;,\u00a0\ufeff"):
            break
        if found is None:
            raise FileRejected(_(MSG_EMPTY))
        position = found.end()
    # Excel's own hint line "sep=;" names the delimiter and is hidden when Excel opens the file.
    hint = line.strip(" ").lower()
    if position == 0 and len(hint) == 5 and hint.startswith("sep=") and hint[4] in ";,\t|":
        return hint[4], 1
    # csv.Sniffer picks "," for ";" files; the header line decides. Ties favour Excel's ";".
    delimiter = max((";", "\t", ","), key=line.count)
    return delimiter if line.count(delimiter) else ";", 0


def _bounded_lines(stream: Iterable[str]) -> Iterator[str]:
    """The physical lines of the text, refusing any longer than MAX_LINE_CHARS."""
    for number, line in enumerate(stream, 1):
        if len(line) > MAX_LINE_CHARS:
            raise FileRejected(
                _("Строка %(line)s файла длиннее %(limit)s символов: это не таблица активности")
                % {"line": number, "limit": _grouped(MAX_LINE_CHARS)}
            )
        yield line


def _first_filled(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first row with any text (the header) and its line; rows above it are skipped."""
    for line, cells in records:
        if any(cell.strip() for cell in cells):
            return line, cells
    raise FileRejected(_(MSG_EMPTY))


def _too_many_columns() -> str:
    return _("В первой строке больше %(limit)s столбцов: это не строка заголовков таблицы активности") % {
        "limit": MAX_COLUMNS
    }


# --- XLSX --------------------------------------------------------------------------------------


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)


def _parse_xlsx(data: bytes, *, max_bytes: int, read: _Reading) -> ParseResult:
    _check_xlsx_archive(data, max_bytes)
    try:
        dense_is_safe = _xlsx_survey(data, max_bytes)
    except _ZIP_ERRORS:
        raise FileRejected(_(MSG_BAD_XLSX)) from None
    if dense_is_safe:
        return _parse_xlsx_calamine(data, read=read)
    return _parse_xlsx_openpyxl(data, read=read)


def _msg_text_too_long() -> str:
    return _(
        "В книге Excel есть текст длиннее %(limit)s символов (больше, чем Excel допускает в ячейке): "
        "такой файл не принимается"
    ) % {"limit": _grouped(XLSX_TEXT_MAX)}


def _xlsx_survey(data: bytes, max_bytes: int) -> bool:
    """Stream every part once, in bounded memory, before any reader opens the workbook; refuse what
    no reader should hold (a part unpacked beyond its limit, a text longer than XLSX_TEXT_MAX, more
    than XLSX_MAX_STRINGS shared strings, XML that is not UTF-8 or declares entities); answer
    whether calamine may read it.

    calamine builds the sheet as a dense grid, with a copy of a shared string in every cell that
    shows it: a forged cell at XFD1048576, or one long string shown in 20,000 cells, would take
    gigabytes. It reads the workbook when every cell carries its reference, the grid is within
    XLSX_DENSE_CELLS and the estimate of what it holds within XLSX_DENSE_BUDGET; openpyxl streams
    the rest (one copy of each shared string). Parts are told apart by their root element, not by
    their names: the readers find them through the workbook's relationships and content types."""
    strings_limit, sheet_limit = XLSX_STRINGS_RATIO * max_bytes, XLSX_SHEET_RATIO * max_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml_parts = []
        # calamine reads its shared strings from this one path (openpyxl from the content types).
        calamine_strings = array("I")
        for entry in archive.infolist():
            with archive.open(entry) as part:
                kind = _xml_kind(part.read(4096))
            limit = sheet_limit if kind == "sheet" else strings_limit
            if entry.file_size > limit:
                raise FileRejected(_msg_part_too_large(entry, limit))
            if kind == "binary":
                continue
            xml_parts.append(entry)
            if kind == "xml":
                with archive.open(entry) as part:
                    lengths = _scan_strings(part)
                if entry.filename.lower() == "xl/sharedstrings.xml":
                    calamine_strings = lengths
        strings_bytes = sum(calamine_strings) + _XLSX_STRING_BYTES * len(calamine_strings)
        dense_is_safe = True
        # Every XML part, not only those whose root says "worksheet": the grid check must hold for
        # whatever part the relationships name as a sheet.
        for entry in xml_parts:
            with archive.open(entry) as part:
                sheet = _scan_sheet(part, calamine_strings)
            if sheet.long_text:  # a text run that may exceed XLSX_TEXT_MAX: count it exactly
                with archive.open(entry) as part:
                    _scan_strings(part, every_text=True)
            if not sheet.cells:
                continue
            estimate = sheet.grid * _XLSX_GRID_CELL_BYTES + sheet.shared_bytes + strings_bytes
            if sheet.inline_text:
                estimate += entry.file_size  # inline strings: each cell's own text, within the part
            if sheet.referenced < sheet.cells or sheet.grid > XLSX_DENSE_CELLS or estimate > XLSX_DENSE_BUDGET:
                dense_is_safe = False
    return dense_is_safe


def _msg_part_too_large(entry: zipfile.ZipInfo, limit: int) -> str:
    return _(
        "Часть книги Excel «%(part)s» после распаковки занимает больше %(limit)s МБ: такой файл не принимается"
    ) % {
        "part": entry.filename[:100],
        "limit": _megabytes(limit),
    }


def _xml_kind(head: bytes) -> str:
    """ "sheet", "xml" (any other XML part) or "binary" (images, printer settings) from a part's head;
    XML in another encoding than UTF-8 is refused (Excel writes UTF-8; the scans read UTF-8)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(_(MSG_BAD_XLSX))
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text and not text.startswith(b"<"):
        return "binary"
    declared = _XML_ENCODING.match(text)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise FileRejected(_(MSG_BAD_XLSX))
    root = _XML_ROOT.search(text)
    return "sheet" if root and root.group(1) in _SHEET_ROOTS else "xml"


def _xml_pieces(part: BinaryIO) -> Iterator[bytes]:
    """A part's bytes in pieces of about _XML_CHUNK, each cut just before a "<", so that no tag or
    text is split; a run without "<" longer than _XML_RUN_MAX is refused, never held whole."""
    tail = b""
    while chunk := part.read(_XML_CHUNK):
        text = tail + chunk
        cut = text.rfind(b"<")
        if cut <= 0:  # one run goes on across chunks
            if len(text) > _XML_RUN_MAX:
                raise FileRejected(_msg_text_too_long())
            tail = text
            continue
        tail = text[cut:]
        if len(tail) > _XML_RUN_MAX:
            raise FileRejected(_msg_text_too_long())
        yield text[:cut]
    if len(tail) > _XML_RUN_MAX:
        raise FileRejected(_msg_text_too_long())
    yield tail


def _longest_run_over(piece: bytes, limit: int) -> bool:
    """Whether the piece holds a run of more than ``limit`` bytes without "<", checked in linear time:
    windows of limit // 2 bytes, so that such a run fills at least one of them."""
    window = max(1, limit // 2)
    return any(piece.find(b"<", start, start + window) < 0 for start in range(0, len(piece) - window + 1, window))


@dataclass(slots=True)
class _SheetSurvey:
    cells: int = 0
    referenced: int = 0
    max_row: int = 0
    max_col: int = 0
    shared_bytes: int = 0  # the shared strings' bytes copied into the cells that show them
    inline_text: bool = False
    long_text: bool = False

    @property
    def grid(self) -> int:
        return self.max_row * self.max_col


def _scan_sheet(part: BinaryIO, strings: array) -> _SheetSurvey:
    """Cells, their references and the shared strings they show, from a streamed sheet part."""
    survey = _SheetSurvey()
    longest_string = max(strings, default=0)
    count = len(strings)
    for piece in _xml_pieces(part):
        prefixed = b":c" in piece  # "<x:c …>": the slower patterns, for this piece only
        survey.cells += len((_XLSX_PREFIXED_CELL if prefixed else _XLSX_CELL).findall(piece))
        references = (_XLSX_PREFIXED_CELL_REF if prefixed else _XLSX_CELL_REF).findall(piece)
        if references:
            columns, rows = zip(*references, strict=True)
            survey.referenced += len(references)
            survey.max_row = max(survey.max_row, max(map(int, rows)))
            survey.max_col = max(survey.max_col, max(map(_column_number, set(columns))))
        indexes = [index for index in map(int, _XLSX_SHARED_VALUE.findall(piece)) if index < count]
        survey.shared_bytes += sum(map(strings.__getitem__, indexes)) + _XLSX_STRING_BYTES * len(indexes)
        # A shared-string cell written another way (quotes, spaces, attribute order): the longest.
        written = piece.count(b't="s"')
        if _XLSX_UNUSUAL_ATTR.search(piece):
            written = len(_XLSX_SHARED_ATTR.findall(piece))
        if written > len(indexes):
            survey.shared_bytes += (written - len(indexes)) * (longest_string + _XLSX_STRING_BYTES)
        if not survey.inline_text and (b"inlineStr" in piece or b't="str"' in piece):
            survey.inline_text = True
        if not survey.long_text and _longest_run_over(piece, XLSX_TEXT_MAX):
            survey.long_text = True
    return survey


def _scan_strings(part: BinaryIO, *, every_text: bool = False) -> array:
    """The UTF-8 length of each shared string (``<si>``) of a streamed part; refuses one longer than
    XLSX_TEXT_MAX characters or more than XLSX_MAX_STRINGS of them. With ``every_text`` each text
    node of the part is held to XLSX_TEXT_MAX instead (a sheet's inline strings). Memory: the lengths."""
    lengths = array("I")
    depth = chars = size = 0  # depth: inside a <si>; chars, size: the text counted so far

    def too_long():
        raise FileRejected(_msg_text_too_long())

    def start(name, attributes):
        nonlocal depth, chars, size
        if depth:
            depth += 1
        elif name.rpartition(":")[2] == "si":
            depth, chars, size = 1, 0, 0

    def end(name):
        nonlocal depth
        if depth:
            depth -= 1
            if not depth:
                lengths.append(size)
                if len(lengths) > XLSX_MAX_STRINGS:
                    raise FileRejected(
                        _("В книге Excel больше %(limit)s различных строк текста: такой файл не принимается")
                        % {"limit": _grouped(XLSX_MAX_STRINGS)}
                    )

    def text(data):
        nonlocal chars, size
        if depth:
            chars += len(data)
            size += len(data.encode())
            if chars > XLSX_TEXT_MAX:
                too_long()

    def node_boundary(*args):
        nonlocal chars
        chars = 0

    def node_text(data):
        nonlocal chars
        chars += len(data)  # a text node may come in several calls; elements delimit it
        if chars > XLSX_TEXT_MAX:
            too_long()

    def refuse(*args):
        raise FileRejected(_(MSG_BAD_XLSX))  # a DTD or an entity: never in a workbook, a bomb's way in

    parser = expat.ParserCreate()
    if every_text:
        parser.StartElementHandler = parser.EndElementHandler = node_boundary
        parser.CharacterDataHandler = node_text
    else:
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    try:
        for piece in _xml_pieces(part):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise FileRejected(_(MSG_BAD_XLSX)) from None
    return lengths


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _parse_xlsx_calamine(data: bytes, *, read: _Reading) -> ParseResult:
    """The fast reader (FIELD_NOTES: ~0.5 s for 100,000 rows against ~20 s for openpyxl)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise FileRejected(_(MSG_NO_SHEET))
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.iter_rows()
    except FileRejected:
        raise
    except Exception as error:  # calamine raises its own errors for broken workbooks
        raise FileRejected(_(MSG_BAD_XLSX)) from error
    serial_base = _EXCEL_1904_BASE if _xlsx_is_1904(data) else _EXCEL_1900_BASE
    # calamine gives "" for an empty cell where openpyxl gives None.
    rows = enumerate((tuple(None if v == "" else v for v in raw[: MAX_COLUMNS + 1]) for raw in _xlsx_rows(values)), 1)
    header_line, cells = _first_filled((line, [_cell_text(value) for value in raw]) for line, raw in rows)
    columns = _map_header(cells)
    data_rows = _xlsx_texts((raw + (None,) * (columns.need - len(raw)) for _line, raw in rows), columns.need)
    return _parse_rows(data_rows, columns, header_line=header_line, read=read, serial_base=serial_base)


def _xlsx_is_1904(data: bytes) -> bool:
    """Whether the workbook counts dates from 1904 (old Mac Excel): serial numbers shift by 1462 days."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            workbook = archive.read("xl/workbook.xml")
    except (KeyError, *_ZIP_ERRORS):
        return False
    return bool(re.search(rb"date1904=\"(1|true)\"", workbook))


def _parse_xlsx_openpyxl(data: bytes, *, read: _Reading) -> ParseResult:
    # Imported here: openpyxl is slow to import and CSV uploads never need it.
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises anything from KeyError to XML errors on a broken file
        raise FileRejected(_(MSG_BAD_XLSX)) from error
    values = None
    try:
        if not workbook.worksheets:
            raise FileRejected(_(MSG_NO_SHEET))
        sheet = workbook.worksheets[0]
        # The stored dimension may be wrong or hostile ("A1:XFD1048576"); rows are padded to it.
        sheet.reset_dimensions()
        serial_base = _EXCEL_1904_BASE if workbook.epoch == CALENDAR_MAC_1904 else _EXCEL_1900_BASE
        values = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        rows = enumerate(_xlsx_rows(values), 1)
        header_line, cells = _first_filled((line, [_cell_text(value) for value in raw]) for line, raw in rows)
        columns = _map_header(cells)
        data_rows = _xlsx_texts((raw for _line, raw in rows), columns.need)
        return _parse_rows(data_rows, columns, header_line=header_line, read=read, serial_base=serial_base)
    finally:
        if values is not None:
            values.close()  # releases the sheet's open member before the archive closes
        workbook.close()


def _check_xlsx_archive(data: bytes, max_bytes: int) -> None:
    """Refuse zips that are not workbooks or that unpack to far more than any real activity file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > XLSX_MAX_ENTRIES:
                raise FileRejected(_(MSG_BAD_XLSX))
            # Two parts of one name: each reader may take another one than the checks read.
            if len({entry.filename.lower() for entry in entries}) < len(entries):
                raise FileRejected(_(MSG_BAD_XLSX))
            if any(entry.flag_bits & 0x1 for entry in entries):
                raise FileRejected(_(MSG_ENCRYPTED))
            # zipfile stops inflating an entry at its declared size, so the declared sizes bound the
            # work; bzip2 and lzma (never used by Excel) would inflate whole chunks before that check.
            if any(entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for entry in entries):
                raise FileRejected(_(MSG_BAD_XLSX))
            limit = min(XLSX_UNPACK_RATIO * max_bytes, XLSX_MAX_UNPACKED)
            if sum(entry.file_size for entry in entries) > limit:
                raise FileRejected(
                    _("Книга Excel после распаковки занимает больше %(size)s МБ: такой файл не принимается")
                    % {"size": _megabytes(limit)}
                )
            names = {entry.filename for entry in entries}
            mimetype = archive.getinfo("mimetype") if "mimetype" in names else None
            if mimetype is not None and mimetype.file_size < 256 and b"opendocument" in archive.read(mimetype):
                raise FileRejected(_(MSG_ODS))
    except _ZIP_ERRORS:
        # RuntimeError: what zipfile raises for encrypted or unsupported entries.
        raise FileRejected(_(MSG_BAD_XLSX)) from None
    if not any(name.startswith("xl/") and name.rsplit("/", 1)[-1].startswith("workbook") for name in names):
        raise FileRejected(_(MSG_BAD_XLSX))


def _xlsx_rows(values: Iterator[tuple]) -> Iterator[tuple]:
    """The sheet's rows, gaps included, with openpyxl's failures turned into FileRejected."""
    count = 0
    try:
        for raw in values:
            count += 1
            # openpyxl yields rows missing from the XML as empty ones; a forged row number must not
            # make that loop run for billions of rows.
            if count > EXCEL_MAX_ROWS:
                raise FileRejected(_(MSG_BAD_XLSX))
            yield raw
    except FileRejected:
        raise
    except Exception as error:  # a broken sheet surfaces as whatever openpyxl's parser hits
        raise FileRejected(_(MSG_BAD_XLSX)) from error


def _xlsx_texts(rows: Iterator[tuple], need: int) -> Iterator[list[str]]:
    """Each row's cells up to the last known column, as text; empty rows as []."""
    for raw in rows:
        # Rows come padded to MAX_COLUMNS + 1, and gaps in the sheet as rows of None.
        cells = raw[:need]
        if cells.count(None) == need:
            yield []
        else:
            yield [value if value.__class__ is str else _cell_text(value) for value in cells]


def _cell_text(value) -> str:
    """A cell value as the text the validation rules read; whole floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- header ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    index: dict[str, int]  # column -> position in the row
    names: list[str]  # every header cell as written, for error reports

    @property
    def need(self) -> int:
        return max(self.index.values()) + 1


def _normalise_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").replace("_", " ").split()).lower().replace("ё", "е")


_ALIASES = {_normalise_header(alias): column for column, names in _COLUMN_NAMES.items() for alias in (column, *names)}


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _quoted_names(columns: Iterable[str]) -> str:
    return ", ".join(f"«{_COLUMN_NAMES[column][0]}»" for column in columns)


def _map_header(cells: Sequence[str]) -> _Columns:
    """Find the known columns in the header row; refuse unknown, duplicate or incomplete headers."""
    if len(cells) > MAX_COLUMNS and any(cell.strip() for cell in cells[MAX_COLUMNS:]):
        raise FileRejected(_too_many_columns())
    index: dict[str, int] = {}
    names = []
    for position, cell in enumerate(cells):
        names.append(cell.replace("\ufeff", "").strip())
        column = _ALIASES.get(_normalise_header(cell))
        if column is None:
            continue
        if column in index:
            raise FileRejected(
                _("Столбец «%(name)s» встречается в файле дважды: столбцы %(first)s и %(second)s")
                % {
                    "name": _COLUMN_NAMES[column][0],
                    "first": _column_letter(index[column]),
                    "second": _column_letter(position),
                }
            )
        index[column] = position
    if not index:
        raise FileRejected(
            _("Первая строка файла должна содержать заголовки столбцов, например %(names)s: скачайте шаблон файла")
            % {"names": _quoted_names(("org_id", "staff_total", "staff_active"))}
        )
    missing = [column for column in _REQUIRED if column not in index]
    officials = [column for column in _OPTIONAL_COUNTS if column in index]
    if len(officials) == 1:  # the pair is optional, but one without the other makes no KPI
        missing += [column for column in _OPTIONAL_COUNTS if column not in index]
    if len(missing) == 1:
        raise FileRejected(_("В файле нет обязательного столбца %(names)s") % {"names": _quoted_names(missing)})
    if missing:
        raise FileRejected(_("В файле нет обязательных столбцов: %(names)s") % {"names": _quoted_names(missing)})
    return _Columns(index=index, names=names)


# --- cell rules (the slow paths; the common cases are handled inline in _parse_rows) ---------


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 50 else text[:50] + "…"


def _count_of(text: str) -> int | str:
    """A count cell as an int, or the Russian reason it is not one."""
    # Whatever int() reads is a whole number, so "+5" and "1_000" pass too; so does Excel's "1 234".
    try:
        value = int(text)
    except ValueError:
        stripped = text.strip()
        if not stripped:
            return _(MSG_BLANK_COUNT)
        if not _GROUPED_DIGITS.fullmatch(stripped):
            return _not_a_count(text)
        value = int("".join(stripped.split()))  # the separators are whitespace to str.split()
    if value < 0:
        return _not_a_count(text)
    if value > MAX_COUNT:
        return _("Значение «%(value)s» больше допустимого (%(limit)s)") % {
            "value": _shown(text),
            "limit": _grouped(MAX_COUNT),
        }
    return value


def _not_a_count(text: str) -> str:
    return _("Значение «%(value)s» не является целым неотрицательным числом") % {"value": _shown(text)}


def _kind_of(text: str) -> tuple[str | None, str | None]:
    """(kind code, None), (None, None) for a blank cell, or (None, reason)."""
    key = text.strip().lower()
    if not key:
        return None, None
    kind = _KINDS.get(key) or _KINDS.get(key.translate(_LATIN_LOOKALIKES))
    if kind is None:
        return None, _("Неизвестный тип организации «%(value)s»: допустимы %(kinds)s") % {
            "value": _shown(text),
            "kinds": _KIND_LIST,
        }
    return kind, None


def _week_of(text: str, serial_base: date, accepted: WeekRange) -> tuple[date | None, str | None]:
    """(Monday of the week the cell names, None), (None, None) for a blank cell, or (None, reason)."""
    value = text.strip()
    if not value:
        return None, None
    day = None
    try:
        if len(value) >= 10 and value[4] == "-" and value[7] == "-":
            day = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).date()
        elif value.count(".") == 2 or (value.count(".") == 3 and " " in value):
            head, _space, clock = value.partition(" ")
            parts = head.split(".")
            if (
                len(parts) == 3
                and all(part.isdigit() and part.isascii() for part in parts)
                and len(parts[0]) <= 2
                and len(parts[1]) <= 2
                and len(parts[2]) == 4
                and (not clock or _TIME_OF_DAY.fullmatch(clock.strip()))
            ):
                day = date(int(parts[2]), int(parts[1]), int(parts[0]))
        else:
            whole, _dot, fraction = value.partition(".")
            # An Excel serial number: a date cell formatted as "General".
            if whole.isdigit() and whole.isascii() and len(whole) <= 6 and (not fraction or fraction.isdigit()):
                day = serial_base + timedelta(days=int(whole))
    except ValueError:
        day = None
    if day is None:
        return None, _("Дата «%(value)s» не распознана: укажите её в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ") % {
            "value": _shown(text)
        }
    if day not in accepted:
        return None, _("Дата «%(value)s» вне допустимого диапазона: допустимы недели %(span)s") % {
            "value": _shown(text),
            "span": accepted.span,
        }
    return monday_of(day), None


def _region_of(text: str) -> tuple[str | None, str | None]:
    """(two-digit subject code, None), (None, None) for a blank cell, or (None, reason)."""
    value = text.strip()
    if not value:
        return None, None
    if value.isdigit() and value.isascii() and len(value) <= 2 and int(value) > 0:
        return value.zfill(2), None
    return None, _("Код региона «%(value)s» должен состоять из одной или двух цифр") % {"value": _shown(text)}


# --- rows --------------------------------------------------------------------------------------


def _parse_rows(
    rows: Iterable[Sequence[str]],
    columns: _Columns,
    *,
    header_line: int,
    read: _Reading,
    serial_base: date = _EXCEL_1900_BASE,
) -> ParseResult:
    """Validate every data row; collect the valid ones and all errors in line order."""
    progress, accepted = read.progress, read.weeks
    index, names = columns.index, columns.names
    i_id = index["org_id"]
    i_name = index.get("org_name", -1)
    i_kind = index.get("org_kind", -1)
    i_municipality = index.get("municipality", -1)
    i_week = index.get("week", -1)
    i_region = index.get("region", -1)
    # The count cells present in the file, in COUNT_FIELDS order; absent ones (officials) become 0.
    count_positions = tuple(index[name] for name in COUNT_FIELDS if name in index)
    absent_slots = tuple(slot for slot, name in enumerate(COUNT_FIELDS) if name not in index)
    pairs = tuple(
        (COUNT_FIELDS.index(active), COUNT_FIELDS.index(total), index[active], names[index[total]])
        for active, total in ACTIVE_TOTAL_PAIRS
        if active in index
    )
    known = tuple(sorted(index.values()))
    need = known[-1] + 1
    # Kinds, weeks and regions repeat down the file: each distinct text is parsed once.
    kinds: dict[str, tuple] = {}
    weeks: dict[str, tuple] = {}
    regions: dict[str, tuple] = {}
    municipalities: dict[str, str] = {}
    first_line: dict[date | None, dict[str, int]] = {}  # week -> org_id -> first line

    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    add_error = errors.append
    grouped_digits = _GROUPED_DIGITS.fullmatch
    total = 0
    for line, row in enumerate(rows, header_line + 1):
        if len(row) < need:
            if not any(row):
                continue
            row = [*row, *([""] * (need - len(row)))]
        org_id = row[i_id].strip()
        if not org_id and not any(row[i].strip() for i in known):
            continue
        total += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total)
        errors_before = len(errors)

        if not org_id:
            add_error(RowError(line, names[i_id], row[i_id][:MAX_SHOWN_VALUE], _(MSG_NO_ORG_ID)))
        elif len(org_id) > ORG_ID_MAX:
            message = _("ID организации длиннее %(limit)s символов") % {"limit": ORG_ID_MAX}
            add_error(RowError(line, names[i_id], org_id[:MAX_SHOWN_VALUE], message))
        # Names lose the characters that would make them display as something else.
        org_name = without_bidi_controls(row[i_name]).strip() if i_name >= 0 else ""
        if len(org_name) > ORG_NAME_MAX:
            message = _("Наименование длиннее %(limit)s символов") % {"limit": ORG_NAME_MAX}
            add_error(RowError(line, names[i_name], org_name[:MAX_SHOWN_VALUE], message))
        municipality = row[i_municipality] if i_municipality >= 0 else ""
        # A national file names ~2,500 municipalities 90,000 times: clean and keep one string of each.
        cleaned = municipalities.get(municipality)
        if cleaned is None:
            cleaned = municipalities[municipality] = without_bidi_controls(municipality).strip()
        municipality = cleaned
        if len(municipality) > MUNICIPALITY_MAX:
            add_error(
                RowError(
                    line,
                    names[i_municipality],
                    municipality[:MAX_SHOWN_VALUE],
                    _("Название муниципалитета длиннее %(limit)s символов") % {"limit": MUNICIPALITY_MAX},
                )
            )

        kind = week = region = None
        week_ok = True
        if i_kind >= 0:
            text = row[i_kind]
            result = kinds.get(text)
            if result is None:
                result = kinds[text] = _kind_of(text)
            kind, reason = result
            if reason:
                add_error(RowError(line, names[i_kind], text[:MAX_SHOWN_VALUE], reason))
        if i_week >= 0:
            text = row[i_week]
            result = weeks.get(text)
            if result is None:
                result = weeks[text] = _week_of(text, serial_base, accepted)
            week, reason = result
            if reason:
                week_ok = False
                add_error(RowError(line, names[i_week], text[:MAX_SHOWN_VALUE], reason))
        if i_region >= 0:
            text = row[i_region]
            result = regions.get(text)
            if result is None:
                result = regions[text] = _region_of(text)
            region, reason = result
            if reason:
                add_error(RowError(line, names[i_region], text[:MAX_SHOWN_VALUE], reason))

        counts = []
        for position in count_positions:
            text = row[position]
            # Plain digits and Excel's "1 234" are converted here without a call or an exception;
            # anything else, or a number out of range, gets its verdict from _count_of.
            if text.isdecimal() and len(text) <= 10:
                value = int(text)
            elif grouped_digits(text):
                value = int("".join(text.split()))
            else:
                value = -1
            if value < 0 or value > MAX_COUNT:
                value = _count_of(text)
                if value.__class__ is not int:
                    add_error(RowError(line, names[position], text[:MAX_SHOWN_VALUE], value))
                    value = None
            counts.append(value)
        for slot in absent_slots:
            counts.insert(slot, 0)
        for active_slot, total_slot, position, total_name in pairs:
            active_value, total_value = counts[active_slot], counts[total_slot]
            if active_value is not None and total_value is not None and active_value > total_value:
                add_error(
                    RowError(
                        line,
                        names[position],
                        row[position][:MAX_SHOWN_VALUE],
                        _("Значение %(active)s больше, чем «%(total_name)s» (%(total)s)")
                        % {"active": active_value, "total_name": total_name, "total": total_value},
                    )
                )

        if org_id and week_ok:
            # One dict per week rather than (org_id, week) keys: no tuple to build and hash per row.
            seen = first_line.get(week)
            if seen is None:
                seen = first_line[week] = {}
            earlier = seen.get(org_id)
            if earlier is None:
                seen[org_id] = line
            else:
                add_error(
                    RowError(
                        line,
                        names[i_id],
                        org_id[:MAX_SHOWN_VALUE],
                        (
                            _("Организация «%(org)s» уже указана в строке %(line)s за ту же неделю")
                            if i_week >= 0
                            else _("Организация «%(org)s» уже указана в строке %(line)s")
                        )
                        % {"org": _shown(org_id), "line": earlier},
                    )
                )

        if len(errors) == errors_before:
            parsed.append(_parsed_row(line, org_id, org_name, kind, municipality, week, region, tuple(counts)))

    if not total:
        raise FileRejected(_(MSG_NO_ROWS))
    return ParseResult(
        rows=parsed,
        errors=errors,
        rows_total=total,
        has_region_column=i_region >= 0,
        has_week_column=i_week >= 0,
    )


def column_label(name: str) -> str:
    """The Russian header of a column (as in the template), for errors found after parsing."""
    names = _COLUMN_NAMES.get(name)
    return names[0] if names else name
