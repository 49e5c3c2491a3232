"""One cell's rules, the slow paths (the common cases are handled inline in rows._parse_rows): counts,
kinds, weeks (ISO, Russian and Excel serial dates), region codes."""

import re
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from regions.choices import KIND_ABBREVIATIONS, OrganisationKind

from ..kpi import WeekRange, monday_of
from .errors import (
    MSG_BLANK_COUNT,
    REASON_BAD_DATE,
    REASON_BAD_REGION_CODE,
    REASON_BLANK_COUNT,
    REASON_COUNT_TOO_LARGE,
    REASON_DATE_OUT_OF_RANGE,
    REASON_NOT_A_COUNT,
    REASON_UNKNOWN_KIND,
    _grouped,
)

MAX_SHOWN_VALUE = 200
# Snapshot counts are PostgreSQL integers; larger numbers would fail only at write time.
MAX_COUNT = 2_147_483_647
_EXCEL_1900_BASE = date(1899, 12, 30)  # serial 1 is 1900-01-01, shifted by Lotus' phantom 1900-02-29
_EXCEL_1904_BASE = date(1904, 1, 1)
# Digits grouped by thousands with a space, NBSP, narrow NBSP or thin space, as Excel shows "1 234".
_GROUPED_DIGITS = re.compile("[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3}){1,3}")
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
# Latin letters that look like Cyrillic ones, typed by mistake in abbreviations such as "OO".
_LATIN_LOOKALIKES = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_KINDS = {kind.value: kind.value for kind in OrganisationKind}
_KINDS.update({abbreviation.lower(): kind.value for kind, abbreviation in KIND_ABBREVIATIONS.items()})
_KIND_LIST = ", ".join(KIND_ABBREVIATIONS.values())


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 50 else text[:50] + "…"


def _count_of(text: str) -> int | tuple[str, str]:
    """A count cell as an int, or (the Russian sentence, the reason) why it is not one."""
    # Whatever int() reads is a whole number, so "+5" and "1_000" pass too; so does Excel's "1 234".
    try:
        value = int(text)
    except ValueError:
        stripped = text.strip()
        if not stripped:
            return _(MSG_BLANK_COUNT), _(REASON_BLANK_COUNT)
        if not _GROUPED_DIGITS.fullmatch(stripped):
            return _not_a_count(text)
        value = int("".join(stripped.split()))  # the separators are whitespace to str.split()
    if value < 0:
        return _not_a_count(text)
    if value > MAX_COUNT:
        message = _("Значение «%(value)s» больше допустимого (%(limit)s)") % {
            "value": _shown(text),
            "limit": _grouped(MAX_COUNT),
        }
        return message, _(REASON_COUNT_TOO_LARGE)
    return value


def _not_a_count(text: str) -> tuple[str, str]:
    message = _("Значение «%(value)s» не является целым неотрицательным числом") % {"value": _shown(text)}
    return message, _(REASON_NOT_A_COUNT)


def _kind_of(text: str) -> tuple[str | None, tuple[str, str] | None]:
    """(kind code, None), (None, None) for a blank cell, or (None, (sentence, reason))."""
    key = text.strip().lower()
    if not key:
        return None, None
    kind = _KINDS.get(key) or _KINDS.get(key.translate(_LATIN_LOOKALIKES))
    if kind is None:
        message = _("Неизвестный тип организации «%(value)s»: допустимы %(kinds)s") % {
            "value": _shown(text),
            "kinds": _KIND_LIST,
        }
        return None, (message, _(REASON_UNKNOWN_KIND))
    return kind, None


def _week_of(text: str, serial_base: date, accepted: WeekRange) -> tuple[date | None, tuple[str, str] | None]:
    """(Monday of the week the cell names, None), (None, None) for a blank cell, or (None, (sentence,
    reason))."""
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
        message = _("Дата «%(value)s» не распознана: укажите её в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ") % {
            "value": _shown(text)
        }
        return None, (message, _(REASON_BAD_DATE))
    if day not in accepted:
        message = _("Дата «%(value)s» вне допустимого диапазона: допустимы недели %(span)s") % {
            "value": _shown(text),
            "span": accepted.span,
        }
        return None, (message, _(REASON_DATE_OUT_OF_RANGE))
    return monday_of(day), None


def _region_of(text: str) -> tuple[str | None, tuple[str, str] | None]:
    """(two-digit subject code, None), (None, None) for a blank cell, or (None, (sentence, reason))."""
    value = text.strip()
    if not value:
        return None, None
    if value.isdigit() and value.isascii() and len(value) <= 2 and int(value) > 0:
        return value.zfill(2), None
    message = _("Код региона «%(value)s» должен состоять из одной или двух цифр") % {"value": _shown(text)}
    return None, (message, _(REASON_BAD_REGION_CODE))
