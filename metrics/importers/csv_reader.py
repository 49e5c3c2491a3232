"""CSV: encoding (UTF-8 with or without BOM, else Windows-1251), delimiter, bounded lines."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from django.utils.translation import gettext as _

from .columns import MAX_COLUMNS, _first_filled, _map_header, _too_many_columns
from .errors import MSG_EMPTY, MSG_MIXED_ENCODING, MSG_UTF16, FileRejected, _grouped
from .rows import ParseResult, _parse_rows, _Reading

# A real row is a few hundred characters; longer physical lines are refused before the csv module
# splits them, so one hostile line cannot turn into millions of cell objects.
MAX_LINE_CHARS = 100_000
# The header must start within this many characters of the file.
HEADER_SCAN_CHARS = 64 * 1024
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile("\r\n|\r|\n")
# Bytes mapped to UTF-8 roles: "L" for the lead byte of a Cyrillic letter (0xD0, 0xD1), "c" for a
# continuation byte. Three such letters in a row ("LcLcLc") never occur in Windows-1251 text, where
# 0xD0/0xD1 are the capitals Р/С and 0x80-0xBF punctuation and rare letters.
_UTF8_ROLES = bytes(
    ord("L") if byte in (0xD0, 0xD1) else ord("c") if 0x80 <= byte <= 0xBF else ord(".") for byte in range(256)
)


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
        read = replace(read, rows_expected=data.count(b"\n") or None)
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
