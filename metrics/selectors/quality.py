"""Data-quality warnings: per region and week (pages, the reporting register, the digest) and
per upload (its result page, the API, the download)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from ..choices import UploadStatus, WarningCode
from ..models import Upload, UploadWarning, UploadWarningCount
from ..quality import QualityThresholds, warning_explanation


def warning_counts(*, week: date, region_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """{region id: {code: count}} of the week's unexplained warnings, of the uploads whose values
    stand (succeeded: not dry runs, not failed, not superseded); regions without any are left out,
    codes in WarningCode order. One query."""
    tallies = UploadWarningCount.objects.filter(
        week=week, upload__status=UploadStatus.SUCCEEDED, upload__dry_run=False, total__gt=F("explained")
    )
    if region_ids is not None:
        tallies = tallies.filter(region_id__in=list(region_ids))
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for region_id, code, count in (
        tallies.values("region_id", "code")
        .annotate(count=Sum(F("total") - F("explained")))
        .order_by()
        .values_list("region_id", "code", "count")
    ):
        found[region_id][code] = count
    order = {code: index for index, code in enumerate(WarningCode.values)}
    return {
        region_id: dict(sorted(codes.items(), key=lambda item: order[item[0]])) for region_id, codes in found.items()
    }


def upload_warnings(*, upload: Upload, limit: int | None = None) -> QuerySet:
    """An upload's stored warnings in the order found (by check, then file order), the first
    ``limit`` of them."""
    warnings = UploadWarning.objects.filter(upload=upload).select_related("region", "explained_by").order_by("id")
    return warnings[:limit] if limit is not None else warnings


def upload_warning_groups(*, upload: Upload, per_code: int) -> list[dict]:
    """An upload's warnings by code, in WarningCode order: its label, the check's explanation,
    how many were found and explained, and the first ``per_code`` stored. Two queries."""
    if not upload.warning_counts:
        return []
    thresholds = QualityThresholds.from_settings()
    explained = dict(
        UploadWarningCount.objects.filter(upload=upload)
        .values("code")
        .annotate(n=Sum("explained"))
        .order_by()
        .values_list("code", "n")
    )
    first = (
        UploadWarning.objects.filter(upload=upload)
        .select_related("region", "explained_by")
        .annotate(position=Window(RowNumber(), partition_by=[F("code")], order_by=[F("id").asc()]))
        .filter(Q(position__lte=per_code))
        .order_by("id")
    )
    shown = defaultdict(list)
    for warning in first:
        shown[warning.code].append(warning)
    return [
        {
            "code": code,
            "label": WarningCode(code).label,
            "explanation": warning_explanation(code, thresholds),
            "total": upload.warning_counts[code],
            "explained": explained.get(code, 0),
            "warnings": shown.get(code, []),
            "hidden": upload.warning_counts[code] - len(shown.get(code, [])),
        }
        for code in WarningCode.values
        if upload.warning_counts.get(code)
    ]
