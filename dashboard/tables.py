"""The page tables as downloads: headers and plain rows from what the selectors return.

KPI values go out as percentages (numbers, not text) so a spreadsheet can sort and chart them.
"""

from django.utils.translation import gettext as _

from metrics.fields import COUNT_FIELDS
from metrics.models import WeeklySnapshot

from .templatetags.dashboard_tags import kind_abbr, status_label


def _pct(value):
    return round(value * 100, 2) if value is not None else None


def _kpi_headers(definitions) -> list[str]:
    return [f"{d.short_name}, %" for d in definitions]


def regions_table(rows, definitions) -> tuple[list[str], list[tuple]]:
    """The federal overview's table of regions."""
    headers = [
        _("Код"),
        _("Регион"),
        _("Федеральный округ"),
        _("Пилотный"),
        *_kpi_headers(definitions),
        _("Статус графика"),
        _("Организаций отчиталось"),
        _("Организаций всего"),
        _("Прогноз достижения целей"),
    ]
    body = [
        (
            row["code"],
            row["name"],
            row["federal_district"],
            row["pilot"],
            *[_pct(row["kpis"][d.code]["value"]) for d in definitions],
            status_label(row["status"]),
            row["orgs_reported"],
            row["orgs_total"],
            row["projected_date"],
        )
        for row in rows
    ]
    return headers, body


def municipalities_table(rows, definitions) -> tuple[list[str], list[tuple]]:
    """A region's municipalities with their KPIs."""
    headers = [_("Муниципалитет"), _("ОКТМО"), *_kpi_headers(definitions), _("Отчиталось"), _("Организаций всего")]
    body = [
        (
            row["municipality"].name,
            row["municipality"].oktmo,
            *[_pct(row["kpis"][d.code]["value"]) for d in definitions],
            row["orgs_reported"],
            row["orgs_total"],
        )
        for row in rows
    ]
    return headers, body


def _blocking_text(row, names) -> str:
    if row["kpis"] is None:
        return _("нет данных за неделю")
    return ", ".join(names.get(code, code) for code in row["blocking"])


def organisations_table(rows, definitions) -> tuple[list[str], list[tuple]]:
    """Organisations with their readiness verdict and KPIs (lagging or a municipality's)."""
    names = {d.code: d.short_name for d in definitions}
    headers = [
        _("ID организации"),
        _("Наименование"),
        _("Тип"),
        _("Муниципалитет"),
        _("Готова"),
        _("Что не выполнено"),
        *_kpi_headers(definitions),
    ]
    body = [
        (
            row["organisation"].org_id,
            row["organisation"].name,
            kind_abbr(row["organisation"].kind),
            row["organisation"].municipality.name if row["organisation"].municipality else "",
            row["ready"],
            _blocking_text(row, names),
            *[_pct(row["kpis"][d.code]["value"]) if row["kpis"] else None for d in definitions],
        )
        for row in rows
    ]
    return headers, body


def organisation_weeks_table(rows, definitions) -> tuple[list[str], list[tuple]]:
    """An organisation's weekly figures, the KPIs computed from them, and the upload they came from."""
    labels = [str(WeeklySnapshot._meta.get_field(field).verbose_name).capitalize() for field in COUNT_FIELDS]
    headers = [_("Неделя"), *labels, *_kpi_headers(definitions), _("Загрузка №")]
    body = [
        (
            row["week"],
            *[row["counts"][field] for field in COUNT_FIELDS],
            *[_pct(row["kpis"][d.code]["value"]) for d in definitions],
            row["upload"].pk if row["upload"] else None,
        )
        for row in rows
    ]
    return headers, body
