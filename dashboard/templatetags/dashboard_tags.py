"""Small presentation helpers of the pages and charts: Russian number formats and status labels."""

import json
import math
from datetime import date, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from metrics.choices import KpiCode, ReportingStatus, ScheduleStatus, UploadStatus
from metrics.kpi import severity_rank
from metrics.selectors import seeded_name as _seeded_name
from regions.choices import KIND_SHORT_LABELS
from regions.names import without_bidi_controls

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"
# What json_script escapes inside the JSON, so that it cannot close the <script> element.
JSON_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def _decimal(number: float, digits: int, english: bool | None = None) -> str:
    """A number with a decimal comma and a non-breaking space between thousands («12 345,6»); on an
    English page with a decimal point and commas («12,345.6»). ``english``: whether the page is in
    English, when the caller knows it (``Formats``); else the active language is read."""
    text = f"{abs(number):,.{digits}f}"
    if not (get_language() == "en" if english is None else english):
        text = text.replace(",", NBSP).replace(".", ",")
    # A negative number that rounds to zero is written without a sign.
    return MINUS + text if number < 0 and text.strip("0,." + NBSP) else text


@register.filter(is_safe=True)
def plain_name(value) -> str:
    """A name as it is shown: without bidirectional formatting characters (regions.names), so that it
    cannot display as something else; also names stored before they were stripped at registration."""
    return "" if value is None else without_bidi_controls(str(value))


def shown_share(value, digits: int = 1) -> float | None:
    """A fraction as the pages show it: truncated to ``digits`` decimals of a percent, not rounded
    (99.97 % under a 100 % target must not read «100,0 %» beside «not met»). None for no data."""
    if value is None or value == "":
        return None
    scale = 10 ** (int(digits) + 2)
    return math.floor(float(value) * scale + 1e-9) / scale


def percent_number(value, digits: int = 1, *, english: bool | None = None) -> str:
    """A fraction as the number of a Russian percentage without the sign, «75,3»; empty for no data."""
    shown = shown_share(value, digits)
    return "" if shown is None else _decimal(shown * 100, int(digits), english)


@register.filter
def percent(value, digits: int = 1, *, english: bool | None = None) -> str:
    """A fraction as a Russian percentage, «75,3 %»; «—» for no data."""
    text = percent_number(value, digits, english=english)
    return f"{text}{NBSP}%" if text else "—"


def points_unit() -> str:
    """«п. п.» in the active language, its space non-breaking."""
    return _("п. п.").replace(" ", NBSP)


@register.filter
def points(delta, digits: int = 1, *, unit: str | None = None, english: bool | None = None) -> str:
    """A change of a fraction in percentage points, «+2,1 п. п.»; empty when unknown. A caller
    formatting hundreds passes ``unit`` (``points_unit()``) and saves a translation lookup each."""
    if delta is None or delta == "":
        return ""
    text = _decimal(float(delta) * 100, int(digits), english)
    sign = "+" if delta > 0 and text.strip("0,." + NBSP) else ""
    return f"{sign}{text}{NBSP}{unit or points_unit()}"


@register.filter
def delta_class(delta) -> str:
    """CSS class of a week-on-week change: up, down or none."""
    if delta is None or abs(float(delta)) < 0.0005:
        return ""
    return "delta-up" if delta > 0 else "delta-down"


@register.filter
def number(value, *, english: bool | None = None) -> str:
    """An integer with non-breaking spaces between thousands, «12 345»."""
    if value is None or value == "":
        return "—"
    return _decimal(float(value), 0, english)


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
def severity(code) -> int:
    """`data-value` of a status cell: its rank by severity (late first, no status last), so that
    sorting a table by status is by severity, never alphabetical."""
    return severity_rank(code or None)


@register.filter
def reporting_label(code) -> str:
    """The Russian label of a reporting status, as its badge reads: «в срок», «не отчитался»."""
    try:
        return str(ReportingStatus(code).label).lower()
    except ValueError:
        return _("нет данных")


class Formats:
    """The active language's number format, status labels and the small words between numbers,
    looked up once for a page's hundreds of rows: each ``get_language()``, ``gettext`` or lazy
    label read finds the request's language in a context-local again, thousands of times a page.
    Made per page (or per table, figure, sentence), never kept: the language is the request's."""

    def __init__(self):
        self.english = get_language() == "en"
        # A percentage as shown (0.1 % steps) -> its text: a heat map writes 2,300 of a few hundred.
        self._percents: dict[tuple[float, int], str] = {}

    # Each word is looked up on first use, then read as a plain attribute.
    @cached_property
    def unit(self) -> str:
        return points_unit()

    @cached_property
    def of(self) -> str:
        return _("из")

    @cached_property
    def no_data(self) -> str:
        return _("нет данных")

    @cached_property
    def no_data_title(self) -> str:
        return _("Нет данных")

    @cached_property
    def since(self) -> str:
        return _("с %(day)s")

    @cached_property
    def blocks(self) -> str:
        return _("мешает: %(what)s")

    @cached_property
    def statuses(self) -> dict[str, str]:
        return {status.value: str(status.label) for status in ScheduleStatus}

    @cached_property
    def reporting(self) -> dict[str, str]:
        return {status.value: str(status.label).lower() for status in ReportingStatus}

    def percent(self, value, digits: int = 1) -> str:
        """``percent``, «75,3 %»; «—» for no data."""
        shown = shown_share(value, digits)
        if shown is None:
            return "—"
        text = self._percents.get((shown, digits))
        if text is None:
            text = self._percents[(shown, digits)] = f"{_decimal(shown * 100, int(digits), self.english)}{NBSP}%"
        return text

    def number(self, value) -> str:
        """``number``, «12 345»; «—» for no data."""
        return "—" if value is None or value == "" else _decimal(float(value), 0, self.english)

    def points(self, delta, digits: int = 1) -> str:
        return points(delta, digits, unit=self.unit, english=self.english)

    def status_label(self, code) -> str:
        """``status_label``: no status «нет данных», an unknown code itself."""
        if not code:
            return self.no_data
        return self.statuses.get(code) or str(code)

    def reporting_label(self, code) -> str:
        """``reporting_label``: an unknown status «нет данных»."""
        return self.reporting.get(code) or self.no_data


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
def seeded_name(text) -> str:
    """A federal stage's title (or another name from the reference data) in the active language."""
    return _seeded_name(text)


@register.filter
def kind_abbr(kind) -> str:
    """The short name of an organisation kind: its abbreviation in Russian (ОО, ДОО, …)."""
    return str(KIND_SHORT_LABELS.get(kind, kind))


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


@register.simple_tag
def week_options(weeks, week) -> str:
    """The week selector's options (every week with data: a year of them on every page), the week
    on screen selected: «<option value="2025-11-03" selected>03.11.2025</option>». Formatted here,
    not by two ``date`` filters per option."""
    return mark_safe(  # noqa: S308 - dates only
        "".join(
            f'<option value="{w.year:04}-{w.month:02}-{w.day:02}"{" selected" if w == week else ""}>'
            f"{w.day:02}.{w.month:02}.{w.year:04}</option>"
            for w in weeks
        )
    )


@register.filter
def chart_json(value, element_id: str):
    """Django's ``json_script``, same output, for the charts' large JSON: its ``str.translate``
    with a dict walks the text one character at a time in Python (a third of the overview's
    rendering), where three ``str.replace`` calls run in C."""
    text = json.dumps(value, cls=DjangoJSONEncoder)
    for char, escaped in JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text))  # noqa: S308


# --- verdicts in words (DESIGN.md §4.1) -------------------------------------------------------


def _kpi_name(code: str, names: dict | None) -> str:
    """A KPI's short name inside a sentence («должностные лица», «только в MAX»), never its code."""
    name = (names or {}).get(code)
    if not name:
        try:
            name = str(KpiCode(code).label)
        except ValueError:
            return _("показатель")
    # Lower-case the first letter of a word, not of an abbreviation («MAX» stays).
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def _target_percent(target, formats: Formats) -> str:
    """A target as written in a verdict: whole percent when it is one («100 %»), else one digit."""
    shown = float(target) * 100
    return formats.percent(target, 0 if abs(shown - round(shown)) < 1e-9 else 1)


def _gap_points(gap: float, formats: Formats) -> str:
    """A KPI's gap to its target in p. p.; a gap too small for one decimal gets two, so that a KPI
    under its target never reads «0,0 п. п.»."""
    return formats.points(gap, 2 if gap and abs(gap) * 100 < 0.05 else 1)


def _blocker_text(item: dict, names: dict | None, *, compact: bool = False, formats: Formats | None = None) -> str:
    """«должностные лица 95,7 % из 100 %, −4,3 п. п.»; compact: «должностные лица −4,3 п. п.»."""
    formats = formats or Formats()
    name = _kpi_name(item.get("kpi", ""), names)
    value, target, gap = item.get("value"), item.get("target"), item.get("gap")
    if value is None:
        return f"{name}: {formats.no_data}"
    if gap is None and target is not None:
        gap = value - float(target)
    if compact:
        return f"{name} {_gap_points(gap, formats)}" if gap is not None else name
    text = f"{name} {formats.percent(value)}"
    if target is not None:
        text += f" {formats.of} {_target_percent(target, formats)}"
    if gap is not None:
        text += f", {_gap_points(gap, formats)}"
    return text


def _coverage_text(coverage) -> str:
    """«отчитались 40 из 120 организаций (33 %)»; empty without a registry total."""
    coverage = coverage or {}
    reported, total = coverage.get("reported") or 0, coverage.get("total") or 0
    if not total:
        return ""
    text = ngettext("отчитались %(n)s из %(total)s организации", "отчитались %(n)s из %(total)s организаций", total) % {
        "n": number(reported),
        "total": number(total),
    }
    return f"{text} ({percent(reported / total, 0)})"


def verdict_text(
    status,
    since=None,
    blocking_detail=None,
    coverage=None,
    names=None,
    *,
    form: str = "full",
    formats: Formats | None = None,
) -> str:
    """A scope's verdict in words, from its status, the first week of its current run, what blocks
    it and its coverage: «Просрочено с 03.11.2025 · мешает: должностные лица 95,7 % из 100 %,
    −4,3 п. п.», «Выполнено», «Недостаточно данных: отчитались 40 из 120 организаций (33 %)».

    ``form``: "full" the sentence; "detail" what follows a status badge («с 03.11.2025 · мешает:
    должностные лица 95,7 % из 100 %, −4,3 п. п.»); "compact" the same in a table cell
    («с 03.11.2025 · должностные лица −4,3 п. п.»). ``formats``: a table's ``Formats``, shared by
    its rows."""
    formats = formats or Formats()
    labelled = form == "full"
    if not status:
        return formats.no_data_title if labelled else ""
    label = formats.status_label(status)
    if status == ScheduleStatus.INSUFFICIENT_DATA:
        coverage_text = _coverage_text(coverage)
        if not labelled:
            return coverage_text
        return f"{label}: {coverage_text}" if coverage_text else label
    parts = [label] if labelled else []
    if since and status in (ScheduleStatus.LATE, ScheduleStatus.AT_RISK, ScheduleStatus.ON_TRACK):
        parts.append(formats.since % {"day": ru_date(since)})
    text = " ".join(parts)
    blockers = [b for b in blocking_detail or [] if isinstance(b, dict)]
    if blockers and status in (ScheduleStatus.LATE, ScheduleStatus.AT_RISK):
        compact = form == "compact"
        listed = "; ".join(_blocker_text(b, names, compact=compact, formats=formats) for b in blockers)
        text = f"{text} · {listed}" if compact else f"{text} · " + formats.blocks % {"what": listed}
    return text.lstrip(" ·")


@register.simple_tag
def verdict(state, names=None, form="full") -> str:
    """{% verdict status kpi_names %}: ``verdict_text`` of a selector's scope or region row
    (``status``, ``status_since``, ``blocking_detail``, ``coverage``); ``form`` "detail" after a
    badge that already names the status."""
    if not state:
        return _("Нет данных") if form == "full" else ""
    return verdict_text(
        state.get("status"),
        state.get("status_since"),
        state.get("blocking_detail"),
        state.get("coverage"),
        names,
        form=form,
    )


@register.simple_tag
def stage_verdict(stage, names=None) -> str:
    """What a roadmap stage's badge does not say: «выполнен в срок», «выполнен 03.11.2025 с
    опозданием», «просрочен с 01.11.2025 · мешает: …», «мешает: …» (at risk); empty when the
    status alone is all there is to say (on track, not started, done with no date known)."""
    status = (stage or {}).get("status")
    formats = Formats()
    blockers = "; ".join(
        _blocker_text(b, names, formats=formats) for b in stage.get("blocking") or [] if isinstance(b, dict)
    )
    if status == ScheduleStatus.DONE:
        done_on, on_time = stage.get("done_on"), stage.get("on_time")
        if on_time is False:
            if not done_on:
                return _("выполнен с опозданием")
            return _("выполнен %(day)s с опозданием") % {"day": ru_date(done_on)}
        if on_time:
            return _("выполнен в срок")
        return ""
    if status == ScheduleStatus.LATE:
        since = stage.get("late_since") or stage.get("deadline")
        text = _("просрочен с %(day)s") % {"day": ru_date(since)} if since else _("просрочен")
        return f"{text} · " + _("мешает: %(what)s") % {"what": blockers} if blockers else text
    if status == ScheduleStatus.AT_RISK and blockers:
        return _("мешает: %(what)s") % {"what": blockers}
    return ""


@register.filter
def own_schedule_status(kpi) -> str | None:
    """The «график: …» badge of a KPI card: the KPI's own status. A KPI at its target is never
    shown as late or at risk (rows computed before statuses were the KPI's own could say so
    because of another KPI of the same stage): no badge then, the card says «цель достигнута»."""
    status = kpi.get("schedule_status") if isinstance(kpi, dict) else None
    if kpi and kpi.get("met") and status in (ScheduleStatus.LATE, ScheduleStatus.AT_RISK):
        return None
    return status


@register.filter
def deadline_text(moment) -> str:
    """A reporting deadline as the banner writes it: «вт 11.11.2025 12:00 (МСК)»."""
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    days = [_("пн"), _("вт"), _("ср"), _("чт"), _("пт"), _("сб"), _("вс")]
    zone = _("МСК") if str(timezone.get_current_timezone()) == "Europe/Moscow" else local.tzname()
    return f"{days[local.weekday()]} {local:%d.%m.%Y %H:%M} ({zone})"


@register.filter
def week_range(week) -> str:
    """A week as its Monday to Sunday, «03.11–09.11.2025»."""
    if not week:
        return "—"
    if isinstance(week, str):
        week = date.fromisoformat(week)
    return f"{week:%d.%m}–{week + timedelta(days=6):%d.%m.%Y}"


@register.filter
def reporting_severity(code) -> int:
    """`data-value` of a reporting status cell: missing, partial, late, on time."""
    try:
        return list(ReportingStatus.values).index(code)
    except ValueError:
        return len(ReportingStatus.values)
