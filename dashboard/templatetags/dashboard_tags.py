"""Small presentation helpers of the pages and charts: Russian number formats and status labels."""

import json
import math
from datetime import date
from urllib.parse import urlencode

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from metrics.choices import ScheduleStatus, UploadStatus
from regions.choices import KIND_ABBREVIATIONS
from regions.names import without_bidi_controls

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"
# What json_script escapes inside the JSON, so that it cannot close the <script> element.
JSON_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def _decimal(number: float, digits: int) -> str:
    """A number with a decimal comma and a non-breaking space between thousands."""
    text = f"{abs(number):,.{digits}f}".replace(",", NBSP).replace(".", ",")
    # A negative number that rounds to zero is written without a sign.
    return MINUS + text if number < 0 and text.strip("0," + NBSP) else text


@register.filter(is_safe=True)
def plain_name(value) -> str:
    """A name as it is shown: without bidirectional formatting characters (regions.names), so that it
    cannot display as something else; also names stored before they were stripped at registration."""
    return "" if value is None else without_bidi_controls(str(value))


@register.filter
def percent(value, digits: int = 1) -> str:
    """A fraction as a Russian percentage, «75,3 %»; «—» for no data."""
    if value is None or value == "":
        return "—"
    shown = float(value) * 100
    # Truncated, not rounded: 99.97 % under a 100 % target must not read «100,0 %» beside «not met».
    scale = 10 ** int(digits)
    shown = math.floor(shown * scale + 1e-9) / scale
    return f"{_decimal(shown, int(digits))}{NBSP}%"


def points_unit() -> str:
    """«п. п.» in the active language, its space non-breaking."""
    return _("п. п.").replace(" ", NBSP)


@register.filter
def points(delta, digits: int = 1, *, unit: str | None = None) -> str:
    """A change of a fraction in percentage points, «+2,1 п. п.»; empty when unknown. A caller
    formatting hundreds passes ``unit`` (``points_unit()``) and saves a translation lookup each."""
    if delta is None or delta == "":
        return ""
    text = _decimal(float(delta) * 100, int(digits))
    sign = "+" if delta > 0 and text.strip("0," + NBSP) else ""
    return f"{sign}{text}{NBSP}{unit or points_unit()}"


@register.filter
def delta_class(delta) -> str:
    """CSS class of a week-on-week change: up, down or none."""
    if delta is None or abs(float(delta)) < 0.0005:
        return ""
    return "delta-up" if delta > 0 else "delta-down"


@register.filter
def number(value) -> str:
    """An integer with non-breaking spaces between thousands, «12 345»."""
    if value is None or value == "":
        return "—"
    return _decimal(float(value), 0)


@register.filter
def ru_date(value, fmt: str = "%d.%m.%Y") -> str:
    """A date as the pages write it, «15.09.2025»; «—» when absent."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime(fmt)


@register.filter
def status_label(code) -> str:
    """The Russian label of a schedule status code."""
    if not code:
        return _("нет данных")
    try:
        return str(ScheduleStatus(code).label)
    except ValueError:
        return str(code)


@register.filter
def upload_status_label(code) -> str:
    """The Russian label of an upload status code."""
    try:
        return str(UploadStatus(code).label)
    except ValueError:
        return str(code)


@register.filter
def kpi_class(entry) -> str:
    """Cell class of a KPI value: met, unmet, or no data."""
    met = entry.get("met") if isinstance(entry, dict) else entry
    if met is None:
        return "v-none"
    return "v-met" if met else "v-unmet"


@register.filter
def sort_value(value) -> str:
    """A `data-value` for the sortable tables: the number, or empty for no data (sorted last)."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return f"{float(value):.6f}"


@register.filter
def kind_abbr(kind) -> str:
    """The Russian abbreviation of an organisation kind (ОО, ДОО, …)."""
    return KIND_ABBREVIATIONS.get(kind, kind)


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template; None when absent."""
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters changed (None or "" removes one), «?a=1&b=2»."""
    request = context.get("request")
    params = dict(request.GET.items()) if request is not None else {}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value.isoformat() if isinstance(value, date) else str(value)
    return "?" + urlencode(params) if params else "?"


@register.filter
def chart_json(value, element_id: str):
    """Django's ``json_script``, same output, for the charts' large JSON: its ``str.translate``
    with a dict walks the text one character at a time in Python (a third of the overview's
    rendering), where three ``str.replace`` calls run in C."""
    text = json.dumps(value, cls=DjangoJSONEncoder)
    for char, escaped in JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text))  # noqa: S308
