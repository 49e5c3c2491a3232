"""Data-quality warnings of an upload (DESIGN.md §5.1): the organisations' history read in a fixed
number of queries whatever the file's size, the pure checks of metrics.quality run on it, the
findings stored with the upload (bounded, their totals exact), the codes an administrator made
blocking, and a ministry user's explanation of a warning (kept in the admin's audit trail)."""

import time
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from regions.models import Organisation
from regions.selectors import user_has_national_scope
from sferum_migration.db import bulk_insert, plain_rows

from ..choices import ScopeType, WarningCode
from ..constants import ALL_KINDS
from ..counts import COUNT_FIELDS
from ..kpi import KPI_CODES
from ..models import KpiValue, Upload, UploadWarning, UploadWarningCount, WarningRule, WeeklySnapshot
from ..quality import (
    QualityFindings,
    QualityHistory,
    QualityRow,
    QualityThresholds,
    file_sections,
    outlier_candidates,
    section_warnings,
)
from .upload_rows import ValidRow

# Up to this many outlier candidates have their history read by organisation (the unique
# (organisation, week) index); more, by region and week (the (week, region, id) index).
WINDOW_BY_ORGANISATION_MAX = 2000
WARNING_FIELDS = (
    "upload",
    "code",
    "organisation",
    "org_id",
    "name",
    "region",
    "week",
    "line",
    "column",
    "previous",
    "new",
    "message",
    "explanation",
)
EXPLANATION_MAX = 2000


def upload_quality_check(*, upload: Upload, valid: list[ValidRow], existing: dict) -> QualityFindings:
    """The data-quality warnings of a validated file, before anything is saved (a dry run too): the
    first QUALITY_WARNINGS_STORED_PER_CODE of each code, and how many of each every region-week has.

    ``existing``: (organisation id, week) -> (counts, upload id) of the file's region-weeks as
    stored, which the import has read already."""
    if not valid:
        return QualityFindings()
    region_ids = sorted({valid_row.region_id for valid_row in valid})
    organisations = organisations_read(region_ids)
    rows = []
    for valid_row in valid:
        known = valid_row.organisation.id if valid_row.organisation else None
        registered = organisations.get(known) if known is not None else None
        rows.append(
            QualityRow(
                line=valid_row.row.line,
                org_pk=known,
                org_id=valid_row.row.org_id,
                name=valid_row.row.org_name,
                kind=registered[1] if registered else valid_row.row.org_kind or "",
                region_id=valid_row.region_id,
                week=valid_row.week,
                counts=valid_row.row.counts,
            )
        )
    stored = {key: counts for key, (counts, _upload_id) in existing.items()}
    return quality_rows_check(
        rows=rows, stored=stored, organisations=organisations, keep=settings.QUALITY_WARNINGS_STORED_PER_CODE
    )


def quality_rows_check(
    *,
    rows: list[QualityRow],
    stored: dict[tuple[int, date], tuple[int, ...]],
    organisations: dict[int, tuple[int, str]] | None = None,
    thresholds: QualityThresholds | None = None,
    keep: int | None = None,
    timings: dict[str, float] | None = None,
) -> QualityFindings:
    """The checks of metrics.quality on rows as a file would bring them. ``stored``: (organisation
    id, week) -> counts of the rows' region-weeks as they stand; ``organisations``: pk -> (region
    id, kind) of every organisation of the rows' regions (read when not given); ``keep``: how many
    warnings of each code to keep (all when None; every one is counted).

    Four queries at most whatever the number of rows: the organisations, the regions' snapshots of
    the week before, their KPI values of the two weeks before, and the weeks of history of the few
    rows the outlier check examines. ``timings`` (the benchmark's) receives the seconds spent
    reading ("read") and checking ("check")."""
    findings = QualityFindings(keep=keep)
    if not rows:
        return findings
    started = time.perf_counter()
    thresholds = thresholds or QualityThresholds.from_settings()
    region_ids = sorted({row.region_id for row in rows})
    if organisations is None:
        organisations = organisations_read(region_ids)
    weeks = sorted({row.week for row in rows})
    history = QualityHistory(
        previous=_previous_read(region_ids, weeks),
        stored=stored,
        organisations=organisations,
        pace=_pace_read(region_ids, weeks),
    )
    read = time.perf_counter()
    sections = file_sections(rows, history)
    candidates = {(section.region_id, section.week): outlier_candidates(section, thresholds) for section in sections}
    checked = time.perf_counter()
    window = _window_read(candidates, weeks, thresholds)
    window_read = time.perf_counter()
    for section in sections:
        findings.add(section_warnings(section, thresholds, window, candidates[(section.region_id, section.week)]))
    if timings is not None:
        finished = time.perf_counter()
        timings["read"] = (read - started) + (window_read - checked)
        timings["check"] = (checked - read) + (finished - window_read)
    return findings


def organisations_read(region_ids: list[int]) -> dict[int, tuple[int, str]]:
    """pk -> (region id, kind) of every organisation of the regions (one query)."""
    rows = Organisation.objects.filter(region_id__in=region_ids).order_by().values_list("id", "region_id", "kind")
    return {pk: (region_id, kind) for pk, region_id, kind in plain_rows(rows)}


def _previous_read(region_ids: list[int], weeks: list[date]) -> dict[tuple[int, date], dict[int, tuple[int, ...]]]:
    """(region id, week) -> organisation id -> counts of the regions' snapshots of the week before
    each of the weeks (one query)."""
    after = {week - timedelta(weeks=1): week for week in weeks}
    rows = (
        WeeklySnapshot.objects.filter(week__in=sorted(after), region_id__in=region_ids)
        .order_by()
        .values_list("region_id", "week", "organisation_id", *COUNT_FIELDS)
    )
    previous: dict[tuple[int, date], dict[int, tuple[int, ...]]] = defaultdict(dict)
    for row in plain_rows(rows):
        previous[(row[0], after[row[1]])][row[2]] = row[3:]
    return previous


def _pace_read(region_ids: list[int], weeks: list[date]) -> dict[tuple[int, date], dict[str, float]]:
    """(region id, week) -> KPI code -> the region's change the week before: its KpiValue of the
    week before less that of two weeks before, where both had data (one query)."""
    wanted = {week - timedelta(weeks=n) for week in weeks for n in (1, 2)}
    rows = (
        KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, scope_id__in=region_ids)
        .filter(week__in=sorted(wanted), value__isnull=False)
        .order_by()
        .values_list("scope_id", "week", "kpi", "value")
    )
    values = {(region_id, week, kpi): value for region_id, week, kpi, value in rows}
    pace: dict[tuple[int, date], dict[str, float]] = defaultdict(dict)
    for region_id in region_ids:
        for week in weeks:
            for code in KPI_CODES:
                last = values.get((region_id, week - timedelta(weeks=1), code))
                earlier = values.get((region_id, week - timedelta(weeks=2), code))
                if last is not None and earlier is not None:
                    pace[(region_id, week)][code] = last - earlier
    return pace


def _window_read(
    candidates: dict[tuple[int, date], dict], weeks: list[date], thresholds: QualityThresholds
) -> dict[int, dict[date, tuple[int, ...]]]:
    """Organisation id -> week -> counts over the ``outlier_weeks`` before the file's weeks, for
    the outlier candidates only (one query; none without candidates)."""
    wanted = {org_pk for section in candidates.values() for org_pk, _code in section}
    if not wanted:
        return {}
    first = weeks[0] - timedelta(weeks=thresholds.outlier_weeks)
    last = weeks[-1] - timedelta(weeks=1)
    snapshots = WeeklySnapshot.objects.filter(week__range=(first, last)).order_by()
    if len(wanted) <= WINDOW_BY_ORGANISATION_MAX:
        snapshots = snapshots.filter(organisation_id__in=sorted(wanted))
    else:
        regions = sorted({region_id for (region_id, _week), section in candidates.items() if section})
        snapshots = snapshots.filter(region_id__in=regions)
    window: dict[int, dict[date, tuple[int, ...]]] = defaultdict(dict)
    for organisation_id, week, *counts in snapshots.values_list("organisation_id", "week", *COUNT_FIELDS):
        if organisation_id in wanted:
            window[organisation_id][week] = tuple(counts)
    return window


def upload_warnings_save(*, upload: Upload, findings: QualityFindings) -> dict[str, int]:
    """Store an upload's findings: the warnings kept (each with its organisation's registered name,
    one query), their exact totals per region, week and code, and per code on the upload
    (``warning_counts``, saved by the caller). Returns those per-code totals."""
    registered = {warning.org_pk for warning in findings.warnings if warning.org_pk is not None}
    names = dict(Organisation.objects.filter(id__in=sorted(registered)).values_list("id", "name")) if registered else {}
    # In bulk (COPY on PostgreSQL): up to QUALITY_WARNINGS_STORED_PER_CODE of each of 7 codes.
    bulk_insert(
        UploadWarning,
        [
            (
                upload.id,
                warning.code,
                warning.org_pk,
                warning.org_id[:64],
                names.get(warning.org_pk, warning.name)[:500],
                warning.region_id,
                warning.week,
                warning.line,
                warning.column,
                warning.previous,
                warning.new,
                warning.message,
                "",
            )
            for warning in findings.warnings
        ],
        WARNING_FIELDS,
    )
    UploadWarningCount.objects.bulk_create(
        [
            UploadWarningCount(upload=upload, region_id=region_id, week=week, code=code, total=total)
            for (region_id, week, code), total in sorted(findings.tallies.items())
        ]
    )
    upload.warning_counts = findings.counts
    return upload.warning_counts


def quality_blocking_codes() -> set[str]:
    """The warning codes an administrator made blocking (one query)."""
    return set(WarningRule.objects.filter(blocking=True).values_list("code", flat=True))


def quality_blocking(*, counts: dict[str, int], codes: set[str] | None = None) -> dict[str, int]:
    """The codes among ``counts`` that are blocking (``codes``, read when not given), with their counts."""
    if not counts:
        return {}
    blocking = quality_blocking_codes() if codes is None else codes
    return {code: count for code, count in counts.items() if code in blocking}


def quality_blocking_message(blocking: dict[str, int]) -> str:
    """«Повтор прошлой недели» (same_as_previous) — 1; … in Russian, for the upload's message."""
    return "; ".join(
        _("«%(label)s» (%(code)s) — %(count)s") % {"label": WarningCode(code).label, "code": code, "count": count}
        for code, count in blocking.items()
    )


def upload_warning_explain(*, user, upload_id: int, warning_id: int, comment: str) -> UploadWarning:
    """Mark a warning as explained by a ministry user, with their comment: it stops counting for its
    region and week, and the admin's audit trail records who did it and what they wrote. Explaining
    it again replaces the comment. PermissionDenied for anyone without national scope;
    UploadWarning.DoesNotExist when the upload has no such warning."""
    if not user_has_national_scope(user):
        raise PermissionDenied(_("Объяснять предупреждения могут только сотрудники министерства."))
    comment = comment.strip()[:EXPLANATION_MAX]
    with transaction.atomic():
        warning = UploadWarning.objects.select_for_update().get(id=warning_id, upload_id=upload_id)
        first_time = warning.explained_at is None
        warning.explained_at = timezone.now()
        warning.explained_by = user
        warning.explanation = comment
        warning.save(update_fields=["explained_at", "explained_by", "explanation"])
        if first_time:
            UploadWarningCount.objects.filter(
                upload_id=warning.upload_id, region_id=warning.region_id, week=warning.week, code=warning.code
            ).update(explained=F("explained") + 1)
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[warning],
            action_flag=CHANGE,
            change_message=_("Предупреждение объяснено: %(comment)s") % {"comment": comment},
            single_object=True,
        )
    return warning
