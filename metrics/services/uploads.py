"""Uploads: kept as sent and queued, re-queued when stuck, processed (parse, check, write,
recompute) in one transaction, and the outcome the uploader reads."""

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from regions.models import Region
from regions.selectors import user_can_upload
from sferum_migration.db import (
    TRANSIENT_DATABASE_ERRORS,
    advisory_locks_held,
    advisory_session_lock,
    advisory_xact_lock,
    deferred_constraints_check,
    in_outermost_transaction,
    is_postgresql,
    run_beside,
    separate_connection,
)
from sferum_migration.exceptions import ApplicationError, ServiceUnavailable, new_error_id

from ..choices import UploadMode, UploadState, UploadStatus
from ..constants import FINAL_UPLOAD_STATUSES
from ..importers import FileRejected, ParseResult, parse_upload
from ..kpi import monday_of
from ..models import Upload, WeeklySnapshot
from ..quality import QualityFindings
from ..tasks import upload_process_task
from .kpi_values import kpi_values_recompute
from .quality import (
    quality_blocking,
    quality_blocking_codes,
    quality_blocking_message,
    upload_quality_check,
    upload_warnings_save,
)
from .registry import REGISTRY_LOCK
from .reporting import Arrival, reporting_arrivals_record
from .snapshots import (
    organisations_register,
    snapshot_partitions_ensure,
    snapshots_existing,
    snapshots_upsert,
    upload_diff,
    uploads_mark_superseded,
)
from .upload_rows import ValidRow, upload_rows_validate

logger = logging.getLogger(__name__)

# Held by the connection that processes an upload, for as long as it does: the sweeper reads it.
PROCESSOR_LOCK = "upload-processor"


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
        week_first=week,
        week_last=week,
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
    written = None
    try:
        with transaction.atomic():
            # The row first: a file is written only when its row can be recorded, and a file that
            # cannot be written takes its row back with it.
            upload.save()
            written = upload.file.name = _upload_file_write(upload, file, original_name)
            upload.save(update_fields=["file"])
            transaction.on_commit(lambda: upload_enqueue(upload_id=upload.id))
    except DatabaseError:
        if written:  # the row could not be kept after all: neither is its file
            upload.file.storage.delete(written)
        raise
    return upload


def upload_import_checked(*, user, upload: Upload) -> Upload:
    """Import for real the file of a dry run that passed: the same stored file, region, week and
    mode, sent again through ``upload_create`` (which checks the user's scope)."""
    if upload.state != UploadState.CHECKED:
        raise UploadRefused(_("Загрузить можно только файл, который прошёл проверку без ошибок."))
    if not upload.file:
        raise UploadRefused(_("Файл этой проверки не сохранён: отправьте его заново."))
    with upload.file.open("rb") as stored:
        return upload_create(
            user=user,
            file=File(stored, name=upload.original_name),
            region=upload.region,
            week=upload.week,
            mode=upload.mode,
        )


def _upload_file_write(upload: Upload, file, original_name: str) -> str:
    """Store the file as sent; the disk full or the folder unwritable leaves no fragment behind and
    tells the uploader so (the caller's transaction takes the row back)."""
    field = upload.file.field
    name = field.generate_filename(upload, original_name)  # a fresh random name: nobody else's file
    storage = upload.file.storage
    try:
        return storage.save(name, file, max_length=field.max_length)
    except OSError as error:
        logger.exception("Upload file %s not written (%s)", name, error.strerror or error)
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Fragment of upload file %s not removed", name)
        raise ServiceUnavailable(
            _(
                "Файл не сохранён: на сервере не удалось записать файл (нет места или нет доступа). "
                "Ничего не изменено. Попробуйте позже или сообщите администратору."
            ),
        ) from error


def upload_enqueue(*, upload_id: int) -> bool:
    """Queue an upload's processing. A broker that is down loses nothing: the row stays
    `queued` and the periodic sweeper queues it again."""
    try:
        upload_process_task.delay(upload_id)
    except Exception:
        logger.warning("Upload %s stays queued: the broker did not take it", upload_id, exc_info=True)
        return False
    return True


def uploads_requeue_stuck(*, older_than_seconds: int | None = None) -> list[int]:
    """Queue again the uploads still `queued` for too long, and those left `processing` by a lost
    worker or a lost database connection.

    A worker lost with its machine leaves its upload `processing` and its message unacknowledged
    until the broker's visibility timeout (an hour). On PostgreSQL the processor's connection holds
    a session lock on the upload (``upload_process``), gone the moment that connection is: an
    upload `processing` whose lock nobody holds has no processor, and is queued again at once; one
    whose lock is held is left to its processor. SQLite has no such lock: an age decides there.
    """
    age = older_than_seconds if older_than_seconds is not None else settings.UPLOAD_REQUEUE_AFTER_SECONDS
    now = timezone.now()
    cutoff = now - timedelta(seconds=age)
    lost = Q(status=UploadStatus.PROCESSING)
    if not is_postgresql():
        lost &= Q(started_at__lt=now - timedelta(seconds=settings.UPLOAD_STALE_PROCESSING_SECONDS))
    with transaction.atomic():
        # SKIP LOCKED also passes by an upload whose import transaction is open (FOR KEY SHARE).
        candidates = list(
            Upload.objects.select_for_update(skip_locked=True)
            .filter(Q(status=UploadStatus.QUEUED, queued_at__lt=cutoff) | lost)
            .order_by("id")
            .values_list("id", "status")[:500]
        )
        processing = [upload_id for upload_id, status in candidates if status == UploadStatus.PROCESSING]
        alive = advisory_locks_held({upload_id: (PROCESSOR_LOCK, upload_id) for upload_id in processing})
        stuck = [upload_id for upload_id, _status in candidates if upload_id not in alive]
        # Back to `queued`: the page tells the truth, and the next sweep waits for the queued age
        # rather than queueing it again while its message waits behind a long import.
        Upload.objects.filter(id__in=stuck).update(status=UploadStatus.QUEUED, queued_at=now, progress=0)
    if stuck:
        logger.warning("Uploads queued again by the sweeper: %s", stuck)
    return [upload_id for upload_id in stuck if upload_enqueue(upload_id=upload_id)]


def _progress(upload_id: int, percent: int) -> None:
    """Record how far an upload's processing is, where the page that polls it sees it now.

    Written inside the import's transaction it would show only when the import ends: PostgreSQL
    writes it through a short-lived connection of its own instead. SQLite has one writer, the
    import itself, so there it is only written outside a transaction (its jobs run inline)."""
    percent = min(percent, 100)
    if not connection.in_atomic_block:
        Upload.objects.filter(id=upload_id).update(progress=percent)
        return
    if not is_postgresql():
        return
    channel = _PROGRESS_CHANNEL.get()
    try:
        if channel is None:
            with separate_connection() as other:
                _progress_write(other, upload_id, percent)
            return
        if channel.get("connection") is None:
            channel["connection"] = connections.create_connection(DEFAULT_DB_ALIAS)
        _progress_write(channel["connection"], upload_id, percent)
    except DatabaseError:
        logger.warning("Progress of upload %s not recorded", upload_id, exc_info=True)


def _progress_write(other, upload_id: int, percent: int) -> None:
    with other.cursor() as cursor:
        # A progress bar never holds the import up: a lock it waits for is the import's own.
        cursor.execute("SET lock_timeout = '2s'")
        cursor.execute(
            f"UPDATE {Upload._meta.db_table} SET progress = %s WHERE id = %s",  # noqa: S608
            [percent, upload_id],
        )


# An import's progress is written through one connection of its own for the whole import (opened at
# its first write inside the transaction, closed at its end), not a new connection for each.
_PROGRESS_CHANNEL: ContextVar[dict | None] = ContextVar("upload_progress_channel", default=None)


@contextmanager
def _progress_channel() -> Iterator[None]:
    channel: dict = {}
    token = _PROGRESS_CHANNEL.set(channel)
    try:
        yield
    finally:
        _PROGRESS_CHANNEL.reset(token)
        if channel.get("connection") is not None:
            channel["connection"].close()


def upload_process(*, upload_id: int) -> Upload:
    """Import one upload. Safe to run twice: a finished upload is left as it is, a run that finds
    another one processing it leaves it to that one, and the import itself is one transaction, so
    a run killed half-way leaves nothing behind.

    The database lost under the import (a restart, a failover, a cut connection) is tried again on
    a new connection after each pause of ``UPLOAD_DB_RETRY_DELAYS``; after the last, the upload is
    marked failed through a new connection (the lost one cannot write it)."""
    delays = tuple(settings.UPLOAD_DB_RETRY_DELAYS)
    for retry, delay in enumerate((*delays, None)):
        try:
            return _upload_process_once(upload_id)
        except TRANSIENT_DATABASE_ERRORS:
            # Not ours to start again: a caller's transaction; or SQLite, where this runs inline in
            # a request and such an error is no lost server.
            if connection.in_atomic_block or not is_postgresql():
                raise
            # The connection is broken: a new one is opened by the next query.
            connection.close()
            if delay is None:
                error_id = new_error_id()
                logger.exception(
                    "Upload %s failed: the database stayed unavailable after %s retries [error %s]",
                    upload_id,
                    len(delays),
                    error_id,
                )
                _upload_fail(
                    upload_id,
                    _(
                        "База данных была недоступна, файл не обработан, данные не изменены. "
                        "Загрузите файл ещё раз позже. Код ошибки: %(id)s."
                    )
                    % {"id": error_id},
                )
                return Upload.objects.get(id=upload_id)
            logger.warning(
                "Upload %s: database connection lost, retry %s of %s in %s s",
                upload_id,
                retry + 1,
                len(delays),
                delay,
                exc_info=True,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _upload_process_once(upload_id: int) -> Upload:
    # The lock lives as long as this connection: the sweeper reads it to know the upload has a
    # processor. Not taken: another run is processing the upload now and will finish it.
    with advisory_session_lock(PROCESSOR_LOCK, upload_id) as taken, _progress_channel():
        if not taken:
            logger.info("Upload %s is being processed by another run: left to it", upload_id)
            return Upload.objects.get(id=upload_id)
        return _upload_process_locked(upload_id)


def _upload_process_locked(upload_id: int) -> Upload:
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
        if not upload.dry_run:
            # Before the import's transaction, whose locks would hold the table for its whole length.
            snapshot_partitions_ensure(weeks={row.week or upload.week for row in parsed.rows} - {None})
        with transaction.atomic():
            current = _upload_import_claim(upload_id)
            if current.status in FINAL_UPLOAD_STATUSES:  # a parallel run of the same message finished first
                return current
            _upload_import(upload, parsed)
    except FileRejected as rejected:
        _upload_fail(upload_id, rejected.message)
    except Exception as error:
        if isinstance(error, TRANSIENT_DATABASE_ERRORS) and is_postgresql():
            raise  # upload_process tries again on a new connection
        # The technical text is for the log; the uploader reads an id that finds it there.
        error_id = new_error_id()
        logger.exception("Upload %s failed on an internal error [error %s]", upload_id, error_id)
        _upload_fail(
            upload_id,
            _(
                "Внутренняя ошибка при обработке файла, данные не изменены. Код ошибки: %(id)s. "
                "Сообщите его администратору."
            )
            % {"id": error_id},
        )
    return Upload.objects.get(id=upload_id)


def _upload_import_claim(upload_id: int) -> Upload:
    """The upload as its import's transaction starts: two runs of one upload (its message
    delivered twice) import one after the other, and the later one finds it finished.

    An advisory lock serialises them rather than the row locked FOR UPDATE, which would hold
    back the progress the import writes through a connection of its own (for ever: the import
    waits for that write). The row is held FOR KEY SHARE, which lets that write through and
    still keeps the sweeper (FOR UPDATE SKIP LOCKED) and a second run's start off the import."""
    advisory_xact_lock("upload", upload_id)
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {Upload._meta.db_table} WHERE id = %s FOR KEY SHARE", [upload_id])  # noqa: S608
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
            progress=lambda rows, expected: _progress(upload.id, _parse_percent(rows, expected)),
            errors_kept=settings.UPLOAD_ERRORS_KEPT,
        )


def _parse_percent(rows: int, expected: int | None) -> int:
    """Reading the file is 5–55 %: in proportion to the rows expected (a 250,000-row file does
    not sit at 55 % from its 100,000th row on), or 1 % per 2,000 rows when that is unknown."""
    if expected:
        return 5 + min(50, 50 * rows // expected)
    return 5 + min(50, rows // 2000)


def _upload_import(upload: Upload, parsed: ParseResult) -> None:
    """Validate, write and recompute inside the caller's transaction."""
    advisory_xact_lock(REGISTRY_LOCK, shared=True)  # imports run side by side; a registry move waits
    valid, errors, registry = upload_rows_validate(upload=upload, parsed=parsed)
    _progress(upload.id, 65)
    upload.rows_total = parsed.rows_total
    # Every error counted; the first UPLOAD_ERRORS_KEPT kept whole (issue #18).
    upload.errors = [error.as_dict() for error in errors.kept]
    upload.errors_total = errors.total
    upload.errors_summary = errors.summary()
    upload.rows_rejected = errors.rows
    upload.week_first, upload.week_last = _upload_week_range(upload, parsed, valid)
    pairs = sorted({(valid_row.region_id, valid_row.week) for valid_row in valid})
    for region_id, week in pairs:
        advisory_xact_lock("upload-region-week", region_id, week)
    existing = snapshots_existing(pairs=pairs)
    # Checked against the organisations' history as it stands before the file, a dry run too; the
    # warnings are kept with the upload whatever its outcome. With a code an administrator made
    # blocking the write waits for them; otherwise they are worked out beside it.
    blocking = quality_blocking_codes()
    findings = _quality_checks_start(upload, valid, existing, beside=not blocking)
    blocked = (
        quality_blocking(counts=upload_warnings_save(upload=upload, findings=findings()), codes=blocking)
        if blocking
        else {}
    )
    _progress(upload.id, 70)
    # A dry run or a refused atomic file still reports the diff; its unknown organisations count
    # as new without being registered.
    write = (
        bool(valid)
        and not upload.dry_run
        and (upload.mode == UploadMode.SKIP_INVALID or not errors.total)
        and not blocked
    )
    if write:
        organisations_register(rows=valid)
    upload.diff = upload_diff(rows=valid, registry=registry, existing=existing, file_org_ids=parsed.org_ids)
    stood = False
    if write:
        keys = ((valid_row.organisation.id, valid_row.week) for valid_row in valid)
        replaced = {existing[key][1] for key in keys if key in existing}
        snapshots_upsert(upload_id=upload.id, rows=valid, fresh=not existing)
        # The snapshots' organisation key checked now (0.3 s for a national file), while the
        # data-quality checks may be running beside, rather than at COMMIT after them.
        deferred_constraints_check()
        reporting_arrivals_record(
            arrivals=[Arrival(region_id, week, upload.created_at, upload.uploaded_by_id) for region_id, week in pairs]
        )
        _progress(upload.id, 85)
        for week in sorted({week for _region, week in pairs}):
            kpi_values_recompute(week=week, region_ids=sorted({r for r, w in pairs if w == week}))
        uploads_mark_superseded(upload_ids=replaced - {None, upload.id}, by=upload.id)
        stood = WeeklySnapshot.objects.filter(upload_id=upload.id).exists()
    if not blocking:
        upload_warnings_save(upload=upload, findings=findings())
    upload.rows_imported = len(valid) if write else 0
    upload.status, upload.message = _upload_outcome(
        upload, valid=len(valid), errors=errors.total, written=write, stood=stood, blocked=blocked
    )
    upload.progress = 100
    upload.finished_at = timezone.now()
    upload.save(
        update_fields=[
            "rows_total",
            "rows_imported",
            "rows_rejected",
            "week_first",
            "week_last",
            "errors",
            "errors_total",
            "errors_summary",
            "diff",
            "warning_counts",
            "status",
            "message",
            "progress",
            "finished_at",
        ]
    )


# A file this large has its data-quality checks worked out beside its write (below, a smaller one
# would spend more on the thread's own connection than the overlap saves).
QUALITY_BESIDE_MIN_ROWS = 2000


def _quality_checks_start(
    upload: Upload, valid: list, existing: dict, *, beside: bool
) -> Callable[[], QualityFindings]:
    """The data-quality checks of the rows, started; returns a function that gives their findings.

    ``beside``: on PostgreSQL, in the import's own outermost transaction, a large file's checks (pure
    Python, a second or so for a national file) run beside (``run_beside``: a forked process in a
    worker, else a thread) with a connection of their own while this one writes the snapshots and
    recomputes the KPIs. They read the history as committed, which is what this transaction sees
    before its own writes (the region-weeks are locked by it; the checks read other weeks' rows).
    Inside a caller's transaction (a test's) they would not see that caller's rows: they run at once."""
    if beside and len(valid) >= QUALITY_BESIDE_MIN_ROWS and is_postgresql() and in_outermost_transaction():
        # Rows of their own: registering new organisations fills in the import's rows meanwhile, which a
        # thread would see (a forked child has its own copy of memory anyway).
        pinned = [ValidRow(v.row, v.region_id, v.week, v.organisation) for v in valid]
        return run_beside(functools.partial(upload_quality_check, upload=upload, valid=pinned, existing=existing))
    findings = upload_quality_check(upload=upload, valid=valid, existing=existing)
    return lambda: findings


def _upload_week_range(upload: Upload, parsed: ParseResult, valid: list) -> tuple[date | None, date | None]:
    """The first and last week the file covers: its valid rows' weeks, else any row's own week or
    the week chosen on upload (a file refused whole still names the weeks it was meant for)."""
    weeks = {valid_row.week for valid_row in valid}
    if not weeks:
        weeks = {row.week or upload.week for row in parsed.rows} - {None}
    if not weeks:
        return upload.week, upload.week
    return min(weeks), max(weeks)


def _upload_outcome(
    upload: Upload, *, valid: int, errors: int, written: bool, stood: bool, blocked: dict[str, int]
) -> tuple[str, str]:
    """The final status of an import and the sentence the uploader reads."""
    if upload.dry_run:
        status = UploadStatus.FAILED if errors or blocked else UploadStatus.SUCCEEDED
        message = _("Проверка без сохранения: строк без ошибок %(valid)s, ошибок %(errors)s.") % {
            "valid": valid,
            "errors": errors,
        }
        if blocked:
            message += " " + _(
                "Файл не будет загружен: в нём есть предупреждения, которые администратор сделал блокирующими: "
                "%(warnings)s."
            ) % {"warnings": quality_blocking_message(blocked)}
        return status, message
    if blocked:
        return UploadStatus.FAILED, _(
            "Файл не загружен, данные не изменены: в нём есть предупреждения, которые администратор сделал "
            "блокирующими: %(warnings)s. Исправьте данные или обратитесь к администратору."
        ) % {"warnings": quality_blocking_message(blocked)}
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
