"""Every write of the metrics app: KPI recomputation and the import of uploads."""

import hashlib
import heapq
import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from regions.choices import OrganisationKind
from regions.models import Municipality, Organisation, Region
from regions.selectors import user_can_upload
from sferum_migration.db import advisory_xact_lock, bulk_insert, copy_lines, is_postgresql
from sferum_migration.exceptions import ApplicationError

from .choices import ScopeType, UploadMode, UploadStatus
from .constants import ALL_KINDS, COUNTRY_ID, FINAL_UPLOAD_STATUSES, NO_DATA
from .counts import COUNT_FIELDS
from .importers import FileRejected, ParseResult, column_label, parse_upload
from .kpi import (
    KPI_CODES,
    KpiState,
    kpi_met,
    kpi_numbers,
    kpi_schedule_status,
    kpi_value,
    monday_of,
    planned_value,
    projected_date,
    stage_status,
    worst_status,
)
from .models import KpiValue, ScheduleState, Upload, WeeklySnapshot
from .selectors import kpi_targets, roadmap_stage_plans

logger = logging.getLogger(__name__)

KPI_VALUE_FIELDS = (
    "week",
    "scope",
    "scope_id",
    "region",
    "kind",
    "kpi",
    "numerator",
    "denominator",
    "value",
    "target",
    "met",
    "delta",
    "orgs_reported",
    "orgs_total",
    "computed_at",
)
# Schedule checks look back this far for the latest week with data and the trend.
STATUS_LOOKBACK_WEEKS = 12


# --- KPI values ---------------------------------------------------------------------------------


def _zero():
    return dict.fromkeys(COUNT_FIELDS, 0) | {"reported": 0, "orgs": 0}


def _add(into: dict, counts: dict) -> None:
    for key, value in counts.items():
        into[key] += value or 0


class _KpiRows:
    """Builds the KPI value rows of one week as tuples in KPI_VALUE_FIELDS order, each with its
    change from the previous week (read once), so nothing is updated after insertion."""

    def __init__(self, *, week: date, targets: dict, previous: dict):
        self.week, self.targets, self.previous = week, targets, previous
        self.now = timezone.now()
        self.rows: list[tuple] = []

    def add(self, *, scope, scope_id, region_id, kind, code, numerator, denominator, reported, total) -> None:
        value = kpi_value(numerator, denominator)
        before = self.previous.get((scope, scope_id, kind, code))
        target = self.targets[code]
        self.rows.append(
            (
                self.week,
                scope,
                scope_id,
                region_id,
                kind,
                code,
                numerator,
                denominator,
                value,
                target,
                kpi_met(numerator, denominator, target),
                value - before if value is not None and before is not None else None,
                reported,
                total,
                self.now,
            )
        )

    def add_counts(self, *, scope, scope_id, region_id, kind, counts) -> None:
        for code in KPI_CODES:
            numerator, denominator = kpi_numbers(counts, code)
            self.add(
                scope=scope,
                scope_id=scope_id,
                region_id=region_id,
                kind=kind,
                code=code,
                numerator=numerator,
                denominator=denominator,
                reported=counts["reported"],
                total=counts["orgs"],
            )


def _kpi_previous_values(*, week: date, region_ids) -> dict:
    """(scope, scope_id, kind, kpi) -> value of the week before, for the rows about to be written."""
    previous = KpiValue.objects.filter(week=week - timedelta(weeks=1)).order_by()
    if region_ids is not None:
        previous = previous.filter(Q(region_id__in=region_ids) | Q(scope__in=[ScopeType.DISTRICT, ScopeType.COUNTRY]))
    return {
        (scope, scope_id, kind, kpi): value
        for scope, scope_id, kind, kpi, value in previous.values_list("scope", "scope_id", "kind", "kpi", "value")
    }


def kpi_values_recompute(
    *, week: date, region_ids: Collection[int] | None = None, refresh_statuses: bool = True
) -> int:
    """Recompute one week's KPI values: the regions given (all when None) with their
    municipalities and kinds, then the districts and the country from the region rows.

    Two grouped aggregates over the week's snapshots and the registry, whatever their size;
    replacing the week's rows makes it idempotent. Returns the number of rows written.
    """
    week = monday_of(week)
    targets = kpi_targets()
    with transaction.atomic():
        advisory_xact_lock("kpi-week", week)
        snapshots = WeeklySnapshot.objects.filter(week=week)
        organisations = Organisation.objects.all()
        if region_ids is not None:
            snapshots = snapshots.filter(region_id__in=region_ids)
            organisations = organisations.filter(region_id__in=region_ids)
            regions = list(Region.objects.filter(id__in=region_ids).values_list("id", flat=True))
        else:
            regions = list(Region.objects.values_list("id", flat=True))

        # (region, municipality, kind) -> sums; one grouped query each.
        groups: dict[tuple, dict] = defaultdict(_zero)
        sums = {field: Sum(field) for field in COUNT_FIELDS}
        for row in snapshots.values("region_id", "organisation__municipality_id", "organisation__kind").annotate(
            reported=Count("id"), **sums
        ):
            key = (row.pop("region_id"), row.pop("organisation__municipality_id"), row.pop("organisation__kind"))
            _add(groups[key], row)
        for row in organisations.values("region_id", "municipality_id", "kind").annotate(orgs=Count("id")):
            groups[(row["region_id"], row["municipality_id"], row["kind"])]["orgs"] += row["orgs"]

        per_municipality: dict[tuple, dict] = defaultdict(_zero)
        per_region_kind: dict[tuple, dict] = defaultdict(_zero)
        for (region_id, municipality_id, kind), counts in groups.items():
            if municipality_id is not None:
                _add(per_municipality[(region_id, municipality_id)], counts)
            _add(per_region_kind[(region_id, kind)], counts)
            _add(per_region_kind[(region_id, ALL_KINDS)], counts)

        builder = _KpiRows(week=week, targets=targets, previous=_kpi_previous_values(week=week, region_ids=region_ids))
        for (region_id, municipality_id), counts in per_municipality.items():
            builder.add_counts(
                scope=ScopeType.MUNICIPALITY,
                scope_id=municipality_id,
                region_id=region_id,
                kind=ALL_KINDS,
                counts=counts,
            )
        for region_id in regions:
            for kind in (ALL_KINDS, *OrganisationKind.values):
                builder.add_counts(
                    scope=ScopeType.REGION,
                    scope_id=region_id,
                    region_id=region_id,
                    kind=kind,
                    counts=per_region_kind.get((region_id, kind)) or _zero(),
                )
        stale = KpiValue.objects.filter(week=week, scope__in=[ScopeType.REGION, ScopeType.MUNICIPALITY])
        if region_ids is not None:
            stale = stale.filter(region_id__in=region_ids)
        stale.delete()
        bulk_insert(KpiValue, builder.rows, KPI_VALUE_FIELDS)
        rows_written = len(builder.rows)
        builder.rows = []
        _kpi_values_roll_up(builder)
        rows_written += len(builder.rows)
        # Only the next week's changes depend on this week; it exists when an old week is re-sent.
        _kpi_deltas_refresh(week=week + timedelta(weeks=1))
        if refresh_statuses:
            scope_statuses_refresh(from_week=week, region_ids=region_ids)
    return rows_written


def _kpi_values_roll_up(builder: _KpiRows) -> None:
    """District and country rows of a week, summed from its region rows."""
    week = builder.week
    district_of = dict(Region.objects.values_list("id", "federal_district_id"))
    per_district: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    per_country_kind: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    region_rows = (
        KpiValue.objects.filter(week=week, scope=ScopeType.REGION)
        .order_by()
        .values_list("region_id", "kind", "kpi", "numerator", "denominator", "orgs_reported", "orgs_total")
    )
    for region_id, kind, code, numerator, denominator, reported, total in region_rows:
        accumulators = [per_country_kind[kind][code]]
        if kind == ALL_KINDS:
            accumulators.append(per_district[district_of[region_id]][code])
        for acc in accumulators:
            acc[0] += numerator
            acc[1] += denominator
            acc[2] += reported
            acc[3] += total
    scopes = [(ScopeType.DISTRICT, district_id, ALL_KINDS, by_code) for district_id, by_code in per_district.items()]
    scopes += [(ScopeType.COUNTRY, COUNTRY_ID, kind, by_code) for kind, by_code in per_country_kind.items()]
    for scope, scope_id, kind, by_code in scopes:
        for code, (numerator, denominator, reported, total) in by_code.items():
            builder.add(
                scope=scope,
                scope_id=scope_id,
                region_id=None,
                kind=kind,
                code=code,
                numerator=numerator,
                denominator=denominator,
                reported=reported,
                total=total,
            )
    KpiValue.objects.filter(week=week, scope__in=[ScopeType.DISTRICT, ScopeType.COUNTRY]).delete()
    bulk_insert(KpiValue, builder.rows, KPI_VALUE_FIELDS)


def _kpi_deltas_refresh(*, week: date) -> None:
    """Change from the previous week for every row of a week: one join, not a subquery per row."""
    table = KpiValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET delta = NULL WHERE week = %s AND delta IS NOT NULL", [week])  # noqa: S608
        cursor.execute(
            f"UPDATE {table} AS cur SET delta = cur.value - prev.value FROM {table} AS prev "  # noqa: S608
            "WHERE cur.week = %s AND prev.week = %s AND prev.scope = cur.scope AND prev.scope_id = cur.scope_id "
            "AND prev.kind = cur.kind AND prev.kpi = cur.kpi",
            [week, week - timedelta(weeks=1)],
        )


def kpi_values_rebuild(
    *,
    weeks: Collection[date] | None = None,
    region_ids: Collection[int] | None = None,
    progress: Callable[[date], None] | None = None,
) -> int:
    """Recompute every week that has snapshots (or the weeks given), then the schedule states:
    for the regions given (all when None), with the districts and the country."""
    if weeks is None:
        weeks = WeeklySnapshot.objects.order_by("week").values_list("week", flat=True).distinct()
    weeks = sorted({monday_of(week) for week in weeks})
    rows = 0
    with transaction.atomic():  # one commit for the whole rebuild, and readers never see half of it
        for week in weeks:
            rows += kpi_values_recompute(week=week, region_ids=region_ids, refresh_statuses=False)
            if progress:
                progress(week)
        if weeks:
            scope_statuses_refresh(from_week=weeks[0], region_ids=region_ids)
    return rows


def _computed_weeks(*, since: date | None = None) -> list[date]:
    """The weeks that have KPI values (the country's row of the first KPI stands for them), oldest first."""
    weeks = KpiValue.objects.filter(scope=ScopeType.COUNTRY, kind=ALL_KINDS, kpi=KPI_CODES[0])
    if since is not None:
        weeks = weeks.filter(week__gte=since)
    return sorted(weeks.order_by().values_list("week", flat=True))


REGISTRY_LOCK = "organisation-registry"


def organisation_registry_lock() -> None:
    """Held by a change of an organisation's region, municipality or kind until it commits: an
    import checks its rows against the registry under the shared side of this lock, so it never
    writes rows checked against the registry of before the change after the change."""
    advisory_xact_lock(REGISTRY_LOCK)


def organisation_kpis_refresh(*, organisation_id: int, region_ids: Collection[int]) -> int:
    """After an organisation's region, municipality or kind changed in the registry: its
    snapshots follow it to its region, and every week with data of the regions given (the former
    and the present one) is recomputed, since their organisation totals changed in every week.
    Returns the number of weeks recomputed."""
    with transaction.atomic():
        organisation = Organisation.objects.get(id=organisation_id)
        regions = sorted({*region_ids, organisation.region_id})
        weeks = _computed_weeks()
        # The locks an import of these region-weeks takes, in the same order.
        for region_id, week in sorted((region_id, week) for region_id in regions for week in weeks):
            advisory_xact_lock("upload-region-week", region_id, week)
        WeeklySnapshot.objects.filter(organisation_id=organisation_id).exclude(region_id=organisation.region_id).update(
            region_id=organisation.region_id
        )
        kpi_values_rebuild(weeks=weeks, region_ids=regions)
    return len(weeks)


def organisation_kpis_refresh_enqueue(*, organisation_id: int, region_ids: Collection[int]) -> None:
    """Queue organisation_kpis_refresh once the registry change commits; with the broker down it
    runs here and now rather than leave the KPI values of past weeks stale."""
    from .tasks import organisation_kpis_refresh_task

    region_ids = sorted(set(region_ids))

    def enqueue():
        try:
            organisation_kpis_refresh_task.delay(organisation_id, region_ids)
        except OperationalError:  # the broker did not take it
            logger.warning("Broker unavailable: recomputing organisation %s inline", organisation_id, exc_info=True)
            organisation_kpis_refresh(organisation_id=organisation_id, region_ids=region_ids)

    transaction.on_commit(enqueue)


# --- schedule states ----------------------------------------------------------------------------


def _series_by_stage(rows_by_kind, stage, code, weeks):
    """One KPI's weekly series summed over the organisation kinds a stage covers."""
    kinds = stage.kinds or (ALL_KINDS,)
    series = []
    for week in weeks:
        numerator = denominator = 0
        for kind in kinds:
            num, den = rows_by_kind.get((kind, code, week), (0, 0))
            numerator += num
            denominator += den
        series.append((week, kpi_value(numerator, denominator)))
    return series


def _scope_state(*, stages, rows_by_kind, coverage, weeks, week, targets) -> dict:
    """Schedule status, readiness and per-KPI projection of one scope as of one week."""
    upto = [w for w in weeks if w <= week]
    stage_rows = []
    statuses = {}
    for stage in stages:
        states = {code: KpiState(_series_by_stage(rows_by_kind, stage, code, upto)) for code in stage.targets}
        statuses[stage.order] = stage_status(stage, states, week)
        stage_rows.append(
            {
                "order": stage.order,
                "title": stage.title,
                "start": stage.start.isoformat(),
                "deadline": stage.deadline.isoformat(),
                "kinds": list(stage.kinds),
                "status": statuses[stage.order],
                "kpis": list(stage.targets),
            }
        )
    kpis = {}
    blocking = []
    for code in KPI_CODES:
        series = [(w, kpi_value(*rows_by_kind.get((ALL_KINDS, code, w), (0, 0)))) for w in upto]
        projected = projected_date(series, targets[code], week)
        planned = planned_value(stages, code, week)
        kpis[code] = {
            "schedule_status": kpi_schedule_status(stages, code, statuses),
            "projected_date": projected.isoformat() if projected else None,
            "planned": planned,
        }
        num, den = rows_by_kind.get((ALL_KINDS, code, week), (0, 0))
        if den and not kpi_met(num, den, targets[code]):
            blocking.append(code)
    if not coverage.get(week):
        blocking = [NO_DATA]
    return {
        "status": worst_status(statuses.values()),
        "stages": stage_rows,
        "kpis": kpis,
        "ready": not blocking,
        "blocking": blocking,
    }


def scope_statuses_refresh(*, from_week: date, region_ids: Collection[int] | None = None) -> int:
    """Recompute the schedule states of the regions given (all when None) and the country for
    every week from ``from_week`` on: later weeks' trends depend on the earlier ones."""
    from_week = monday_of(from_week)
    since = from_week - timedelta(weeks=STATUS_LOOKBACK_WEEKS)
    targets = kpi_targets()
    regions = list(Region.objects.filter(id__in=region_ids) if region_ids is not None else Region.objects.all())
    federal, plans = roadmap_stage_plans(regions=regions)
    weeks = _computed_weeks(since=since)
    rows_by_scope: dict[tuple, dict] = defaultdict(dict)
    coverage: dict[tuple, dict] = defaultdict(dict)
    values = KpiValue.objects.filter(scope__in=[ScopeType.REGION, ScopeType.COUNTRY], week__gte=since)
    if region_ids is not None:
        values = values.filter(region_id__in=region_ids) | KpiValue.objects.filter(
            scope=ScopeType.COUNTRY, week__gte=since
        )
    for scope, scope_id, kind, code, week, num, den, reported in values.order_by().values_list(
        "scope", "scope_id", "kind", "kpi", "week", "numerator", "denominator", "orgs_reported"
    ):
        rows_by_scope[(scope, scope_id)][(kind, code, week)] = (num, den)
        if kind == ALL_KINDS:
            coverage[(scope, scope_id)][week] = reported

    new_rows = []
    scopes = [(ScopeType.COUNTRY, COUNTRY_ID, None, federal)] + [
        (ScopeType.REGION, region.id, region.id, plans[region.id]) for region in regions
    ]
    for scope, scope_id, region_id, stages in scopes:
        for week in weeks:
            if week < from_week:
                continue
            state = _scope_state(
                stages=stages,
                rows_by_kind=rows_by_scope[(scope, scope_id)],
                coverage=coverage[(scope, scope_id)],
                weeks=weeks,
                week=week,
                targets=targets,
            )
            new_rows.append(ScheduleState(week=week, scope=scope, scope_id=scope_id, region_id=region_id, **state))
    with transaction.atomic():
        stale = ScheduleState.objects.filter(week__gte=from_week)
        if region_ids is not None:
            stale = stale.filter(scope=ScopeType.COUNTRY) | stale.filter(region_id__in=region_ids)
        stale.delete()
        ScheduleState.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows)


# --- uploads ------------------------------------------------------------------------------------


class UploadRefused(ApplicationError):
    """The user may not upload this (scope or input); ``message`` says why, in Russian."""


def upload_create(
    *,
    user,
    file,
    region: Region | None,
    week: date | None = None,
    mode: str = UploadMode.ATOMIC,
    dry_run: bool = False,
) -> Upload:
    """Keep the file as sent with its upload row, then queue its processing once committed.

    A file over the size limit is recorded as failed without storing its content.
    """
    if not user_can_upload(user, region):
        if region is None:
            raise UploadRefused(
                _("Файл со столбцом «Код региона» может загрузить только сотрудник министерства."),
                code="permission_denied",
            )
        raise UploadRefused(_("Вы можете загружать данные только по своему региону."), code="permission_denied")
    if mode not in UploadMode.values:
        raise UploadRefused(_("Неизвестный режим загрузки: %(mode)s.") % {"mode": mode})
    if week is not None:
        week = monday_of(week)

    original_name = Path(file.name or "upload").name[:255]
    upload = Upload(
        original_name=original_name,
        size=file.size or 0,
        uploaded_by=user,
        region=region,
        week=week,
        mode=mode,
        dry_run=dry_run,
    )
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        upload.status = UploadStatus.FAILED
        upload.message = _("Файл больше допустимого размера %(limit)s МБ.") % {"limit": limit // (1024 * 1024)}
        upload.finished_at = timezone.now()
        upload.save()
        return upload

    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    upload.sha256 = digest.hexdigest()
    upload.queued_at = timezone.now()
    with transaction.atomic():
        upload.file.save(original_name, file, save=False)
        upload.save()
        transaction.on_commit(partial(upload_enqueue, upload_id=upload.id))
    return upload


def upload_enqueue(*, upload_id: int) -> bool:
    """Queue an upload's processing. A broker that is down loses nothing: the row stays
    `queued` and the periodic sweeper queues it again."""
    from .tasks import upload_process_task

    try:
        upload_process_task.delay(upload_id)
    except Exception:
        logger.warning("Upload %s stays queued: the broker did not take it", upload_id, exc_info=True)
        return False
    return True


def uploads_requeue_stuck(*, older_than_seconds: int | None = None) -> list[int]:
    """Queue again the uploads still `queued`, or left `processing` by a lost worker, for too long."""
    age = older_than_seconds if older_than_seconds is not None else settings.UPLOAD_REQUEUE_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=age)
    # A worker lost with its machine leaves the upload `processing`; the broker gives the message
    # back only after its visibility timeout, so the sweeper does it after the same time.
    stale = timezone.now() - timedelta(seconds=settings.UPLOAD_STALE_PROCESSING_SECONDS)
    with transaction.atomic():
        stuck = list(
            Upload.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=UploadStatus.QUEUED, queued_at__lt=cutoff)
                | Q(status=UploadStatus.PROCESSING, started_at__lt=stale)
            )
            .values_list("id", flat=True)[:500]
        )
        Upload.objects.filter(id__in=stuck).update(queued_at=timezone.now())
    return [upload_id for upload_id in stuck if upload_enqueue(upload_id=upload_id)]


def _progress(upload_id: int, percent: int) -> None:
    Upload.objects.filter(id=upload_id).update(progress=min(percent, 100))


def upload_process(*, upload_id: int) -> Upload:
    """Import one upload. Safe to run twice: a finished upload is left as it is, and the
    import itself is one transaction, so a run killed half-way leaves nothing behind."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(id=upload_id)
        if upload.status in FINAL_UPLOAD_STATUSES:
            return upload
        upload.status = UploadStatus.PROCESSING
        upload.started_at = timezone.now()
        upload.attempts += 1
        upload.progress = 1
        upload.save(update_fields=["status", "started_at", "attempts", "progress"])

    try:
        parsed = _upload_parse(upload)
        with transaction.atomic():
            current = Upload.objects.select_for_update().get(id=upload_id)
            if current.status in FINAL_UPLOAD_STATUSES:  # a parallel run of the same message finished first
                return current
            _upload_import(upload, parsed)
    except FileRejected as rejected:
        _upload_fail(upload_id, rejected.message)
    except Exception as error:
        logger.exception("Upload %s failed", upload_id)
        _upload_fail(
            upload_id,
            _("Загрузка прервана из-за внутренней ошибки, данные не изменены: %(error)s") % {"error": str(error)[:500]},
        )
    return Upload.objects.get(id=upload_id)


def _upload_fail(upload_id: int, message: str) -> None:
    Upload.objects.filter(id=upload_id).update(
        status=UploadStatus.FAILED, message=message, progress=100, finished_at=timezone.now()
    )


def _upload_parse(upload: Upload) -> ParseResult:
    if not upload.file:
        raise FileRejected(_("Файл не сохранён."))
    with upload.file.open("rb") as source:
        return parse_upload(
            source,
            filename=upload.original_name,
            max_bytes=settings.UPLOAD_MAX_BYTES,
            progress=lambda rows: _progress(upload.id, 5 + min(50, rows // 2000)),
        )


class OrgRef(NamedTuple):
    """What the import needs of a registered organisation (no model instances for 90k rows)."""

    id: int
    org_id: str
    region_id: int


def _row_error(row, column: str, value: str, message: str) -> dict:
    return {"line": row.line, "column": column_label(column), "value": str(value)[:200], "message": message}


def _upload_validate(upload: Upload, parsed: ParseResult) -> tuple[list[tuple], list[dict], dict]:
    """Check each parsed row against the registry and the uploader's scope.

    Returns the rows to write as (row, region_id, week, OrgRef or None), the row errors, and the
    registry of the file's regions. One query for the organisations of those regions, one per
    900 ids found nowhere there."""
    if upload.region_id is None and not parsed.has_region_column:
        raise FileRejected(_("В национальном файле нужен столбец «Код региона» в каждой строке."))
    if upload.week is None and not parsed.has_week_column:
        raise FileRejected(_("Не выбрана неделя: укажите её при загрузке или добавьте столбец «Неделя»."))
    errors = [{"line": e.line, "column": e.column, "value": e.value, "message": e.message} for e in parsed.errors]
    regions_by_code = dict(Region.objects.values_list("code", "id"))
    code_of = {region_id: code for code, region_id in regions_by_code.items()}
    today_week = monday_of(timezone.localdate())
    # Unordered: the model's ordering would sort 90,000 rows by region code and name.
    registry = Organisation.objects.order_by()
    if upload.region_id is not None:
        registry = registry.filter(region_id=upload.region_id)
    known = {
        org_id: OrgRef(pk, org_id, region_id)
        for pk, org_id, region_id in registry.values_list("id", "org_id", "region_id")
    }
    outside = sorted({row.org_id for row in parsed.rows if row.org_id not in known})
    elsewhere = {}
    for chunk in _chunks(outside, 900):
        for pk, org_id, region_id in (
            Organisation.objects.filter(org_id__in=chunk).order_by().values_list("id", "org_id", "region_id")
        ):
            elsewhere[org_id] = OrgRef(pk, org_id, region_id)

    valid = []
    fixed_region = upload.region_id
    own_code = code_of[fixed_region] if fixed_region is not None else None
    for row in parsed.rows:
        # The usual row (a registered organisation of its own region, a past week) is accepted
        # by one test; any other goes through the checks below that say what is wrong.
        organisation = known.get(row.org_id) or elsewhere.get(row.org_id)
        week = row.week or upload.week
        if fixed_region is None:
            region_id = regions_by_code.get(row.region_code or "")
        else:
            region_id = fixed_region if not row.region_code or row.region_code == own_code else None
        if (
            region_id is not None
            and organisation is not None
            and organisation.region_id == region_id
            and week is not None
            and week <= today_week
        ):
            valid.append((row, region_id, week, organisation))
            continue
        row_errors = []
        if fixed_region is not None:
            region_id = fixed_region
            if row.region_code and row.region_code != own_code:
                row_errors.append(
                    _row_error(
                        row,
                        "region",
                        row.region_code,
                        _("Строка относится к региону %(other)s, а файл загружается для региона %(own)s")
                        % {"other": row.region_code, "own": code_of[region_id]},
                    )
                )
        else:
            region_id = regions_by_code.get(row.region_code or "")
            if region_id is None:
                row_errors.append(_row_error(row, "region", row.region_code or "", _("Неизвестный код региона")))
        if week is None:
            row_errors.append(_row_error(row, "week", "", _("Не указана неделя")))
        elif week > today_week:
            row_errors.append(_row_error(row, "week", week.isoformat(), _("Неделя ещё не наступила")))
        if organisation is not None and region_id is not None and organisation.region_id != region_id:
            row_errors.append(
                _row_error(
                    row,
                    "org_id",
                    row.org_id,
                    _("Организация зарегистрирована в регионе %(other)s, а строка относится к региону %(own)s")
                    % {"other": code_of[organisation.region_id], "own": code_of[region_id]},
                )
            )
        if organisation is None and not (row.org_name and row.org_kind):
            row_errors.append(
                _row_error(
                    row,
                    "org_id",
                    row.org_id,
                    _(
                        "Неизвестная организация: чтобы зарегистрировать её, заполните «Наименование организации» "
                        "и «Тип организации»"
                    ),
                )
            )
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append((row, region_id, week, organisation))
    errors.sort(key=lambda error: error["line"])
    return valid, errors, known


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _organisations_register(valid: list[tuple]) -> list[tuple]:
    """Register the unknown organisations of valid rows (and their new municipalities)."""
    unknown = {}
    for row, region_id, _week, organisation in valid:
        if organisation is None and row.org_id not in unknown:
            unknown[row.org_id] = (row, region_id)
    if not unknown:
        return valid
    wanted = {(region_id, row.municipality) for row, region_id in unknown.values() if row.municipality}
    municipalities = {}
    region_ids = {region_id for region_id, _name in wanted}
    for municipality in Municipality.objects.filter(region_id__in=region_ids):
        municipalities[(municipality.region_id, municipality.name)] = municipality
    missing = [Municipality(region_id=r, name=n[:255]) for r, n in sorted(wanted) if (r, n) not in municipalities]
    for municipality in Municipality.objects.bulk_create(missing):
        municipalities[(municipality.region_id, municipality.name)] = municipality
    created = Organisation.objects.bulk_create(
        [
            Organisation(
                org_id=row.org_id,
                name=row.org_name[:500],
                kind=row.org_kind,
                region_id=region_id,
                municipality=municipalities.get((region_id, row.municipality[:255])) if row.municipality else None,
            )
            for row, region_id in unknown.values()
        ]
    )
    by_org_id = {organisation.org_id: organisation for organisation in created}
    return [
        (row, region_id, week, organisation or by_org_id[row.org_id]) for row, region_id, week, organisation in valid
    ]


def _upload_diff(valid: list[tuple], known: dict, existing: dict) -> dict:
    """What the file changes against the weeks it touches: new organisations, changed ones with
    the total change per count, unchanged ones, and registry organisations missing from it."""
    new = changed = unchanged = 0
    totals = dict.fromkeys(COUNT_FIELDS, 0)
    present = defaultdict(set)
    for row, region_id, week, organisation in valid:
        present[(region_id, week)].add(organisation.id)
        before = existing.get((organisation.id, week))
        if before is None:
            new += 1
            continue
        if before[0] == row.counts:
            unchanged += 1
            continue
        changed += 1
        for field_name, old, value in zip(COUNT_FIELDS, before[0], row.counts, strict=True):
            totals[field_name] += value - old
    missing_count = 0
    missing = set()
    registry_by_region = defaultdict(list)
    for organisation in known.values():
        registry_by_region[organisation.region_id].append(organisation)
    for (region_id, _week), seen in present.items():
        for organisation in registry_by_region.get(region_id, []):
            if organisation.id not in seen:
                missing_count += 1
                missing.add(organisation.org_id)
    return {
        "rows_valid": len(valid),
        "new": new,
        "changed": changed,
        "unchanged": unchanged,
        "changed_totals": {k: v for k, v in totals.items() if v},
        "missing_count": missing_count,
        # The same sample whatever order the registry was read in (a dry run, then the import).
        "missing_sample": heapq.nsmallest(50, missing),
        "weeks": sorted({week.isoformat() for _r, _g, week, _o in valid}),
    }


def _upload_import(upload: Upload, parsed: ParseResult) -> None:
    """Validate, write and recompute inside the caller's transaction."""
    advisory_xact_lock(REGISTRY_LOCK, shared=True)  # imports run side by side; a registry move waits
    valid, errors, known = _upload_validate(upload, parsed)
    _progress(upload.id, 65)
    upload.rows_total = parsed.rows_total
    upload.errors = errors
    upload.rows_rejected = len({error["line"] for error in errors})
    pairs = sorted({(region_id, week) for _row, region_id, week, _org in valid})
    for region_id, week in pairs:
        advisory_xact_lock("upload-region-week", region_id, week)
    existing = _snapshots_existing(pairs)
    write = bool(valid) and not upload.dry_run and (upload.mode == UploadMode.SKIP_INVALID or not errors)
    if write:
        valid = _organisations_register(valid)
    else:
        # A dry run or a refused atomic file still reports the diff; unknown organisations
        # are shown as new without being registered.
        valid = [(row, r, w, org or OrgRef(-i - 1, row.org_id, r)) for i, (row, r, w, org) in enumerate(valid)]
    upload.diff = _upload_diff(valid, known, existing)
    stood = False
    if write:
        replaced = {existing[key][1] for key in ((org.id, week) for _r, _g, week, org in valid) if key in existing}
        _snapshots_upsert(upload.id, valid, fresh=not existing)
        _progress(upload.id, 85)
        for week in sorted({week for _region, week in pairs}):
            kpi_values_recompute(week=week, region_ids=sorted({r for r, w in pairs if w == week}))
        _uploads_mark_superseded(replaced - {None, upload.id})
        stood = WeeklySnapshot.objects.filter(upload_id=upload.id).exists()
    upload.rows_imported = len(valid) if write else 0
    upload.status, upload.message = _upload_outcome(
        upload, valid=len(valid), errors=len(errors), written=write, stood=stood
    )
    upload.progress = 100
    upload.finished_at = timezone.now()
    upload.save(
        update_fields=[
            "rows_total",
            "rows_imported",
            "rows_rejected",
            "errors",
            "diff",
            "status",
            "message",
            "progress",
            "finished_at",
        ]
    )


def _upload_outcome(upload: Upload, *, valid: int, errors: int, written: bool, stood: bool) -> tuple[str, str]:
    """The final status of an import and the sentence the uploader reads."""
    if upload.dry_run:
        status = UploadStatus.FAILED if errors else UploadStatus.SUCCEEDED
        return status, _("Проверка без сохранения: строк без ошибок %(valid)s, ошибок %(errors)s.") % {
            "valid": valid,
            "errors": errors,
        }
    if not written:
        if upload.mode == UploadMode.SKIP_INVALID or not errors:
            return UploadStatus.FAILED, _("В файле нет ни одной строки без ошибок; данные не изменены.")
        return UploadStatus.FAILED, _(
            "Найдено ошибок: %(n)s. Файл не загружен, данные не изменены: исправьте ошибки и загрузите файл "
            "снова или выберите режим «пропустить ошибочные строки»."
        ) % {"n": errors}
    if not stood:
        # Processed after a newer upload of the same weeks: that upload's values stand.
        return UploadStatus.SUPERSEDED, _(
            "Данные этих недель уже заменены более поздней загрузкой; значения не изменены."
        )
    if errors:
        return UploadStatus.SUCCEEDED, _("Загружено строк: %(n)s; пропущено строк с ошибками: %(rejected)s.") % {
            "n": valid,
            "rejected": upload.rows_rejected,
        }
    return UploadStatus.SUCCEEDED, _("Загружено строк: %(n)s.") % {"n": valid}


def _snapshots_existing(pairs: list[tuple[int, date]]) -> dict:
    """(organisation id, week) -> (counts tuple, upload id) for the region-weeks a file touches."""
    existing = {}
    by_week = defaultdict(list)
    for region_id, week in pairs:
        by_week[week].append(region_id)
    for week, region_ids in by_week.items():
        # No ORDER BY: the model's ordering joins the organisation and its region to sort.
        rows = (
            WeeklySnapshot.objects.filter(week=week, region_id__in=region_ids)
            .order_by()
            .values_list("organisation_id", *COUNT_FIELDS, "upload_id")
        )
        for organisation_id, *values in rows:
            existing[(organisation_id, week)] = (tuple(values[:-1]), values[-1])
    return existing


SNAPSHOT_COLUMNS = ("organisation_id", "region_id", "week", *COUNT_FIELDS, "upload_id")


def _snapshots_upsert(upload_id: int, valid: list[tuple], *, fresh: bool = False) -> None:
    """Insert or replace the snapshots of the valid rows in bulk: COPY into a staging table and
    one INSERT … ON CONFLICT on PostgreSQL; batched upserts on SQLite.

    ``fresh``: the region-weeks of the file hold no snapshot yet (a Monday file), so on
    PostgreSQL the rows go straight into the table with COPY.

    A value from a newer upload is never replaced by an older one, whatever order the jobs run in.
    """
    if is_postgresql():
        if not (fresh and _snapshots_copy_fresh(upload_id, valid)):
            _snapshots_upsert_postgresql(upload_id, valid)
        return
    table = WeeklySnapshot._meta.db_table
    columns = ", ".join((*SNAPSHOT_COLUMNS, "updated_at"))
    now = timezone.now().isoformat()
    placeholders = ", ".join(["%s"] * (len(SNAPSHOT_COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT (organisation_id, week) DO UPDATE SET {_UPSERT_SET} "
            f"WHERE {table}.upload_id IS NULL OR {table}.upload_id <= excluded.upload_id",
            [
                (organisation.id, region_id, week, *row.counts, upload_id, now)
                for row, region_id, week, organisation in valid
            ],
        )


_UPSERT_SET = ", ".join(
    f"{column} = excluded.{column}" for column in (*COUNT_FIELDS, "region_id", "upload_id", "updated_at")
)


def _snapshot_lines(upload_id: int, valid: list[tuple], *, updated_at: str = ""):
    """The valid rows as COPY text in SNAPSHOT_COLUMNS order (then ``updated_at`` when given):
    integers and dates only, formatted without a per-value call (90,000 rows of a national file)."""
    suffix = f"\t{upload_id}\t{updated_at}\n" if updated_at else f"\t{upload_id}\n"
    week_texts = {}
    for row, region_id, week, organisation in valid:
        week_text = week_texts.get(week)
        if week_text is None:
            week_text = week_texts[week] = week.isoformat()
        yield f"{organisation.id}\t{region_id}\t{week_text}\t" + "\t".join(map(str, row.counts)) + suffix


def _snapshots_copy_fresh(upload_id: int, valid: list[tuple]) -> bool:
    """COPY the rows straight into the snapshot table; False (and nothing written) when one of
    them is there after all: an organisation's row of that week filed under its former region,
    outside the region-weeks the import read. The caller then upserts."""
    try:
        with transaction.atomic():  # a savepoint: a conflict undoes only this attempt
            copy_lines(
                WeeklySnapshot._meta.db_table,
                (*SNAPSHOT_COLUMNS, "updated_at"),
                _snapshot_lines(upload_id, valid, updated_at=timezone.now().isoformat()),
            )
    except IntegrityError:
        return False
    return True


def _snapshots_upsert_postgresql(upload_id: int, valid: list[tuple]) -> None:
    table = WeeklySnapshot._meta.db_table
    columns = ", ".join(SNAPSHOT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS snapshot_stage ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE snapshot_stage")
    copy_lines("snapshot_stage", SNAPSHOT_COLUMNS, _snapshot_lines(upload_id, valid))
    with connection.cursor() as cursor:
        # Only identifiers from the model's own metadata are interpolated; values travel by COPY.
        cursor.execute(
            f"INSERT INTO {table} ({columns}, updated_at) SELECT {columns}, now() FROM snapshot_stage "  # noqa: S608
            f"ON CONFLICT (organisation_id, week) DO UPDATE SET {_UPSERT_SET} "
            f"WHERE {table}.upload_id IS NULL OR {table}.upload_id <= excluded.upload_id"
        )


def _uploads_mark_superseded(upload_ids: set[int]) -> None:
    """An earlier upload none of whose values stand any more is marked superseded."""
    if not upload_ids:
        return
    Upload.objects.filter(id__in=upload_ids, status=UploadStatus.SUCCEEDED).exclude(
        id__in=WeeklySnapshot.objects.filter(upload_id__in=upload_ids).values("upload_id")
    ).update(status=UploadStatus.SUPERSEDED)


def kpi_current_week_recompute() -> int:
    """The nightly job: the current week and the one before it (late reports land there)."""
    this_week = monday_of(timezone.localdate())
    rows = kpi_values_recompute(week=this_week - timedelta(weeks=1), refresh_statuses=False)
    rows += kpi_values_recompute(week=this_week, refresh_statuses=False)
    scope_statuses_refresh(from_week=this_week - timedelta(weeks=1))
    return rows
