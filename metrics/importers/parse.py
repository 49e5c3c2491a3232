"""The entry point: bytes of an upload to a ParseResult, by format."""

from collections.abc import Callable
from typing import BinaryIO

from django.utils.translation import gettext as _

from ..kpi import WeekRange, accepted_weeks
from .csv_reader import _parse_csv
from .errors import MSG_BAD_XLSX, MSG_EMPTY, MSG_NOT_TABLE, MSG_XLS, FileRejected, _megabytes
from .rows import ParseResult, _Reading
from .xlsx import _parse_xlsx

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse_upload(
    source: BinaryIO | bytes,
    *,
    filename: str,
    max_bytes: int,
    progress: Callable[[int, int | None], None] | None = None,
    weeks: WeekRange | None = None,
    errors_kept: int | None = None,
) -> ParseResult:
    """Parse a CSV or XLSX weekly activity file; raise FileRejected if it is not a usable table.

    A «Неделя» cell outside ``weeks`` is a row error; None: the product's range (settings.WEEK_MIN
    to the week after this one, metrics.kpi.accepted_weeks). Every row error is counted
    (``error_log``); the first ``errors_kept`` are kept whole (None: all)."""
    data = _read_bounded(source, max_bytes)
    if not data:
        raise FileRejected(_(MSG_EMPTY))
    read = _Reading(progress=progress, weeks=weeks or accepted_weeks(), errors_kept=errors_kept)
    if data.startswith(b"PK\x03\x04"):
        return _parse_xlsx(data, max_bytes=max_bytes, read=read)
    if data.startswith(_OLE_MAGIC):
        raise FileRejected(_(MSG_XLS))
    if data.startswith(b"PK"):  # an empty or spanned zip archive
        raise FileRejected(_(MSG_BAD_XLSX))
    looks_like_xlsx = (filename or "").lower().endswith((".xlsx", ".xlsm"))
    return _parse_csv(data, read=read, not_text_message=_(MSG_BAD_XLSX) if looks_like_xlsx else _(MSG_NOT_TABLE))


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
