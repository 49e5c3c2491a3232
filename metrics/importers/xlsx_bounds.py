"""XLSX memory bounds: what the archive and its parts may hold, checked by streaming every part once
before any reader opens the workbook, and whether the fast dense reader (calamine) may read it."""

import io
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

from django.utils.translation import gettext as _

from .errors import MSG_BAD_XLSX, MSG_ENCRYPTED, MSG_ODS, FileRejected, _grouped, _megabytes

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
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)


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
