"""The domain's ApplicationError on the pages (dashboard/errors.py): 403 or a message on the form."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied

from dashboard.errors import refusals_shown_on
from sferum_migration.exceptions import ApplicationError, PermissionRefused


class AnyForm(forms.Form):
    name = forms.CharField(required=False)


def run(error):
    form = AnyForm({})
    assert form.is_valid()
    with refusals_shown_on(form):
        raise error
    return form


def test_a_refusal_of_the_input_is_an_error_at_the_top_of_the_form():
    form = run(ApplicationError("Неизвестный режим загрузки: x."))
    assert form.non_field_errors() == ["Неизвестный режим загрузки: x."]


@pytest.mark.parametrize(
    "error",
    [
        PermissionRefused("Только по своему региону."),
        ApplicationError("Только по своему региону.", code="permission_denied"),
    ],
)
def test_a_refused_permission_is_a_403_with_the_reason(error):
    with pytest.raises(PermissionDenied, match="Только по своему региону"):
        run(error)


def test_without_a_refusal_the_block_runs_through():
    form = AnyForm({})
    assert form.is_valid()
    with refusals_shown_on(form):
        done = True
    assert done and not form.non_field_errors()
