"""Snapshots written by an import: unknown organisations registered, the diff against the
existing rows, the bulk write (COPY or upsert), and the uploads whose values no longer stand."""

import heapq
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from regions.models import Municipality, Organisation
from sferum_migration.db import copy_lines, is_postgresql, plain_rows

from ..choices import UploadStatus
from ..counts import COUNT_FIELDS
from ..kpi import monday_of
from ..models import Upload, WeeklySnapshot
from .upload_rows import OrgRef, RegistryIndex, ValidRow

logger = logging.getLogger(__name__)

# Weeks with a partition of their own (migration 0012): from this many weeks back to this many ahead.
# A row of an older week (a file about 2019) lands in the default partition, so a file cannot make
# the import create thousands of tables.
PARTITION_WEEKS_BACK = 156
PARTITION_WEEKS_AHEAD = 4
PARTITION_LOCK_TIMEOUT = "200ms"


def organisations_register(*, rows: list[ValidRow]) -> None:
    """Register the organisations of the rows that the registry does not know yet (and their new
    municipalities), and fill them into those rows."""
    unknown: dict[str, ValidRow] = {}
    for valid_row in rows:
        if valid_row.organisation is None and valid_row.row.org_id not in unknown:
            unknown[valid_row.row.org_id] = valid_row
    if not unknown:
        return
    wanted = {
        (valid_row.region_id, valid_row.row.municipality)
        for valid_row in unknown.values()
        if valid_row.row.municipality
    }
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
                org_id=org_id,
                name=valid_row.row.org_name[:500],
                kind=valid_row.row.org_kind,
                region_id=valid_row.region_id,
                municipality=(
                    municipalities.get((valid_row.region_id, valid_row.row.municipality[:255]))
                    if valid_row.row.municipality
                    else None
                ),
            )
            for org_id, valid_row in unknown.items()
        ]
    )
    by_org_id = {
        organisation.org_id: OrgRef(organisation.id, organisation.org_id, organisation.region_id)
        for organisation in created
    }
    for valid_row in rows:
        if valid_row.organisation is None:
            valid_row.organisation = by_org_id[valid_row.row.org_id]


def upload_diff(
    *, rows: list[ValidRow], registry: RegistryIndex, existing: dict, file_org_ids: set[str] = frozenset()
) -> dict:
    """What the file changes against the weeks it touches: new organisations (an unknown one too,
    registered or not), changed ones with the total change per count, unchanged ones, and the
    registry organisations of its regions that the file does not name at all (``file_org_ids``:
    every organisation it names, in rows with errors too)."""
    new = unchanged = 0
    # The changed rows' counts before and after, summed column by column at the end (a re-sent
    # national file changes 90,000 rows × 10 counts).
    olds, news = [], []
    for valid_row in rows:
        if valid_row.organisation is None:  # not registered (a dry run): new
            new += 1
            continue
        before = existing.get((valid_row.organisation.id, valid_row.week))
        if before is None:
            new += 1
            continue
        if before[0] == valid_row.row.counts:
            unchanged += 1
            continue
        olds.append(before[0])
        news.append(valid_row.row.counts)
    changed = len(news)
    totals = dict.fromkeys(COUNT_FIELDS, 0)
    if news:
        after = [sum(column) for column in zip(*news, strict=True)]
        was = [sum(column) for column in zip(*olds, strict=True)]
        for field_name, now, then in zip(COUNT_FIELDS, after, was, strict=True):
            totals[field_name] = now - then
    regions = {valid_row.region_id for valid_row in rows}
    named = set(file_org_ids)
    named.update(valid_row.row.org_id for valid_row in rows)
    missing = {
        organisation.org_id
        for organisation in registry.known.values()
        if organisation.region_id in regions and organisation.org_id not in named
    }
    missing_count = len(missing)
    return {
        "rows_valid": len(rows),
        "new": new,
        "changed": changed,
        "unchanged": unchanged,
        "changed_totals": {k: v for k, v in totals.items() if v},
        "missing_count": missing_count,
        # The same sample whatever order the registry was read in (a dry run, then the import).
        "missing_sample": heapq.nsmallest(50, missing),
        "weeks": sorted({valid_row.week.isoformat() for valid_row in rows}),
    }


def snapshots_existing(*, pairs: list[tuple[int, date]]) -> dict:
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
        for row in plain_rows(rows):
            existing[(row[0], week)] = (row[1:-1], row[-1])
    return existing


SNAPSHOT_COLUMNS = ("organisation_id", "region_id", "week", *COUNT_FIELDS, "upload_id")


def snapshots_upsert(*, upload_id: int, rows: list[ValidRow], fresh: bool = False) -> None:
    """Insert or replace the snapshots of the rows (their organisations registered) in bulk: COPY
    into a staging table and one INSERT … ON CONFLICT on PostgreSQL; batched upserts on SQLite.

    ``fresh``: the region-weeks of the file hold no snapshot yet (a Monday file), so on
    PostgreSQL the rows go straight into the table with COPY.

    A value from a newer upload is never replaced by an older one, whatever order the jobs run in.
    """
    if is_postgresql():
        if not (fresh and _snapshots_copy_fresh(upload_id, rows)):
            _snapshots_upsert_postgresql(upload_id, rows)
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
                (valid_row.organisation.id, valid_row.region_id, valid_row.week, *valid_row.row.counts, upload_id, now)
                for valid_row in rows
            ],
        )


_UPSERT_SET = ", ".join(
    f"{column} = excluded.{column}" for column in (*COUNT_FIELDS, "region_id", "upload_id", "updated_at")
)


def _snapshot_lines(upload_id: int, rows: list[ValidRow], *, updated_at: str = ""):
    """The rows as COPY text in SNAPSHOT_COLUMNS order (then ``updated_at`` when given):
    integers and dates only, formatted without a per-value call (90,000 rows of a national file)."""
    suffix = f"\t{upload_id}\t{updated_at}\n" if updated_at else f"\t{upload_id}\n"
    week_texts = {}
    for valid_row in rows:
        week_text = week_texts.get(valid_row.week)
        if week_text is None:
            week_text = week_texts[valid_row.week] = valid_row.week.isoformat()
        yield (
            f"{valid_row.organisation.id}\t{valid_row.region_id}\t{week_text}\t"
            + "\t".join(map(str, valid_row.row.counts))
            + suffix
        )


def _snapshots_copy_fresh(upload_id: int, rows: list[ValidRow]) -> bool:
    """COPY the rows straight into the snapshot table; False (and nothing written) when one of
    them is there after all: an organisation's row of that week filed under its former region,
    outside the region-weeks the import read. The caller then upserts."""
    try:
        with transaction.atomic():  # a savepoint: a conflict undoes only this attempt
            copy_lines(
                WeeklySnapshot._meta.db_table,
                (*SNAPSHOT_COLUMNS, "updated_at"),
                _snapshot_lines(upload_id, rows, updated_at=timezone.now().isoformat()),
            )
    except IntegrityError:
        return False
    return True


def _snapshots_upsert_postgresql(upload_id: int, rows: list[ValidRow]) -> None:
    table = WeeklySnapshot._meta.db_table
    columns = ", ".join(SNAPSHOT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS snapshot_stage ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE snapshot_stage")
    copy_lines("snapshot_stage", SNAPSHOT_COLUMNS, _snapshot_lines(upload_id, rows))
    with connection.cursor() as cursor:
        # Only identifiers from the model's own metadata are interpolated; values travel by COPY.
        cursor.execute(
            f"INSERT INTO {table} ({columns}, updated_at) SELECT {columns}, now() FROM snapshot_stage "  # noqa: S608
            f"ON CONFLICT (organisation_id, week) DO UPDATE SET {_UPSERT_SET} "
            f"WHERE {table}.upload_id IS NULL OR {table}.upload_id <= excluded.upload_id"
        )


def uploads_mark_superseded(*, upload_ids: set[int], by: int | None = None) -> None:
    """An earlier upload none of whose values stand any more is marked superseded (by the upload
    ``by`` whose import replaced the last of them)."""
    if not upload_ids:
        return
    Upload.objects.filter(id__in=upload_ids, status=UploadStatus.SUCCEEDED).exclude(
        id__in=WeeklySnapshot.objects.filter(upload_id__in=upload_ids).values("upload_id")
    ).update(status=UploadStatus.SUPERSEDED, superseded_by_id=by)


def snapshot_partition_name(week: date) -> str:
    return f"{WeeklySnapshot._meta.db_table}_{week:%Y%m%d}"


def snapshot_partitions_ensure(*, weeks: Iterable[date], today: date | None = None) -> list[date]:
    """Give each of these weeks (within ``PARTITION_WEEKS_BACK`` of this week, up to
    ``PARTITION_WEEKS_AHEAD`` ahead) its own partition of the snapshot table before rows are
    written into it; returns the weeks created. PostgreSQL only (SQLite's table is not partitioned).

    Each partition is created empty, then attached. Attaching takes a SHARE UPDATE EXCLUSIVE lock on
    the table (reads and writes of other weeks go on), but also an ACCESS EXCLUSIVE lock on the
    default partition, which a read across all weeks (an organisation's page, the snapshot list)
    scans, and a SHARE ROW EXCLUSIVE lock on the organisations (the foreign key), which an import
    registering new organisations holds until it commits. So it waits at most
    ``PARTITION_LOCK_TIMEOUT`` for them, and the nightly job makes the coming weeks' partitions
    ahead, when nothing else runs. A week not given its partition, or whose rows already sit in the
    default partition, stays there: slower to write, equally right, and not tried again."""
    if not is_postgresql():
        return []
    this_week = monday_of(today or timezone.localdate())
    first, last = this_week - timedelta(weeks=PARTITION_WEEKS_BACK), this_week + timedelta(weeks=PARTITION_WEEKS_AHEAD)
    wanted = sorted({monday_of(week) for week in weeks if first <= week <= last})
    if not wanted:
        return []
    table = WeeklySnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        present = {name for (name,) in cursor.fetchall()}
    created = []
    for week in wanted:
        name = snapshot_partition_name(week)
        if name in present or _default_partition_holds(week):
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # SET LOCAL inside a caller's transaction (a savepoint here) would outlast this
                # block: the caller's timeout is put back below.
                cursor.execute("SELECT current_setting('lock_timeout')")
                before = cursor.fetchone()[0]
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [PARTITION_LOCK_TIMEOUT])
                cursor.execute(
                    f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                    "WITH (autovacuum_analyze_scale_factor = 0.01)"  # as migration 0004 set the table
                )
                cursor.execute(
                    f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
                    [week, week + timedelta(weeks=1)],
                )
        except DatabaseError:
            logger.warning("Snapshot partition %s not created; its week stays in the default one", name, exc_info=True)
            continue
        _lock_timeout_restore(before)
        created.append(week)
    return created


def _default_partition_holds(week: date) -> bool:
    """Rows of the week in the default partition (one index probe): attaching would fail."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {WeeklySnapshot._meta.db_table}_default WHERE week >= %s AND week < %s LIMIT 1",  # noqa: S608
            [week, week + timedelta(weeks=1)],
        )
        return cursor.fetchone() is not None


def _lock_timeout_restore(value: str) -> None:
    if connection.in_atomic_block:  # outside one, the partition's own transaction has ended
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [value])
