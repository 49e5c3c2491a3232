"""XLSX memory bounded (metrics/importers/xlsx_bounds.py, _xlsx_survey): hostile workbooks — one huge string,
millions of tiny ones, one long string shown in thousands of cells, forged parts — are refused or
read in bounded memory, measured as the peak resident memory of a fresh process."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from metrics import importers
from metrics.importers import FileRejected, parse_upload
from tests.metrics.test_importers import HEADERS

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
PEAK_MAX_MB = 300  # the whole process: interpreter, Django and the parser

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    b'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.worksheet+xml"/><Override PartName="/%s" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook ' + NS + b' xmlns:r="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="%s"/></Relationships>'
)
COUNTS = (100, 80, 500, 150, 800, 240, 4, 4, 1400, 1300)


def column(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def header_strings() -> bytes:
    return b"".join(f"<si><t>{name}</t></si>".encode() for name in HEADERS) + "<si><t>ОО</t></si>".encode()


def row_xml(line: int, name_cell: str, prefix: str = "") -> bytes:
    """A data row: org_id, the name cell as given, kind (shared string after the headers), week, counts."""
    p = prefix
    cells = [
        f'<{p}c r="A{line}"><{p}v>{1000 + line}</{p}v></{p}c>',
        name_cell,
        f'<{p}c r="C{line}" t="s"><{p}v>{len(HEADERS)}</{p}v></{p}c>',
        f'<{p}c r="E{line}"><{p}v>45957</{p}v></{p}c>',
        *(f'<{p}c r="{column(5 + i)}{line}"><{p}v>{value}</{p}v></{p}c>' for i, value in enumerate(COUNTS)),
    ]
    return f'<{p}row r="{line}">{"".join(cells)}</{p}row>'.encode()


def header_row() -> bytes:
    cells = "".join(f'<c r="{column(i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADERS)))
    return f'<row r="1">{cells}</row>'.encode()


def workbook(path: Path | None, *, strings, sheet, strings_part="xl/sharedStrings.xml", extra=()) -> bytes | None:
    """A workbook written part by part (so a part of hundreds of megabytes never sits in memory).
    ``strings`` and ``sheet`` write the inside of <sst> and of <sheetData> to a binary file."""
    target = path if path is not None else io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES % strings_part.encode())
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        target_name = strings_part.removeprefix("xl/").encode()
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS % target_name)
        for name, content in extra:
            archive.writestr(name, content)
        for name, root, write in ((strings_part, b"sst", strings), ("xl/worksheets/sheet1.xml", b"sheet", sheet)):
            info = zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                if root == b"sst":
                    member.write(b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b">")
                    write(member)
                    member.write(b"</sst>")
                else:
                    member.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b"><sheetData>")
                    write(member)
                    member.write(b"</sheetData></worksheet>")
    return None if path is not None else target.getvalue()


def one_string_shown(text_bytes: bytes, *, cells: int = 1):
    """Shared strings: the headers, "ОО", then one string; ``cells`` rows show it as their name."""
    index = len(HEADERS) + 1

    def strings(member):
        member.write(header_strings())
        member.write(b"<si><t>" + text_bytes + b"</t></si>")

    def sheet(member):
        member.write(header_row())
        for line in range(2, cells + 2):
            member.write(row_xml(line, f'<c r="B{line}" t="s"><v>{index}</v></c>'))

    return strings, sheet


def peak_of(path: Path, *, max_bytes: int) -> dict:
    """Parse the file in a fresh process; its peak resident memory (MB) and the outcome."""
    code = f"""
import json, resource, time
import django
django.setup()
from metrics.importers import FileRejected, parse_upload
data = open({str(path)!r}, "rb").read()
start = time.perf_counter()
try:
    result = parse_upload(data, filename="a.xlsx", max_bytes={max_bytes})
    outcome = {{"rows": len(result.rows), "errors": len(result.errors)}}
except FileRejected as refused:
    outcome = {{"refused": refused.message}}
outcome["seconds"] = time.perf_counter() - start
try:
    # This process's own peak: ru_maxrss would also count the parent's memory at fork (Linux).
    status = open("/proc/self/status").read()
    outcome["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
except OSError:
    outcome["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(outcome))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "sferum_migration.settings.test"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def huge_string_file(tmp_path_factory):
    """A 380 MB string inside a file of about 400 KB (the shape of the report in issue 18)."""
    path = tmp_path_factory.mktemp("xlsx") / "huge-string.xlsx"

    def strings(member):
        member.write(header_strings() + b"<si><t>")
        chunk = b"x" * MB
        for _ in range(380):
            member.write(chunk)
        member.write(b"</t></si>")

    _, sheet = one_string_shown(b"")
    workbook(path, strings=strings, sheet=sheet)
    assert path.stat().st_size < 1 * MB
    return path


def test_a_huge_shared_string_is_refused_by_its_unpacked_size(huge_string_file):
    # Before: 1.6 GB and 4 s in the parser.
    outcome = peak_of(huge_string_file, max_bytes=20 * MB)
    assert outcome["refused"].startswith("Часть книги Excel «xl/sharedStrings.xml» после распаковки занимает больше 40")
    assert outcome["peak_mb"] <= PEAK_MAX_MB


def test_a_huge_shared_string_within_a_larger_size_limit_is_refused_while_streaming(huge_string_file):
    # With a 200 MB upload limit the part's size is admitted: the streaming scan stops at the text.
    outcome = peak_of(huge_string_file, max_bytes=200 * MB)
    assert outcome["refused"].startswith("В книге Excel есть текст длиннее 32\u00a0767 символов")
    assert outcome["peak_mb"] <= PEAK_MAX_MB
    assert outcome["seconds"] < 5


def test_millions_of_tiny_strings_are_refused_while_streaming(tmp_path):
    path = tmp_path / "tiny.xlsx"

    def strings(member):
        member.write(header_strings())
        block = b"<si><t>a</t></si>" * 1000
        for _ in range(2000):  # two million strings, 34 MB unpacked: within the part's size limit
            member.write(block)

    _, sheet = one_string_shown(b"")
    workbook(path, strings=strings, sheet=sheet)
    outcome = peak_of(path, max_bytes=20 * MB)
    assert outcome["refused"] == "В книге Excel больше 500\u00a0000 различных строк текста: такой файл не принимается"
    assert outcome["peak_mb"] <= PEAK_MAX_MB


def test_a_long_string_shown_in_thousands_of_cells_is_read_without_a_copy_per_cell(tmp_path):
    # calamine copies a shared string into every cell that shows it: 20,000 × 32 KB took 705 MB.
    path = tmp_path / "repeated.xlsx"
    strings, sheet = one_string_shown(b"y" * importers.XLSX_TEXT_MAX, cells=20_000)
    workbook(path, strings=strings, sheet=sheet)
    outcome = peak_of(path, max_bytes=20 * MB)
    assert outcome == {**outcome, "rows": 0, "errors": 20_000}, "every name is over 500 characters"
    assert outcome["peak_mb"] <= PEAK_MAX_MB


# --- the rules, in process -------------------------------------------------------------------------


def parse(data: bytes, max_bytes: int = 20 * MB):
    return parse_upload(data, filename="a.xlsx", max_bytes=max_bytes)


def refused(data: bytes, max_bytes: int = 20 * MB) -> str:
    with pytest.raises(FileRejected) as caught:
        parse(data, max_bytes)
    return caught.value.message


@pytest.fixture
def no_calamine(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("calamine was given this workbook")

    monkeypatch.setattr(importers.xlsx, "_parse_xlsx_calamine", must_not_run)


@pytest.fixture
def no_openpyxl(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("openpyxl was given this workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_run)


def test_a_shared_string_at_excels_limit_is_read_and_one_more_character_is_refused(no_openpyxl):
    strings, sheet = one_string_shown("я".encode() * importers.XLSX_TEXT_MAX)
    result = parse(workbook(None, strings=strings, sheet=sheet))
    assert len(result.errors) == 1 and "длиннее 500" in result.errors[0].message
    strings, sheet = one_string_shown("я".encode() * (importers.XLSX_TEXT_MAX + 1))
    assert "длиннее 32\u00a0767 символов" in refused(workbook(None, strings=strings, sheet=sheet))


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        (b"z" * 32_767, True),
        (b"&amp;" * 32_767, True),  # 164 KB of XML, 32,767 characters
        (b"z" * 32_768, False),
        (b"z" * 2_000_000, False),
    ],
    ids=["at-limit", "entities-at-limit", "one-over", "two-megabytes"],
)
def test_an_inline_string_is_held_to_excels_limit(text, accepted):
    def strings(member):
        member.write(header_strings())

    def sheet(member):
        member.write(header_row())
        member.write(row_xml(2, b'<c r="B2" t="inlineStr"><is><t>'.decode() + text.decode() + "</t></is></c>"))

    data = workbook(None, strings=strings, sheet=sheet)
    if accepted:
        assert parse(data).rows_total == 1
    else:
        assert "длиннее 32\u00a0767 символов" in refused(data)


def test_a_long_string_shown_in_many_cells_goes_to_the_streaming_reader(no_calamine):
    strings, sheet = one_string_shown(b"y" * 20_000, cells=7_000)  # 140 MB of copies in calamine
    assert len(parse(workbook(None, strings=strings, sheet=sheet)).errors) == 7_000


def test_an_ordinary_workbook_keeps_the_fast_reader(no_openpyxl):
    names = [f"МБОУ СОШ № {n}".encode() for n in range(2_000)]

    def strings(member):
        member.write(header_strings() + b"".join(b"<si><t>" + name + b"</t></si>" for name in names))

    def sheet(member):
        member.write(header_row())
        for line in range(2, len(names) + 2):
            member.write(row_xml(line, f'<c r="B{line}" t="s"><v>{len(HEADERS) + line - 1}</v></c>'))

    result = parse(workbook(None, strings=strings, sheet=sheet))
    assert result.rows_total == 2_000 and result.errors == []
    assert result.rows[-1].org_name == "МБОУ СОШ № 1999"


def forged_far_cell(prefix: str) -> bytes:
    def strings(member):
        member.write(header_strings())

    def sheet(member):
        member.write(header_row())
        far = f'<{prefix}c r="XFD1048576"><{prefix}v>1</{prefix}v></{prefix}c>'
        member.write(f'<{prefix}row r="1048576">{far}</{prefix}row>'.encode())

    return workbook(None, strings=strings, sheet=sheet)


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_a_forged_far_cell_never_reaches_the_dense_reader_with_or_without_a_prefix(prefix):
    # calamine reads prefixed cells too; its grid would take billions of cells.
    data = forged_far_cell(prefix)
    if prefix:
        data = data.replace(b"<worksheet " + NS, b'<worksheet xmlns:x="http://schemas.openxmlformats.org/x"')
    assert importers.xlsx_bounds._xlsx_survey(data, 20 * MB) is False


def test_a_sheet_whose_root_hides_behind_a_long_comment_is_still_surveyed():
    data = forged_far_cell("")
    padded = data.replace(b'<?xml version="1.0" encoding="UTF-8"?><worksheet', b"<!--" + b"-" * 8000 + b"--><worksheet")
    assert importers.xlsx_bounds._xlsx_survey(padded, 20 * MB) is False


def test_shared_strings_declared_elsewhere_are_held_to_the_same_limits():
    # openpyxl reads the shared strings the content types name, wherever they are.
    def strings(member):
        member.write(header_strings() + b"<si><t>" + b"q" * 40_000 + b"</t></si>")

    _, sheet = one_string_shown(b"")
    data = workbook(None, strings=strings, sheet=sheet, strings_part="xl/elsewhere.xml")
    assert "длиннее 32\u00a0767 символов" in refused(data)


@pytest.mark.parametrize(
    "part",
    [
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>',
        '<?xml version="1.0" encoding="UTF-16"?><x/>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="windows-1251"?><x/>',
    ],
    ids=["entities", "utf-16", "windows-1251"],
)
def test_parts_with_entities_or_another_encoding_are_refused(part):
    strings, sheet = one_string_shown(b"")
    data = workbook(None, strings=strings, sheet=sheet, extra=[("docProps/custom.xml", part)])
    assert refused(data) == importers.MSG_BAD_XLSX


def test_two_parts_of_one_name_are_refused():
    strings, sheet = one_string_shown(b"")
    data = workbook(None, strings=strings, sheet=sheet, extra=[("XL/SHAREDSTRINGS.XML", b"<sst/>")])
    assert refused(data) == importers.MSG_BAD_XLSX


def test_a_sheet_over_its_unpacked_limit_is_refused():
    def strings(member):
        member.write(header_strings())

    def sheet(member):
        member.write(header_row())
        member.write(b" " * (11 * MB))

    data = workbook(None, strings=strings, sheet=sheet)
    assert "«xl/worksheets/sheet1.xml» после распаковки занимает больше 10 МБ" in refused(data, max_bytes=MB)
