"""Typed rows and row errors, and the loop that validates every data row of a file."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date

from django.utils.translation import gettext as _

from regions.names import without_bidi_controls

from ..counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from ..kpi import WeekRange
from .cells import (
    _EXCEL_1900_BASE,
    _GROUPED_DIGITS,
    MAX_COUNT,
    MAX_SHOWN_VALUE,
    _count_of,
    _kind_of,
    _region_of,
    _shown,
    _week_of,
)
from .columns import _Columns
from .error_log import RowError, RowErrorLog
from .errors import (
    MSG_NO_ORG_ID,
    MSG_NO_ROWS,
    REASON_ACTIVE_OVER_TOTAL,
    REASON_DUPLICATE,
    REASON_MUNICIPALITY_TOO_LONG,
    REASON_NAME_TOO_LONG,
    REASON_NO_ORG_ID,
    REASON_ORG_ID_TOO_LONG,
    FileRejected,
)

# Lengths of regions.Organisation.org_id / .name and regions.Municipality.name.
ORG_ID_MAX = 64
ORG_NAME_MAX = 500
MUNICIPALITY_MAX = 255
PROGRESS_EVERY = 5000
CACHED_TEXTS = 10_000


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


def _org(org_id: str, org_name: str) -> tuple[str, str]:
    """The organisation a row's error names (issue #17), as the file names it; built only for errors."""
    return org_id[:ORG_ID_MAX], org_name[:MAX_SHOWN_VALUE]


@dataclass
class ParseResult:
    """The valid rows of a file and its errors: ``errors`` the ones kept whole (all of them unless
    the parse was told to keep fewer), ``error_log`` every one counted."""

    rows: list[ParsedRow]
    errors: list[RowError]
    rows_total: int
    has_region_column: bool
    has_week_column: bool
    error_log: RowErrorLog | None = None
    # The «Неделя» column is there but blank in every row: the week must come from the form.
    week_column_blank: bool = False
    # The ID of every organisation the file names with a readable week, its rows with errors too.
    org_ids: set[str] = field(default_factory=set)

    @property
    def log(self) -> RowErrorLog:
        """The error log; for a result built by hand, one of its ``errors``."""
        return self.error_log if self.error_log is not None else RowErrorLog.of(self.errors)


@dataclass(frozen=True, slots=True)
class _Reading:
    """What every reader hands on to the row rules."""

    # Called every PROGRESS_EVERY rows with the rows read and the rows expected (None: unknown).
    progress: Callable[[int, int | None], None] | None
    weeks: WeekRange
    errors_kept: int | None = None
    # About how many rows the file holds (its line count, the sheet's height), for the progress.
    rows_expected: int | None = None


def _parse_rows(
    rows: Iterable[Sequence[str]],
    columns: _Columns,
    *,
    header_line: int,
    read: _Reading,
    serial_base: date = _EXCEL_1900_BASE,
) -> ParseResult:
    """Validate every data row; collect the valid ones and all errors in line order.

    One long function on purpose: it runs once per row of a 90,000-row national file, and every
    call or attribute lookup in it costs whole percents of the import (FIELD_NOTES: ~170k rows/s is
    the target), so the common cases are inlined here and only the slow paths call into ``cells``."""
    progress, accepted, expected = read.progress, read.weeks, read.rows_expected
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
    # Kinds, weeks and regions repeat down the file: each distinct text is parsed once (up to
    # CACHED_TEXTS of each: a file of distinct nonsense must not keep a sentence for every cell).
    kinds: dict[str, tuple] = {}
    weeks: dict[str, tuple] = {}
    regions: dict[str, tuple] = {}
    municipalities: dict[str, str] = {}
    # (sentence, reason) of a count cell that is no count: a file of nonsense repeats a few texts
    # («n/a», «-») in every cell, and their sentences are written once.
    bad_counts: dict[str, tuple[str, str]] = {}
    first_line: dict[date | None, dict[str, int]] = {}  # week -> org_id -> first line

    parsed: list[ParsedRow] = []
    log = RowErrorLog(read.errors_kept)
    add_error = log.add
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
            progress(total, expected)
        errors_before = log.total
        # Names lose the characters that would make them display as something else.
        org_name = without_bidi_controls(row[i_name]).strip() if i_name >= 0 else ""

        if not org_id:
            error = RowError(line, names[i_id], row[i_id][:MAX_SHOWN_VALUE], _(MSG_NO_ORG_ID), _(REASON_NO_ORG_ID))
            add_error(error)
        elif len(org_id) > ORG_ID_MAX:
            message = _("ID организации длиннее %(limit)s символов") % {"limit": ORG_ID_MAX}
            add_error(
                RowError(
                    line,
                    names[i_id],
                    org_id[:MAX_SHOWN_VALUE],
                    message,
                    _(REASON_ORG_ID_TOO_LONG),
                    "",
                    org_name[:MAX_SHOWN_VALUE],
                )
            )
        if len(org_name) > ORG_NAME_MAX:
            message = _("Наименование длиннее %(limit)s символов") % {"limit": ORG_NAME_MAX}
            add_error(
                RowError(
                    line,
                    names[i_name],
                    org_name[:MAX_SHOWN_VALUE],
                    message,
                    _(REASON_NAME_TOO_LONG),
                    *_org(org_id, org_name),
                )
            )
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
                    _(REASON_MUNICIPALITY_TOO_LONG),
                    *_org(org_id, org_name),
                )
            )

        kind = week = region = None
        week_ok = True
        if i_kind >= 0:
            text = row[i_kind]
            result = kinds.get(text)
            if result is None:
                result = _kind_of(text)
                if len(kinds) < CACHED_TEXTS:
                    kinds[text] = result
            kind, problem = result
            if problem:
                add_error(RowError(line, names[i_kind], text[:MAX_SHOWN_VALUE], *problem, *_org(org_id, org_name)))
        if i_week >= 0:
            text = row[i_week]
            result = weeks.get(text)
            if result is None:
                result = _week_of(text, serial_base, accepted)
                if len(weeks) < CACHED_TEXTS:
                    weeks[text] = result
            week, problem = result
            if problem:
                week_ok = False
                add_error(RowError(line, names[i_week], text[:MAX_SHOWN_VALUE], *problem, *_org(org_id, org_name)))
        if i_region >= 0:
            text = row[i_region]
            result = regions.get(text)
            if result is None:
                result = _region_of(text)
                if len(regions) < CACHED_TEXTS:
                    regions[text] = result
            region, problem = result
            if problem:
                add_error(RowError(line, names[i_region], text[:MAX_SHOWN_VALUE], *problem, *_org(org_id, org_name)))

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
                problem = bad_counts.get(text)
                value = problem or _count_of(text)
                if value.__class__ is not int:
                    if problem is None and len(bad_counts) < CACHED_TEXTS:
                        bad_counts[text] = value
                    add_error(RowError(line, names[position], text[:MAX_SHOWN_VALUE], *value, *_org(org_id, org_name)))
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
                        _(REASON_ACTIVE_OVER_TOTAL),
                        *_org(org_id, org_name),
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
                        _(REASON_DUPLICATE),
                        *_org(org_id, org_name),
                    )
                )

        if log.total == errors_before:
            parsed.append(_parsed_row(line, org_id, org_name, kind, municipality, week, region, tuple(counts)))

    if not total:
        raise FileRejected(_(MSG_NO_ROWS))
    return ParseResult(
        rows=parsed,
        errors=log.kept,
        rows_total=total,
        has_region_column=i_region >= 0,
        has_week_column=i_week >= 0,
        error_log=log,
        # Every distinct text of the column is cached until CACHED_TEXTS: a blank column has one or two.
        org_ids=set().union(*first_line.values()),
        week_column_blank=i_week >= 0 and len(weeks) < CACHED_TEXTS and not any(text.strip() for text in weeks),
    )
