"""The pages of a refused or failed request (400, 403, CSRF, 404, 500), inside the site's layout,
with the reason and a way back. The API's JSON counterparts are in ``api.py``, which calls these
for every address outside /api/.

The 500 page is a template that extends nothing and is rendered without the request: it must
show when the database, a context processor or the layout itself is what failed."""

from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


def _back_url(request) -> str | None:
    """The page the user came from, when it is this site's and not the refused page itself."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or referer == request.build_absolute_uri():
        return None
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe else None


def _render(request, template: str, response_class, *, code: int, title: str, reason: str, **extra):
    context = {
        "error_code": code,
        "error_title": title,
        "error_reason": reason,
        "back_url": _back_url(request),
        **extra,
    }
    return response_class(loader.render_to_string(template, context, request))


@requires_csrf_token
def bad_request(request, message: str):
    return _render(
        request, "errors/400.html", HttpResponseBadRequest, code=400, title=_("Некорректный запрос"), reason=message
    )


@requires_csrf_token
def permission_denied(request, exception=None):
    """403 with the reason a refusal carries (``PermissionDenied(reason)``), e.g. no role, another
    region's uploads; a generic sentence when it carries none."""
    reason = str(exception) if exception is not None and str(exception) else _("У вас нет прав на эту страницу.")
    return _render(
        request, "errors/403.html", HttpResponseForbidden, code=403, title=_("Доступ запрещён"), reason=reason
    )


@requires_csrf_token
def page_not_found(request, exception=None):
    """404 without the exception's text (Django's lookups write it in English, with model names)."""
    return _render(
        request,
        "errors/404.html",
        HttpResponseNotFound,
        code=404,
        title=_("Страница не найдена"),
        reason=_("Такой страницы нет: адрес набран с ошибкой, устарел, или запись была удалена."),
        request_path=request.path,
    )


def server_error(request, message: str = ""):
    """500 from a template that needs neither the request nor the database (a page that failed may
    have failed in what its context needs); ``message`` carries the error id the log has too."""
    return HttpResponseServerError(loader.render_to_string("errors/500.html", {"message": message}))


@requires_csrf_token
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent from a stale page (or with cookies refused) is refused in words
    a user can act on, not Django's technical reason."""
    return _render(
        request,
        "errors/403_csrf.html",
        HttpResponseForbidden,
        code=403,
        title=_("Форма устарела"),
        reason=_("Форма не принята: страница была открыта слишком давно или браузер не сохранил cookie."),
    )
