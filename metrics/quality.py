"""Data-quality checks of an upload (DESIGN.md §5.1) as pure functions over plain data.

A file can pass every rule and still be wrong: last week's file sent again, a total that jumps,
activity that falls to zero, a value far from the organisation's own history, copy-pasted rows, a
region that swings. Each finding is a ``QualityWarning``; warnings never block an import by
themselves (an administrator may make a code blocking: metrics.services.quality).

No ORM here: the upload pipeline reads the organisations' history (metrics.services.quality) and
hands it over as ``QualityHistory``; settings are read only by ``QualityThresholds.from_settings()``.

The file-level checks (same_as_previous, identical_rows, region_swing) look at one *section*: the
file's rows of one region and one week. A regional weekly file is one section; a national file is
one per region, so each region's part is judged as if sent alone and its warnings count for it.

A national file is 90,000 rows: the row loops below are written for that (KPI numbers unrolled,
each warning's sentence formatted only when read).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import NamedTuple

from django.utils.translation import gettext as _

from .choices import KpiCode, WarningCode
from .counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from .importers import column_label
from .kpi import KPI_CODES, KPI_FORMULAS, kpi_numbers

COUNT_INDEX = {name: index for index, name in enumerate(COUNT_FIELDS)}
# (active name, its index, its total's index) and (total name, its index)
_ACTIVES = tuple((active, COUNT_INDEX[active], COUNT_INDEX[total]) for active, total in ACTIVE_TOTAL_PAIRS)
_TOTALS = tuple((total, COUNT_INDEX[total]) for _active, total in ACTIVE_TOTAL_PAIRS)
# The modified z-score (Iglewicz and Hoaglin): 0.6745 · |x − median| / MAD.
MAD_SCALE = 0.6745
# Organisations named in a file-level warning's sentence.
EXAMPLES_SHOWN = 5
# KPI changes are compared with their thresholds beyond this: 0.55 − 0.40 is 0.15000000000000002.
EPSILON = 1e-9
NBSP = "\u00a0"

_I = COUNT_INDEX
_SA, _ST, _UA, _UT, _PA, _PT, _OA, _OT, _MA, _MT = (
    _I["staff_active"],
    _I["staff_total"],
    _I["students_active"],
    _I["students_total"],
    _I["parents_active"],
    _I["parents_total"],
    _I["officials_active"],
    _I["officials_total"],
    _I["sferum_max_only"],
    _I["sferum_total"],
)


def kpi_pairs(c: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(numerator, denominator) of each KPI of one row of counts, in KPI_CODES order. Unrolled:
    it runs for every row of a file and of its history; checked against KPI_FORMULAS below."""
    return (c[_SA], c[_ST]), (c[_UA] + c[_PA], c[_UT] + c[_PT]), (c[_OA], c[_OT]), (c[_MA], c[_MT])


_PROBE = tuple(2**n for n in range(len(COUNT_FIELDS)))
assert kpi_pairs(_PROBE) == tuple(
    kpi_numbers(dict(zip(COUNT_FIELDS, _PROBE, strict=True)), code) for code in KPI_CODES
), "kpi_pairs must follow KPI_FORMULAS"
assert tuple(KPI_FORMULAS) == KPI_CODES
_POSITIONS = range(len(KPI_CODES))


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """The thresholds of the checks; each is the setting ``QUALITY_<NAME>`` (README «Качество данных»)."""

    # same_as_previous: this share of a section's rows equal their organisation's previous week.
    same_as_previous_share: float = 0.9
    # base_jump: a total changed by more than this share AND more than this many people.
    base_jump_share: float = 0.2
    base_jump_people: int = 20
    # drop_to_zero: an active count of at least this many people and this share of its total
    # last week is 0 now.
    drop_to_zero_min_previous: int = 5
    drop_to_zero_min_share: float = 0.05
    # outlier: modified z-score above outlier_z, the organisation's history over outlier_weeks
    # (at least outlier_min_weeks of them), the deviation more than outlier_min_change (the whole
    # rule when the spread is 0); KPIs of fewer people than outlier_min_base, and kinds with fewer
    # than outlier_min_peers organisations in the region-week, are not judged.
    outlier_z: float = 3.5
    outlier_weeks: int = 8
    outlier_min_weeks: int = 4
    outlier_min_change: float = 0.10
    outlier_min_base: int = 20
    outlier_min_peers: int = 3
    # identical_rows: this many organisations of a section with exactly the same counts.
    identical_rows: int = 10
    # region_swing: the region's KPI moved more than this (a fraction: 0.15 = 15 p.p.) in one week,
    # and by that much more than it moved the week before.
    region_swing: float = 0.15

    @classmethod
    def from_settings(cls) -> "QualityThresholds":
        from django.conf import settings

        return cls(
            **{
                item.name: type(item.default)(getattr(settings, f"QUALITY_{item.name.upper()}", item.default))
                for item in fields(cls)
            }
        )


@dataclass(frozen=True, slots=True)
class QualityRow:
    """One valid row of the file: its organisation (``org_pk`` None when not registered yet) and counts."""

    line: int
    org_pk: int | None
    org_id: str
    name: str
    kind: str
    region_id: int
    week: date
    counts: tuple[int, ...]


Counts = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class QualityHistory:
    """What the checks know of the stored data, for the file's regions and weeks.

    ``previous``: (region id, week of the file) -> organisation pk -> counts of the week before,
    every organisation of the region that reported then. ``stored``: (organisation pk, week) ->
    counts of the file's own region-weeks as they stand before the file. ``organisations``:
    organisation pk -> (region id, kind) of the organisations in ``stored``. ``window``:
    organisation pk -> week -> counts over the ``outlier_weeks`` before the file's week, needed only
    for the outlier candidates. ``pace``: (region id, week of the file) -> KPI code -> the region's
    change of the week before (its KpiValue of the week before less that of two weeks before).
    """

    previous: dict[tuple[int, date], dict[int, Counts]]
    stored: dict[tuple[int, date], Counts] = field(default_factory=dict)
    organisations: dict[int, tuple[int, str]] = field(default_factory=dict)
    window: dict[int, dict[date, Counts]] = field(default_factory=dict)
    pace: dict[tuple[int, date], dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Section:
    """The file's rows of one region and one week, with what the region holds around them:
    ``stored``, the region's other organisations as stored for the week ((pk, kind, counts), those
    of the file left out); ``before``, organisation pk -> counts of the week before, for every
    organisation of the region; ``pace``, KPI code -> the region's change of the week before."""

    region_id: int
    week: date
    rows: list[QualityRow]
    stored: list[tuple[int, str, Counts]] = field(default_factory=list)
    before: dict[int, Counts] = field(default_factory=dict)
    pace: dict[str, float] = field(default_factory=dict)

    @property
    def previous_week(self) -> date:
        return self.week - timedelta(weeks=1)


class QualityWarning(NamedTuple):
    """One finding. ``column``: a count field, a KPI code, or "" for a whole section; ``previous``
    and ``new``: counts, KPI values (fractions) or, for a section, numbers of rows; ``detail``: what
    else its sentence says. The sentence (``message``) is written when read, and the warning is a
    tuple: a file of nonsense carries hundreds of thousands, of which a thousand of each are kept."""

    code: str
    region_id: int
    week: date
    column: str
    previous: float | None
    new: float | None
    org_pk: int | None = None
    org_id: str = ""
    name: str = ""
    line: int | None = None
    detail: tuple = ()

    @property
    def message(self) -> str:
        return _MESSAGES[self.code](self)


@dataclass(slots=True)
class QualityFindings:
    """What the checks found in a file: the first ``keep`` warnings of each code in the order found
    (all of them when None), and how many of each code every region-week carries."""

    keep: int | None = None
    warnings: list[QualityWarning] = field(default_factory=list)
    tallies: Counter = field(default_factory=Counter)  # (region id, week, code) -> count

    def add(self, warnings: Iterable[QualityWarning]) -> None:
        kept = Counter(warning.code for warning in self.warnings) if self.keep is not None else None
        for warning in warnings:
            self.tallies[(warning.region_id, warning.week, warning.code)] += 1
            if kept is None:
                self.warnings.append(warning)
            elif kept[warning.code] < self.keep:
                kept[warning.code] += 1
                self.warnings.append(warning)

    @property
    def counts(self) -> dict[str, int]:
        """{code: count} in WarningCode order, codes found only."""
        per_code: Counter[str] = Counter()
        for (_region, _week, code), count in self.tallies.items():
            per_code[code] += count
        return {code: per_code[code] for code in WarningCode.values if per_code[code]}


def file_sections(rows: Iterable[QualityRow], history: QualityHistory) -> list[Section]:
    """The file's rows by (region, week), in file order, each with its region's stored rows of the
    week (the file's organisations left out), of the week before, and its pace."""
    grouped: dict[tuple[int, date], list[QualityRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.region_id, row.week)].append(row)
    stored: dict[tuple[int, date], list] = defaultdict(list)
    if history.stored:
        in_file = {(row.org_pk, week) for (_region, week), section in grouped.items() for row in section}
        for (org_pk, week), counts in history.stored.items():
            region_kind = history.organisations.get(org_pk)
            if region_kind is not None and (org_pk, week) not in in_file:
                stored[(region_kind[0], week)].append((org_pk, region_kind[1], counts))
    return [
        Section(
            region_id,
            week,
            section,
            stored.get((region_id, week), []),
            history.previous.get((region_id, week), {}),
            history.pace.get((region_id, week), {}),
        )
        for (region_id, week), section in grouped.items()
    ]


# --- row checks ---------------------------------------------------------------------------------


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


# --- section checks -----------------------------------------------------------------------------


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


# --- outliers -----------------------------------------------------------------------------------

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


# --- the whole file -----------------------------------------------------------------------------


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


# --- sentences ----------------------------------------------------------------------------------


def _same_as_previous_message(w: QualityWarning) -> str:
    before, examples = w.detail
    return _(
        "%(equal)s из %(rows)s строк (%(share)s) до последней цифры совпадают с данными тех же организаций "
        "за неделю с %(before)s: похоже, повторно отправлен файл прошлой недели. Например: %(examples)s."
    ) % {
        "equal": int(w.previous),
        "rows": int(w.new),
        "share": _percent(w.previous / w.new, digits=0),
        "before": before.strftime("%d.%m.%Y"),
        "examples": examples,
    }


def _base_jump_message(w: QualityWarning) -> str:
    return _("«%(column)s»: %(old)s → %(new)s (%(change)s за неделю). Проверьте численность.") % {
        "column": column_label(w.column),
        "old": _number(w.previous),
        "new": _number(w.new),
        "change": _relative_change(w.previous, w.new),
    }


def _drop_to_zero_message(w: QualityWarning) -> str:
    return _("«%(column)s»: %(old)s на прошлой неделе, 0 сейчас. Не остался ли столбец пустым?") % {
        "column": column_label(w.column),
        "old": _number(w.previous),
    }


def _outlier_message(w: QualityWarning) -> str:
    shift, weeks = w.detail
    if abs(shift) >= 0.005:
        peers = _("у организаций того же типа в регионе за неделю %(shift)s п. п.") % {"shift": _points(shift)}
    else:
        peers = _("у организаций того же типа в регионе без заметных изменений")
    return _("«%(kpi)s»: %(value)s при обычных для организации %(median)s (медиана за %(weeks)s нед.; %(peers)s).") % {
        "kpi": KpiCode(w.column).label,
        "value": _percent(w.new),
        "median": _percent(w.previous),
        "weeks": weeks,
        "peers": peers,
    }


def _identical_rows_message(w: QualityWarning) -> str:
    return _(
        "У %(n)s организаций одинаковые значения всех показателей: не скопированы ли строки? Например: %(examples)s."
    ) % {"n": int(w.new), "examples": w.detail[0]}


def _region_swing_message(w: QualityWarning) -> str:
    pace = w.detail[0] if w.detail else None
    return _(
        "Показатель региона «%(kpi)s» с этим файлом — %(new)s, неделей раньше — %(old)s "
        "(%(delta)s п. п. за неделю; неделей раньше %(pace)s п. п.)."
    ) % {
        "kpi": KpiCode(w.column).label,
        "new": _percent(w.new),
        "old": _percent(w.previous),
        "delta": _points(w.new - w.previous),
        "pace": _points(pace) if pace is not None else "—",
    }


_MESSAGES = {
    WarningCode.SAME_AS_PREVIOUS: _same_as_previous_message,
    WarningCode.BASE_JUMP: _base_jump_message,
    WarningCode.DROP_TO_ZERO: _drop_to_zero_message,
    WarningCode.OUTLIER: _outlier_message,
    WarningCode.IDENTICAL_ROWS: _identical_rows_message,
    WarningCode.REGION_SWING: _region_swing_message,
}


def warning_explanation(code: str, thresholds: QualityThresholds) -> str:
    """What a check looks for, in one Russian sentence with its thresholds (pages, README)."""
    t = thresholds
    texts = {
        WarningCode.SAME_AS_PREVIOUS: _(
            "Не менее %(share)s строк файла по региону совпадают с прошлой неделей тех же организаций до последней "
            "цифры — похоже на повторно отправленный файл."
        )
        % {"share": _percent(t.same_as_previous_share, digits=0)},
        WarningCode.BASE_JUMP: _(
            "Численность («… всего») изменилась за неделю больше чем на %(share)s и больше чем на %(people)s человек."
        )
        % {"share": _percent(t.base_jump_share, digits=0), "people": t.base_jump_people},
        WarningCode.DROP_TO_ZERO: _(
            "Число активных (не меньше %(people)s человек и %(share)s численности) на прошлой неделе стало нулём — "
            "часто это незаполненный столбец."
        )
        % {"people": t.drop_to_zero_min_previous, "share": _percent(t.drop_to_zero_min_share, digits=0)},
        WarningCode.OUTLIER: _(
            "Показатель организации далеко от её обычных значений за %(weeks)s недель (модифицированная z-оценка "
            "больше %(z)s и отклонение больше %(change)s п. п.) с поправкой на то, как за неделю изменились "
            "организации того же типа в регионе."
        )
        % {
            "weeks": t.outlier_weeks,
            "z": f"{t.outlier_z:g}".replace(".", ","),
            "change": _points(t.outlier_min_change, sign=False),
        },
        WarningCode.IDENTICAL_ROWS: _(
            "У %(n)s и более организаций файла одинаковые значения всех показателей — похоже на скопированные строки."
        )
        % {"n": t.identical_rows},
        WarningCode.REGION_SWING: _(
            "Показатель региона с этим файлом изменился за неделю больше чем на %(points)s п. п. — и на столько же "
            "больше, чем за неделю до того."
        )
        % {"points": _points(t.region_swing, sign=False)},
    }
    return texts[code]


# --- helpers ------------------------------------------------------------------------------------


def _kpi_sums(rows: Iterable[Counts]) -> tuple[tuple[int, int], ...]:
    """(numerator, denominator) of each KPI over several rows, in KPI_CODES order."""
    columns = [sum(column) for column in zip(*rows, strict=True)]
    return kpi_pairs(columns) if columns else tuple((0, 0) for _code in KPI_CODES)


def _beyond(change: float, limit: float) -> bool:
    """|change| > limit, for fractions computed in floating point."""
    return abs(change) > limit + EPSILON


def _far(deviation: float, spread: float, z: float) -> bool:
    """The modified z-score 0.6745 · |deviation| / spread is above ``z``; any deviation when the
    spread is 0 (its size is judged by the caller)."""
    return not spread or MAD_SCALE * abs(deviation) / spread > z


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _row_warning(code, row: QualityRow, column: str, previous, new, detail: tuple = ()) -> QualityWarning:
    return QualityWarning(
        code,
        row.region_id,
        row.week,
        column,
        previous,
        new,
        org_pk=row.org_pk,
        org_id=row.org_id,
        name=row.name,
        line=row.line,
        detail=detail,
    )


def _examples(rows: Sequence[QualityRow]) -> str:
    shown = ", ".join(row.org_id for row in rows[:EXAMPLES_SHOWN])
    return shown + (" …" if len(rows) > EXAMPLES_SHOWN else "")


def _percent(value: float, *, digits: int = 1) -> str:
    """«48,6 %», cut rather than rounded as the pages show it (99,97 % under a target of 100 % is
    not «100,0 %»)."""
    scale = 10**digits
    shown = math.floor(value * 100 * scale + 1e-9) / scale
    return f"{shown:.{digits}f}{NBSP}%".replace(".", ",")


def _number(value: float) -> str:
    """«12 000»: thousands apart by a non-breaking space."""
    return f"{round(value):,}".replace(",", NBSP)


def _points(value: float, *, sign: bool = True) -> str:
    text = f"{value * 100:{'+' if sign else ''}.1f}".replace(".", ",")
    return text.replace("-", "−")


def _relative_change(old: float, new: float) -> str:
    if not old:
        return _("с нуля")
    return f"{(new - old) / old * 100:+,.0f}{NBSP}%".replace(",", NBSP).replace("-", "−")
