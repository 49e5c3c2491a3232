"""Metrics API views: thin — check access, call a selector or service, shape the answer."""

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from regions.models import Region
from sferum_migration.api import LargeListPagination
from sferum_migration.downloads import table_streaming_response

from ..choices import ScopeType
from ..counts import COUNT_FIELDS
from ..filtersets import SnapshotFilterSet, UploadFilterSet
from ..models import WeeklySnapshot
from ..selectors import (
    country_summary,
    default_week,
    region_kpi_history,
    reporting_register,
    scope_kpi_status,
    upload_error_headers,
    upload_error_rows,
    upload_get_for_user,
    uploads_for_user,
    week_changes,
    week_info,
)
from ..services import upload_create
from .serializers import (
    ChangesQuerySerializer,
    HistoryQuerySerializer,
    KpiHistorySerializer,
    KpiSummarySerializer,
    RegionKpisSerializer,
    ReportingQuerySerializer,
    ReportingRegisterSerializer,
    SnapshotSerializer,
    SummaryQuerySerializer,
    UploadCreateSerializer,
    UploadListSerializer,
    UploadSerializer,
    WeekChangesSerializer,
    WeekQuerySerializer,
)

NO_DATA_NOTE = gettext_lazy(
    "Неделя без данных — ответ 200: `value`, `met`, `delta` равны null, числитель и знаменатель 0, "
    "`has_data` false. Без `week` — последняя закрытая неделя с данными (её срок отчётности `deadline` "
    "прошёл); открытую неделю можно запросить явно, тогда `provisional` true. "
    "Если данных нет совсем, `week` равен null."
)


class RegionScopedView(generics.GenericAPIView):
    """A call about one region, found by its subject code (unknown code: 404)."""

    queryset = Region.objects.all()
    lookup_field = "code"
    filter_backends = []
    pagination_class = None

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFound(_("Нет региона с кодом «%(code)s».") % {"code": self.kwargs["code"]}) from None

    def query(self, serializer_class):
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class RegionKpisView(RegionScopedView):
    serializer_class = RegionKpisSerializer

    @extend_schema(
        summary=gettext_lazy("KPI региона за неделю"),
        description=format_lazy(
            "{} {}",
            gettext_lazy(
                "Четыре показателя региона за неделю: значение, цель, выполнение, изменение за неделю, "
                "статус по графику и прогноз даты достижения цели. Доли — в [0, 1]."
            ),
            NO_DATA_NOTE,
        ),
        parameters=[WeekQuerySerializer],
        responses={200: RegionKpisSerializer},
    )
    def get(self, request, code):
        region = self.get_object()
        week = self.query(WeekQuerySerializer).get("week") or default_week()
        state = scope_kpi_status(scope=ScopeType.REGION, scope_id=region.id, week=week)
        return Response(RegionKpisSerializer({"region": region, **state, **week_info(week)}).data)


class RegionKpiHistoryView(RegionScopedView):
    serializer_class = KpiHistorySerializer

    @extend_schema(
        summary=gettext_lazy("История KPI региона"),
        description=gettext_lazy(
            "Понедельный ряд одного показателя региона (недели с данными, от старых к новым), "
            "его цель и сроки этапов дорожной карты региона. Неизвестный код показателя — 400 со списком допустимых."
        ),
        parameters=[HistoryQuerySerializer],
        responses={200: KpiHistorySerializer},
    )
    def get(self, request, code):
        region = self.get_object()
        kpi = self.query(HistoryQuerySerializer)["kpi"]
        return Response(KpiHistorySerializer(region_kpi_history(region=region, kpi=kpi)).data)


class KpiSummaryView(APIView):
    @extend_schema(
        summary=gettext_lazy("KPI России и сводка по регионам"),
        description=format_lazy(
            "{} {}",
            gettext_lazy(
                "Показатели России за неделю и по одной строке на регион (из предрасчитанных значений), "
                "с фильтрами по федеральному округу, пилотности и статусу графика."
            ),
            NO_DATA_NOTE,
        ),
        parameters=[SummaryQuerySerializer],
        responses={200: KpiSummarySerializer},
    )
    def get(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = query.validated_data.get("week") or default_week()
        summary = country_summary(
            week=week,
            district=query.validated_data.get("federal_district"),
            pilot=query.validated_data.get("pilot"),
            status=query.validated_data.get("status"),
        )
        return Response(KpiSummarySerializer({**summary, **week_info(week)}).data)


class ReportingView(APIView):
    @extend_schema(
        summary=gettext_lazy("Отчётность регионов за неделю: кто не отчитался"),
        description=gettext_lazy(
            "По каждому региону — статус отчётности (`on_time`, `late`, `partial`, `missing`), время "
            "первой и последней загрузки, кто прислал последний файл, организаций отчиталось из реестра и охват; "
            "худшие первыми (missing, partial, late, on_time), затем по коду. "
            "Все регионы одной страницей (не больше 89), "
            "без пагинации. `counts` и `coverage` — по регионам округа до фильтра по статусу. Без `week` — последняя "
            "закрытая неделя с данными; открытая неделя — `provisional` true."
        ),
        parameters=[ReportingQuerySerializer],
        responses={200: ReportingRegisterSerializer},
    )
    def get(self, request):
        query = ReportingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = query.validated_data.get("week") or default_week()
        register = (
            reporting_register(
                week=week,
                district=query.validated_data.get("federal_district"),
                status=query.validated_data.get("status"),
            )
            if week
            else {"week": None, "rows": [], "counts": {}, "coverage": {"reported": 0, "total": 0}}
        )
        body = {**register, "regions": register["rows"], **week_info(week)}
        body["counts"] = {
            status: register["counts"].get(status, 0) for status in ("missing", "partial", "late", "on_time")
        }
        return Response(ReportingRegisterSerializer(body).data)


class KpiChangesView(APIView):
    @extend_schema(
        summary=gettext_lazy("Что изменилось за неделю"),
        description=gettext_lazy(
            "Сравнение недели с последней неделей с данными до неё (из предрасчитанных статусов, "
            "значений и отчётности): регионы, сменившие статус графика (сначала ухудшения); показатели, "
            "пересёкшие цель в любую сторону; пять регионов с наибольшим ростом и снижением по каждому показателю "
            "(доли, только регионы с данными обе недели); регионы, отчитавшиеся неделей раньше и не приславшие "
            "ничего за эту. Без `week` — неделя по умолчанию, как на страницах (последняя закрытая с данными)."
        ),
        parameters=[ChangesQuerySerializer],
        responses={200: WeekChangesSerializer},
    )
    def get(self, request):
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = query.validated_data.get("week") or default_week()
        changes = week_changes(week=week)
        return Response(WeekChangesSerializer({**changes, "provisional": week_info(week)["provisional"]}).data)


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Недельные срезы активности"),
        description=gettext_lazy(
            "Строки организаций по неделям, новые недели первыми. Фильтры `region` и `week` "
            "идут по индексу (неделя, регион); `week` — понедельник недели."
        ),
    ),
)
class SnapshotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilterSet
    pagination_class = LargeListPagination
    # Newest week first, in the order of a backward scan of the (week, region) index: the first page
    # of 4.7M rows reads 100 of them (ascending regions would sort a whole week). No client-chosen
    # ordering over millions of rows.
    filter_backends = [DjangoFilterBackend]
    queryset = (
        WeeklySnapshot.objects.select_related("organisation", "region")
        .only("id", "week", "upload_id", "updated_at", *COUNT_FIELDS, "organisation__org_id", "region__code")
        .order_by("-week", "-region_id", "-id")
    )


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("История загрузок"),
        description=gettext_lazy(
            "Загрузки, которые видит учётная запись: все — министерству и администратору, "
            "своего региона — координатору. Ошибки строк — в ответе по одной загрузке."
        ),
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("Загрузка: статус, счётчики и ошибки строк"),
        description=gettext_lazy(
            "В `errors` — первые ошибки строк (не больше `UPLOAD_ERRORS_SHOWN`, по умолчанию 1 000); "
            "`errors_total` — сколько их всего, `errors_summary` — их число по столбцам и причинам, "
            "`errors_report` — ссылки на отчёт об ошибках (CSV, XLSX)."
        ),
    ),
)
class UploadViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Weekly activity files: send one, follow its status, read the upload history."""

    serializer_class = UploadSerializer
    filterset_class = UploadFilterSet
    parser_classes = [MultiPartParser, FormParser]
    ordering_fields = ["created_at", "id"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        # Without the row errors and the diff (uploads_for_user defers them): the list never reads them.
        return uploads_for_user(user=self.request.user)

    def get_serializer_class(self):
        return UploadListSerializer if self.action == "list" else UploadSerializer

    def get_object(self):
        # Not the list's queryset: another region's upload answers 403, not 404.
        return upload_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary=gettext_lazy("Отчёт об ошибках строк загрузки (CSV или XLSX)"),
        description=gettext_lazy(
            "Сохранённые ошибки строк (первые `UPLOAD_ERRORS_KEPT`, по умолчанию 10 000) с ID и "
            "наименованием организации, затем — сколько ошибок не сохранено по отдельности, по столбцам и "
            "причинам. Ответ передаётся потоком."
        ),
        parameters=[OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path=r"errors/(?P<fmt>csv|xlsx)", url_name="errors")
    def errors(self, request, pk=None, fmt="csv"):
        upload = self.get_object()
        rows = upload_error_rows(upload=upload)
        return table_streaming_response(fmt, f"oshibki-zagruzki-{upload.pk}", upload_error_headers(), rows)

    @extend_schema(
        summary=gettext_lazy("Отправить файл недельной активности"),
        description=gettext_lazy(
            "Файл сохраняется как прислан и ставится в очередь на импорт: ответ 202 сразу, "
            "статус и ошибки — по `GET /api/v1/uploads/{id}/` (ссылка в заголовке `Location`). "
            "Координатор — только по своему региону (иначе 403, ничего не сохраняется); "
            "без `region` — национальный файл со столбцом «Код региона» (только министерство)."
        ),
        request=UploadCreateSerializer,
        responses={202: UploadSerializer},
    )
    def create(self, request, *args, **kwargs):
        form = UploadCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = upload_create(user=request.user, **form.validated_data)
        upload = upload_get_for_user(user=request.user, pk=upload.pk)
        location = reverse("api:upload-detail", kwargs={"pk": upload.pk}, request=request)
        return Response(
            UploadSerializer(upload, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )
