"""Presentation of data-quality warnings: Russian labels (never raw codes), values in the unit of
their column, the title of a region's warning mark."""

from django import template
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from metrics.choices import KpiCode, WarningCode
from metrics.importers import column_label

from .dashboard_tags import number, percent

register = template.Library()


@register.filter
def warning_label(code) -> str:
    """«Скачок численности» for base_jump; the code itself when unknown."""
    try:
        return str(WarningCode(code).label)
    except ValueError:
        return str(code)


@register.filter
def warning_column(warning) -> str:
    """The name of a warning's column or KPI; «весь регион» for a region-week's warning. A column is
    named by its header in the file template: the Russian one, or the English one (``staff_total``)
    on an English page (files accept both)."""
    if not warning.column:
        return _("весь регион")
    if warning.column in KpiCode.values:
        return str(KpiCode(warning.column).label)
    if get_language() != settings.LANGUAGE_CODE:
        return warning.column
    return column_label(warning.column)


@register.filter
def warning_value(warning, which: str) -> str:
    """A warning's ``previous`` or ``new`` value: a percentage for a KPI, a number otherwise."""
    value = getattr(warning, which)
    if value is None:
        return "—"
    if warning.column in KpiCode.values:
        return percent(value)
    return number(round(value))


@register.filter
def warning_items(counts) -> list[tuple[str, int]]:
    """[(label, count)] of a {code: count} mapping, in WarningCode order."""
    counts = counts or {}
    return [(str(WarningCode(code).label), counts[code]) for code in WarningCode.values if counts.get(code)]


@register.filter
def warning_total(counts) -> int:
    return sum((counts or {}).values())


@register.filter
def warning_title(counts) -> str:
    """«Предупреждения о качестве данных: Скачок численности — 3; …», the title of the ⚠ mark."""
    return WarningTitles()(counts)


class WarningTitles:
    """``warning_title`` for a table of many regions: the labels and the sentence looked up once."""

    def __init__(self):
        self.labels = {code: str(WarningCode(code).label) for code in WarningCode.values}
        self.sentence = _("Предупреждения о качестве данных: %(items)s")

    def __call__(self, counts) -> str:
        counts = counts or {}
        items = "; ".join(f"{self.labels[code]} — {counts[code]}" for code in WarningCode.values if counts.get(code))
        return self.sentence % {"items": items}
