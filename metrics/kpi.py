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

# Worst first: a region's overall status is the worst of its stages.
STATUS_SEVERITY = (
    ScheduleStatus.LATE,
    ScheduleStatus.AT_RISK,
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
        return f"с {self.first:%d.%m.%Y} по {self.last + timedelta(days=6):%d.%m.%Y}"

    @property
    def message(self) -> str:
        """Why a week outside the range is refused, in Russian."""
        return f"Неделя вне допустимого диапазона: допустимы недели {self.span}"


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


def stage_status(stage: StagePlan, states: dict[str, KpiState], as_of: date) -> str:
    """Schedule status of one stage as of a week.

    not_started: the week is before the stage starts. done: every KPI due at the stage is at its
    target in the latest week with data. late: not done and the deadline week has passed.
    on_track: not done, deadline ahead, and every unmet KPI's trend reaches its target by the
    deadline. at_risk: otherwise (including no data yet).
    """
    if as_of + timedelta(days=6) < stage.start:
        return ScheduleStatus.NOT_STARTED
    unmet = []
    for code, target in stage.targets.items():
        last = latest_value(states[code].series, as_of) if code in states else None
        if last is None or last[1] < float(target):
            unmet.append((code, target))
    if not unmet:
        return ScheduleStatus.DONE
    if as_of > stage.deadline_week:
        return ScheduleStatus.LATE
    for code, target in unmet:
        reach = projected_date(states[code].series, target, as_of) if code in states else None
        if reach is None or reach > stage.deadline_week:
            return ScheduleStatus.AT_RISK
    return ScheduleStatus.ON_TRACK


def worst_status(statuses) -> str:
    """The most severe of several statuses (late > at_risk > on_track > done > not_started)."""
    statuses = set(statuses)
    for status in STATUS_SEVERITY:
        if status in statuses:
            return status
    return ScheduleStatus.NOT_STARTED


def kpi_schedule_status(stages: list[StagePlan], code: str, statuses: dict[int, str]) -> str:
    """A KPI's status: that of the first stage due for it which is not done, else done."""
    relevant = [stage for stage in stages if code in stage.targets]
    if not relevant:
        return ScheduleStatus.NOT_STARTED
    for stage in sorted(relevant, key=lambda s: s.deadline):
        if statuses[stage.order] != ScheduleStatus.DONE:
            return statuses[stage.order]
    return ScheduleStatus.DONE
