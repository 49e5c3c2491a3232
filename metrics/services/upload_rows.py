"""The parsed rows of an upload checked against the registry and the uploader's scope."""

from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from regions.models import Organisation, Region

from ..importers import FileRejected, ParseResult, column_label
from ..kpi import monday_of
from ..models import Upload


class OrgRef(NamedTuple):
    """What the import needs of a registered organisation (no model instances for 90k rows)."""

    id: int
    org_id: str
    region_id: int


def _row_error(row, column: str, value: str, message: str) -> dict:
    return {"line": row.line, "column": column_label(column), "value": str(value)[:200], "message": message}


def upload_rows_validate(upload: Upload, parsed: ParseResult) -> tuple[list[tuple], list[dict], dict]:
    """Check each parsed row against the registry and the uploader's scope.

    Returns the rows to write as (row, region_id, week, OrgRef or None), the row errors, and the
    registry of the file's regions. One query for the organisations of those regions, one per
    900 ids found nowhere there."""
    if upload.region_id is None and not parsed.has_region_column:
        raise FileRejected(_("В национальном файле нужен столбец «Код региона» в каждой строке."))
    if upload.week is None and not parsed.has_week_column:
        raise FileRejected(_("Не выбрана неделя: укажите её при загрузке или добавьте столбец «Неделя»."))
    errors = [{"line": e.line, "column": e.column, "value": e.value, "message": e.message} for e in parsed.errors]
    regions_by_code = dict(Region.objects.values_list("code", "id"))
    code_of = {region_id: code for code, region_id in regions_by_code.items()}
    today_week = monday_of(timezone.localdate())
    # Unordered: the model's ordering would sort 90,000 rows by region code and name.
    registry = Organisation.objects.order_by()
    if upload.region_id is not None:
        registry = registry.filter(region_id=upload.region_id)
    known = {
        org_id: OrgRef(pk, org_id, region_id)
        for pk, org_id, region_id in registry.values_list("id", "org_id", "region_id")
    }
    outside = sorted({row.org_id for row in parsed.rows if row.org_id not in known})
    elsewhere = {}
    for chunk in _chunks(outside, 900):
        for pk, org_id, region_id in (
            Organisation.objects.filter(org_id__in=chunk).order_by().values_list("id", "org_id", "region_id")
        ):
            elsewhere[org_id] = OrgRef(pk, org_id, region_id)

    valid = []
    fixed_region = upload.region_id
    own_code = code_of[fixed_region] if fixed_region is not None else None
    for row in parsed.rows:
        # The usual row (a registered organisation of its own region, a past week) is accepted
        # by one test; any other goes through the checks below that say what is wrong.
        organisation = known.get(row.org_id) or elsewhere.get(row.org_id)
        week = row.week or upload.week
        if fixed_region is None:
            region_id = regions_by_code.get(row.region_code or "")
        else:
            region_id = fixed_region if not row.region_code or row.region_code == own_code else None
        if (
            region_id is not None
            and organisation is not None
            and organisation.region_id == region_id
            and week is not None
            and week <= today_week
        ):
            valid.append((row, region_id, week, organisation))
            continue
        row_errors = []
        if fixed_region is not None:
            region_id = fixed_region
            if row.region_code and row.region_code != own_code:
                row_errors.append(
                    _row_error(
                        row,
                        "region",
                        row.region_code,
                        _("Строка относится к региону %(other)s, а файл загружается для региона %(own)s")
                        % {"other": row.region_code, "own": code_of[region_id]},
                    )
                )
        else:
            region_id = regions_by_code.get(row.region_code or "")
            if region_id is None:
                row_errors.append(_row_error(row, "region", row.region_code or "", _("Неизвестный код региона")))
        if week is None:
            row_errors.append(_row_error(row, "week", "", _("Не указана неделя")))
        elif week > today_week:
            row_errors.append(_row_error(row, "week", week.isoformat(), _("Неделя ещё не наступила")))
        if organisation is not None and region_id is not None and organisation.region_id != region_id:
            row_errors.append(
                _row_error(
                    row,
                    "org_id",
                    row.org_id,
                    _("Организация зарегистрирована в регионе %(other)s, а строка относится к региону %(own)s")
                    % {"other": code_of[organisation.region_id], "own": code_of[region_id]},
                )
            )
        if organisation is None and not (row.org_name and row.org_kind):
            row_errors.append(
                _row_error(
                    row,
                    "org_id",
                    row.org_id,
                    _(
                        "Неизвестная организация: чтобы зарегистрировать её, заполните «Наименование организации» "
                        "и «Тип организации»"
                    ),
                )
            )
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append((row, region_id, week, organisation))
    errors.sort(key=lambda error: error["line"])
    return valid, errors, known


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]
