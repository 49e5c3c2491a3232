"""The domain's ApplicationError on the pages: the one place that turns it into what a page shows
(the API's counterpart is ``sferum_migration.api.exception_handler``)."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied

from sferum_migration.exceptions import ApplicationError, is_permission_refusal


def refusal_shown(error: ApplicationError) -> str:
    """What a page shows of a refusal: its message; a refused permission raises Django's 403 page
    with the reason instead."""
    if is_permission_refusal(error):
        raise PermissionDenied(error.message) from error
    return error.message


@contextmanager
def refusals_shown_on(form):
    """Run a service for a form: a refused permission becomes Django's 403 page with the reason,
    any other refusal an error at the top of the form, and the page goes on to render it."""
    try:
        yield
    except ApplicationError as error:
        form.add_error(None, refusal_shown(error))
