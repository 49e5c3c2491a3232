"""Who reported, when and how much (DESIGN.md §4.2): the «Кто не отчитался» register, the reporting
series of the country and of one region, and the organisations a region has not reported for.
Plain reads of the precomputed RegionReporting rows, a fixed number of queries each."""

from collections import Counter
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext as _

from regions.models import Organisation, Region
from regions.selectors import user_can_upload

from ..choices import ReportingStatus, WarningCode
from ..models import RegionReporting, WeeklySnapshot
from .quality import warning_counts

# Worst first, as the register lists them (ReportingStatus is declared in this order).
REPORTING_SEVERITY = tuple(ReportingStatus.values)


def reporting_rank(status: str | None) -> int:
    """Sort key of a reporting status: missing, partial, late, on time; unknown last."""
    try:
        return REPORTING_SEVERITY.index(status)
    except ValueError:
        return len(REPORTING_SEVERITY)


def reporting_warning_counts(*, week: date, region_ids) -> dict[int, dict[str, int]]:
    """Region id -> {warning code: count} of the week's unexplained data-quality warnings (of the
    uploads whose values stand). One query."""
    return warning_counts(week=week, region_ids=region_ids)


def _uploader_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _register_row(region: Region, report: RegionReporting | None, registered: int, warnings) -> dict:
    if report is None:
        # No reporting row for the week: the region sent nothing (0 of its registry).
        status, reported, total = ReportingStatus.MISSING, 0, registered
        first = last = complete = user = None
    else:
        status, reported, total = report.status, report.orgs_reported, report.orgs_total
        first, last, complete, user = (
            report.first_upload_at,
            report.last_upload_at,
            report.complete_at,
            report.last_uploaded_by,
        )
    return {
        "region": region,
        "code": region.code,
        "name": region.name,
        "federal_district": region.federal_district.code,
        "status": status,
        "first_upload_at": first,
        "last_upload_at": last,
        "complete_at": complete,
        "last_uploaded_by": user,
        "uploaded_by_name": _uploader_name(user),
        "orgs_reported": reported,
        "orgs_total": total,
        "coverage": reported / total if total else None,
        "warnings": sum(warnings.get(region.id, {}).values()),
        "warning_codes": warnings.get(region.id, {}),
        "warnings_by_code": {
            str(WarningCode(code).label): count for code, count in warnings.get(region.id, {}).items()
        },
    }


def reporting_register(*, week: date, district: str | None = None, status: str | None = None) -> dict:
    """Every region's report for a week, worst first (missing, partial, late, on time; then by
    code): status, first and last upload, who sent the last one, organisations reported of the
    registry. ``district``: a federal district's code; ``status``: one ReportingStatus. ``counts``
    (regions per status) and ``coverage`` are those of the district's regions, before the status
    filter. Two queries; three when some region has no reporting row for the week (its registry
    is counted then)."""
    regions = Region.objects.select_related("federal_district").order_by("code")
    if district:
        regions = regions.filter(federal_district__code=district)
    regions = list(regions)
    reports = {
        report.region_id: report
        for report in RegionReporting.objects.filter(week=week, region__in=[r.id for r in regions])
        .select_related("last_uploaded_by")
        .order_by()
    }
    registered: dict[int, int] = {}
    if any(region.id not in reports for region in regions):
        registered = dict(
            Organisation.objects.filter(region__in=[r.id for r in regions if r.id not in reports])
            .order_by()
            .values_list("region")
            .annotate(n=Count("id"))
            .values_list("region", "n")
        )
    warnings = reporting_warning_counts(week=week, region_ids=[r.id for r in regions])
    rows = [_register_row(r, reports.get(r.id), registered.get(r.id, 0), warnings) for r in regions]
    rows.sort(key=lambda row: (reporting_rank(row["status"]), row["code"]))
    counts = Counter(row["status"] for row in rows)
    reported = sum(row["orgs_reported"] for row in rows)
    total = sum(row["orgs_total"] for row in rows)
    if status:
        rows = [row for row in rows if row["status"] == status]
    return {
        "week": week,
        "rows": rows,
        "counts": {s: counts.get(s, 0) for s in REPORTING_SEVERITY},
        "coverage": {"reported": reported, "total": total, "share": reported / total if total else None},
    }


def reporting_series(*, region: Region | None = None) -> list[dict]:
    """The reporting rate and timeliness week by week, oldest first (as DHIS2's reporting-rate
    report). The country: per week the number of regions in each reporting status. A region: per
    week its status, organisations reported of the registry and coverage, the upload times and who
    sent the last file. One query."""
    reports = RegionReporting.objects.all()
    if region is None:
        weeks: dict[date, dict] = {}
        for week, status, n in (
            reports.order_by().values_list("week", "status").annotate(n=Count("id")).values_list("week", "status", "n")
        ):
            weeks.setdefault(week, dict.fromkeys(REPORTING_SEVERITY, 0))[status] = n
        return [
            {"week": week, "counts": counts, "total": sum(counts.values())} for week, counts in sorted(weeks.items())
        ]
    # Plain rows, not a model instance and its user per week: a region has a year of them.
    rows = (
        reports.filter(region=region)
        .order_by("week")
        .values_list(
            "week",
            "status",
            "orgs_reported",
            "orgs_total",
            "first_upload_at",
            "last_upload_at",
            "complete_at",
            "last_uploaded_by__first_name",
            "last_uploaded_by__last_name",
            "last_uploaded_by__username",
        )
    )
    return [
        {
            "week": week,
            "status": status,
            "orgs_reported": reported,
            "orgs_total": total,
            "coverage": reported / total if total else None,
            "first_upload_at": first,
            "last_upload_at": last,
            "complete_at": complete,
            # User.get_full_name(), or the username (_uploader_name); nobody: empty.
            "uploaded_by_name": "" if username is None else f"{first_name} {last_name}".strip() or username,
        }
        for week, status, reported, total, first, last, complete, first_name, last_name, username in rows
    ]


def organisations_missing(*, region: Region, week: date) -> list[Organisation]:
    """The region's registered organisations with no snapshot for the week, by municipality and
    name. One query (the snapshot's unique (organisation, week) index answers the NOT EXISTS)."""
    return list(
        Organisation.objects.filter(region=region)
        .filter(~Exists(WeeklySnapshot.objects.filter(organisation=OuterRef("pk"), week=week)))
        .select_related("municipality")
        .order_by("municipality__name", "name", "org_id")
    )


def user_can_see_missing(user, region: Region) -> bool:
    """Who may read which organisations of a region did not report: the same rule as its uploads
    (national roles every region, a coordinator their own)."""
    return user_can_upload(user, region)


def organisations_missing_for_user(*, user, region: Region, week: date) -> list[Organisation]:
    """``organisations_missing`` through the access rule: another region's list is refused
    (PermissionDenied: a 403 that says why)."""
    if not user_can_see_missing(user, region):
        raise PermissionDenied(_("Список организаций этого региона вам недоступен."))
    return organisations_missing(region=region, week=week)
