"""The page tables: KPI cells formatted once for the HTML tables, and the downloads (headers and
plain rows from what the selectors return).

In downloads KPI values go out as percentages (``exports.Percent``: numbers in a percent format,
not text) so a spreadsheet can sort and chart them, truncated as the pages show them.
"""

from html import escape

from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from metrics.choices import ReportingStatus, ScheduleStatus
from metrics.counts import COUNT_FIELDS
from metrics.kpi import STATUS_SEVERITY, severity_rank

from .exports import Percent
from .links import NUMBER_PLACEHOLDER, Links
from .templatetags.dashboard_tags import (
    Formats,
    delta_class,
    kind_abbr,
    kpi_class,
    plain_name,
    reporting_label,
    reporting_severity,
    ru_date,
    sort_value,
    status_label,
    verdict_text,
)
from .templatetags.quality_tags import WarningTitles


def kpi_cells(kpis: dict | None, definitions, *, deltas: bool = False, formats: Formats | None = None) -> str:
    """One row's KPI cells in display order: coloured by the target, a sort key, the value and,
    with ``deltas``, the change from the week before. Rendered here once per row, as a table
    library renders its columns: a template loop of filters per cell was most of the time of
    rendering the overview's 89 × 4 cells (and ``format_html`` per cell still a tenth of it).
    ``formats``: the table's ``Formats``, shared by its rows."""
    formats = formats or Formats()
    cells = []
    for d in definitions:
        entry = kpis.get(d.code) if kpis else None
        value = entry["value"] if entry else None
        delta = entry.get("delta") if entry and deltas else None
        change = (
            f'<span class="cell-delta {escape(delta_class(delta))}">{escape(formats.points(delta))}</span>'
            if delta is not None
            else ""
        )
        cells.append(
            f'<td class="num {escape(kpi_class(entry))}" data-value="{escape(sort_value(value))}">'
            f"{escape(formats.percent(value))}{change}</td>"
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value in it is escaped above


def municipality_rows(rows, definitions, *, week_query: str) -> list[dict]:
    """A region's municipalities (``municipality_ranking`` rows, in its order) with ``html``, each
    table row formatted once: place, link, KPI cells, organisations reported."""
    formats = Formats()
    url = Links("dashboard:municipality", "pk", NUMBER_PLACEHOLDER)
    for place, row in enumerate(rows, start=1):
        municipality = row["municipality"]
        cells = [
            f'<td data-value="{place}">{place}</td>',
            f'<td><a href="{escape(url(municipality.pk) + week_query)}">'
            f"{escape(plain_name(municipality.name))}</a></td>",
            kpi_cells(row["kpis"], definitions, formats=formats),
            f'<td class="num" data-value="{row["orgs_reported"]}">{escape(formats.number(row["orgs_reported"]))} '
            f"{escape(formats.of)} {escape(formats.number(row['orgs_total']))}</td>",
        ]
        row["html"] = mark_safe(f"<tr>{_CELL}{_CELL.join(cells)}\n      </tr>")  # noqa: S308 - escaped
    return rows


def organisation_rows(rows, definitions, *, week_query: str, hide_municipality: bool = False) -> list[dict]:
    """Organisations with their readiness (``organisations_lagging`` or ``organisations_readiness``
    rows) with ``html``, each table row formatted once: name and ID, kind, municipality (unless
    hidden), readiness and what is below target, KPI cells."""
    formats = Formats()
    names = {d.code: d.short_name for d in definitions}
    url = Links("dashboard:organisation", "pk", NUMBER_PLACEHOLDER)
    ready, no_data, below = _("готова"), _("нет данных за неделю"), _("ниже цели")
    cell = "\n      "
    for row in rows:
        organisation = row["organisation"]
        if row["ready"]:
            readiness = f'<td class="readiness" data-value="2"><span class="badge ready">{escape(ready)}</span></td>'
        elif row["kpis"] is None:
            readiness = f'<td class="readiness" data-value="0"><span class="badge late">{escape(no_data)}</span></td>'
        else:
            blocking = ", ".join(escape(str(names.get(code))) for code in row["blocking"])
            readiness = (
                f'<td class="readiness" data-value="{1 if row["kpis"] else 0}"><span class="badge not_ready">'
                f'{escape(below)}</span><span class="muted small blocking">{blocking}</span></td>'
            )
        municipality = organisation.municipality
        cells = [
            f'<td class="org-name"><a href="{escape(url(organisation.pk) + week_query)}">'
            f"{escape(plain_name(organisation.name))}</a> "
            f'<span class="muted small">{escape(organisation.org_id)}</span></td>',
            f'<td title="{escape(str(organisation.get_kind_display()))}">{escape(kind_abbr(organisation.kind))}</td>',
            ""
            if hide_municipality
            else f"<td>{escape(plain_name(municipality.name) if municipality else '') or '—'}</td>",
            readiness,
            kpi_cells(row["kpis"], definitions, formats=formats),
        ]
        row["html"] = mark_safe(f"<tr>{cell}{cell.join(cells)}\n    </tr>")  # noqa: S308 - escaped
    return rows


def _verdict(row, names, *, form="full", formats: Formats | None = None) -> str:
    return verdict_text(
        row["status"],
        row["status_since"],
        row["blocking_detail"],
        row["coverage"],
        names,
        form=form,
        formats=formats,
    )


def by_severity(rows) -> list[dict]:
    """Rows of regions, the most severe status first, then by region code (DESIGN.md §4.1)."""
    return sorted(rows, key=lambda row: (severity_rank(row["status"]), row["code"]))


def overview_rows(rows, definitions, *, week_query: str, quality_counts: dict | None = None) -> list[dict]:
    """The overview's regions (rows of ``country_summary``), the most severe status first, with
    what its table shows of them formatted once: the link, the KPI cells with their changes, the
    verdict (a compact line under the badge, the whole sentence in its title), coverage, reporting
    and projection; ``html``, the table row itself (``quality_counts``: ``warning_counts`` of the
    week, for the regions' ⚠ marks)."""
    names = {d.code: d.short_name for d in definitions}
    formats = Formats()
    words = _OverviewWords()
    region_url = Links("dashboard:region")
    rows = [
        {
            **row,
            "url": region_url(row["region"].code) + week_query,
            "kpi_cells": kpi_cells(row["kpis"], definitions, deltas=True, formats=formats),
            "status_label": formats.status_label(row["status"]),
            "severity": severity_rank(row["status"]),
            "verdict": _verdict(row, names, formats=formats),
            "verdict_compact": _verdict(row, names, form="compact", formats=formats),
            "reporting_label": formats.reporting_label(row["reporting_status"]),
            "coverage_text": f"{formats.number(row['orgs_reported'])} {formats.of} {formats.number(row['orgs_total'])}"
            if row["orgs_total"]
            else "—",
            "coverage_share": row["orgs_reported"] / row["orgs_total"] if row["orgs_total"] else None,
            "projected_sort": sort_value(row["projected_date"]),
            "projected_text": ru_date(row["projected_date"]),
        }
        for row in by_severity(rows)
    ]
    for row in rows:
        row["html"] = _overview_row_html(row, (quality_counts or {}).get(row["region"].id), formats, words)
    return rows


class _OverviewWords:
    """The words of the overview's table, looked up once for its 89 rows."""

    def __init__(self):
        self.pilot = _("пилот")
        self.warning_title = WarningTitles()


# Between the cells of a table row, as the template indents them.
_CELL = "\n        "


def _overview_row_html(row: dict, warnings: dict | None, formats: Formats, words: _OverviewWords) -> str:
    """One region's row of the overview's table, every value escaped: formatted here once per row,
    as ``kpi_cells``, instead of some twenty template variables, filters and an include per row."""
    if warnings:
        title = escape(words.warning_title(warnings))
        mark = (
            f' <span class="badge at_risk quality-mark" title="{title}" aria-label="{title}">'
            f"⚠ {sum(warnings.values())}</span>"
        )
    else:
        mark = ""
    pilot = f'<span class="badge on_track">{escape(words.pilot)}</span>' if row["pilot"] else ""
    if row["status"]:
        status = f'<span class="badge {escape(str(row["status"]))}">{escape(row["status_label"])}</span>'
        if row["verdict_compact"]:
            status += f'<span class="cell-note">{escape(row["verdict_compact"])}</span>'
    else:
        status = f'<span class="badge">{escape(formats.no_data)}</span>'
    share = row["coverage_share"]
    coverage = escape(row["coverage_text"])
    if share is not None:
        coverage += f'<span class="cell-delta muted">{escape(formats.percent(share, 0))}</span>'
    reporting = row["reporting_status"]
    cells = [
        f"<td>{escape(row['code'])}</td>",
        f'<td><a href="{escape(row["url"])}">{escape(plain_name(row["name"]))}</a>{mark}\n</td>',
        f"<td>{escape(row['federal_district'])}</td>",
        f'<td data-value="{1 if row["pilot"] else 0}">{pilot}</td>',
        row["kpi_cells"],
        f'<td class="verdict-cell" data-value="{row["severity"]}" title="{escape(row["verdict"])}">{status}</td>',
        f'<td class="num" data-value="{escape(sort_value(share))}">{coverage}</td>',
        f'<td data-value="{reporting_severity(reporting)}"><span class="badge rep-{escape(str(reporting))}">'
        f"{escape(row['reporting_label'])}</span></td>",
        f'<td data-value="{escape(row["projected_sort"])}">{escape(row["projected_text"])}</td>',
    ]
    return mark_safe(f"<tr>{_CELL}{_CELL.join(cells)}\n      </tr>")  # noqa: S308 - every value in it is escaped


def register_rows(rows, *, week, week_query: str) -> list[dict]:
    """The reporting register's rows (``reporting_register`` rows with ``missing`` and
    ``can_see_missing``), each with ``html``, its table row formatted once (as ``overview_rows``)."""
    formats = Formats()
    words = _RegisterWords()
    region_url, missing_url = Links("dashboard:region"), Links("dashboard:region_missing")
    missing_query = f"?week={week.year:04}-{week.month:02}-{week.day:02}"
    for row in rows:
        row["html"] = _register_row_html(
            row, region_url(row["code"]) + week_query, missing_url(row["code"]) + missing_query, formats, words
        )
    return rows


class _RegisterWords:
    """The words of the register's table, looked up once for its 89 rows."""

    def __init__(self):
        self.missing_title = _("Организации реестра, не приславшие данные за неделю")


# Between the cells of a register row, as the template indents them.
_REGISTER_CELL = "\n          "


def _moment_cells(moment) -> str:
    """An upload time's sort key (ISO 8601) and its text «03.11.2025 14:05», in Moscow time, as
    the ``date`` filter writes them; «—» when there is none."""
    if not moment:
        return '<td data-value="" class="nowrap">—</td>'
    local = timezone.localtime(moment)
    return f'<td data-value="{local.isoformat()}" class="nowrap">{local:%d.%m.%Y %H:%M}</td>'


def _register_row_html(row: dict, url: str, missing_url: str, formats: Formats, words: _RegisterWords) -> str:
    """One region's row of the reporting register, every value escaped."""
    status = row["status"]
    who = (
        f'<span title="{escape(row["last_uploaded_by"].username)}">{escape(row["uploaded_by_name"])}</span>'
        if row["uploaded_by_name"]
        else "—"
    )
    if row["warnings"]:
        title = "; ".join(f"{escape(str(label))} — {count}" for label, count in row["warnings_by_code"].items())
        warnings = f' title="{title}">⚠ {escape(formats.number(row["warnings"]))}'
    else:
        warnings = '><span class="muted">0</span>'
    missing = row["missing"]
    if not missing:
        missing_text = '<span class="muted">0</span>'
    elif row["can_see_missing"]:
        missing_text = (
            f'<a href="{escape(missing_url)}" title="{escape(words.missing_title)}">'
            f"{escape(formats.number(missing))} →</a>"
        )
    else:
        missing_text = escape(formats.number(missing))
    cells = [
        f"<td>{escape(row['code'])}</td>",
        f'<td><a href="{escape(url)}">{escape(row["name"])}</a></td>',
        f"<td>{escape(row['federal_district'])}</td>",
        f'<td data-value="{reporting_severity(status)}"><span class="badge rep-{escape(str(status))}">'
        f"{escape(formats.reporting_label(status))}</span></td>",
        _moment_cells(row["first_upload_at"]),
        _moment_cells(row["last_upload_at"]),
        f"<td>{who}</td>",
        f'<td class="num" data-value="{row["orgs_reported"]}">{escape(formats.number(row["orgs_reported"]))} '
        f"{escape(formats.of)} {escape(formats.number(row['orgs_total']))}</td>",
        f'<td class="num" data-value="{escape(sort_value(row["coverage"]))}">'
        f"{escape(formats.percent(row['coverage'], 0))}</td>",
        f'<td class="num" data-value="{row["warnings"]}"{warnings}</td>',
        f'<td class="num" data-value="{missing}">{missing_text}</td>',
    ]
    return mark_safe(f"<tr>{_REGISTER_CELL}{_REGISTER_CELL.join(cells)}\n        </tr>")  # noqa: S308 - escaped


def status_strip(summary: dict, scope: dict) -> dict:
    """The overview's first line (DESIGN.md §8, questions 1, 2 and 4): regions by schedule status,
    most severe first, with the table's filter for each; regions by reporting status; the scope's
    coverage against the registry."""
    counts, reporting = summary["status_counts"], summary["reporting_counts"]
    statuses = [
        {"status": status, "label": status_label(status), "count": counts.get(status, 0)}
        for status in STATUS_SEVERITY
        if counts.get(status) or status in (ScheduleStatus.LATE, ScheduleStatus.AT_RISK)
    ]
    if counts.get(None):
        statuses.append({"status": "", "label": _("нет расчёта"), "count": counts[None]})
    coverage = scope.get("coverage") or {}
    total = coverage.get("total") or 0
    return {
        "statuses": statuses,
        "regions": sum(counts.values()),
        "reporting": [
            {"status": status, "label": reporting_label(status), "count": reporting.get(status, 0)}
            for status in (ReportingStatus.MISSING, ReportingStatus.PARTIAL, ReportingStatus.LATE)
        ],
        "on_time": reporting.get(ReportingStatus.ON_TIME, 0),
        "reported": coverage.get("reported") or 0,
        "total": total,
        "share": (coverage.get("reported") or 0) / total if total else None,
    }


def _local(moment):
    """A stored moment in the product's time zone (Moscow), as the pages show it."""
    return timezone.localtime(moment) if moment else None


def _pct(value):
    return Percent(value) if value is not None else None


def count_headers() -> list[str]:
    """The count columns of a snapshot as a table's headers (DESIGN.md §5: the seed's names)."""
    return [
        _("Работники, всего"),
        _("Работники, активные"),
        _("Обучающиеся, всего"),
        _("Обучающиеся, активные"),
        _("Родители, всего"),
        _("Родители, активные"),
        _("Должностные лица, всего"),
        _("Должностные лица, активные"),
        _("Пользователи Сферума, всего"),
        _("Только в MAX"),
    ]


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
        _("Статус с недели"),
        _("Вердикт"),
        _("Отчётность за неделю"),
    ]
    names = {d.code: d.short_name for d in definitions}
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
            row["status_since"],
            _verdict(row, names),
            reporting_label(row["reporting_status"]),
        )
        for row in by_severity(rows)
    ]
    return headers, body


def reporting_table(rows) -> tuple[list[str], list[tuple]]:
    """The reporting register («Кто не отчитался»): one row per region, worst first."""
    headers = [
        _("Код"),
        _("Регион"),
        _("Федеральный округ"),
        _("Отчётность"),
        _("Первая загрузка"),
        _("Последняя загрузка"),
        _("Кто загрузил"),
        _("Организаций отчиталось"),
        _("Организаций в реестре"),
        _("Охват, %"),
        _("Предупреждений о качестве данных"),
    ]
    body = [
        (
            row["code"],
            row["name"],
            row["federal_district"],
            reporting_label(row["status"]),
            _local(row["first_upload_at"]),
            _local(row["last_upload_at"]),
            row["uploaded_by_name"],
            row["orgs_reported"],
            row["orgs_total"],
            _pct(row["coverage"]),
            row["warnings"],
        )
        for row in rows
    ]
    return headers, body


def missing_organisations_table(organisations) -> tuple[list[str], list[tuple]]:
    """A region's registered organisations that sent nothing for a week."""
    headers = [_("ID организации"), _("Наименование"), _("Тип"), _("Муниципалитет")]
    body = [(o.org_id, o.name, kind_abbr(o.kind), o.municipality.name if o.municipality else "") for o in organisations]
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
    headers = [_("Неделя"), *count_headers(), *_kpi_headers(definitions), _("Загрузка №")]
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
