"""Reads of the digests: the week's facts for every recipient at once, the recipients, the delivery
log, the week the job is due to send and the alarm. Each in a fixed number of queries."""

from collections import Counter
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from metrics.choices import ScopeType
from metrics.constants import ALL_KINDS, COUNTRY_ID
from metrics.kpi import monday_of
from metrics.models import KpiValue, RegionReporting, ScheduleState
from metrics.reporting import ReportingCycle
from metrics.selectors import kpi_definitions, warning_counts
from regions.choices import UserRole
from regions.models import Region, UserScope

from .choices import DELIVERED_STATUSES, DeliveryStatus, DigestKind
from .content import district_ranks
from .facts import DigestData, KpiInfo, KpiReading, RegionFacts, Reporting, StageFacts, Verdict
from .models import DigestDelivery, DigestSubscription

RECIPIENT_ROLES = {UserRole.COORDINATOR: DigestKind.COORDINATOR, UserRole.MINISTRY: DigestKind.MINISTRY}


def site_url(path: str, **query) -> str:
    """An absolute link for an e-mail: SITE_URL + path (+ query)."""
    url = settings.SITE_URL.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def _missing_url(code: str, week: date) -> str:
    """The region's missing organisations of the week; the region page while that page does not exist."""
    try:
        path = reverse("dashboard:region_missing", kwargs={"code": code})
    except NoReverseMatch:
        path = reverse("dashboard:region", kwargs={"code": code})
    return site_url(path, week=week.isoformat())


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _stages(rows) -> tuple[StageFacts, ...]:
    return tuple(
        StageFacts(
            order=stage.get("order", 0),
            title=stage.get("title", ""),
            start=_as_date(stage.get("start")),
            deadline=_as_date(stage.get("deadline")),
            status=stage.get("status", ""),
            late_since=_as_date(stage.get("late_since")),
        )
        for stage in rows or ()
    )


def digest_data(*, week: date, now: datetime | None = None) -> DigestData:
    """Everything the digests of one week say, for every recipient at once: KPI definitions,
    regions, country and region KPI values of the week and the week before, their schedule
    states, the regions' reporting, and the data-quality warning counts when they exist.
    Six queries (plus the warning counts' own)."""
    now = now or timezone.now()
    week = monday_of(week)
    previous_week = week - timedelta(weeks=1)
    cycle = ReportingCycle.from_settings()
    definitions = kpi_definitions()
    regions = list(Region.objects.select_related("federal_district").order_by("code"))

    values = _kpi_values(week, previous_week)
    states = _schedule_states(week, previous_week)
    reporting = _reporting(week)
    warnings = warning_counts(week=week)

    def readings(key) -> dict[str, KpiReading]:
        kpi_states = (states.get(key, {}).get("now") or {}).get("kpis") or {}
        return {
            d.code: KpiReading(
                value=values.get(key, {}).get(d.code, {}).get("value"),
                previous=values.get(key, {}).get(d.code, {}).get("previous"),
                met=values.get(key, {}).get(d.code, {}).get("met"),
                status=(kpi_states.get(d.code) or {}).get("schedule_status"),
            )
            for d in definitions
        }

    def verdict(key) -> Verdict:
        state = states.get(key, {})
        current, before = state.get("now"), state.get("before")
        if current is None:
            return Verdict(status=None, previous_status=before["status"] if before else None)
        return Verdict(
            status=current["status"],
            status_since=current["status_since"],
            blocking=tuple(current["blocking_detail"] or ()),
            stages=_stages(current["stages"]),
            orgs_reported=current["orgs_reported"],
            orgs_total=current["orgs_total"],
            previous_status=before["status"] if before else None,
        )

    week_query = {"week": week.isoformat()}
    region_facts = {
        region.id: RegionFacts(
            id=region.id,
            code=region.code,
            name=region.name,
            district_code=region.federal_district.code,
            kpis=readings((ScopeType.REGION, region.id)),
            verdict=verdict((ScopeType.REGION, region.id)),
            reporting=reporting.get(region.id),
            warnings=warnings.get(region.id, {}),
            page_url=site_url(reverse("dashboard:region", kwargs={"code": region.code}), **week_query),
            missing_url=_missing_url(region.code, week),
        )
        for region in regions
    }
    next_week = cycle.latest_closed_week(now=now) + timedelta(weeks=1)
    data = DigestData(
        week=week,
        deadline=cycle.deadline(week),
        next_week=next_week,
        next_deadline=cycle.deadline(next_week),
        now=now,
        timezone=cycle.timezone,
        coverage_min=float(cycle.coverage_min),
        kpis=tuple(KpiInfo(d.code, d.short_name, float(d.target)) for d in definitions),
        country_kpis=readings((ScopeType.COUNTRY, COUNTRY_ID)),
        country=verdict((ScopeType.COUNTRY, COUNTRY_ID)),
        regions=region_facts,
        warnings_checked=True,
        overview_url=site_url(reverse("dashboard:home"), **week_query),
        upload_url=site_url(reverse("dashboard:upload_list")),
    )
    data.ranks.update(district_ranks(data))
    return data


def _kpi_values(week: date, previous_week: date) -> dict[tuple[str, int], dict]:
    """(scope, scope_id) → KPI code → {value, previous, met} of the regions and the country."""
    values: dict[tuple[str, int], dict] = {}
    for scope, scope_id, kpi, row_week, value, met in (
        KpiValue.objects.filter(
            scope__in=[ScopeType.REGION, ScopeType.COUNTRY], kind=ALL_KINDS, week__in=[week, previous_week]
        )
        .order_by()
        .values_list("scope", "scope_id", "kpi", "week", "value", "met")
    ):
        entry = values.setdefault((scope, scope_id), {}).setdefault(kpi, {})
        entry["value" if row_week == week else "previous"] = value
        if row_week == week:
            entry["met"] = met
    return values


def _schedule_states(week: date, previous_week: date) -> dict[tuple[str, int], dict]:
    """(scope, scope_id) → {"now": state row, "before": last week's} of the regions and the country."""
    states: dict[tuple[str, int], dict] = {}
    for row in (
        ScheduleState.objects.filter(scope__in=[ScopeType.REGION, ScopeType.COUNTRY], week__in=[week, previous_week])
        .order_by()
        .values(
            "scope",
            "scope_id",
            "week",
            "status",
            "status_since",
            "blocking_detail",
            "stages",
            "kpis",
            "orgs_reported",
            "orgs_total",
        )
    ):
        states.setdefault((row["scope"], row["scope_id"]), {})["now" if row["week"] == week else "before"] = row
    return states


def _reporting(week: date) -> dict[int, Reporting]:
    """region id → its reporting in the week."""
    return {
        row.region_id: Reporting(
            status=row.status,
            orgs_reported=row.orgs_reported,
            orgs_total=row.orgs_total,
            first_upload_at=row.first_upload_at,
            last_upload_at=row.last_upload_at,
            complete_at=row.complete_at,
        )
        for row in RegionReporting.objects.filter(week=week)
        .order_by()
        .values_list(
            "region_id",
            "status",
            "orgs_reported",
            "orgs_total",
            "first_upload_at",
            "last_upload_at",
            "complete_at",
            named=True,
        )
    }


def digest_recipients() -> list[dict]:
    """Who gets a digest: every active coordinator (their region) and every active ministry user
    (the country), with their address and whether they opted out. One query."""
    return [
        {
            "user_id": row.user_id,
            "username": row.user__username,
            "email": (row.user__email or "").strip(),
            "kind": RECIPIENT_ROLES[row.role],
            "region_id": row.region_id if row.role == UserRole.COORDINATOR else None,
            "region_label": f"{row.region__code} {row.region__name}" if row.role == UserRole.COORDINATOR else "",
            "opted_out": bool(row.user__digest_subscription__opted_out),
        }
        for row in UserScope.objects.filter(role__in=list(RECIPIENT_ROLES), user__is_active=True)
        .order_by("role", "region__code", "user__username")
        .values_list(
            "user_id",
            "user__username",
            "user__email",
            "role",
            "region_id",
            "region__code",
            "region__name",
            "user__digest_subscription__opted_out",
            named=True,
        )
    ]


def digest_deliveries(*, week: date) -> dict[tuple[int, str], dict]:
    """(user id, kind) -> the week's delivery record as plain values. One query."""
    return {
        (row["user_id"], row["kind"]): row
        for row in DigestDelivery.objects.filter(week=monday_of(week))
        .order_by()
        .values("id", "user_id", "kind", "status", "attempts", "sent_at", "last_error")
    }


def week_has_values(*, week: date) -> bool:
    """Whether the country's KPI values of the week were computed (a week nobody reported in too). One query."""
    return KpiValue.objects.filter(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, kind=ALL_KINDS, week=week).exists()


def digest_week_due(*, now: datetime | None = None) -> date | None:
    """The week the periodic job sends: the latest closed week, when the country has computed
    values for it; None otherwise (an older week is never sent by itself). One query."""
    week = ReportingCycle.from_settings().latest_closed_week(now=now or timezone.now())
    return week if week_has_values(week=week) else None


def digest_alarm(*, now: datetime | None = None) -> dict | None:
    """The latest closed week's digests not all out DIGEST_ALARM_AFTER_MINUTES after its deadline:
    {"week", "deadline", "recipients", "delivered", "pending", "failed", "not_planned"} (the last:
    recipients without a record, as when the job never ran); None when all is well. Three queries."""
    now = now or timezone.now()
    week = digest_week_due(now=now)
    if week is None:
        return None
    deadline = ReportingCycle.from_settings().deadline(week)
    if now < deadline + timedelta(minutes=settings.DIGEST_ALARM_AFTER_MINUTES):
        return None
    recipients = digest_recipients()
    deliveries = digest_deliveries(week=week)
    statuses = Counter(
        deliveries[key]["status"] if key in deliveries else None
        for key in ((r["user_id"], r["kind"]) for r in recipients)
    )
    delivered = sum(statuses[status] for status in DELIVERED_STATUSES)
    if delivered == len(recipients):
        return None
    return {
        "week": week,
        "deadline": deadline,
        "recipients": len(recipients),
        "delivered": delivered,
        "pending": statuses[DeliveryStatus.PENDING],
        "failed": statuses[DeliveryStatus.FAILED],
        "not_planned": statuses[None],
        "after_minutes": settings.DIGEST_ALARM_AFTER_MINUTES,
    }


def digest_opted_out(*, user_id: int) -> bool:
    """Whether the user opted out of the weekly digest. One query."""
    return DigestSubscription.objects.filter(user_id=user_id, opted_out=True).exists()
