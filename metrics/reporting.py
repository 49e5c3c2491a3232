"""The reporting cycle as pure functions (DESIGN.md §4.2): each week's deadline, open and closed
weeks, the default week, and a region's reporting status for a week.

No ORM here, and settings only inside ``ReportingCycle.from_settings()`` (never at import);
tests build their own cycles.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from .choices import ReportingStatus
from .kpi import monday_of


@dataclass(frozen=True)
class ReportingCycle:
    """When a week's figures are due, and how much of a scope must report for a verdict.

    ``deadline_weekday``: the weekday (0 = Monday) of the week *after* the reported one by which
    the file is due; ``deadline_time`` on that day in ``timezone``. Default: Tuesday 12:00 Moscow.
    """

    deadline_weekday: int = 1
    deadline_time: time = time(12, 0)
    timezone: str = "Europe/Moscow"
    coverage_min: Decimal = Decimal("0.9")

    @classmethod
    def from_settings(cls) -> "ReportingCycle":
        """The cycle the product runs on: REPORTING_DEADLINE_WEEKDAY, REPORTING_DEADLINE_TIME,
        COVERAGE_MIN and TIME_ZONE."""
        from django.conf import settings

        return cls(
            deadline_weekday=settings.REPORTING_DEADLINE_WEEKDAY,
            deadline_time=time.fromisoformat(settings.REPORTING_DEADLINE_TIME),
            timezone=settings.TIME_ZONE,
            coverage_min=Decimal(str(settings.COVERAGE_MIN)),
        )

    def deadline(self, week: date) -> datetime:
        """The moment a week's reports are due (aware)."""
        day = monday_of(week) + timedelta(days=7 + self.deadline_weekday)
        return datetime.combine(day, self.deadline_time, tzinfo=ZoneInfo(self.timezone))

    def is_closed(self, week: date, *, now: datetime) -> bool:
        """A week is closed (its figures final) once its deadline has passed; before it, open."""
        return now >= self.deadline(week)

    def latest_closed_week(self, *, now: datetime) -> date:
        """The newest week whose deadline has passed at ``now``."""
        week = monday_of(now.astimezone(ZoneInfo(self.timezone)).date())
        while self.deadline(week) > now:
            week -= timedelta(weeks=1)
        return week

    def default_week(self, weeks_with_data, *, now: datetime) -> date | None:
        """The week every page, export and API call shows when none is asked for: the latest
        closed week with data; when no week with data is closed yet, the latest open one (shown as
        provisional). One region's early upload never moves it before the deadline."""
        weeks = sorted(weeks_with_data)
        if not weeks:
            return None
        closed = self.latest_closed_week(now=now)
        final = [week for week in weeks if week <= closed]
        return final[-1] if final else weeks[-1]

    def coverage_met(self, reported: int, total: int) -> bool:
        """Whether ``reported`` of ``total`` organisations reach COVERAGE_MIN (decided exactly)."""
        return total > 0 and Decimal(reported) >= self.coverage_min * total

    def reporting_status(self, *, week: date, reported: int, total: int, complete_at: datetime | None) -> str:
        """A region's reporting status for a week.

        missing: no organisation reported. partial: under COVERAGE_MIN of the registry.
        on_time: COVERAGE_MIN was reached (``complete_at``) before the deadline. late: after it.
        """
        if reported <= 0:
            return ReportingStatus.MISSING
        if not self.coverage_met(reported, total):
            return ReportingStatus.PARTIAL
        if complete_at is not None and complete_at <= self.deadline(week):
            return ReportingStatus.ON_TIME
        return ReportingStatus.LATE
