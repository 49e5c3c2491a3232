"""The page tables: KPI cells formatted once for the HTML tables, and the downloads (headers and
plain rows from what the selectors return).

In downloads KPI values go out as percentages (numbers, not text) so a spreadsheet can sort and
chart them.
"""

from html import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from metrics.counts import COUNT_FIELDS
from metrics.models import WeeklySnapshot

from .templatetags.dashboard_tags import (
    delta_class,
    kind_abbr,
    kpi_class,
    number,
    percent,
    points,
    points_unit,
    ru_date,
    sort_value,
    status_label,
)


def kpi_cells(kpis: dict | None, definitions, *, deltas: bool = False) -> str:
    """One row's KPI cells in display order: coloured by the target, a sort key, the value and,
    with ``deltas``, the change from the week before. Rendered here once per row, as a table
    library renders its columns: a template loop of filters per cell was most of the time of
    rendering the overview's 89 × 4 cells (and ``format_html`` per cell still a tenth of it)."""
    cells, unit = [], points_unit()
    for d in definitions:
        entry = kpis.get(d.code) if kpis else None
        value = entry["value"] if entry else None
        delta = entry.get("delta") if entry and deltas else None
        change = (
            f'<span class="cell-delta {escape(delta_class(delta))}">{escape(points(delta, unit=unit))}</span>'
            if delta is not None
            else ""
        )
        cells.append(
            f'<td class="num {escape(kpi_class(entry))}" data-value="{escape(sort_value(value))}">'
            f"{escape(percent(value))}{change}</td>"
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value in it is escaped above


def with_kpi_cells(rows, definitions, *, deltas: bool = False) -> list[dict]:
    """The rows of a page table (each with ``kpis``: code -> entry, or None) with their
    ``kpi_cells`` added."""
    return [{**row, "kpi_cells": kpi_cells(row["kpis"], definitions, deltas=deltas)} for row in rows]


def overview_rows(rows, definitions, *, week_query: str) -> list[dict]:
    """The overview's regions (rows of ``country_summary``) with what its table shows of them
    formatted once: the link, the KPI cells with their changes, status, coverage and projection."""
    return [
        {
            **row,
            "url": row["region"].get_absolute_url() + week_query,
            "kpi_cells": kpi_cells(row["kpis"], definitions, deltas=True),
            "status_label": status_label(row["status"]),
            "coverage": f"{number(row['orgs_reported'])} {_('из')} {number(row['orgs_total'])}"
            if row["orgs_total"]
            else "—",
            "projected_sort": sort_value(row["projected_date"]),
            "projected_text": ru_date(row["projected_date"]),
        }
        for row in rows
    ]


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
