"""Reads shared by pages, the API and the services: KPI status, series, summaries, rankings."""

import operator
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    FilteredRelation,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Collate, Least
from django.db.models.lookups import GreaterThan, LessThan
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from regions.choices import KIND_ABBREVIATIONS
from regions.models import Municipality, Organisation, Region, RoadmapStage
from regions.selectors import user_can_upload, user_has_national_scope, user_region

from .choices import ScopeType
from .constants import ALL_KINDS, COUNTRY_ID, NO_DATA
from .counts import COUNT_FIELDS
from .kpi import KPI_CODES, KPI_FORMULAS, StagePlan, kpi_met, kpi_numbers, kpi_value, projected_date
from .models import KpiDefinition, KpiValue, ScheduleState, StageTarget, Upload, WeeklySnapshot


def kpi_definitions() -> list[KpiDefinition]:
    """The four KPI definitions in display order."""
    return list(KpiDefinition.objects.order_by("order"))


def kpi_targets() -> dict[str, Decimal]:
    """KPI code -> the target in force."""
    return dict(KpiDefinition.objects.values_list("code", "target"))


def roadmap_stage_plans(*, regions: list[Region]) -> tuple[list[StagePlan], dict[int, list[StagePlan]]]:
    """The federal plan and, per region, the stages in force (its own roadmap or the federal one),
    pilot-only stages kept for pilot regions only. Three queries whatever the number of regions,
    read as plain rows (every page reads the plan)."""
    targets = kpi_targets()
    stage_targets: dict[int, dict] = defaultdict(dict)
    for stage_id, code, target in (
        StageTarget.objects.filter(Q(stage__roadmap__is_federal=True) | Q(stage__roadmap__region__in=regions))
        .order_by("stage", "kpi__order")
        .values_list("stage_id", "kpi__code", "target")
    ):
        stage_targets[stage_id][code] = target if target is not None else targets[code]
    plans: dict[int | None, list[StagePlan]] = defaultdict(list)
    for stage_id, is_federal, region_id, order, title, start, deadline, kinds, pilot_only in (
        RoadmapStage.objects.filter(Q(roadmap__is_federal=True) | Q(roadmap__region__in=regions))
        .order_by("-roadmap__is_federal", "roadmap__region__code", "roadmap", "order")
        .values_list(
            "id",
            "roadmap__is_federal",
            "roadmap__region_id",
            "order",
            "title",
            "start",
            "deadline",
            "kinds",
            "pilot_only",
        )
    ):
        plans[None if is_federal else region_id].append(
            StagePlan(
                order=order,
                title=title,
                start=start,
                deadline=deadline,
                kinds=tuple(kinds or ()),
                pilot_only=pilot_only,
                targets=stage_targets.get(stage_id, {}),
            )
        )
    federal = sorted(plans.get(None, []), key=lambda s: s.order)
    by_region = {}
    for region in regions:
        stages = sorted(plans.get(region.id) or federal, key=lambda s: s.order)
        by_region[region.id] = [stage for stage in stages if stage.applies_to(pilot=region.pilot)]
    return federal, by_region


# --- uploads: the one access path of every page and API view that shows them ---------------------


def uploads_for_user(*, user, region: Region | None = None, uploads: QuerySet | None = None) -> QuerySet:
    """The uploads a user may see, newest first (NetBox's ``restrict(user)``): every upload for
    national roles, their region's for a coordinator, none for other accounts. ``uploads`` narrows
    a list already built from this selector (the FilterSet's). With ``region``, that region's
    uploads; asking for a region the user may not see is refused (PermissionDenied: a 403 that
    says why, not an empty list)."""
    if uploads is None:
        uploads = Upload.objects.select_related("region", "uploaded_by").order_by("-created_at", "-id")
    if region is not None:
        if not user_can_upload(user, region):
            raise PermissionDenied(_("Загрузки этого региона вам недоступны."))
        return uploads.filter(region=region)
    if user_has_national_scope(user):
        return uploads
    own = user_region(user)
    return uploads.filter(region=own) if own is not None else uploads.none()


def upload_get_for_user(*, user, pk: int) -> Upload:
    """One upload with everything it carries: Http404 when there is no such upload, PermissionDenied
    when it is another region's (looked up among all uploads, so that the 403 says why)."""
    upload = get_object_or_404(Upload.objects.select_related("region", "uploaded_by"), pk=pk)
    if not user_can_upload(user, upload.region):
        raise PermissionDenied(_("Эта загрузка относится к другому региону."))
    return upload


def template_rows(*, region):
    """Rows of the pre-filled template: every organisation of the region, figures left blank."""

    organisations = (
        Organisation.objects.filter(region=region)
        .order_by("municipality__name", "name")
        .values_list("org_id", "name", "kind", "municipality__name")
    )
    for org_id, name, kind, municipality in organisations:
        yield (org_id, name, KIND_ABBREVIATIONS.get(kind, kind), municipality or "")


# --- KPI reads for pages and the API: precomputed values, a fixed number of queries -------------


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


def _weeks_with_data(*, since: date | None = None, before: date | None = None, computed: bool = False):
    weeks = KpiValue.objects.filter(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, kind=ALL_KINDS, kpi=KPI_CODES[0])
    if not computed:
        weeks = weeks.filter(denominator__gt=0)
    if since is not None:
        weeks = weeks.filter(week__gte=since)
    if before is not None:
        weeks = weeks.filter(week__lte=before)
    return weeks.order_by("-week")


# What the pages read of KpiValue and ScheduleState rows: named tuples rather than model instances
# (a page reads hundreds), with no ORDER BY where the rows go into a mapping.
_KPI_ROW_FIELDS = (
    "scope_id",
    "kpi",
    "value",
    "numerator",
    "denominator",
    "met",
    "delta",
    "orgs_reported",
    "orgs_total",
)
_STATE_FIELDS = ("scope_id", "status", "ready", "blocking", "kpis")


def _kpi_rows(values):
    return values.order_by().values_list(*_KPI_ROW_FIELDS, named=True)


def _kpi_entry(definition, row, state_kpis) -> dict:
    """One KPI of one scope-week as pages and the API show it."""
    state = (state_kpis or {}).get(definition.code, {})
    projected = state.get("projected_date")
    planned = state.get("planned")
    value = row.value if row else None
    return {
        "code": definition.code,
        "name": definition.name,
        "short_name": definition.short_name,
        "value": value,
        "numerator": row.numerator if row else 0,
        "denominator": row.denominator if row else 0,
        "target": float(definition.target),
        "met": row.met if row else None,
        "delta": row.delta if row else None,
        "schedule_status": state.get("schedule_status"),
        "projected_date": date.fromisoformat(projected) if projected else None,
        "planned": planned,
        "gap": (value - planned) if value is not None and planned is not None else None,
        "orgs_reported": row.orgs_reported if row else 0,
        "orgs_total": row.orgs_total if row else 0,
    }


def scope_kpi_status(*, scope: str, scope_id: int, week: date) -> dict:
    """The four KPIs of one scope for one week, with the schedule state where there is one.
    Three queries."""

    rows = {
        row.kpi: row
        for row in _kpi_rows(KpiValue.objects.filter(scope=scope, scope_id=scope_id, kind=ALL_KINDS, week=week))
    }
    state = (
        ScheduleState.objects.filter(scope=scope, scope_id=scope_id, week=week)
        .values_list(*_STATE_FIELDS, "stages", named=True)
        .first()
    )
    kpis = [_kpi_entry(d, rows.get(d.code), state.kpis if state else None) for d in kpi_definitions()]
    reported = max((k["orgs_reported"] for k in kpis), default=0)
    total = max((k["orgs_total"] for k in kpis), default=0)
    return {
        "week": week,
        "kpis": kpis,
        "status": state.status if state else None,
        "stages": state.stages if state else [],
        "ready": state.ready if state else None,
        "blocking": state.blocking if state else [],
        "orgs_reported": reported,
        "orgs_total": total,
        "has_data": reported > 0,
    }


def scope_kpi_series(*, scope: str, scope_id: int, kpi: str | None = None) -> dict[str, list[dict]]:
    """KPI code -> the weekly series of a scope (oldest first), with the planned value. Two queries."""

    values = KpiValue.objects.filter(scope=scope, scope_id=scope_id, kind=ALL_KINDS)
    if kpi:
        values = values.filter(kpi=kpi)
    values = values.order_by("week").values_list("week", "target", *_KPI_ROW_FIELDS, named=True)
    planned = dict(ScheduleState.objects.filter(scope=scope, scope_id=scope_id).values_list("week", "kpis"))
    series: dict[str, list[dict]] = {}
    for row in values:
        state = planned.get(row.week, {}).get(row.kpi, {})
        series.setdefault(row.kpi, []).append(
            {
                "week": row.week,
                "value": row.value,
                "numerator": row.numerator,
                "denominator": row.denominator,
                "target": float(row.target),
                "met": row.met,
                "delta": row.delta,
                "planned": state.get("planned"),
                "orgs_reported": row.orgs_reported,
                "orgs_total": row.orgs_total,
            }
        )
    return series


def country_summary(
    *, week: date, district: str | None = None, pilot: bool | None = None, status: str | None = None
) -> dict:
    """The country's KPIs and one compact row per region for a week: the regions of a federal
    district, pilots or not, in one schedule status (a ScheduleStatus value). Six queries."""

    definitions = kpi_definitions()
    regions = Region.objects.select_related("federal_district").order_by("code")
    if district:
        regions = regions.filter(federal_district__code=district)
    if pilot is not None:
        regions = regions.filter(pilot=pilot)
    regions = list(regions)
    values = defaultdict(dict)
    for row in _kpi_rows(KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, week=week)):
        values[row.scope_id][row.kpi] = row
    states = {
        s.scope_id: s
        for s in ScheduleState.objects.filter(scope=ScopeType.REGION, week=week)
        .order_by()
        .values_list(*_STATE_FIELDS, named=True)
    }
    rows = []
    for region in regions:
        state = states.get(region.id)
        kpis = {
            d.code: _kpi_entry(d, values[region.id].get(d.code), state.kpis if state else None) for d in definitions
        }
        any_kpi = next(iter(kpis.values()), None)
        rows.append(
            {
                "region": region,
                "code": region.code,
                "name": region.name,
                "federal_district": region.federal_district.code,
                "pilot": region.pilot,
                "kpis": kpis,
                "status": state.status if state else None,
                "ready": state.ready if state else None,
                "blocking": state.blocking if state else [],
                "orgs_reported": any_kpi["orgs_reported"] if any_kpi else 0,
                "orgs_total": any_kpi["orgs_total"] if any_kpi else 0,
                "projected_date": max((k["projected_date"] for k in kpis.values() if k["projected_date"]), default=None)
                if all(k["projected_date"] for k in kpis.values() if k["denominator"])
                else None,
            }
        )
    if status:
        rows = [row for row in rows if row["status"] == status]
    country = scope_kpi_status(scope=ScopeType.COUNTRY, scope_id=COUNTRY_ID, week=week)
    return {"week": week, "country": country, "regions": rows}


def region_ranking(*, summary: dict, kpi: str) -> list[dict]:
    """Regions of a summary ordered by one KPI, best first; no data last."""
    with_data = [r for r in summary["regions"] if r["kpis"][kpi]["value"] is not None]
    without = [r for r in summary["regions"] if r["kpis"][kpi]["value"] is None]
    return sorted(with_data, key=lambda r: -r["kpis"][kpi]["value"]) + without


def municipality_ranking(*, region, week: date, kpi: str) -> list[dict]:
    """Municipalities of a region with their four KPIs for a week, ranked by one KPI. Three queries."""

    definitions = kpi_definitions()
    values = defaultdict(dict)
    for row in _kpi_rows(
        KpiValue.objects.filter(scope=ScopeType.MUNICIPALITY, region=region, kind=ALL_KINDS, week=week)
    ):
        values[row.scope_id][row.kpi] = row
    rows = []
    for municipality in Municipality.objects.filter(region=region).order_by("name"):
        kpis = {d.code: _kpi_entry(d, values[municipality.id].get(d.code), None) for d in definitions}
        first = next(iter(kpis.values()))
        rows.append(
            {
                "municipality": municipality,
                "kpis": kpis,
                "orgs_reported": first["orgs_reported"],
                "orgs_total": first["orgs_total"],
            }
        )
    return sorted(rows, key=lambda r: (r["kpis"][kpi]["value"] is None, -(r["kpis"][kpi]["value"] or 0)))


def regions_weeks_matrix(*, kpi: str, regions=None) -> dict:
    """Values of one KPI for every region and week: {"weeks": [...], "rows": [(region, [values])]}.
    Two queries."""

    regions = list(regions if regions is not None else Region.objects.order_by("code"))
    cells = {}
    weeks = set()
    for scope_id, week, value in (
        KpiValue.objects.filter(scope=ScopeType.REGION, kind=ALL_KINDS, kpi=kpi)
        .order_by()
        .values_list("scope_id", "week", "value")
    ):
        cells[(scope_id, week)] = value
        weeks.add(week)
    weeks = sorted(weeks)
    return {"weeks": weeks, "rows": [(region, [cells.get((region.id, w)) for w in weeks]) for region in regions]}


def organisation_kpis(counts: dict, targets: dict) -> dict:
    """The four KPIs of one organisation's snapshot, computed from the snapshot itself: the
    snapshot is the organisation-level store of numerators and denominators."""

    result = {}
    for code in KPI_CODES:
        numerator, denominator = kpi_numbers(counts, code)
        result[code] = {
            "value": kpi_value(numerator, denominator),
            "numerator": numerator,
            "denominator": denominator,
            "met": kpi_met(numerator, denominator, targets[code]),
        }
    return result


def organisations_readiness(*, region, week: date, municipality=None) -> list[dict]:
    """Every organisation of a region (or municipality) for a week with its KPIs and its readiness
    verdict: ready when no KPI with data is below target; "no data" when it sent nothing.
    Three queries whatever the number of organisations."""

    targets = kpi_targets()
    snapshots = WeeklySnapshot.objects.filter(region=region, week=week)
    organisations = (
        Organisation.objects.filter(region=region)
        .select_related("municipality")
        .only("id", "org_id", "name", "kind", "region_id", "diary_integrated", "municipality__name")
    )
    if municipality is not None:
        snapshots = snapshots.filter(organisation__municipality=municipality)
        organisations = organisations.filter(municipality=municipality)
    counts_by_org = {
        row[0]: dict(zip(COUNT_FIELDS, row[1:], strict=True))
        for row in snapshots.order_by().values_list("organisation_id", *COUNT_FIELDS)
    }
    rows = []
    for organisation in organisations.order_by("name"):
        counts = counts_by_org.get(organisation.id)
        if counts is None:
            rows.append(
                {"organisation": organisation, "kpis": None, "ready": False, "blocking": [NO_DATA], "worst": None}
            )
            continue
        kpis = organisation_kpis(counts, targets)
        blocking = [code for code, k in kpis.items() if k["met"] is False]
        worst = min(
            (k["value"] / float(targets[code]) for code, k in kpis.items() if k["value"] is not None and targets[code]),
            default=None,
        )
        rows.append(
            {"organisation": organisation, "kpis": kpis, "ready": not blocking, "blocking": blocking, "worst": worst}
        )
    return rows


# Least() of the shares of target stands a KPI without data in for "no share" with this.
_NO_SHARE = 1e300


def _counts_sum(fields):
    """The sum of some count columns in SQL, in 64 bits (a product with a target must not overflow)."""
    terms = [Cast(field, BigIntegerField()) for field in fields]
    return sum(terms[1:], start=terms[0])


def _lagging_share_expression(targets: dict):
    """Per snapshot row: its lowest share of target over the KPIs with data when some KPI is below
    target, NULL when none is. The target is taken as a ratio of integers so "below" is decided
    exactly; each share is one float division of two integers, rounded as Python's ``/`` rounds."""
    below, shares = [], []
    for code, (num_fields, den_fields) in KPI_FORMULAS.items():
        target_num, target_den = Decimal(targets[code]).as_integer_ratio()
        numerator, denominator = _counts_sum(num_fields), _counts_sum(den_fields)
        has_data = GreaterThan(denominator, 0)
        below.append(Q(has_data) & Q(LessThan(numerator * target_den, denominator * target_num)))
        if target_num:
            share = Cast(numerator * target_den, FloatField()) / Cast(denominator * target_num, FloatField())
            shares.append(Case(When(has_data, then=share), default=Value(_NO_SHARE), output_field=FloatField()))
    if not shares:  # every target is zero: nothing can be below it
        return Value(None, output_field=FloatField())
    worst = Least(*shares) if len(shares) > 1 else shares[0]
    return Case(When(reduce(operator.or_, below), then=worst), default=None, output_field=FloatField())


def _code_point_order(field: str):
    """A text column ordered as Python orders ``str``, by code point, whatever the database's own
    collation: PostgreSQL's "C" collation; SQLite compares text that way by default."""
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def organisations_lagging(*, region, week: date, limit: int | None = 20) -> list[dict]:
    """The organisations that hold a region back most: no data first, then the lowest share of
    target (then by name). The database scores and orders every organisation of the region (a
    region may have thousands) and returns the first ``limit``; rows with model instances are
    built only for those. At most four queries."""

    targets = kpi_targets()
    without_data = (
        Organisation.objects.filter(region=region)
        # NOT IN over a hashed list, not NOT EXISTS: with the LIMIT, PostgreSQL would probe the
        # snapshots once per organisation, expecting to find the first few early.
        .exclude(id__in=WeeklySnapshot.objects.filter(region=region, week=week).values("organisation_id"))
        .order_by(_code_point_order("name"), "id")
        .values_list("id", flat=True)
    )
    chosen = [(False, organisation_id, None) for organisation_id in without_data[:limit]]
    wanted = None if limit is None else limit - len(chosen)
    if wanted is None or wanted > 0:
        scored = (
            WeeklySnapshot.objects.filter(region=region, week=week, organisation__region=region)
            .annotate(worst_share=_lagging_share_expression(targets))
            # Those at or above target (no share) last, and left out below.
            .order_by(F("worst_share").asc(nulls_last=True), _code_point_order("organisation__name"), "organisation_id")
            .values_list("organisation_id", "worst_share")
        )
        chosen += [(True, organisation_id, worst) for organisation_id, worst in scored[:wanted] if worst is not None]
    # The chosen organisations with their snapshot of the week (none for those without data).
    organisations = (
        Organisation.objects.select_related("municipality")
        .only("id", "org_id", "name", "kind", "region_id", "diary_integrated", "municipality__name")
        # The region too: it bounds the join to one region-week by index even when the planner
        # believes the week empty (its statistics predate the week's import).
        .annotate(
            week_snapshot=FilteredRelation(
                "snapshots", condition=Q(snapshots__week=week, snapshots__region_id=region.id)
            )
        )
        .annotate(**{f"week_{field}": F(f"week_snapshot__{field}") for field in COUNT_FIELDS})
        .in_bulk([organisation_id for _has_data, organisation_id, _worst in chosen])
    )
    rows = []
    for has_data, organisation_id, worst in chosen:
        organisation = organisations[organisation_id]
        if not has_data:
            rows.append(
                {"organisation": organisation, "kpis": None, "ready": False, "blocking": [NO_DATA], "worst": None}
            )
            continue
        kpis = organisation_kpis({field: getattr(organisation, f"week_{field}") for field in COUNT_FIELDS}, targets)
        blocking = [code for code, k in kpis.items() if k["met"] is False]
        rows.append({"organisation": organisation, "kpis": kpis, "ready": False, "blocking": blocking, "worst": worst})
    return rows


def organisation_series(*, organisation) -> list[dict]:
    """An organisation's weekly figures and KPIs, oldest first. Two queries."""

    targets = kpi_targets()
    rows = []
    for snapshot in (
        WeeklySnapshot.objects.filter(organisation=organisation)
        .select_related("upload")
        .defer("upload__errors", "upload__diff")
        .order_by("week")
    ):
        counts = {f: getattr(snapshot, f) for f in COUNT_FIELDS}
        rows.append(
            {
                "week": snapshot.week,
                "counts": counts,
                "kpis": organisation_kpis(counts, targets),
                "upload": snapshot.upload,
            }
        )
    return rows


def organisation_kpi_series(*, rows: list[dict], definitions) -> dict[str, list[dict]]:
    """KPI code -> an organisation's weekly points from its ``organisation_series`` rows, with the
    change from the week before."""
    series = {}
    for d in definitions:
        points, previous = [], None
        for row in rows:
            kpi = row["kpis"][d.code]
            delta = None
            # A change is measured against the week just before, not across a gap in reporting.
            if previous and row["week"] - previous[0] == timedelta(weeks=1) and None not in (previous[1], kpi["value"]):
                delta = kpi["value"] - previous[1]
            points.append({"week": row["week"], "value": kpi["value"], "met": kpi["met"], "delta": delta})
            previous = (row["week"], kpi["value"])
        series[d.code] = points
    return series


def organisation_kpi_status(*, series: dict[str, list[dict]], definitions, week: date) -> dict:
    """An organisation's four KPIs for a week from its ``organisation_kpi_series``, shaped as
    ``scope_kpi_status`` shapes a scope's."""
    kpis = []
    for d in definitions:
        point = next((p for p in series[d.code] if p["week"] == week), None)
        trend = [(p["week"], p["value"]) for p in series[d.code]]
        kpis.append(
            {
                "code": d.code,
                "name": d.name,
                "short_name": d.short_name,
                "value": point["value"] if point else None,
                "target": float(d.target),
                "met": point["met"] if point else None,
                "delta": point["delta"] if point else None,
                "schedule_status": None,
                "projected_date": projected_date(trend, d.target, week) if point else None,
                "orgs_reported": 0,
                "orgs_total": 0,
            }
        )
    return {"week": week, "kpis": kpis, "has_data": any(k["value"] is not None for k in kpis)}


def region_kpi_history(*, region, kpi: str) -> dict:
    """One KPI of a region week by week (oldest first) with its target and the deadlines of the
    region's roadmap stages (each with the target it sets for this KPI, or None). Seven queries."""

    targets = kpi_targets()
    _federal, plans = roadmap_stage_plans(regions=[region])
    stages = [
        {
            "order": stage.order,
            "title": stage.title,
            "start": stage.start,
            "deadline": stage.deadline,
            "kinds": list(stage.kinds),
            "target": float(stage.targets[kpi]) if kpi in stage.targets else None,
        }
        for stage in plans[region.id]
    ]
    series = scope_kpi_series(scope=ScopeType.REGION, scope_id=region.id, kpi=kpi).get(kpi, [])
    return {"region": region, "kpi": kpi, "target": float(targets[kpi]), "series": series, "stages": stages}
