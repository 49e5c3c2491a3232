"""The domain's ApplicationError on the pages: the one place that turns it into what a page shows
(the API's counterpart is ``sferum_migration.api.exception_handler``)."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied

from sferum_migration.exceptions import ApplicationError, is_permission_refusal


@contextmanager
def refusals_shown_on(form):
    """Run a service for a form: a refused permission becomes Django's 403 page with the reason,
    any other refusal an error at the top of the form, and the page goes on to render it."""
    try:
        yield
    except ApplicationError as error:
        if is_permission_refusal(error):
            raise PermissionDenied(error.message) from error
        form.add_error(None, error.message)
