"""Project middleware: login and role required on every page, and requests refused before any view."""

from datetime import datetime

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _

from dashboard.forms import WEEK_INPUT_FORMATS
from metrics.kpi import accepted_weeks
from regions.selectors import user_role


def _is_api_view(view_func) -> bool:
    """DRF views authenticate (token or session) and check the role themselves (RolePermission)."""
    return getattr(view_func, "cls", None) is not None and hasattr(view_func.cls, "permission_classes")


def _is_admin(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every page needs a login; API views answer 401 through DRF's own authentication instead."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_api_view(view_func):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def role_not_required(view_func):
    """Mark a page open to a signed-in account without a role (login, logout, language)."""
    view_func.role_required = False
    return view_func


class RoleRequiredMiddleware:
    """A signed-in account without a role gets a plain 403 on every page, export, template and the
    docs, as the API refuses it (RolePermission; the schema and docs through SERVE_PERMISSIONS).
    New pages are covered by default; the admin keeps its own permissions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or not getattr(view_func, "role_required", True):
            return None
        if _is_api_view(view_func) or _is_admin(request) or user_role(user) is not None:
            return None
        raise PermissionDenied(_("У учётной записи нет роли: обратитесь к администратору."))


class RequestGuardMiddleware:
    """Requests no view should see, refused with 400 before any of them runs: a NUL character in the
    path or the query (PostgreSQL refuses NUL in text, so a lookup would fail with a 500), and a
    ``week`` query parameter of a read naming a date outside the accepted weeks
    (metrics.kpi.accepted_weeks; the years 1 and 9999 overflow date arithmetic). A ``week`` that
    is not a date is left to the view: pages ignore it, the API answers 400. Forms, serializers and
    filters check the range too (metrics.kpi.validate_accepted_week): this makes it a 400 that
    says why on every page, where a bad filter is otherwise ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest(_("Некорректный адрес запроса."))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("GET", "HEAD") or _is_admin(request):
            # Reads only (another method gets the view's own answer, e.g. 405); the admin's week
            # filter lists the weeks stored, whatever they are.
            return None
        for text in request.GET.getlist("week"):
            day = _parse_week(text)
            if day is None:
                continue
            weeks = accepted_weeks()
            if day not in weeks:
                if _is_api_view(view_func):  # the API's shape of a parameter's error
                    return JsonResponse(
                        {"week": [weeks.message]}, status=400, json_dumps_params={"ensure_ascii": False}
                    )
                raise BadRequest(weeks.message)
        return None


def _parse_week(text: str):
    """The date a ?week= names, read as the pages read it (the API reads the first format); or None."""
    for fmt in WEEK_INPUT_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None
