"""Regions API views: thin — check access, read through a filterset or selector, shape the answer.

API tokens (django-rest-knox: only a hash of each key is stored; each expires after
API_TOKEN_TTL_DAYS). A client obtains a token with `POST /api/v1/auth/token/` (username and
password, through django-axes: repeated failures lock the account out, 429) and revokes it with
`POST /api/v1/auth/logout/`. A token dies with a password change, a lost role or a disabled account.
For another state system an administrator issues a read-only token instead, with no password ever
handed over:
  1. Admin → Users → add a user (no usable password needed) and set its role to
     "Внешняя система (только чтение)" in the "роль пользователя" inline;
  2. Admin → API-токены → add: choose that user (autocomplete) → save;
  3. hand over the key shown on the next page (only once: it is not stored); the system sends
     `Authorization: Token <key>`.
Deleting the token in the admin revokes it. Any role reads the API; the read-only role gets 403 on
every write.
"""

from datetime import timedelta

from axes.helpers import get_cool_off, get_lockout_message
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sferum_migration.exceptions import PermissionRefused
from sferum_migration.throttling import AnonRateThrottle

from ..filtersets import OrganisationFilterSet, RegionFilterSet
from ..models import Organisation, Region
from ..services import api_token_create, api_token_revoke
from .authentication import ApiTokenAuthentication
from .serializers import OrganisationSerializer, RegionSerializer, TokenRequestSerializer, TokenSerializer


class AccountLockedOut(Throttled):
    """django-axes locked the username out: 429 with the cool-off in Retry-After."""


class TokenObtainView(APIView):
    """Exchange a username and password for a new API token."""

    authentication_classes = []  # a browser session must not make this a CSRF-checked call
    permission_classes = []
    throttle_classes = [AnonRateThrottle]  # the project's: it fails open when the cache is down
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="auth_token_create",
        summary=_("Получить токен"),
        description=_(
            "Обмен имени пользователя и пароля на новый токен с датой окончания `expiry`. "
            "Ключ показывается один раз (хранится только хеш). Токен перестаёт действовать при выходе "
            "(`POST /api/v1/auth/logout/`), смене пароля, потере роли или отключении учётной записи. "
            "Неверные данные — 400; учётная запись без роли — 403; после нескольких неудачных попыток "
            "вход блокируется (django-axes) — 429 с `Retry-After`."
        ),
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
        try:
            token, key = api_token_create(user=serializer.validated_data["user"])
        except PermissionRefused as refused:
            raise PermissionDenied(refused.message) from refused
        return Response(TokenSerializer({"token": key, "expiry": token.expiry}).data)


class TokenLogoutView(APIView):
    """Revoke the token this call is made with."""

    authentication_classes = [ApiTokenAuthentication]
    # Any account may end its own token, the read-only role's too (RolePermission refuses its writes).
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout_create",
        summary=_("Отозвать токен"),
        description=_(
            "Отзывает токен, с которым сделан запрос (заголовок `Authorization: Token …`). "
            "Другие токены учётной записи продолжают действовать."
        ),
        request=None,
        responses={204: OpenApiResponse(description=_("Токен отозван."))},
    )
    def post(self, request):
        api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary=_("Регионы"), description=_("Субъекты РФ с федеральным округом и признаком пилотного.")),
    retrieve=extend_schema(summary=_("Регион по коду субъекта")),
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
        summary=_("Организации"),
        description=_("Образовательные организации и органы управления образованием, с фильтрами."),
    ),
    retrieve=extend_schema(summary=_("Организация по её ID в Сферуме")),
)
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    # No client-chosen ordering: sorting 90,000 rows by an arbitrary column is not offered.
    filter_backends = [DjangoFilterBackend]
    lookup_field = "org_id"
    lookup_value_regex = r"[^/\x00]+"
    queryset = Organisation.objects.select_related("region", "municipality").order_by("region__code", "name", "id")
