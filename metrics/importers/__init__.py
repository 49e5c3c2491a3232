"""Parse an uploaded weekly activity file (DESIGN.md §5) into typed rows and Russian row errors.

Pure Python: no ORM, no HTTP, no Celery. Services check the rows against the registry and write them.
Every problem of a single cell is a ``RowError``; a file that is not a usable table at all raises
``FileRejected`` with one sentence for the user. Messages go through gettext like every other
user-facing string.

The package by concern: ``parse`` (the entry point, ``parse_upload``), ``csv_reader`` and ``xlsx``
(the readers), ``xlsx_bounds`` (XLSX memory bounds, checked before any reader opens a workbook),
``columns`` (headers and aliases), ``cells`` (one cell's rules), ``rows`` (typed rows, the
validating loop), ``error_log`` (row errors: every one counted, the first kept whole), ``errors``
(``FileRejected``, shared messages and the reasons of row errors).
"""

from ..kpi import monday_of
from .columns import column_label, template_headers
from .error_log import RowError, RowErrorLog
from .errors import MSG_BAD_XLSX, FileRejected
from .parse import parse_upload
from .rows import ParsedRow, ParseResult
from .xlsx_bounds import XLSX_TEXT_MAX

__all__ = [
    "MSG_BAD_XLSX",
    "XLSX_TEXT_MAX",
    "FileRejected",
    "ParseResult",
    "ParsedRow",
    "RowError",
    "RowErrorLog",
    "column_label",
    "monday_of",
    "parse_upload",
    "template_headers",
]
