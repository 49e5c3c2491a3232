"""The parsed rows of an upload checked against the registry and the uploader's scope."""

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.importers import FileRejected, ParsedRow, ParseResult
from metrics.models import Upload
from metrics.services.upload_rows import upload_rows_validate
from regions.choices import OrganisationKind
from tests.factories import WEEK, OrganisationFactory, region

pytestmark = pytest.mark.django_db


def parsed_row(line, org_id, *, week=None, region_code=None, org_name="", org_kind=None):
    return ParsedRow(
        line=line,
        org_id=org_id,
        org_name=org_name,
        org_kind=org_kind,
        municipality="",
        week=week,
        region_code=region_code,
        counts=(1,) * 10,
    )


def parsed(*rows, region_column=True, week_column=True):
    return ParseResult(
        rows=list(rows),
        errors=[],
        rows_total=len(rows),
        has_region_column=region_column,
        has_week_column=week_column,
    )


def test_usual_row_is_valid_with_its_region_week_and_organisation():
    organisation = OrganisationFactory(org_id="62-0")
    valid, errors, registry = upload_rows_validate(
        upload=Upload(region=region("62"), week=WEEK), parsed=parsed(parsed_row(2, "62-0"))
    )
    assert errors.kept == [] and errors.total == 0
    [row] = valid
    assert (row.row.line, row.region_id, row.week) == (2, region("62").id, WEEK)
    assert (row.organisation.id, row.organisation.org_id) == (organisation.id, "62-0")
    assert set(registry.known) == {"62-0"}


def test_a_row_wrong_in_every_way_gets_each_error_in_order():
    OrganisationFactory(org_id="63-0", region=region("63"))
    future = timezone.localdate() + timedelta(weeks=2)
    _valid, errors, _registry = upload_rows_validate(
        upload=Upload(region=region("62"), week=WEEK),
        parsed=parsed(parsed_row(2, "63-0", week=future, region_code="63")),
    )
    assert [(error.line, error.column, error.message) for error in errors.kept] == [
        (2, "Код региона", "Строка относится к региону 63, а файл загружается для региона 62"),
        (2, "Неделя", "Неделя ещё не наступила"),
        (2, "ID организации", "Организация зарегистрирована в регионе 63, а строка относится к региону 62"),
    ]


def test_national_row_with_an_unknown_region_and_organisation_and_no_week():
    _valid, errors, _registry = upload_rows_validate(
        upload=Upload(region=None, week=None), parsed=parsed(parsed_row(5, "NEW", region_code="99"))
    )
    assert [(error.column, error.value, error.message) for error in errors.kept] == [
        ("Код региона", "99", "Неизвестный код региона"),
        ("Неделя", "", "Не указана неделя"),
        (
            "ID организации",
            "NEW",
            "Неизвестная организация: чтобы зарегистрировать её, заполните «Наименование организации» "
            "и «Тип организации»",
        ),
    ]


def test_unknown_organisation_with_name_and_kind_is_valid_without_an_organisation():
    valid, errors, registry = upload_rows_validate(
        upload=Upload(region=region("62"), week=WEEK),
        parsed=parsed(parsed_row(2, "NEW", org_name="Школа", org_kind=OrganisationKind.SCHOOL)),
    )
    assert errors.total == 0
    assert [(row.row.org_id, row.organisation) for row in valid] == [("NEW", None)]
    assert registry.elsewhere == {}


def test_registry_of_a_regional_file_knows_its_region_and_finds_the_others_elsewhere():
    OrganisationFactory(org_id="62-0")
    moved = OrganisationFactory(org_id="63-0", region=region("63"))
    _valid, _errors, registry = upload_rows_validate(
        upload=Upload(region=region("62"), week=WEEK), parsed=parsed(parsed_row(2, "62-0"), parsed_row(3, "63-0"))
    )
    assert set(registry.known) == {"62-0"}
    assert registry.elsewhere["63-0"].id == moved.id
    assert registry.region_codes[region("63").id] == "63"


def test_file_without_a_week_anywhere_is_refused():
    with pytest.raises(FileRejected):
        upload_rows_validate(upload=Upload(region=region("62"), week=None), parsed=parsed(week_column=False))
