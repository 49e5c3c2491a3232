"""Organisation-level reads: readiness, who lags, one organisation's series."""

import operator
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    FilteredRelation,
    FloatField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Collate, Least
from django.db.models.lookups import GreaterThan, LessThan

from regions.models import Organisation

from ..constants import NO_DATA
from ..counts import COUNT_FIELDS
from ..kpi import KPI_CODES, KPI_FORMULAS, kpi_met, kpi_numbers, kpi_value, projected_date
from ..models import WeeklySnapshot
from .definitions import kpi_targets


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


def _counts_sum(fields, prefix: str = ""):
    """The sum of some count columns in SQL, in 64 bits (a product with a target must not overflow)."""
    terms = [Cast(prefix + field, BigIntegerField()) for field in fields]
    return sum(terms[1:], start=terms[0])


def _lagging_share_expression(targets: dict, prefix: str = ""):
    """Per snapshot row (its columns under ``prefix``): its lowest share of target over the KPIs
    with data when some KPI is below target, NULL when none is. The target is taken as a ratio of
    integers so "below" is decided exactly; each share is one float division of two integers,
    rounded as Python's ``/`` rounds."""
    below, shares = [], []
    for code, (num_fields, den_fields) in KPI_FORMULAS.items():
        target_num, target_den = Decimal(targets[code]).as_integer_ratio()
        numerator, denominator = _counts_sum(num_fields, prefix), _counts_sum(den_fields, prefix)
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


def organisations_lagging(*, region, week: date, limit: int | None = 20, targets: dict | None = None) -> list[dict]:
    """The organisations that hold a region back most: no data first, then the lowest share of
    target (then by name). The database scores and orders every organisation of the region (a
    region may have thousands), each beside its snapshot of the week under this region if it has
    one, and returns the first ``limit``; rows with model instances are built only for those. Two
    queries (one given the KPI ``targets``)."""

    targets = kpi_targets() if targets is None else targets
    # A snapshot still under a former region is not this region's: the organisation has no data here.
    week_snapshot = FilteredRelation("snapshots", condition=Q(snapshots__week=week, snapshots__region=region))
    scored = (
        Organisation.objects.filter(region=region)
        .annotate(
            snapshot=week_snapshot,
            has_data=Case(When(snapshot__id__isnull=True, then=Value(0)), default=Value(1)),
            worst_share=_lagging_share_expression(targets, prefix="snapshot__"),
        )
        # Those without data first, those at or above target (no share) last, and left out below.
        .order_by("has_data", F("worst_share").asc(nulls_last=True), _code_point_order("name"), "id")
        .values_list("id", "has_data", "worst_share", *(f"snapshot__{field}" for field in COUNT_FIELDS))
    )
    chosen = [
        (organisation_id, worst, dict(zip(COUNT_FIELDS, counts, strict=True)) if has_data else None)
        for organisation_id, has_data, worst, *counts in (scored if limit is None else scored[:limit])
        if not has_data or worst is not None
    ]
    organisations = (
        Organisation.objects.select_related("municipality")
        .only("id", "org_id", "name", "kind", "region_id", "diary_integrated", "municipality__name")
        .order_by()
        .in_bulk([organisation_id for organisation_id, _worst, _counts in chosen])
    )
    rows = []
    for organisation_id, worst, counts in chosen:
        organisation = organisations[organisation_id]
        if counts is None:
            rows.append(
                {"organisation": organisation, "kpis": None, "ready": False, "blocking": [NO_DATA], "worst": None}
            )
            continue
        kpis = organisation_kpis(counts, targets)
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
