"""The parsed rows of an upload checked against the registry and the uploader's scope."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from regions.models import Organisation, Region
from sferum_migration.db import plain_rows

from ..importers import FileRejected, ParsedRow, ParseResult, RowError, RowErrorLog, column_label
from ..kpi import monday_of
from ..models import Upload

# The reasons of the registry's row errors (importers.error_log: what the counts group by).
REASON_OTHER_REGION_ROW = gettext_noop("Строка другого региона")
REASON_UNKNOWN_REGION = gettext_noop("Неизвестный код региона")
REASON_NO_WEEK = gettext_noop("Не указана неделя")
REASON_FUTURE_WEEK = gettext_noop("Неделя ещё не наступила")
REASON_REGISTERED_ELSEWHERE = gettext_noop("Организация зарегистрирована в другом регионе")
REASON_UNKNOWN_ORGANISATION = gettext_noop("Неизвестная организация без наименования или типа")


class OrgRef(NamedTuple):
    """What the import needs of a registered organisation (no model instances for 90k rows)."""

    id: int
    org_id: str
    region_id: int


@dataclass(slots=True)
class ValidRow:
    """A parsed row that passed every check, with its region and week settled. ``organisation``
    is None for an organisation the registry does not know yet: the row names and types it, and
    an import that writes registers it (snapshots.organisations_register fills this in)."""

    row: ParsedRow
    region_id: int
    week: date
    organisation: OrgRef | None


@dataclass(frozen=True, slots=True)
class RegistryIndex:
    """What the checks read of the registry, once per file."""

    # org_id -> the organisations of the file's region (of every region for a national file).
    known: dict[str, OrgRef]
    # org_id -> the organisations of the file registered in another region.
    elsewhere: dict[str, OrgRef]
    # region code -> id, and back.
    region_ids: dict[str, int]
    region_codes: dict[int, str]


def registry_index_read(*, region_id: int | None, org_ids: Iterable[str]) -> RegistryIndex:
    """The registry of the file's region (every region when None), plus the organisations of
    ``org_ids`` registered elsewhere: one query for the regions, one for the registry, one per
    900 ids found nowhere there."""
    region_ids = dict(Region.objects.values_list("code", "id"))
    # Unordered: the model's ordering would sort 90,000 rows by region code and name.
    registry = Organisation.objects.order_by()
    if region_id is not None:
        registry = registry.filter(region_id=region_id)
    known = {
        org_id: OrgRef(pk, org_id, region)
        for pk, org_id, region in plain_rows(registry.values_list("id", "org_id", "region_id"))
    }
    outside = sorted({org_id for org_id in org_ids if org_id not in known})
    elsewhere = {}
    for chunk in _chunks(outside, 900):
        for pk, org_id, region in (
            Organisation.objects.filter(org_id__in=chunk).order_by().values_list("id", "org_id", "region_id")
        ):
            elsewhere[org_id] = OrgRef(pk, org_id, region)
    return RegistryIndex(
        known=known,
        elsewhere=elsewhere,
        region_ids=region_ids,
        region_codes={pk: code for code, pk in region_ids.items()},
    )


def upload_rows_validate(*, upload: Upload, parsed: ParseResult) -> tuple[list[ValidRow], RowErrorLog, RegistryIndex]:
    """Check each parsed row against the registry and the uploader's scope.

    Returns the rows to write, the errors (the parser's and these checks', ordered by line, a
    line's own in the order found: every one counted, the first settings.UPLOAD_ERRORS_KEPT kept
    whole, each naming its organisation) and the registry read."""
    if upload.region_id is None and not parsed.has_region_column:
        raise FileRejected(_("В национальном файле нужен столбец «Код региона» в каждой строке."))
    if upload.week is None and not parsed.has_week_column:
        raise FileRejected(_("Не выбрана неделя: укажите её при загрузке или добавьте столбец «Неделя»."))
    if upload.week is None and parsed.week_column_blank:
        # One hint, not the same «Не указана неделя» on every row.
        raise FileRejected(_("Укажите неделю в форме или заполните столбец «Неделя»."))
    errors = RowErrorLog(settings.UPLOAD_ERRORS_KEPT)
    registry = registry_index_read(region_id=upload.region_id, org_ids=(row.org_id for row in parsed.rows))
    known, elsewhere, region_ids = registry.known, registry.elsewhere, registry.region_ids
    today_week = monday_of(timezone.localdate())
    fixed_region = upload.region_id
    own_code = registry.region_codes[fixed_region] if fixed_region is not None else None
    valid = []
    for row in parsed.rows:
        # The usual row (a registered organisation of its own region, a past week) is accepted
        # by one test; any other goes through the checks below that say what is wrong.
        organisation = known.get(row.org_id) or elsewhere.get(row.org_id)
        week = row.week or upload.week
        if fixed_region is None:
            region_id = region_ids.get(row.region_code or "")
        else:
            region_id = fixed_region if not row.region_code or row.region_code == own_code else None
        if (
            region_id is not None
            and organisation is not None
            and organisation.region_id == region_id
            and week is not None
            and week <= today_week
        ):
            valid.append(ValidRow(row, region_id, week, organisation))
            continue
        region_id, row_errors = _row_region(row, fixed_region=fixed_region, registry=registry)
        row_errors += _row_week_errors(row, week=week, today_week=today_week)
        row_errors += _row_organisation_region_errors(
            row, organisation=organisation, region_id=region_id, registry=registry
        )
        row_errors += _row_unknown_organisation_errors(row, organisation=organisation)
        if row_errors:
            for error in row_errors:
                errors.add(error)
        else:
            valid.append(ValidRow(row, region_id, week, organisation))
    log = parsed.log.merged(errors, keep=settings.UPLOAD_ERRORS_KEPT)
    log.kept = _with_registered_names(log.kept, registry)
    return valid, log, registry


def _with_registered_names(errors: list[RowError], registry: RegistryIndex) -> list[RowError]:
    """The kept errors, those of a registered organisation whose row gives no name named as the
    registry names it (one query per 900 such organisations)."""
    wanted = sorted(
        {
            e.org_id
            for e in errors
            if e.org_id and not e.org_name and (e.org_id in registry.known or e.org_id in registry.elsewhere)
        }
    )
    names: dict[str, str] = {}
    for chunk in _chunks(wanted, 900):
        names.update(Organisation.objects.filter(org_id__in=chunk).order_by().values_list("org_id", "name"))
    if not names:
        return errors
    return [replace(e, org_name=names[e.org_id]) if e.org_id in names and not e.org_name else e for e in errors]


def _row_region(
    row: ParsedRow, *, fixed_region: int | None, registry: RegistryIndex
) -> tuple[int | None, list[RowError]]:
    """The row's region and what is wrong with it: a regional file's rows are its region's (a
    region code, when given, must be its own); a national file's rows name a known region."""
    if fixed_region is not None:
        own_code = registry.region_codes[fixed_region]
        if row.region_code and row.region_code != own_code:
            message = _("Строка относится к региону %(other)s, а файл загружается для региона %(own)s") % {
                "other": row.region_code,
                "own": own_code,
            }
            return fixed_region, [_row_error(row, "region", row.region_code, message, REASON_OTHER_REGION_ROW)]
        return fixed_region, []
    region_id = registry.region_ids.get(row.region_code or "")
    if region_id is None:
        message = _("Неизвестный код региона")
        return None, [_row_error(row, "region", row.region_code or "", message, REASON_UNKNOWN_REGION)]
    return region_id, []


def _row_week_errors(row: ParsedRow, *, week: date | None, today_week: date) -> list[RowError]:
    """A row needs a week (its own or the upload's), and not one still to come."""
    if week is None:
        return [_row_error(row, "week", "", _("Не указана неделя"), REASON_NO_WEEK)]
    if week > today_week:
        return [_row_error(row, "week", week.isoformat(), _("Неделя ещё не наступила"), REASON_FUTURE_WEEK)]
    return []


def _row_organisation_region_errors(
    row: ParsedRow, *, organisation: OrgRef | None, region_id: int | None, registry: RegistryIndex
) -> list[RowError]:
    """A registered organisation is sent for the region it is registered in."""
    if organisation is None or region_id is None or organisation.region_id == region_id:
        return []
    message = _("Организация зарегистрирована в регионе %(other)s, а строка относится к региону %(own)s") % {
        "other": registry.region_codes[organisation.region_id],
        "own": registry.region_codes[region_id],
    }
    return [_row_error(row, "org_id", row.org_id, message, REASON_REGISTERED_ELSEWHERE)]


def _row_unknown_organisation_errors(row: ParsedRow, *, organisation: OrgRef | None) -> list[RowError]:
    """An organisation the registry does not know is registered from the row: it needs its name and kind."""
    if organisation is not None or (row.org_name and row.org_kind):
        return []
    message = _(
        "Неизвестная организация: чтобы зарегистрировать её, заполните «Наименование организации» и «Тип организации»"
    )
    return [_row_error(row, "org_id", row.org_id, message, REASON_UNKNOWN_ORGANISATION)]


def _row_error(row: ParsedRow, column: str, value: str, message: str, reason: str) -> RowError:
    return RowError(row.line, column_label(column), str(value)[:200], message, _(reason), row.org_id, row.org_name)


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]
