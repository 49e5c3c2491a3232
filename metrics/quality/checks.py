"""The checks by code: row checks (base_jump, drop_to_zero), section checks (same_as_previous,
identical_rows, region_swing), outliers, and the whole file."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from ..choices import WarningCode
from ..kpi import KPI_CODES
from .arithmetic import (
    _ACTIVES,
    _POSITIONS,
    _TOTALS,
    EPSILON,
    MAD_SCALE,
    Counts,
    _beyond,
    _far,
    _kpi_sums,
    _median,
    kpi_pairs,
)
from .findings import QualityHistory, QualityRow, QualityWarning, Section, _examples, _row_warning, file_sections
from .thresholds import QualityThresholds


def base_jump(row: QualityRow, previous: Counts, thresholds: QualityThresholds) -> list[QualityWarning]:
    """Each total (staff, students, parents, officials, Sferum users) that changed from the
    organisation's previous week by more than ``base_jump_share`` AND more than ``base_jump_people``."""
    share, people = thresholds.base_jump_share, thresholds.base_jump_people
    counts = row.counts
    return [
        # Positional: a file of nonsense has a jump in nearly every total of every row.
        QualityWarning(
            WarningCode.BASE_JUMP, row.region_id, row.week, name, old, new, row.org_pk, row.org_id, row.name, row.line
        )
        for name, index in _TOTALS
        if (change := abs((new := counts[index]) - (old := previous[index]))) > people and change > share * old
    ]


def drop_to_zero(row: QualityRow, previous: Counts, thresholds: QualityThresholds) -> list[QualityWarning]:
    """Each active count (and users only in MAX) that was at least ``drop_to_zero_min_previous``
    people and ``drop_to_zero_min_share`` of its total last week and is 0 now: a column left empty
    takes away a real share of the base, while a count of a few people (one official of three, a
    dozen MAX users of a thousand before the move) comes and goes with the week."""
    found = []
    counts = row.counts
    minimum, share = max(1, thresholds.drop_to_zero_min_previous), thresholds.drop_to_zero_min_share
    for name, index, total_index in _ACTIVES:
        old = previous[index]
        if old >= minimum and counts[index] == 0 and old >= share * previous[total_index]:
            found.append(_row_warning(WarningCode.DROP_TO_ZERO, row, name, old, 0))
    return found


def same_as_previous(section: Section, thresholds: QualityThresholds) -> list[QualityWarning]:
    """At least ``same_as_previous_share`` of the section's rows equal the same organisations'
    previous week, count for count: last week's file sent again. One warning for the section,
    shown with the first such row as its example."""
    if not section.rows:
        return []
    before = section.before
    equal = [row for row in section.rows if row.org_pk is not None and before.get(row.org_pk) == row.counts]
    if not equal or len(equal) < thresholds.same_as_previous_share * len(section.rows) - EPSILON:
        return []
    detail = (section.previous_week, _examples(equal))
    return [_row_warning(WarningCode.SAME_AS_PREVIOUS, equal[0], "", len(equal), len(section.rows), detail)]


def identical_rows(section: Section, thresholds: QualityThresholds) -> list[QualityWarning]:
    """``identical_rows`` or more organisations of the section with exactly the same counts (rows
    copied down a sheet). Rows of all zeros are left out: before the move many organisations
    honestly report nothing, and a zero row says nothing about copying. One warning per set of
    equal rows, shown with the first of them."""
    repeated = {
        counts
        for counts, times in Counter(row.counts for row in section.rows).items()
        if times >= thresholds.identical_rows and any(counts)
    }
    if not repeated:
        return []
    groups: dict[Counts, list[QualityRow]] = defaultdict(list)
    for row in section.rows:
        if row.counts in repeated:
            groups[row.counts].append(row)
    found = []
    for group in groups.values():
        organisations = len({row.org_pk or row.org_id for row in group})
        if organisations >= thresholds.identical_rows:
            detail = (_examples(group),)
            found.append(_row_warning(WarningCode.IDENTICAL_ROWS, group[0], "", None, organisations, detail))
    return found


def region_swing(section: Section, thresholds: QualityThresholds) -> list[QualityWarning]:
    """The region's KPI as the file would leave it moved by more than ``region_swing`` against the
    week before, and by that much more than the region's own move of the week before (its pace).

    The new value sums the file's rows and the rows already stored for the week of the region's
    other organisations; the previous one sums the region's rows of the week before (what its
    KpiValue of that week was computed from). The pace is there because the move itself lifts a
    region's KPI 15–25 p.p. a week at its steepest: two such weeks in a row are the migration, not
    an error, while a jump from a standstill, a fall, or a stop in the middle of a climb is worth a
    look. Without a pace (no data two weeks before) the move alone decides. A KPI without data in
    either week is not judged, nor is a region that reported nothing the week before."""
    if not section.rows or not section.before:
        return []
    now = _kpi_sums([row.counts for row in section.rows] + [counts for _pk, _kind, counts in section.stored])
    then = _kpi_sums(section.before.values())
    found = []
    for code, (numerator, denominator), (old_numerator, old_denominator) in zip(KPI_CODES, now, then, strict=True):
        if not denominator or not old_denominator:
            continue
        new, old = numerator / denominator, old_numerator / old_denominator
        pace = section.pace.get(code)
        if _beyond(new - old, thresholds.region_swing) and _beyond(new - old - (pace or 0.0), thresholds.region_swing):
            found.append(
                QualityWarning(
                    WarningCode.REGION_SWING, section.region_id, section.week, code, old, new, detail=(pace,)
                )
            )
    return found


# (organisation pk, KPI code) -> (the peers' median change this week, the spread (MAD) of their changes)
Candidates = dict[tuple[int, str], tuple[float, float]]


def outlier_candidates(section: Section, thresholds: QualityThresholds) -> Candidates:
    """The file's (organisation, KPI) whose change since last week is itself an outlier among its
    peers' changes (the region's organisations of the same kind this week, the file's and the stored
    ones): more than ``outlier_min_change`` from their median change, and a modified z-score above
    ``outlier_z`` against their spread; with that median and spread.

    Only these can be outliers (see ``outliers``), so only their history needs reading: a file of
    plausible rows has a handful, and a file of random numbers (whose peers' spread is wide) few."""
    minimum = thresholds.outlier_min_base
    # kind -> ([changes of each KPI], [their organisations, None for the stored ones])
    groups: dict[str, tuple[list[list[float]], list[list[int | None]]]] = {}
    before = section.before
    entries = [(row.org_pk, row.kind, row.counts, row.org_pk) for row in section.rows if row.org_pk is not None]
    entries += [(org_pk, kind, counts, None) for org_pk, kind, counts in section.stored]
    for org_pk, kind, counts, owner in entries:
        last = before.get(org_pk)
        if last is None:
            continue
        group = groups.get(kind)
        if group is None:
            group = groups[kind] = ([[] for _code in KPI_CODES], [[] for _code in KPI_CODES])
        values, owners = group
        now, then = kpi_pairs(counts), kpi_pairs(last)
        for position in _POSITIONS:
            numerator, denominator = now[position]
            old_numerator, old_denominator = then[position]
            if denominator >= minimum and old_denominator >= minimum:
                values[position].append(numerator / denominator - old_numerator / old_denominator)
                owners[position].append(owner)
    candidates = {}
    floor = thresholds.outlier_min_change + EPSILON
    for values_by_kpi, owners_by_kpi in groups.values():
        for position in _POSITIONS:
            values = values_by_kpi[position]
            if len(values) < thresholds.outlier_min_peers:
                continue
            shift = _median(values)
            spread = _median([abs(value - shift) for value in values])
            # |change − shift| beyond the floor and, against the spread, a z-score above outlier_z
            reach = max(floor, thresholds.outlier_z * spread / MAD_SCALE) if spread else floor
            low, high = shift - reach, shift + reach
            code = KPI_CODES[position]
            for value, owner in zip(values, owners_by_kpi[position], strict=True):
                if (value < low or value > high) and owner is not None:
                    candidates[(owner, code)] = (shift, spread)
    return candidates


def outliers(
    section: Section,
    window: dict[int, dict[date, Counts]],
    thresholds: QualityThresholds,
    candidates: Candidates | None = None,
) -> list[QualityWarning]:
    """An organisation's KPI far from its own recent history, beyond what its peers did this week.

    The modified z-score of DESIGN.md §5.1 over the organisation's last ``outlier_weeks`` weeks
    (median m, MAD), applied to the value less the peers' median change this week (s):
    z = 0.6745 · |x − s − m| / max(MAD, the spread of the peers' changes). Flagged when z >
    ``outlier_z`` and |x − s − m| > ``outlier_min_change``; when both spreads are 0 (identical
    numbers week after week, where DHIS2's score is 0 and never flags) the change alone decides.
    Only the candidates are judged: the organisations whose change since last week is itself an
    outlier among their peers' changes (``outlier_candidates``).

    Why the peers: a score of one organisation alone flags every organisation of a region at once
    when the whole region moves together (the New Year and summer dips, the mass move itself),
    which is no error of any one row; the region's own move is region_swing's to report. Not
    judged: fewer than ``outlier_min_weeks`` weeks of history; a KPI of fewer than
    ``outlier_min_base`` people (one person in a team of five is 20 p.p.); a kind with fewer than
    ``outlier_min_peers`` organisations reporting in the region-week; an organisation without last
    week; a value that moved with its peers since last week (a new level held for a second week was
    flagged in the week it appeared)."""
    if candidates is None:
        candidates = outlier_candidates(section, thresholds)
    if not candidates:
        return []
    days = [section.week - timedelta(weeks=n) for n in range(thresholds.outlier_weeks, 0, -1)]
    wanted = {org_pk for org_pk, _code in candidates}
    found = []
    for row in section.rows:
        if row.org_pk not in wanted:
            continue
        weeks = window.get(row.org_pk, {})
        history = [kpi_pairs(weeks[day]) for day in days if day in weeks]
        for position, (numerator, denominator) in enumerate(kpi_pairs(row.counts)):
            code = KPI_CODES[position]
            shift = candidates.get((row.org_pk, code))
            if shift is None or denominator < thresholds.outlier_min_base:
                continue
            series = [pairs[position][0] / pairs[position][1] for pairs in history if pairs[position][1]]
            if len(series) < thresholds.outlier_min_weeks:
                continue
            median = _median(series)
            mad = _median([abs(value - median) for value in series])
            value = numerator / denominator
            deviation = value - shift[0] - median
            if _beyond(deviation, thresholds.outlier_min_change) and _far(
                deviation, max(mad, shift[1]), thresholds.outlier_z
            ):
                found.append(_row_warning(WarningCode.OUTLIER, row, code, median, value, (shift[0], len(series))))
    return found


def section_warnings(
    section: Section,
    thresholds: QualityThresholds,
    window: dict[int, dict[date, Counts]],
    candidates: Candidates | None = None,
) -> list[QualityWarning]:
    """Every check on one section."""
    found = same_as_previous(section, thresholds)
    found += identical_rows(section, thresholds)
    found += region_swing(section, thresholds)
    before = section.before
    for row in section.rows:
        last = before.get(row.org_pk) if row.org_pk is not None else None
        if last is not None and last != row.counts:
            found += base_jump(row, last, thresholds)
            found += drop_to_zero(row, last, thresholds)
    found += outliers(section, window, thresholds, candidates)
    return found


def quality_check(
    rows: Iterable[QualityRow], history: QualityHistory, thresholds: QualityThresholds
) -> list[QualityWarning]:
    """Every check on every section of the file (``history.window`` must hold the candidates' weeks)."""
    found = []
    for section in file_sections(rows, history):
        found += section_warnings(section, thresholds, history.window)
    return found
