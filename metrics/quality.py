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
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .choices import KpiCode, WarningCode
from .counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS
from .importers import column_label
from .kpi import KPI_FORMULAS

COUNT_INDEX = {name: index for index, name in enumerate(COUNT_FIELDS)}
TOTAL_FIELDS = tuple(total for _active, total in ACTIVE_TOTAL_PAIRS)
ACTIVE_FIELDS = tuple(active for active, _total in ACTIVE_TOTAL_PAIRS)
_TOTALS = tuple((name, COUNT_INDEX[name]) for name in TOTAL_FIELDS)
_ACTIVES = tuple((name, COUNT_INDEX[name]) for name in ACTIVE_FIELDS)
# KPI code -> (numerator count indexes, denominator count indexes)
_KPI_INDEXES = tuple(
    (code, tuple(COUNT_INDEX[f] for f in numerator), tuple(COUNT_INDEX[f] for f in denominator))
    for code, (numerator, denominator) in KPI_FORMULAS.items()
)
# The modified z-score (Iglewicz and Hoaglin): 0.6745 · |x − median| / MAD.
MAD_SCALE = 0.6745
# Organisations named in a file-level warning's sentence.
EXAMPLES_SHOWN = 5
# KPI changes are compared with their thresholds beyond this: 0.55 − 0.40 is 0.15000000000000002.
EPSILON = 1e-9


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
    # outlier: modified z-score above this, over this many weeks of the organisation's history,
    # only with at least this many of them; and the value moved more than outlier_min_change
    # (the rule when the MAD is 0, a floor otherwise); KPIs of fewer people than outlier_min_base,
    # and kinds with fewer than outlier_min_peers organisations in the region-week, are not judged.
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
                field.name: type(field.default)(getattr(settings, f"QUALITY_{field.name.upper()}", field.default))
                for field in fields(cls)
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


@dataclass(frozen=True, slots=True)
class QualityHistory:
    """What the checks know of the stored data, for the file's regions and weeks.

    ``previous``: (organisation pk, week) -> counts of the week before each of the file's weeks,
    for every organisation of the file's regions. ``stored``: the same for the file's own weeks as
    they stand before the file. ``organisations``: organisation pk -> (region id, kind), for every
    organisation of the file's regions. ``window``: organisation pk -> week -> counts over the
    ``outlier_weeks`` before the file's week, needed only for the outlier candidates. ``pace``:
    (region id, week) -> KPI code -> the region's change of the week before (its KpiValue of the
    week before less that of two weeks before), where both had data.
    """

    previous: dict[tuple[int, date], tuple[int, ...]]
    stored: dict[tuple[int, date], tuple[int, ...]]
    organisations: dict[int, tuple[int, str]]
    window: dict[int, dict[date, tuple[int, ...]]] = field(default_factory=dict)
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
    stored: list[tuple[int, str, tuple[int, ...]]] = field(default_factory=list)
    before: dict[int, tuple[int, ...]] = field(default_factory=dict)
    pace: dict[str, float] = field(default_factory=dict)

    @property
    def previous_week(self) -> date:
        return self.week - timedelta(weeks=1)


@dataclass(frozen=True, slots=True)
class QualityWarning:
    """One finding. ``column``: a count field, a KPI code, or "" for a whole section; ``previous``
    and ``new``: counts, KPI values (fractions) or, for a section, numbers of rows."""

    code: str
    region_id: int
    week: date
    column: str
    previous: float | None
    new: float | None
    message: str
    org_pk: int | None = None
    org_id: str = ""
    name: str = ""
    line: int | None = None


def file_sections(rows: Iterable[QualityRow], history: QualityHistory) -> list[Section]:
    """The file's rows by (region, week), in file order, each with its region's stored rows of the
    week (the file's organisations left out) and of the week before."""
    grouped: dict[tuple[int, date], list[QualityRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.region_id, row.week)].append(row)
    in_file = {(row.org_pk, key[1]) for key, section in grouped.items() for row in section if row.org_pk is not None}
    stored: dict[tuple[int, date], list] = defaultdict(list)
    for (org_pk, week), counts in history.stored.items():
        region_kind = history.organisations.get(org_pk)
        if region_kind is not None and (org_pk, week) not in in_file:
            stored[(region_kind[0], week)].append((org_pk, region_kind[1], counts))
    before: dict[tuple[int, date], dict] = defaultdict(dict)
    for (org_pk, week), counts in history.previous.items():
        region_kind = history.organisations.get(org_pk)
        if region_kind is not None:
            before[(region_kind[0], week + timedelta(weeks=1))][org_pk] = counts
    return [
        Section(
            region_id,
            week,
            section,
            stored.get((region_id, week), []),
            before.get((region_id, week), {}),
            history.pace.get((region_id, week), {}),
        )
        for (region_id, week), section in grouped.items()
    ]


def kpi_values(counts: Sequence[int]) -> list[tuple[str, int, int]]:
    """(code, numerator, denominator) of the four KPIs of one row of counts."""
    return [
        (code, sum(counts[i] for i in numerator), sum(counts[i] for i in denominator))
        for code, numerator, denominator in _KPI_INDEXES
    ]


# --- row checks ---------------------------------------------------------------------------------


def base_jump(row: QualityRow, previous: Sequence[int], thresholds: QualityThresholds) -> list[QualityWarning]:
    """Each total (staff, students, parents, officials, Sferum users) that changed from the
    organisation's previous week by more than ``base_jump_share`` AND more than ``base_jump_people``."""
    found = []
    share, people = thresholds.base_jump_share, thresholds.base_jump_people
    counts = row.counts
    for name, index in _TOTALS:
        old, new = previous[index], counts[index]
        change = abs(new - old)
        if change > people and change > share * old:
            message = _("«%(column)s»: %(old)s → %(new)s (%(change)s за неделю). Проверьте численность.") % {
                "column": column_label(name),
                "old": old,
                "new": new,
                "change": _relative_change(old, new),
            }
            found.append(_row_warning(WarningCode.BASE_JUMP, row, name, old, new, message))
    return found


def drop_to_zero(row: QualityRow, previous: Sequence[int], thresholds: QualityThresholds) -> list[QualityWarning]:
    """Each active count (and users only in MAX) that was at least ``drop_to_zero_min_previous``
    people and ``drop_to_zero_min_share`` of its total last week and is 0 now: a column left empty
    takes away a real share of the base, while a count of a few people (one official of three, a
    dozen MAX users of a thousand before the move) comes and goes with the week."""
    found = []
    counts = row.counts
    minimum, share = max(1, thresholds.drop_to_zero_min_previous), thresholds.drop_to_zero_min_share
    for (name, index), (_total, total_index) in zip(_ACTIVES, _TOTALS, strict=True):
        old = previous[index]
        if old >= minimum and counts[index] == 0 and old >= share * previous[total_index]:
            message = _("«%(column)s»: %(old)s на прошлой неделе, 0 сейчас. Не остался ли столбец пустым?") % {
                "column": column_label(name),
                "old": old,
            }
            found.append(_row_warning(WarningCode.DROP_TO_ZERO, row, name, old, 0, message))
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
    share = len(equal) / len(section.rows)
    if not equal or share < thresholds.same_as_previous_share:
        return []
    message = _(
        "%(equal)s из %(rows)s строк (%(share)s) до последней цифры совпадают с данными тех же организаций "
        "за неделю с %(before)s: похоже, повторно отправлен файл прошлой недели. Например: %(examples)s."
    ) % {
        "equal": len(equal),
        "rows": len(section.rows),
        "share": _percent(share, digits=0),
        "before": section.previous_week.strftime("%d.%m.%Y"),
        "examples": _examples(equal),
    }
    return [_row_warning(WarningCode.SAME_AS_PREVIOUS, equal[0], "", len(equal), len(section.rows), message)]


def identical_rows(section: Section, thresholds: QualityThresholds) -> list[QualityWarning]:
    """``identical_rows`` or more organisations of the section with exactly the same counts (rows
    copied down a sheet). Rows of all zeros are left out: before the move many organisations
    honestly report nothing, and a zero row says nothing about copying. One warning per set of
    equal rows, shown with the first of them."""
    groups: dict[tuple[int, ...], list[QualityRow]] = defaultdict(list)
    for row in section.rows:
        if any(row.counts):
            groups[row.counts].append(row)
    found = []
    for counts, group in groups.items():
        organisations = len({row.org_pk or row.org_id for row in group})
        if organisations < thresholds.identical_rows:
            continue
        message = _(
            "У %(n)s организаций одинаковые значения всех показателей (работников %(staff)s, обучающихся "
            "%(students)s, родителей %(parents)s): не скопированы ли строки? Например: %(examples)s."
        ) % {
            "n": organisations,
            "staff": counts[COUNT_INDEX["staff_total"]],
            "students": counts[COUNT_INDEX["students_total"]],
            "parents": counts[COUNT_INDEX["parents_total"]],
            "examples": _examples(group),
        }
        found.append(_row_warning(WarningCode.IDENTICAL_ROWS, group[0], "", None, organisations, message))
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
    for code, (numerator, denominator) in now.items():
        old_numerator, old_denominator = then[code]
        if not denominator or not old_denominator:
            continue
        new, old = numerator / denominator, old_numerator / old_denominator
        pace = section.pace.get(code, 0.0)
        if _beyond(new - old, thresholds.region_swing) and _beyond(new - old - pace, thresholds.region_swing):
            message = _(
                "Показатель региона «%(kpi)s» с этим файлом — %(new)s, неделей раньше — %(old)s "
                "(%(delta)s п. п. за неделю; неделей раньше %(pace)s п. п.)."
            ) % {
                "kpi": KpiCode(code).label,
                "new": _percent(new),
                "old": _percent(old),
                "delta": _points(new - old),
                "pace": _points(pace) if code in section.pace else "—",
            }
            found.append(
                QualityWarning(WarningCode.REGION_SWING, section.region_id, section.week, code, old, new, message)
            )
    return found


# --- outliers -----------------------------------------------------------------------------------

# (organisation pk, KPI code) -> (the peers' median change this week, the spread (MAD) of their changes)
Candidates = dict[tuple[int, str], tuple[float, float]]


def outlier_candidates(section: Section, thresholds: QualityThresholds) -> Candidates:
    """The file's (organisation, KPI) whose change since last week differs from the median change
    of their peers (the region's organisations of the same kind this week, the file's and the stored
    ones) by more than ``outlier_min_change``, with the peers' median change and its spread.

    Only these can be outliers (see ``outliers``), so only their history needs reading: a file of
    plausible rows has a handful."""
    changes: dict[tuple[str, str], list[float]] = defaultdict(list)
    moves = []
    minimum = thresholds.outlier_min_base
    current = [(row.org_pk, row.kind, row.counts, True) for row in section.rows if row.org_pk is not None]
    current += [(org_pk, kind, counts, False) for org_pk, kind, counts in section.stored]
    for org_pk, kind, counts, in_file in current:
        last = section.before.get(org_pk)
        if last is None:
            continue
        for (code, numerator, denominator), (_code, old_numerator, old_denominator) in zip(
            kpi_values(counts), kpi_values(last), strict=True
        ):
            if denominator >= minimum and old_denominator >= minimum:
                change = numerator / denominator - old_numerator / old_denominator
                changes[(kind, code)].append(change)
                if in_file:
                    moves.append((org_pk, kind, code, change))
    shifts = {}
    for key, values in changes.items():
        if len(values) >= thresholds.outlier_min_peers:
            shift = _median(values)
            shifts[key] = (shift, _median([abs(value - shift) for value in values]))
    candidates = {}
    for org_pk, kind, code, change in moves:
        shift = shifts.get((kind, code))
        if shift is not None and _beyond(change - shift[0], thresholds.outlier_min_change):
            candidates[(org_pk, code)] = shift
    return candidates


def outliers(
    section: Section,
    window: dict[int, dict[date, tuple[int, ...]]],
    thresholds: QualityThresholds,
    candidates: Candidates | None = None,
) -> list[QualityWarning]:
    """An organisation's KPI far from its own recent history, beyond what its peers did this week.

    The modified z-score of DESIGN.md §5.1 over the organisation's last ``outlier_weeks`` weeks
    (median m, MAD), applied to the value less the peers' median change this week (s):
    z = 0.6745 · |x − s − m| / max(MAD, the spread of the peers' changes). Flagged when z >
    ``outlier_z`` and |x − s − m| > ``outlier_min_change``; when both spreads are 0 (identical
    numbers week after week, where DHIS2's score is 0 and never flags) the change alone decides.

    Why the peers: a score of one organisation alone flags every organisation of a region at once
    when the whole region moves together (the New Year and summer dips, the mass move itself),
    which is no error of any one row; the region's own move is region_swing's to report. Not
    judged: fewer than ``outlier_min_weeks`` weeks of history; a KPI of fewer than
    ``outlier_min_base`` people (one person in a team of five is 20 p.p.); a kind with fewer than
    ``outlier_min_peers`` organisations reporting in the region-week; an organisation without last
    week; a value that did not move unlike its peers since last week (a new level held for a second
    week was flagged in the week it appeared)."""
    if candidates is None:
        candidates = outlier_candidates(section, thresholds)
    if not candidates:
        return []
    days = [section.week - timedelta(weeks=n) for n in range(thresholds.outlier_weeks, 0, -1)]
    found = []
    for row in section.rows:
        if row.org_pk is None:
            continue
        weeks = window.get(row.org_pk, {})
        for code, numerator, denominator in kpi_values(row.counts):
            shift = candidates.get((row.org_pk, code))
            if shift is None or denominator < thresholds.outlier_min_base:
                continue
            series = [value for value in (_kpi_value(weeks.get(day), code) for day in days) if value is not None]
            if len(series) < thresholds.outlier_min_weeks:
                continue
            median = _median(series)
            mad = _median([abs(value - median) for value in series])
            value = numerator / denominator
            deviation = value - shift[0] - median
            if not _beyond(deviation, thresholds.outlier_min_change):
                continue
            scale = max(mad, shift[1])
            if scale and MAD_SCALE * abs(deviation) / scale <= thresholds.outlier_z:
                continue
            found.append(_outlier_warning(row, code, value, median, shift[0], len(series)))
    return found


def _outlier_warning(row: QualityRow, code: str, value: float, median: float, shift: float, weeks: int):
    if abs(shift) >= 0.005:
        peers = _("у организаций того же типа в регионе за неделю %(shift)s п. п.") % {"shift": _points(shift)}
    else:
        peers = _("у организаций того же типа в регионе без заметных изменений")
    message = _(
        "«%(kpi)s»: %(value)s при обычных для организации %(median)s (медиана за %(weeks)s нед.; %(peers)s)."
    ) % {
        "kpi": KpiCode(code).label,
        "value": _percent(value),
        "median": _percent(median),
        "weeks": weeks,
        "peers": peers,
    }
    return _row_warning(WarningCode.OUTLIER, row, code, median, value, message)


# --- the whole file -----------------------------------------------------------------------------


def section_warnings(
    section: Section,
    thresholds: QualityThresholds,
    window: dict[int, dict[date, tuple[int, ...]]],
    candidates: Candidates | None = None,
) -> list[QualityWarning]:
    """Every check on one section."""
    found = same_as_previous(section, thresholds)
    found += identical_rows(section, thresholds)
    found += region_swing(section, thresholds)
    before = section.before
    for row in section.rows:
        last = before.get(row.org_pk) if row.org_pk is not None else None
        if last is not None:
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
        % {"weeks": t.outlier_weeks, "z": t.outlier_z, "change": _points(t.outlier_min_change, sign=False)},
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


def _kpi_sums(rows: Iterable[Sequence[int]]) -> dict[str, tuple[int, int]]:
    totals = [0] * len(COUNT_FIELDS)
    for counts in rows:
        for index, value in enumerate(counts):
            totals[index] += value
    return {code: (numerator, denominator) for code, numerator, denominator in kpi_values(totals)}


def _kpi_value(counts: Sequence[int] | None, code: str) -> float | None:
    if counts is None:
        return None
    for kpi, numerator, denominator in _KPI_INDEXES:
        if kpi == code:
            below = sum(counts[i] for i in denominator)
            return sum(counts[i] for i in numerator) / below if below else None
    raise KeyError(code)


def _beyond(change: float, limit: float) -> bool:
    """|change| > limit, for fractions computed in floating point."""
    return abs(change) > limit + EPSILON


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _row_warning(code, row: QualityRow, column: str, previous, new, message: str) -> QualityWarning:
    return QualityWarning(
        code,
        row.region_id,
        row.week,
        column,
        previous,
        new,
        message,
        org_pk=row.org_pk,
        org_id=row.org_id,
        name=row.name,
        line=row.line,
    )


def _section_warning(code, example: QualityRow, column: str, previous, new, message: str) -> QualityWarning:
    """A warning about a whole section, shown with one of its rows as the example."""
    return _row_warning(code, example, column, previous, new, message)


def _examples(rows: Sequence[QualityRow]) -> str:
    shown = ", ".join(row.org_id for row in rows[:EXAMPLES_SHOWN])
    return shown + (" …" if len(rows) > EXAMPLES_SHOWN else "")


def _percent(value: float, *, digits: int = 1) -> str:
    return f"{value * 100:.{digits}f} %".replace(".", ",")


def _points(value: float, *, sign: bool = True) -> str:
    text = f"{value * 100:{'+' if sign else ''}.1f}".replace(".", ",")
    return text.replace("-", "−")


def _relative_change(old: int, new: int) -> str:
    if not old:
        return _("с нуля")
    return f"{(new - old) / old * 100:+.0f} %".replace("-", "−")
