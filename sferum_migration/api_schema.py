"""The OpenAPI side of /api/v1/: every call documents the error answers it may give."""

from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error with one message."""

    detail = serializers.CharField(help_text=gettext_lazy("Причина, по-русски (или на языке Accept-Language)."))


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": gettext_lazy(
        "Ошибки по полям и параметрам: имя поля -> список сообщений "
        "(`detail` или `non_field_errors` — ошибки запроса в целом)."
    ),
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
    },
}

ERROR_RESPONSES = {
    "400": (VALIDATION_ERROR_SCHEMA, gettext_lazy("Неверный параметр или поле запроса.")),
    "401": (ErrorSerializer, gettext_lazy("Нет учётных данных или они неверны (заголовок `Authorization: Token …`).")),
    "403": (ErrorSerializer, gettext_lazy("Учётной записи это недоступно (роль или регион).")),
    "404": (ErrorSerializer, gettext_lazy("Объект или страница списка не найдены.")),
    "429": (
        ErrorSerializer,
        gettext_lazy(
            "Превышен лимит запросов или вход заблокирован после неудачных попыток; "
            "заголовок `Retry-After` — через сколько секунд повторить."
        ),
    ),
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the common error answers added to every call."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERROR_RESPONSES)
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = (
                ErrorSerializer,
                gettext_lazy("Тело запроса не того типа или не разбирается (multipart, JSON)."),
            )
        for code, (body, description) in errors.items():
            if body is VALIDATION_ERROR_SCHEMA:
                body = self._validation_error_ref()
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=body, description=description), code, direction=direction
                )
        return responses

    def _validation_error_ref(self):
        component = ResolvedComponent(
            name="ValidationError",
            type=ResolvedComponent.SCHEMA,
            schema=VALIDATION_ERROR_SCHEMA,
            object="ValidationError",
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": gettext_lazy("Через сколько секунд повторить запрос."),
            }
        return headers
