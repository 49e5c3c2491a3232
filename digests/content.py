"""What a weekly digest says, built by pure functions from the week's precomputed data.

No ORM, no settings, no clock: ``digests.selectors.digest_data`` reads everything once into the
plain dataclasses of ``digests.facts`` (``now`` included), and ``coordinator_digest`` /
``ministry_digest`` turn it into a ``Digest`` — subject, heading, sections of text lines, links —
that the templates ``digests/digest.txt`` and ``digests/digest.html`` render. Tests check the
lines directly.
"""

from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.choices import ReportingStatus, ScheduleStatus
from metrics.constants import NO_DATA
from metrics.kpi import STATUS_SEVERITY, severity_rank

from .choices import DigestKind
from .facts import (
    Digest,
    DigestData,
    KpiInfo,
    KpiReading,
    KpiRow,
    Link,
    RegionFacts,
    Section,
    Verdict,
)
from .formats import (
    countdown,
    lower_first,
    number,
    percent,
    plural,
    points,
    ru_date,
    ru_datetime,
    target_percent,
)

# Russian names of the data-quality warning codes (DESIGN.md §5.1); an unknown code is shown as is.
WARNING_LABELS = {
    "same_as_previous": gettext_lazy("файл совпадает с прошлой неделей"),
    "base_jump": gettext_lazy("скачок численности"),
    "drop_to_zero": gettext_lazy("активность упала до нуля"),
    "outlier": gettext_lazy("нетипичное значение"),
    "identical_rows": gettext_lazy("одинаковые строки"),
    "region_swing": gettext_lazy("резкое изменение показателя региона"),
}
# The colour of a status in the HTML digest.
STATUS_TONES = {
    ScheduleStatus.LATE: "bad",
    ScheduleStatus.AT_RISK: "warn",
    ScheduleStatus.INSUFFICIENT_DATA: "warn",
    ScheduleStatus.ON_TRACK: "info",
    ScheduleStatus.DONE: "ok",
    ScheduleStatus.NOT_STARTED: "none",
}
REPORTING_TONES = {
    ReportingStatus.MISSING: "bad",
    ReportingStatus.PARTIAL: "warn",
    ReportingStatus.LATE: "warn",
    ReportingStatus.ON_TIME: "ok",
}


# ---- the two digests -------------------------------------------------------------------------


def coordinator_digest(data: DigestData, region_id: int) -> Digest:
    """A coordinator's digest: their region's week."""
    region = data.regions[region_id]
    heading = _("%(name)s (%(code)s, %(district)s): неделя с %(start)s по %(end)s") % {
        "name": region.name,
        "code": region.code,
        "district": region.district_code,
        "start": ru_date(data.week),
        "end": ru_date(data.week + timedelta(days=6)),
    }
    status_lines = [_status_line(region.verdict, data)]
    rank = data.ranks.get(region.id) or district_ranks(data).get(region.id)
    if rank is not None:
        place, size, score = rank
        status_lines.append(
            _("Место в %(district)s: %(place)d из %(size)d по среднему выполнению целей показателей (%(score)s).")
            % {"district": region.district_code, "place": place, "size": size, "score": percent(score)}
        )
    sections = [
        *_provisional_section(data),
        Section(_("Статус графика"), tuple(status_lines), STATUS_TONES.get(region.verdict.status, "")),
        _kpi_section(_("Показатели региона"), data, region.kpis),
        _region_reporting_section(data, region),
        *_warnings_section(data, [region]),
        _next_deadline_section(data),
    ]
    return Digest(
        kind=DigestKind.COORDINATOR,
        subject=_subject(region.name, data.week),
        heading=heading,
        sections=tuple(sections),
        links=(
            Link(_("Страница региона"), region.page_url),
            Link(_("Загрузить отчёт"), data.upload_url),
        ),
        tone=STATUS_TONES.get(region.verdict.status, ""),
    )


def ministry_digest(data: DigestData) -> Digest:
    """The ministry's digest: the country's week, regions by status, who moved, who did not report."""
    heading = _("Россия: неделя с %(start)s по %(end)s") % {
        "start": ru_date(data.week),
        "end": ru_date(data.week + timedelta(days=6)),
    }
    country = data.country
    status_lines = [
        _status_line(country, data),
        _coverage_line(country.orgs_reported, country.orgs_total),
    ]
    sections = [
        *_provisional_section(data),
        Section(_("Статус графика по России"), tuple(status_lines), STATUS_TONES.get(country.status, "")),
        _status_counts_section(data),
        _changes_section(data),
        _country_reporting_section(data),
        _kpi_section(_("Показатели России"), data, data.country_kpis),
        *_warnings_section(data, list(data.regions.values())),
        _next_deadline_section(data),
    ]
    return Digest(
        kind=DigestKind.MINISTRY,
        subject=_subject(_("Россия"), data.week),
        heading=heading,
        sections=tuple(sections),
        links=(Link(_("Обзор по России"), data.overview_url),),
        tone=STATUS_TONES.get(country.status, ""),
    )


def district_ranks(data: DigestData) -> dict[int, tuple[int, int, float]]:
    """Region id -> (place, regions in its federal district, score): regions ranked within their
    district by the mean share of each KPI's target reached (capped at 100 %, no data counts 0);
    equal scores share a place."""
    scores: dict[str, list[tuple[float, int]]] = {}
    for region in data.regions.values():
        shares = []
        for kpi in data.kpis:
            value = region.kpis.get(kpi.code, KpiReading(None)).value
            if value is None:
                shares.append(0.0)
            else:
                shares.append(min(value / kpi.target, 1.0) if kpi.target > 0 else 1.0)
        score = sum(shares) / len(shares) if shares else 0.0
        scores.setdefault(region.district_code, []).append((score, region.id))
    ranks = {}
    for members in scores.values():
        ordered = sorted(members, key=lambda item: -item[0])
        for score, region_id in ordered:
            place = 1 + sum(1 for other, _id in ordered if other > score + 1e-12)
            ranks[region_id] = (place, len(ordered), score)
    return ranks


# ---- sections --------------------------------------------------------------------------------


def _subject(name: str, week: date) -> str:
    return _("Сферум → MAX: %(name)s, неделя с %(week)s") % {"name": name, "week": ru_date(week)}


def _provisional_section(data: DigestData) -> list[Section]:
    if not data.provisional:
        return []
    return [
        Section(
            _("Предварительные данные"),
            (
                _("Неделя ещё открыта: срок отчёта — %(deadline)s, цифры могут измениться.")
                % {"deadline": ru_datetime(data.deadline, data.timezone)},
            ),
            "warn",
        )
    ]


def _status_label(status: str | None) -> str:
    return str(ScheduleStatus(status).label) if status in ScheduleStatus.values else _("нет статуса")


def _status_line(verdict: Verdict, data: DigestData) -> str:
    """The status, dated and explained: «Просрочено с 01.11.2025 · мешает: …»."""
    status = verdict.status
    if status is None:
        return _("Статус графика не рассчитан.")
    if status == ScheduleStatus.INSUFFICIENT_DATA:
        return _(
            "Недостаточно данных: отчитались %(reported)s из %(total)s организаций (%(share)s), "
            "для оценки нужно не менее %(min)s."
        ) % {
            "reported": number(verdict.orgs_reported),
            "total": number(verdict.orgs_total),
            "share": percent(verdict.orgs_reported / verdict.orgs_total if verdict.orgs_total else None),
            "min": target_percent(data.coverage_min),
        }
    label = _status_label(status)
    stage = verdict.stage(status)
    if status == ScheduleStatus.NOT_STARTED:
        if stage and stage.start:
            return _("%(label)s: этап «%(title)s» начинается %(start)s.") % {
                "label": label,
                "title": stage.title,
                "start": ru_date(stage.start),
            }
        return f"{label}."
    if status == ScheduleStatus.LATE:
        since = (stage.late_since or stage.deadline) if stage else verdict.status_since
        text = _("%(label)s с %(date)s") % {"label": label, "date": ru_date(since)}
    else:
        text = _("%(label)s с недели %(date)s") % {"label": label, "date": ru_date(verdict.status_since)}
        if stage and stage.deadline and status != ScheduleStatus.DONE:
            text += " · " + _("срок этапа «%(title)s» — %(deadline)s") % {
                "title": stage.title,
                "deadline": ru_date(stage.deadline),
            }
    blockers = [_blocker_text(b, data) for b in verdict.blocking] if status != ScheduleStatus.DONE else []
    if blockers:
        text += " · " + _("мешает: %(what)s") % {"what": "; ".join(blockers)}
    return text


def _blocker_text(blocker: dict, data: DigestData) -> str:
    if blocker.get("kpi") == NO_DATA:
        return _("нет данных за неделю")
    names = {kpi.code: kpi.short_name for kpi in data.kpis}
    name = lower_first(names.get(blocker.get("kpi"), str(blocker.get("kpi"))))
    if blocker.get("value") is None:
        return _("%(name)s — нет данных") % {"name": name}
    return _("%(name)s %(value)s из %(target)s, %(gap)s") % {
        "name": name,
        "value": percent(blocker["value"]),
        "target": target_percent(blocker["target"]),
        "gap": points(blocker.get("gap", blocker["value"] - blocker["target"])),
    }


def _coverage_line(reported: int, total: int) -> str:
    return _("Отчитались %(reported)s из %(total)s %(orgs)s (%(share)s).") % {
        "reported": number(reported),
        "total": number(total),
        "orgs": plural(total, _("организации"), _("организаций"), _("организаций")),
        "share": percent(reported / total if total else None),
    }


def _kpi_row(kpi: KpiInfo, reading: KpiReading) -> KpiRow:
    value, previous = reading.value, reading.previous
    change = points(value - previous) if value is not None and previous is not None else ""
    status = lower_first(_status_label(reading.status)) if reading.status else ""
    parts = [
        _("%(name)s: %(value)s (цель %(target)s)")
        % {"name": kpi.short_name, "value": percent(value), "target": target_percent(kpi.target)}
    ]
    if value is not None:
        if previous is not None:
            parts.append(
                _("%(change)s за неделю, было %(previous)s") % {"change": change, "previous": percent(previous)}
            )
        else:
            parts.append(_("за прошлую неделю данных нет"))
        if reading.met:
            parts.append(_("цель достигнута"))
        else:
            parts.append(_("до цели %(gap)s") % {"gap": points(kpi.target - value).lstrip("+")})
    if status:
        parts.append(_("статус: %(status)s") % {"status": status})
    return KpiRow(
        name=kpi.short_name,
        value=percent(value),
        target=target_percent(kpi.target),
        change=change,
        previous=percent(previous) if previous is not None else "",
        met=reading.met,
        status=status,
        line=" · ".join(parts),
    )


def _kpi_section(title: str, data: DigestData, readings: dict[str, KpiReading]) -> Section:
    rows = tuple(_kpi_row(kpi, readings.get(kpi.code, KpiReading(None))) for kpi in data.kpis)
    return Section(title, tuple(row.line for row in rows), kpi_rows=rows)


def _region_reporting_section(data: DigestData, region: RegionFacts) -> Section:
    reporting = region.reporting
    title = _("Отчётность за неделю")
    if reporting is None:
        return Section(title, (_("Сведений об отчётности за неделю нет."),), "none")
    tz = data.timezone
    deadline = ru_datetime(data.deadline, tz)
    opening = {
        ReportingStatus.ON_TIME: _("Отчёт получен в срок: полный отчёт — %(complete)s (срок — %(deadline)s)."),
        ReportingStatus.LATE: _("Отчёт получен с опозданием: полный отчёт — %(complete)s, срок был %(deadline)s."),
        ReportingStatus.PARTIAL: _("Отчёт неполный: для оценки нужно не менее %(min)s организаций региона."),
        ReportingStatus.MISSING: _("Отчёт не получен: ни одна организация региона не отчиталась."),
    }.get(reporting.status, _("Статус отчёта: %(status)s.")) % {
        "complete": ru_datetime(reporting.complete_at, tz),
        "deadline": deadline,
        "min": target_percent(data.coverage_min),
        "status": reporting.status,
    }
    lines = [opening, _coverage_line(reporting.orgs_reported, reporting.orgs_total)]
    if reporting.last_upload_at is not None:
        lines.append(
            _("Загрузки за неделю: первая — %(first)s, последняя — %(last)s.")
            % {"first": ru_datetime(reporting.first_upload_at, tz), "last": ru_datetime(reporting.last_upload_at, tz)}
        )
    missing = reporting.orgs_missing
    if missing:
        lines.append(
            _("Не отчитались %(count)s %(orgs)s — список: %(url)s")
            % {
                "count": number(missing),
                "orgs": plural(missing, _("организация"), _("организации"), _("организаций")),
                "url": region.missing_url,
            }
        )
    return Section(title, tuple(lines), REPORTING_TONES.get(reporting.status, ""))


def _status_counts_section(data: DigestData) -> Section:
    counts = Counter(region.verdict.status for region in data.regions.values())
    lines = [
        _("%(label)s: %(count)d") % {"label": _status_label(status), "count": counts[status]}
        for status in STATUS_SEVERITY
        if counts[status]
    ]
    if counts[None]:
        lines.append(_("Без статуса: %(count)d") % {"count": counts[None]})
    title = _("Регионы по статусу (%(count)d)") % {"count": len(data.regions)}
    return Section(title, tuple(lines))


def _changes_section(data: DigestData) -> Section:
    """Regions whose status got worse or better since the week before. A move into or out of
    insufficient_data is neither: it says how much was reported, so it is listed on its own."""
    slipped, recovered, coverage = [], [], []
    compared = False
    for region in data.regions.values():
        before, now = region.verdict.previous_status, region.verdict.status
        if before is None or now is None:
            continue
        compared = True
        if before == now:
            continue
        move = f"— {region.name}: {lower_first(_status_label(before))} → {lower_first(_status_label(now))}"
        if ScheduleStatus.INSUFFICIENT_DATA in (before, now):
            coverage.append(move)
        elif severity_rank(now) < severity_rank(before):
            slipped.append(move)
        else:
            recovered.append(move)
    title = _("Изменения за неделю")
    if not compared:
        return Section(title, (_("Сравнить не с чем: за прошлую неделю статусов нет."),))
    lines = []
    for heading, moves in (
        (_("Ухудшили статус (%(count)d):"), slipped),
        (_("Улучшили статус (%(count)d):"), recovered),
        (_("Оценка появилась или пропала из-за полноты отчётов (%(count)d):"), coverage),
    ):
        if moves:
            lines += [heading % {"count": len(moves)}, *moves]
    if not lines:
        return Section(title, (_("Статусы регионов не изменились."),))
    return Section(title, tuple(lines), "warn" if slipped else "ok")


def _country_reporting_section(data: DigestData) -> Section:
    by_status: dict[str, list[RegionFacts]] = {status: [] for status in ReportingStatus.values}
    without = 0
    for region in data.regions.values():
        if region.reporting is None:
            without += 1
        else:
            by_status.setdefault(region.reporting.status, []).append(region)
    tz = data.timezone
    lines = [
        " · ".join(
            _("%(label)s: %(count)d") % {"label": ReportingStatus(status).label, "count": len(by_status[status])}
            for status in ReportingStatus.values
        )
    ]
    missing = by_status[ReportingStatus.MISSING]
    if missing:
        lines.append(
            _("Не отчитались (%(count)d): %(names)s")
            % {"count": len(missing), "names": ", ".join(r.name for r in missing)}
        )
    partial = by_status[ReportingStatus.PARTIAL]
    if partial:
        lines.append(
            _("Частично (%(count)d): %(names)s")
            % {
                "count": len(partial),
                "names": "; ".join(
                    f"{r.name} — {number(r.reporting.orgs_reported)} / {number(r.reporting.orgs_total)}"
                    for r in partial
                ),
            }
        )
    late = by_status[ReportingStatus.LATE]
    if late:
        lines.append(
            _("С опозданием (%(count)d): %(names)s")
            % {
                "count": len(late),
                "names": "; ".join(f"{r.name} — {ru_datetime(r.reporting.complete_at, tz)}" for r in late),
            }
        )
    if without:
        lines.append(_("Без сведений об отчётности: %(count)d") % {"count": without})
    tone = "bad" if missing else ("warn" if partial or late else "ok")
    return Section(
        _("Отчётность регионов (срок — %(deadline)s)") % {"deadline": ru_datetime(data.deadline, tz)},
        tuple(lines),
        tone,
    )


def _warnings_section(data: DigestData, regions: list[RegionFacts]) -> list[Section]:
    if not data.warnings_checked:
        return []
    title = _("Качество данных")
    counted = [(region, sum((region.warnings or {}).values())) for region in regions]
    counted = [(region, total) for region, total in counted if total]
    if not counted:
        return [Section(title, (_("Предупреждений о качестве данных нет."),), "ok")]
    if len(regions) == 1:
        region, total = counted[0]
        by_code = ", ".join(
            f"{WARNING_LABELS.get(code, code)} — {count}"
            for code, count in sorted(region.warnings.items(), key=lambda item: (-item[1], item[0]))
            if count and code  # "" holds counts given without their codes
        )
        line = _("Предупреждений: %(count)d") % {"count": total}
        line += f" ({by_code})" if by_code else ""
        return [Section(title, (line + ". " + _("Проверьте файл на странице загрузки."),), "warn")]
    total = sum(count for _region, count in counted)
    ordered = sorted(counted, key=lambda item: (-item[1], item[0].code))
    lines = (
        _("Предупреждений: %(count)d в %(regions)d %(word)s.")
        % {
            "count": total,
            "regions": len(counted),
            "word": plural(len(counted), _("регионе"), _("регионах"), _("регионах")),
        },
        "; ".join(f"{region.name} — {count}" for region, count in ordered),
    )
    return [Section(title, lines, "warn")]


def _next_deadline_section(data: DigestData) -> Section:
    zone = ZoneInfo(data.timezone)
    days = (data.next_deadline.astimezone(zone).date() - data.now.astimezone(zone).date()).days
    line = _("За неделю с %(week)s — до %(deadline)s (%(zone)s), %(countdown)s.") % {
        "week": ru_date(data.next_week),
        "deadline": ru_datetime(data.next_deadline, data.timezone),
        "zone": _("МСК") if data.timezone == "Europe/Moscow" else data.timezone,
        "countdown": countdown(days),
    }
    return Section(_("Следующий срок отчёта"), (line,))
