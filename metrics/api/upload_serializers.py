"""Serializers of the upload API: an upload, its row errors and warnings, and sending one."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from regions.models import Region

from ..choices import UploadMode, UploadState, UploadStatus, WarningCode
from ..kpi import validate_accepted_week
from ..models import Upload, UploadWarning
from ..selectors import upload_warnings

# Warnings listed in an upload's answer; all of them (as stored) are in the download of its page.
WARNINGS_SHOWN = 500


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    reason = serializers.CharField(default="", help_text=_("Причина без значения ячейки (по ней считается сводка)."))
    org_id = serializers.CharField(
        default="", help_text=_("ID организации строки; пусто, если строка его не называет.")
    )
    org_name = serializers.CharField(default="", help_text=_("Наименование организации строки."))


class RowErrorCountSerializer(serializers.Serializer):
    column = serializers.CharField()
    reason = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Ошибок всего."))
    not_kept = serializers.IntegerField(help_text=_("Из них не сохранено по отдельности."))


class ErrorReportLinksSerializer(serializers.Serializer):
    csv = serializers.URLField()
    xlsx = serializers.URLField()


class UploadDiffSerializer(serializers.Serializer):
    """What the file changes against the weeks it touches (empty until the file is checked)."""

    rows_valid = serializers.IntegerField(required=False)
    new = serializers.IntegerField(required=False, help_text=_("Организаций без данных за неделю до файла."))
    changed = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    changed_totals = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text=_("Поле счётчика -> изменение суммы.")
    )
    missing_count = serializers.IntegerField(required=False, help_text=_("Организаций реестра, которых нет в файле."))
    missing_sample = serializers.ListField(child=serializers.CharField(), required=False)
    weeks = serializers.ListField(child=serializers.DateField(), required=False)


class UploadWarningSerializer(serializers.ModelSerializer):
    """A data-quality warning of an upload (DESIGN.md §5.1)."""

    code = serializers.ChoiceField(choices=WarningCode.choices)
    label = serializers.SerializerMethodField(help_text=_("Название вида предупреждения по-русски."))
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    column = serializers.CharField(
        help_text=_("Поле счётчика (staff_total …), код показателя или пусто — весь регион за неделю.")
    )
    previous = serializers.FloatField(
        allow_null=True, help_text=_("Было: число людей, доля (для показателя) или число строк.")
    )
    new = serializers.FloatField(allow_null=True, help_text=_("Стало, в тех же единицах."))
    explained_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = UploadWarning
        fields = [
            "id",
            "code",
            "label",
            "region",
            "week",
            "line",
            "org_id",
            "name",
            "column",
            "previous",
            "new",
            "message",
            "explained_at",
            "explained_by",
            "explanation",
        ]
        read_only_fields = fields

    def get_label(self, warning) -> str:
        return str(WarningCode(warning.code).label)


class UploadSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=UploadStatus.choices, read_only=True)
    state = serializers.ChoiceField(
        choices=UploadState.choices,
        read_only=True,
        help_text=_(
            "Что показывает значок: статус, где проверка без ошибок — checked, загрузка с пропуском строк — partial."
        ),
    )
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    superseded_by = serializers.IntegerField(
        source="superseded_by_id", read_only=True, allow_null=True, help_text=_("Загрузка, заменившая значения этой.")
    )
    mode = serializers.ChoiceField(choices=UploadMode.choices, read_only=True)
    region = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("Код региона; null — национальный файл.")
    )
    week = serializers.DateField(read_only=True, allow_null=True, help_text=_("Понедельник недели."))
    week_first = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Первая неделя файла (выбранная в форме или из строк).")
    )
    week_last = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Последняя неделя файла (выбранная в форме или из строк).")
    )
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    errors = serializers.SerializerMethodField(
        help_text=_("Первые ошибки строк файла (не больше UPLOAD_ERRORS_SHOWN); все — в отчёте errors_report.")
    )
    errors_total = serializers.IntegerField(read_only=True, help_text=_("Ошибок строк всего."))
    errors_summary = RowErrorCountSerializer(
        many=True, read_only=True, help_text=_("Число ошибок по столбцам и причинам, больше — выше.")
    )
    errors_report = serializers.SerializerMethodField(help_text=_("Отчёт об ошибках строк: CSV и XLSX."))
    diff = UploadDiffSerializer(read_only=True)
    warnings = serializers.SerializerMethodField(
        help_text=_("Предупреждения о качестве данных: первые 500 в порядке нахождения (все — в warning_counts).")
    )
    warnings_total = serializers.SerializerMethodField(help_text=_("Всего предупреждений о качестве данных."))
    warning_counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=_("Вид предупреждения -> сколько найдено.")
    )

    class Meta:
        model = Upload
        fields = [
            "id",
            "status",
            "state",
            "state_display",
            "superseded_by",
            "region",
            "week",
            "week_first",
            "week_last",
            "mode",
            "dry_run",
            "original_name",
            "size",
            "uploaded_by",
            "progress",
            "rows_total",
            "rows_imported",
            "rows_rejected",
            "errors",
            "errors_total",
            "errors_summary",
            "errors_report",
            "message",
            "diff",
            "created_at",
            "started_at",
            "finished_at",
            "warnings",
            "warnings_total",
            "warning_counts",
        ]
        read_only_fields = fields

    @extend_schema_field(UploadWarningSerializer(many=True))
    def get_warnings(self, upload) -> list:
        if not upload.warning_counts:  # nothing to read
            return []
        return UploadWarningSerializer(upload_warnings(upload=upload, limit=WARNINGS_SHOWN), many=True).data

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_errors(self, upload) -> list:
        return RowErrorSerializer(upload.errors[: settings.UPLOAD_ERRORS_SHOWN], many=True).data

    @extend_schema_field(ErrorReportLinksSerializer)
    def get_errors_report(self, upload) -> dict:
        request = self.context.get("request")
        return {
            fmt: reverse("api:upload-errors", kwargs={"pk": upload.pk, "fmt": fmt}, request=request)
            for fmt in ("csv", "xlsx")
        }

    def get_warnings_total(self, upload) -> int:
        return sum(upload.warning_counts.values())


class UploadListSerializer(UploadSerializer):
    """An upload in the history: without its row errors, diff and warnings (their counts stay), which
    the upload's own call gives."""

    class Meta(UploadSerializer.Meta):
        fields = [f for f in UploadSerializer.Meta.fields if f not in ("errors", "errors_summary", "diff", "warnings")]
        read_only_fields = fields


class UploadCreateSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255, allow_empty_file=True)
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Код региона; без него — национальный файл со столбцом «Код региона»."),
    )
    week = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_accepted_week],
        help_text=_("Любой день недели, YYYY-MM-DD; с недели DATA_WEEK_MIN по следующую за текущей."),
    )
    mode = serializers.ChoiceField(choices=UploadMode.choices, default=UploadMode.ATOMIC)
    dry_run = serializers.BooleanField(default=False)
