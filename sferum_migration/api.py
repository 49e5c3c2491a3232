"""What every call of /api/v1/ shares: pagination and JSON errors (the schema side: api_schema.py).

Imported by DRF's settings while rest_framework itself loads: nothing here may import its views' modules."""

import logging
import sys

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import error_pages
from .exceptions import ApplicationError, ServiceUnavailable, is_permission_refusal, new_error_id

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ApiPagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; the client may ask for up to 1000 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 1000


class KeysFirstPaginator(Paginator):
    """Pages of a list of millions of rows: the page's primary keys first, from an index that
    holds the whole ordering (the offset is skipped inside the index, not by reading rows), then
    those rows alone. One query more than a plain page; a page deep in the list costs about what
    the first one does."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = self.object_list.order_by().in_bulk(keys)
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


class LargeListPagination(ApiPagination):
    """ApiPagination for the lists of millions of rows (weekly snapshots)."""

    django_paginator_class = KeysFirstPaginator


def exception_handler(exc, context):
    """DRF's handler, plus the domain's ApplicationError and the request errors Django raises
    itself (a body over the size limit); every error answers JSON, also from the views that render
    YAML (schema) or HTML (Swagger UI)."""
    if isinstance(exc, ApplicationError):
        exc = _api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, RequestDataTooBig):
        response = Response(
            {"detail": _("Тело запроса слишком велико.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    elif response is None and isinstance(exc, SuspiciousOperation):
        response = Response({"detail": _("Некорректный запрос.")}, status=status.HTTP_400_BAD_REQUEST)
    request = context.get("request")
    if response is not None and request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def _api_exception(error: ApplicationError) -> exceptions.APIException:
    """A refused permission is a 403, a service out of order a 503, any other refusal a 400; the body
    is ``{"detail": message}``."""
    if is_permission_refusal(error):
        return exceptions.PermissionDenied(error.message, code=error.code)
    if isinstance(error, ServiceUnavailable):
        unavailable = exceptions.APIException(error.message, code=error.code)
        unavailable.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return unavailable
    return exceptions.ValidationError({"detail": error.message}, code=error.code)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def handler400(request, exception=None):
    """A refused request: JSON under /api/, a page in the layout elsewhere; the project's own refusals
    (BadRequest, e.g. a week outside the accepted range) say why, Django's others do not."""
    message = str(exception) if type(exception) is BadRequest and str(exception) else _("Некорректный запрос.")
    if _is_api(request):
        return JsonResponse({"detail": message}, status=400)
    return error_pages.bad_request(request, message)


def handler403(request, exception=None):
    """A refusal outside DRF's views: JSON under /api/ (the docs and schema), a page elsewhere."""
    if _is_api(request):
        reason = str(exception) if exception is not None and str(exception) else _("Доступ запрещён.")
        return JsonResponse({"detail": reason}, status=403)
    return error_pages.permission_denied(request, exception)


def handler404(request, exception=None):
    """An unknown address under /api/ answers JSON; a page in the layout elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": _("Адрес не найден.")}, status=404)
    return error_pages.page_not_found(request, exception)


def handler500(request):
    """An unexpected error: the user gets an error id (JSON under /api/, a page elsewhere that needs
    no database), the log gets the same id with the traceback."""
    error_id = new_error_id()
    logger.error("Internal server error [error %s] on %s", error_id, request.path, exc_info=sys.exc_info())
    message = _("Внутренняя ошибка сервера. Код ошибки: %(id)s. Сообщите его администратору.") % {"id": error_id}
    if _is_api(request):
        return JsonResponse({"detail": message, "error_id": error_id}, status=500)
    return error_pages.server_error(request, message)
