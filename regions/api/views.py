"""Regions API views: thin — check access, read through a filterset or selector, shape the answer.

API tokens. A client obtains its token with `POST /api/v1/auth/token/` (username and password,
through django-axes: repeated failures lock the account out, 429). For another state system an
administrator issues a read-only token instead, with no password ever handed over:
  1. Admin → Users → add a user (no usable password needed) and set its role to
     "Внешняя система (только чтение)" in the "роль пользователя" inline;
  2. Admin → Auth Token → Tokens → add: choose that user (autocomplete) → save;
  3. hand the key from the token list over to the system; it sends `Authorization: Token <key>`.
Deleting the token revokes it. Any role reads the API; the read-only role gets 403 on every write.
"""

from datetime import timedelta

from axes.helpers import get_cool_off, get_lockout_message
from django.utils.encoding import force_str
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from ..filtersets import OrganisationFilterSet, RegionFilterSet
from ..models import Organisation, Region
from .serializers import OrganisationSerializer, RegionSerializer, TokenRequestSerializer, TokenSerializer


class AccountLockedOut(Throttled):
    """django-axes locked the username out: 429 with the cool-off in Retry-After."""


class TokenObtainView(APIView):
    """Exchange a username and password for the account's API token (created on first call)."""

    authentication_classes = []  # a browser session must not make this a CSRF-checked call
    permission_classes = []
    throttle_classes = [AnonRateThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Получить токен",
        description="Обмен имени пользователя и пароля на токен. Неверные данные — 400; после "
        "нескольких неудачных попыток вход блокируется (django-axes) — 429 с `Retry-After`.",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # axes marks the request it was given (DRF's) when the account is or becomes locked out.
            if getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request) or timedelta(0)
                raise AccountLockedOut(wait=cool_off.total_seconds(), detail=force_str(get_lockout_message()))
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response(TokenSerializer({"token": token.key}).data)


@extend_schema_view(
    list=extend_schema(summary="Регионы", description="Субъекты РФ с федеральным округом и признаком пилотного."),
    retrieve=extend_schema(summary="Регион по коду субъекта"),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    ordering_fields = ["code", "name"]
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}"
    queryset = Region.objects.select_related("federal_district").order_by("code")


@extend_schema_view(
    list=extend_schema(
        summary="Организации",
        description="Образовательные организации и органы управления образованием, с фильтрами.",
    ),
    retrieve=extend_schema(summary="Организация по её ID в Сферуме"),
)
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    # No client-chosen ordering: sorting 90,000 rows by an arbitrary column is not offered.
    filter_backends = [DjangoFilterBackend]
    lookup_field = "org_id"
    lookup_value_regex = r"[^/\x00]+"
    queryset = Organisation.objects.select_related("region", "municipality").order_by("region__code", "name", "id")
