"""KPI rules as pure functions: formulas, trend, projected date, planned trajectory, schedule status.

No ORM here: services and selectors feed these plain values, tests check them directly.

The trend rule: a least-squares line through the last ``TREND_WEEKS`` weeks that have data
(value not null), up to and including the week looked at; its slope is the change per week.
With fewer than two such weeks there is no trend.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from .choices import KpiCode, ScheduleStatus

TREND_WEEKS = 4
# Further than this the projection says "not at the current trend" rather than a date.
PROJECTION_HORIZON_WEEKS = 156

# KPI code -> (numerator count fields, denominator count fields), DESIGN.md §4.
KPI_FORMULAS = {
    KpiCode.STAFF_WEEKLY_ACTIVE: (("staff_active",), ("staff_total",)),
    KpiCode.LEARNERS_WEEKLY_ACTIVE: (("students_active", "parents_active"), ("students_total", "parents_total")),
    KpiCode.OFFICIALS_ACTIVE: (("officials_active",), ("officials_total",)),
    KpiCode.MAX_ONLY_SHARE: (("sferum_max_only",), ("sferum_total",)),
}
KPI_CODES = tuple(KPI_FORMULAS)

# Worst first: a region's overall status is the worst of its stages, and every list sorts by it.
# A verdict without enough data ranks right after the statuses that call for action.
STATUS_SEVERITY = (
    ScheduleStatus.LATE,
    ScheduleStatus.AT_RISK,
    ScheduleStatus.INSUFFICIENT_DATA,
    ScheduleStatus.ON_TRACK,
    ScheduleStatus.DONE,
    ScheduleStatus.NOT_STARTED,
)


def monday_of(day: date) -> date:
    """The Monday of the ISO week that contains ``day``."""
    return day - timedelta(days=day.weekday())


# --- the weeks the product accepts: one rule for forms, the API, query parameters and the file ----


@dataclass(frozen=True, slots=True)
class WeekRange:
    """The weeks the product accepts, as Mondays: from the week of WEEK_MIN to the week after today's.

    ``day in weeks`` tells whether the week of ``day`` is one of them."""

    first: date
    last: date

    @classmethod
    def of(cls, *, first: date, today: date) -> "WeekRange":
        return cls(monday_of(first), monday_of(today) + timedelta(weeks=1))

    def __contains__(self, day: date) -> bool:
        return self.first <= monday_of(day) <= self.last

    @property
    def span(self) -> str:
        """The accepted days in Russian: «с 30.12.2024 по 13.12.2026»."""
        return gettext("с %(first)s по %(last)s") % {
            "first": f"{self.first:%d.%m.%Y}",
            "last": f"{self.last + timedelta(days=6):%d.%m.%Y}",
        }

    @property
    def message(self) -> str:
        """Why a week outside the range is refused, in Russian."""
        return gettext("Неделя вне допустимого диапазона: допустимы недели %(span)s") % {"span": self.span}


def accepted_weeks(*, today: date | None = None) -> WeekRange:
    """The product's WeekRange: settings.WEEK_MIN and today (Moscow time)."""
    return WeekRange.of(first=settings.WEEK_MIN, today=today or timezone.localdate())


def validate_accepted_week(value: date) -> None:
    """The validator of every week field (forms, serializers, filters): the week must be accepted."""
    weeks = accepted_weeks()
    if value not in weeks:
        raise ValidationError(weeks.message, code="week_out_of_range")


def kpi_numbers(counts: dict, code: str) -> tuple[int, int]:
    """Numerator and denominator of one KPI from a mapping of count field -> sum."""
    num_fields, den_fields = KPI_FORMULAS[code]
    return sum(counts[f] or 0 for f in num_fields), sum(counts[f] or 0 for f in den_fields)


def kpi_value(numerator: int, denominator: int) -> float | None:
    """The KPI as a fraction; ``None`` (no data) when the denominator is zero."""
    if not denominator:
        return None
    return numerator / denominator


def kpi_met(numerator: int, denominator: int, target: Decimal) -> bool | None:
    """Whether numerator/denominator ≥ target, decided exactly (no float rounding); None for no data."""
    if not denominator:
        return None
    return Decimal(numerator) >= Decimal(target) * denominator


def trend_slope(series: list[tuple[date, float | None]], as_of: date) -> float | None:
    """Change per week of the least-squares line over the last TREND_WEEKS weeks with data."""
    points = [(week, value) for week, value in series if week <= as_of and value is not None][-TREND_WEEKS:]
    if len(points) < 2:
        return None
    xs = [(week - points[0][0]).days / 7 for week, _ in points]
    ys = [value for _, value in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def latest_value(series: list[tuple[date, float | None]], as_of: date) -> tuple[date, float] | None:
    """The last week with data up to ``as_of`` and its value."""
    for week, value in reversed(series):
        if week <= as_of and value is not None:
            return week, value
    return None


def projected_date(series: list[tuple[date, float | None]], target: Decimal, as_of: date) -> date | None:
    """The week the target is reached at the current trend; the data week if already met; else None."""
    last = latest_value(series, as_of)
    if last is None:
        return None
    last_week, value = last
    if value >= float(target):
        return last_week
    slope = trend_slope(series, as_of)
    if slope is None or slope <= 0:
        return None
    weeks = math.ceil((float(target) - value) / slope)
    if weeks > PROJECTION_HORIZON_WEEKS:
        return None
    return last_week + timedelta(weeks=weeks)


@dataclass(frozen=True)
class StagePlan:
    """A roadmap stage as plain data: the kinds it covers and the KPI targets due at its deadline."""

    order: int
    title: str
    start: date
    deadline: date
    kinds: tuple[str, ...] = ()
    pilot_only: bool = False
    targets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def deadline_week(self) -> date:
        return monday_of(self.deadline)

    def applies_to(self, *, pilot: bool) -> bool:
        return pilot or not self.pilot_only


def planned_value(stages: list[StagePlan], code: str, week: date) -> float | None:
    """The value the roadmap expects for a week: each stage rises linearly from its start to its
    target at its deadline (judged at the week's last day); the plan is the highest of them.
    None when no stage sets this KPI."""
    day = week + timedelta(days=6)
    planned = None
    for stage in stages:
        if code not in stage.targets:
            continue
        target = float(stage.targets[code])
        span = (stage.deadline - stage.start).days
        if day >= stage.deadline:
            share = 1.0
        elif day < stage.start:
            share = 0.0
        else:
            share = (day - stage.start).days / span if span else 1.0
        planned = max(planned or 0.0, target * share)
    return planned


@dataclass(frozen=True)
class KpiState:
    """What a stage check needs of one KPI in the stage's kinds: the series of values up to now."""

    series: list[tuple[date, float | None]]


@dataclass(frozen=True)
class Blocker:
    """A KPI that holds a stage back: its value in the stage's kinds, the target, and the gap
    (value − target, a fraction; None without data)."""

    kpi: str
    value: float | None
    target: float

    @property
    def gap(self) -> float | None:
        return None if self.value is None else self.value - self.target

    def as_dict(self) -> dict:
        return {"kpi": self.kpi, "value": self.value, "target": self.target, "gap": self.gap}


@dataclass(frozen=True)
class StageVerdict:
    """A stage's status as of a week, with what makes it so (DESIGN.md §4.1).

    ``done_on``: the first week of the current unbroken run in which every KPI of the stage held;
    ``on_time``: whether that week was by the deadline week. ``late_since``: the deadline of a late
    stage. ``blocking``: the KPIs under their target (none when done or not started).
    """

    order: int
    status: str
    done_on: date | None = None
    on_time: bool | None = None
    late_since: date | None = None
    blocking: tuple[Blocker, ...] = ()


def _met(value: float | None, target) -> bool:
    return value is not None and value >= float(target)


def _done_on(stage: StagePlan, states: dict[str, KpiState], as_of: date) -> date | None:
    """The first week of the latest unbroken run of weeks (with data for every KPI) in which
    every KPI of the stage was at target."""
    by_week: dict[date, dict[str, float]] = {}
    for code in stage.targets:
        for week, value in states[code].series if code in states else ():
            if week <= as_of and value is not None:
                by_week.setdefault(week, {})[code] = value
    first = None
    for week in sorted(by_week, reverse=True):
        values = by_week[week]
        if len(values) < len(stage.targets):
            continue  # a week some KPI has no data for neither breaks nor extends the run
        if not all(_met(values[code], target) for code, target in stage.targets.items()):
            break
        first = week
    return first


def stage_verdict(stage: StagePlan, states: dict[str, KpiState], as_of: date) -> StageVerdict:
    """Status of one stage as of a week, dated and explained.

    not_started: the week is before the stage starts. done: every KPI due at the stage is at its
    target in its latest week with data. late: not done and the deadline week has passed.
    on_track: not done, deadline ahead, and every unmet KPI's trend reaches its target by the
    deadline. at_risk: otherwise (including no data yet).
    """
    if as_of + timedelta(days=6) < stage.start:
        return StageVerdict(stage.order, ScheduleStatus.NOT_STARTED)
    blocking = []
    for code, target in stage.targets.items():
        last = latest_value(states[code].series, as_of) if code in states else None
        value = last[1] if last else None
        if not _met(value, target):
            blocking.append(Blocker(code, value, float(target)))
    if not blocking:
        done_on = _done_on(stage, states, as_of)
        on_time = done_on <= stage.deadline_week if done_on else None
        return StageVerdict(stage.order, ScheduleStatus.DONE, done_on=done_on, on_time=on_time)
    if as_of > stage.deadline_week:
        return StageVerdict(stage.order, ScheduleStatus.LATE, late_since=stage.deadline, blocking=tuple(blocking))
    for blocker in blocking:
        reach = (
            projected_date(states[blocker.kpi].series, stage.targets[blocker.kpi], as_of)
            if blocker.kpi in states
            else None
        )
        if reach is None or reach > stage.deadline_week:
            return StageVerdict(stage.order, ScheduleStatus.AT_RISK, blocking=tuple(blocking))
    return StageVerdict(stage.order, ScheduleStatus.ON_TRACK, blocking=tuple(blocking))


def stage_status(stage: StagePlan, states: dict[str, KpiState], as_of: date) -> str:
    """The status alone of ``stage_verdict``."""
    return stage_verdict(stage, states, as_of).status


def worst_status(statuses) -> str:
    """The most severe of several statuses (STATUS_SEVERITY order); not_started when none."""
    statuses = set(statuses)
    for status in STATUS_SEVERITY:
        if status in statuses:
            return status
    return ScheduleStatus.NOT_STARTED


def severity_rank(status: str | None) -> int:
    """Sort key of a status in every list: the most severe first, no status last."""
    try:
        return STATUS_SEVERITY.index(status)
    except ValueError:
        return len(STATUS_SEVERITY)


def kpi_own_status(stages: list[StagePlan], code: str, states_by_stage: dict[int, dict[str, KpiState]], as_of: date):
    """A KPI's status is its own (DESIGN.md §4.1): of the stages that set a target for it (by
    deadline), done when it is at every one; otherwise judged at the first stage whose target for
    *this* KPI is unmet — not_started before that stage starts, late after its deadline week,
    on_track when its own trend reaches the target by the deadline, else at_risk. Another KPI of
    the same stage never makes it late. Returns (status, order of that stage or None)."""
    relevant = sorted((stage for stage in stages if code in stage.targets), key=lambda stage: stage.deadline)
    if not relevant:
        return ScheduleStatus.NOT_STARTED, None
    for stage in relevant:
        state = states_by_stage.get(stage.order, {}).get(code)
        series = state.series if state else []
        target = stage.targets[code]
        last = latest_value(series, as_of)
        if last is not None and _met(last[1], target):
            continue
        if as_of + timedelta(days=6) < stage.start:
            return ScheduleStatus.NOT_STARTED, stage.order
        if as_of > stage.deadline_week:
            return ScheduleStatus.LATE, stage.order
        reach = projected_date(series, target, as_of)
        on_track = reach is not None and reach <= stage.deadline_week
        return (ScheduleStatus.ON_TRACK if on_track else ScheduleStatus.AT_RISK), stage.order
    return ScheduleStatus.DONE, None


def status_since(status: str, week: date, previous: tuple[str, date] | None) -> date:
    """First week of the current unbroken run of ``status``: carried over from the week before
    when that week had the same status, else this week."""
    if previous is not None and previous[0] == status and previous[1] is not None:
        return previous[1]
    return week
