"""Which weeks there are: weeks with data, the default week of every page and call."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from ..choices import ScopeType
from ..constants import ALL_KINDS, COUNTRY_ID
from ..kpi import KPI_CODES
from ..models import KpiValue
from ..reporting import ReportingCycle


def weeks_with_data(*, since: date | None = None, before: date | None = None, computed: bool = False) -> list[date]:
    """The weeks the country has KPI values for, newest first, from ``since`` up to and including
    ``before``: its row of the first KPI stands for the week (every week has one per KPI).

    Weeks with data to show (a denominator above zero) by default: the pages' weeks. ``computed``:
    every week whose values were computed, a week nobody has reported in yet too (the nightly job
    computes the current week before its first report); the jobs redo those as well, since their
    organisation totals and schedule states ("no data") depend on the registry.
    """
    return list(_weeks_with_data(since=since, before=before, computed=computed).values_list("week", flat=True))


def latest_week_with_data(*, before: date | None = None) -> date | None:
    """The latest week with data to show, up to and including ``before``."""
    return _weeks_with_data(before=before).values_list("week", flat=True).first()


def previous_week(week: date, weeks: list[date] | None = None) -> date | None:
    """The latest week with data before ``week``. ``weeks``: the weeks with data, newest first,
    when the caller has read them (a page's list, which may also hold ``week`` itself): no query
    then; else one."""
    if weeks is None:
        return latest_week_with_data(before=week - timedelta(days=1))
    return next((w for w in weeks if w < week), None)


def _weeks_with_data(*, since: date | None = None, before: date | None = None, computed: bool = False):
    weeks = KpiValue.objects.filter(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, kind=ALL_KINDS, kpi=KPI_CODES[0])
    if not computed:
        weeks = weeks.filter(denominator__gt=0)
    if since is not None:
        weeks = weeks.filter(week__gte=since)
    if before is not None:
        weeks = weeks.filter(week__lte=before)
    return weeks.order_by("-week")


def default_week(*, now: datetime | None = None, weeks: list[date] | None = None) -> date | None:
    """The week of every page, export and API call that names none (DESIGN.md §4.2): the latest
    closed week with data, the latest open one only when none is closed yet. ``weeks``: the weeks
    with data when the caller has read them already (no query then)."""
    weeks = weeks_with_data() if weeks is None else weeks
    return ReportingCycle.from_settings().default_week(weeks, now=now or timezone.now())


def week_info(week: date | None, *, now: datetime | None = None) -> dict:
    """What every answer about a week says of it: its reporting deadline and whether its data are
    still provisional (the week is open)."""
    if week is None:
        return {"week": None, "deadline": None, "provisional": False}
    cycle = ReportingCycle.from_settings()
    return {
        "week": week,
        "deadline": cycle.deadline(week),
        "provisional": not cycle.is_closed(week, now=now or timezone.now()),
    }
