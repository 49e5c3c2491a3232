"""What the checks read and find: the file's rows, the stored history, sections, warnings and their
tallies."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from ..choices import WarningCode
from .arithmetic import Counts
from .messages import _MESSAGES

# Organisations named in a file-level warning's sentence.
EXAMPLES_SHOWN = 5


class QualityRow(NamedTuple):
    """One valid row of the file: its organisation (``org_pk`` None when not registered yet) and
    counts. A tuple: a national file makes 90,000 of them (a frozen dataclass is four times slower
    to build)."""

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
