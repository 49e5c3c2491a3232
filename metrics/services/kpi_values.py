"""KPI values: one week's recompute, the rebuild of many weeks, the roll-up to districts and the
country, the changes from the previous week, and the nightly recompute of the current week."""

from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from regions.choices import OrganisationKind
from regions.models import Organisation, Region
from sferum_migration.db import (
    advisory_xact_lock,
    bulk_insert,
    copy_lines,
    is_postgresql,
    plain_rows,
    work_mem_for_transaction,
)

from ..choices import ScopeType
from ..constants import ALL_KINDS, COUNTRY_ID
from ..counts import COUNT_FIELDS
from ..kpi import KPI_CODES, kpi_met, kpi_numbers, kpi_value, monday_of
from ..models import KpiValue, WeeklySnapshot
from ..selectors import kpi_targets
from .reporting import reporting_refresh
from .schedule import schedule_states_refresh
from .snapshots import PARTITION_WEEKS_AHEAD, snapshot_partitions_ensure

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
# A national week grouped by region, municipality and kind sorts 90,000 rows: in memory, not on disk.
RECOMPUTE_WORK_MEM_MB = 32


def _zero():
    return dict.fromkeys(COUNT_FIELDS, 0) | {"reported": 0, "orgs": 0}


# The sums of a group of organisations, as lists in this order while they are added up.
_SUM_KEYS = ("reported", "orgs", *COUNT_FIELDS)


def _week_sums(snapshots, organisations, memo) -> tuple[dict, dict]:
    """The week's sums per (region, municipality) and per (region, kind) (ALL_KINDS too), as
    count dicts: one grouped query over the snapshots and one over the registry (a rebuild's
    ``memo`` keeps the latter for every week). Added up as lists, 47,000 times for a national week."""
    groups: dict[tuple, list] = {}
    aggregates = snapshots.values_list("region_id", "organisation__municipality_id", "organisation__kind").annotate(
        Count("id"), *(Sum(field) for field in COUNT_FIELDS)
    )
    for region_id, municipality_id, kind, reported, *sums in plain_rows(aggregates):
        groups[(region_id, municipality_id, kind)] = [reported, 0, *(value or 0 for value in sums)]
    registry = memo.registry if memo is not None else None
    if registry is None:
        registry = plain_rows(organisations.values_list("region_id", "municipality_id", "kind").annotate(Count("id")))
        if memo is not None:
            memo.registry = registry
    empty = [0] * len(_SUM_KEYS)
    for region_id, municipality_id, kind, count in registry:
        group = groups.get((region_id, municipality_id, kind))
        if group is None:
            group = groups[(region_id, municipality_id, kind)] = list(empty)
        group[1] += count
    per_municipality: dict[tuple, list] = {}
    per_region_kind: dict[tuple, list] = {}
    for (region_id, municipality_id, kind), counts in groups.items():
        keys = [(per_region_kind, (region_id, kind)), (per_region_kind, (region_id, ALL_KINDS))]
        if municipality_id is not None:
            keys.append((per_municipality, (region_id, municipality_id)))
        for table, key in keys:
            total = table.get(key)
            table[key] = list(counts) if total is None else [a + b for a, b in zip(total, counts, strict=True)]

    def as_dicts(table: dict) -> dict:
        return {key: dict(zip(_SUM_KEYS, values, strict=True)) for key, values in table.items()}

    return as_dicts(per_municipality), as_dicts(per_region_kind)


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


class _Memo:
    """What a rebuild's weeks share: the registry's organisation counts (the same for every week)
    and the values of the week just recomputed (the next week's changes start from them)."""

    def __init__(self):
        self.registry: list[tuple] | None = None
        self.values: tuple[date, dict] | None = None


def kpi_values_recompute(
    *,
    week: date,
    region_ids: Collection[int] | None = None,
    refresh_states: bool = True,
    deltas_after: bool = True,
) -> int:
    """Recompute one week's KPI values: the regions given (all when None; a region without
    values for the week is always added) with their municipalities and kinds, then the districts
    and the country from the region rows; then the week's reporting rows and the schedule states.

    Two grouped aggregates over the week's snapshots and the registry, whatever their size;
    replacing the week's rows makes it idempotent. ``deltas_after``: the week after's changes from
    this one are brought up to date (a rebuild that recomputes that week next leaves them to it).
    Returns the number of rows written.
    """
    return _week_recompute(
        week=monday_of(week), region_ids=region_ids, refresh_states=refresh_states, deltas_after=deltas_after
    )


def _week_recompute(*, week: date, region_ids, refresh_states: bool, deltas_after: bool, memo: _Memo | None = None):
    """kpi_values_recompute's work; a rebuild (region_ids None) passes the ``memo`` its weeks share."""
    targets = kpi_targets()
    with transaction.atomic():
        advisory_xact_lock("kpi-week", week)
        work_mem_for_transaction(RECOMPUTE_WORK_MEM_MB)
        if region_ids is not None:
            region_ids = _with_regions_absent(week=week, region_ids=region_ids)
        snapshots = WeeklySnapshot.objects.filter(week=week)
        organisations = Organisation.objects.all()
        if region_ids is not None:
            snapshots = snapshots.filter(region_id__in=region_ids)
            organisations = organisations.filter(region_id__in=region_ids)
            regions = list(Region.objects.filter(id__in=region_ids).values_list("id", flat=True))
        else:
            regions = list(Region.objects.values_list("id", flat=True))

        per_municipality, per_region_kind = _week_sums(snapshots, organisations, memo)
        if memo is not None and memo.values is not None and memo.values[0] == week - timedelta(weeks=1):
            previous = memo.values[1]
        else:
            previous = _kpi_previous_values(week=week, region_ids=region_ids)
        builder = _KpiRows(week=week, targets=targets, previous=previous)
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
        _kpi_rows_write(builder.rows)
        written = builder.rows
        builder.rows = []
        _kpi_values_roll_up(builder)
        written += builder.rows
        if memo is not None:  # (scope, scope_id, kind, kpi) -> value, as _kpi_previous_values reads them
            memo.values = (week, {(row[1], row[2], row[4], row[5]): row[8] for row in written})
        # Only the next week's changes depend on this week; it exists when an old week is re-sent.
        if deltas_after:
            _kpi_deltas_refresh(week=week + timedelta(weeks=1))
        reporting_refresh(week=week)
        if refresh_states:
            schedule_states_refresh(from_week=week, region_ids=region_ids)
    return len(written)


def _kpi_rows_write(rows: list[tuple]) -> None:
    """Insert KPI value rows (KPI_VALUE_FIELDS order): on PostgreSQL COPY lines made by one
    f-string per row (a week's 12,500 rows through the general per-value converter took a tenth
    of a second of every recompute); elsewhere bulk_insert."""
    if not rows:
        return
    if not is_postgresql():
        bulk_insert(KpiValue, rows, KPI_VALUE_FIELDS)
        return
    columns = tuple(KpiValue._meta.get_field(name).column for name in KPI_VALUE_FIELDS)
    copy_lines(KpiValue._meta.db_table, columns, _kpi_lines(rows))


_NULL = "\\N"


def _kpi_lines(rows: list[tuple]):
    """COPY text of KPI rows: dates, numbers, booleans and the fixed codes of scopes, kinds and
    KPIs (no character to escape)."""
    texts: dict = {}
    for week, scope, scope_id, region_id, kind, code, numerator, denominator, value, target, met, delta, *rest in rows:
        reported, total, computed_at = rest
        week_text = texts.get(week)
        if week_text is None:
            week_text = texts[week] = week.isoformat()
        at_text = texts.get(computed_at)
        if at_text is None:
            at_text = texts[computed_at] = computed_at.isoformat()
        yield (
            f"{week_text}\t{scope}\t{scope_id}\t{_NULL if region_id is None else region_id}\t{kind}\t{code}\t"
            f"{numerator}\t{denominator}\t{_NULL if value is None else value}\t{target}\t"
            f"{_NULL if met is None else ('t' if met else 'f')}\t{_NULL if delta is None else delta}\t"
            f"{reported}\t{total}\t{at_text}\n"
        )


def _with_regions_absent(*, week: date, region_ids: Collection[int]) -> list[int]:
    """The regions given, plus every region with no values for the week yet: the first file of a
    week gives every region its row (0 of N organisations when it sent nothing), so the country's
    coverage counts every region, never only those that reported."""
    present = KpiValue.objects.filter(week=week, scope=ScopeType.REGION, kind=ALL_KINDS, kpi=KPI_CODES[0])
    absent = set(Region.objects.values_list("id", flat=True)) - set(present.values_list("region_id", flat=True))
    return sorted({*region_ids, *absent})


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
    _kpi_rows_write(builder.rows)


def _kpi_deltas_refresh(*, week: date) -> None:
    """Change from the previous week for every row of a week: one join, not a subquery per row,
    and only the rows whose change is not what it was are written (a region's file re-sent
    changes a handful of the 12,500 rows of the week after)."""
    table = KpiValue._meta.db_table
    differs = "IS DISTINCT FROM" if is_postgresql() else "IS NOT"  # null-safe "not equal"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS cur SET delta = fresh.delta FROM ("  # noqa: S608
            f"SELECT this.id, this.value - prev.value AS delta FROM {table} AS this LEFT JOIN {table} AS prev "
            "ON prev.week = %s AND prev.scope = this.scope AND prev.scope_id = this.scope_id "
            "AND prev.kind = this.kind AND prev.kpi = this.kpi WHERE this.week = %s"
            f") AS fresh WHERE cur.id = fresh.id AND cur.delta {differs} fresh.delta",
            [week - timedelta(weeks=1), week],
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
        rebuilt = set(weeks)
        memo = _Memo() if region_ids is None else None
        for week in weeks:
            rows += _week_recompute(
                week=week,
                region_ids=region_ids,
                refresh_states=False,
                deltas_after=week + timedelta(weeks=1) not in rebuilt,
                memo=memo,
            )
            if progress:
                progress(week)
        if weeks:
            schedule_states_refresh(from_week=weeks[0], region_ids=region_ids)
    return rows


def kpi_current_week_recompute() -> int:
    """The nightly job: the current week and the one before it (late reports land there); and the
    snapshot partitions of the coming weeks made ready, off the hour of Monday's files."""
    this_week = monday_of(timezone.localdate())
    snapshot_partitions_ensure(weeks=[this_week + timedelta(weeks=n) for n in range(PARTITION_WEEKS_AHEAD + 1)])
    rows = kpi_values_recompute(week=this_week - timedelta(weeks=1), refresh_states=False)
    rows += kpi_values_recompute(week=this_week, refresh_states=False)
    schedule_states_refresh(from_week=this_week - timedelta(weeks=1))
    return rows
