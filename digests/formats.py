"""How a digest writes numbers, dates and counts in Russian. Pure: no ORM, no settings."""

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

NBSP = "\u00a0"
MINUS = "\u2212"


def _decimal(number: float, digits: int) -> str:
    """A number with a decimal comma and a non-breaking space between thousands."""
    text = f"{abs(number):,.{digits}f}".replace(",", NBSP).replace(".", ",")
    return MINUS + text if number < 0 and text.strip("0," + NBSP) else text


def percent(value: float | None) -> str:
    """A fraction as «75,3 %», truncated as the pages do (99,97 % under a 100 % target must not
    read «100,0 %»); «нет данных» for None."""
    if value is None:
        return _("нет данных")
    shown = math.floor(value * 1000 + 1e-9) / 10
    return f"{_decimal(shown, 1)}{NBSP}%"


def target_percent(value: float) -> str:
    """A target as written in the roadmap: «75 %», «100 %», «32,5 %»."""
    shown = round(value * 100, 1)
    digits = 0 if shown == int(shown) else 1
    return f"{_decimal(shown, digits)}{NBSP}%"


def points(delta: float | None) -> str:
    """A change of a fraction in percentage points, «+2,1 п. п.», «−4,3 п. п.»."""
    if delta is None:
        return ""
    text = _decimal(delta * 100, 1)
    sign = "+" if delta > 0 and text.strip("0," + NBSP) else ""
    return f"{sign}{text}{NBSP}" + _("п. п.").replace(" ", NBSP)


def number(value: int) -> str:
    """An integer with non-breaking spaces between thousands, «12 345»."""
    return _decimal(float(value), 0)


def ru_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def ru_datetime(value: datetime | None, timezone: str) -> str:
    """An aware moment in the product's time zone, «04.11.2025 09:12»."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian form of a noun after ``count``: 1 организация, 2 организации, 5 организаций."""
    tail = count % 100
    if 11 <= tail <= 14:
        return many
    if count % 10 == 1:
        return one
    if 2 <= count % 10 <= 4:
        return few
    return many


def countdown(days: int) -> str:
    """«сегодня», «завтра», «через 3 дня», «через 7 дней»; «срок прошёл» when negative."""
    if days < 0:
        return _("срок прошёл")
    if days == 0:
        return _("сегодня")
    if days == 1:
        return _("завтра")
    return _("через %(count)d %(days)s") % {"count": days, "days": plural(days, _("день"), _("дня"), _("дней"))}


def lower_first(text: str) -> str:
    """«Активные должностные лица» → «активные должностные лица» (an abbreviation such as «MAX» stays)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
