"""Serializers of the metrics API: input validation and output shape only."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from regions.choices import OrganisationKind
from regions.models import Region

from ..choices import KpiCode, ScheduleStatus, UploadMode, UploadStatus
from ..constants import NO_DATA
from ..counts import COUNT_FIELDS
from ..kpi import monday_of, validate_accepted_week
from ..models import Upload, WeeklySnapshot

# A region or the country is not ready because of these KPIs, or because nothing was reported.
BLOCKING_CHOICES = [*KpiCode.choices, (NO_DATA, _("Нет данных за неделю"))]


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


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


class UploadSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=UploadStatus.choices, read_only=True)
    mode = serializers.ChoiceField(choices=UploadMode.choices, read_only=True)
    region = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("Код региона; null — национальный файл.")
    )
    week = serializers.DateField(read_only=True, allow_null=True, help_text=_("Понедельник недели."))
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True, help_text=_("Все ошибки строк файла."))
    diff = UploadDiffSerializer(read_only=True)

    class Meta:
        model = Upload
        fields = [
            "id",
            "status",
            "region",
            "week",
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
            "message",
            "diff",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class UploadListSerializer(UploadSerializer):
    """An upload in the history: without its row errors and diff, which the upload's own call gives."""

    class Meta(UploadSerializer.Meta):
        fields = [f for f in UploadSerializer.Meta.fields if f not in ("errors", "diff")]
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


# --- KPIs -----------------------------------------------------------------------------------------


class WeekQuerySerializer(serializers.Serializer):
    week = serializers.DateField(
        required=False,
        validators=[validate_accepted_week],
        help_text=_(
            "Любой день недели, YYYY-MM-DD; берётся её понедельник. Без параметра — последняя неделя с данными."
        ),
    )

    def validate_week(self, value):
        return monday_of(value)


class SummaryQuerySerializer(WeekQuerySerializer):
    federal_district = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        help_text=_("Только регионы федерального округа (код, например ЦФО); пусто — все."),
    )
    pilot = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Только пилотные (true) или непилотные (false).")
    )


class HistoryQuerySerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=KpiCode.choices, help_text=_("Код показателя."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = ", ".join(KpiCode.values)
        self.fields["kpi"].error_messages["invalid_choice"] = _("Неизвестный код показателя «{input}».") + (
            f" {_('Допустимые коды')}: {codes}."
        )
        self.fields["kpi"].error_messages["required"] = f"{_('Укажите код показателя')}: {codes}."


FRACTION = {"min_value": 0, "max_value": 1}


class KpiStatusSerializer(serializers.Serializer):
    """One KPI of a scope for one week. Fractions are in [0, 1]; no data: value, met and delta are null."""

    code = serializers.ChoiceField(choices=KpiCode.choices)
    name = serializers.CharField()
    short_name = serializers.CharField()
    value = serializers.FloatField(
        allow_null=True, **FRACTION, help_text=_("Σ числитель / Σ знаменатель; null — нет данных.")
    )
    numerator = serializers.IntegerField(min_value=0)
    denominator = serializers.IntegerField(min_value=0)
    target = serializers.FloatField(**FRACTION, help_text=_("Целевое значение."))
    met = serializers.BooleanField(allow_null=True, help_text=_("value ≥ target; null — нет данных."))
    delta = serializers.FloatField(allow_null=True, help_text=_("Изменение value к предыдущей неделе."))
    schedule_status = serializers.ChoiceField(
        choices=ScheduleStatus.choices, allow_null=True, help_text=_("Статус по графику текущего этапа.")
    )
    projected_date = serializers.DateField(
        allow_null=True, help_text=_("Когда цель будет достигнута при текущем тренде; null — не при текущем тренде.")
    )
    planned = serializers.FloatField(allow_null=True, help_text=_("Плановое значение на эту неделю по дорожной карте."))
    orgs_reported = serializers.IntegerField(min_value=0, help_text=_("Организаций, приславших данные за неделю."))
    orgs_total = serializers.IntegerField(min_value=0, help_text=_("Организаций в реестре."))


class StageSerializer(serializers.Serializer):
    """What every view of a roadmap stage shows."""

    order = serializers.IntegerField()
    title = serializers.CharField()
    start = serializers.DateField()
    deadline = serializers.DateField()
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrganisationKind.choices), help_text=_("Пусто — все типы.")
    )


class StageStatusSerializer(StageSerializer):
    status = serializers.ChoiceField(choices=ScheduleStatus.choices)
    kpis = serializers.ListField(child=serializers.ChoiceField(choices=KpiCode.choices))


class ScopeKpisSerializer(serializers.Serializer):
    """The four KPIs of a scope for one week and its schedule state."""

    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    has_data = serializers.BooleanField(help_text=_("Прислала ли данные за неделю хоть одна организация."))
    status = serializers.ChoiceField(
        choices=ScheduleStatus.choices, allow_null=True, help_text=_("Худший статус этапов; null — нет расчёта.")
    )
    ready = serializers.BooleanField(allow_null=True, help_text=_("Все показатели с данными на цели."))
    blocking = serializers.ListField(child=serializers.ChoiceField(choices=BLOCKING_CHOICES))
    orgs_reported = serializers.IntegerField(min_value=0)
    orgs_total = serializers.IntegerField(min_value=0)
    kpis = KpiStatusSerializer(many=True)
    stages = StageStatusSerializer(many=True)


class RegionKpisSerializer(ScopeKpisSerializer):
    region = serializers.CharField(source="region.code", help_text=_("Код региона."))

    def get_fields(self):
        fields = super().get_fields()
        return {"region": fields.pop("region"), **fields}


class KpiPointSerializer(serializers.Serializer):
    week = serializers.DateField()
    value = serializers.FloatField(allow_null=True, **FRACTION)
    numerator = serializers.IntegerField(min_value=0)
    denominator = serializers.IntegerField(min_value=0)
    target = serializers.FloatField(**FRACTION)
    met = serializers.BooleanField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)
    planned = serializers.FloatField(allow_null=True, help_text=_("Плановое значение по дорожной карте."))
    orgs_reported = serializers.IntegerField(min_value=0)
    orgs_total = serializers.IntegerField(min_value=0)


class StageDeadlineSerializer(StageSerializer):
    target = serializers.FloatField(
        allow_null=True, **FRACTION, help_text=_("Цель этапа по этому показателю; null — этап его не проверяет.")
    )


class KpiHistorySerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code", help_text=_("Код региона."))
    kpi = serializers.ChoiceField(choices=KpiCode.choices)
    target = serializers.FloatField(**FRACTION)
    series = KpiPointSerializer(many=True, help_text=_("Недели с данными, от старых к новым."))
    stages = StageDeadlineSerializer(many=True, help_text=_("Этапы дорожной карты региона."))


class CompactKpiSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=KpiCode.choices)
    value = serializers.FloatField(allow_null=True, **FRACTION)
    numerator = serializers.IntegerField(min_value=0)
    denominator = serializers.IntegerField(min_value=0)
    met = serializers.BooleanField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)
    schedule_status = serializers.ChoiceField(choices=ScheduleStatus.choices, allow_null=True)
    projected_date = serializers.DateField(allow_null=True)
    planned = serializers.FloatField(allow_null=True)


class KpiListField(serializers.ListField):
    """The summary keeps a region's KPIs by code; the API gives them as a list in display order."""

    child = CompactKpiSerializer()

    def to_representation(self, data):
        return super().to_representation(list(data.values()))


class RegionSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    federal_district = serializers.CharField()
    pilot = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ScheduleStatus.choices, allow_null=True)
    ready = serializers.BooleanField(allow_null=True)
    blocking = serializers.ListField(child=serializers.ChoiceField(choices=BLOCKING_CHOICES))
    orgs_reported = serializers.IntegerField(min_value=0)
    orgs_total = serializers.IntegerField(min_value=0)
    projected_date = serializers.DateField(
        allow_null=True, help_text=_("Когда все показатели с данными будут на цели при текущем тренде.")
    )
    kpis = KpiListField()


class KpiSummarySerializer(serializers.Serializer):
    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    country = ScopeKpisSerializer(help_text=_("Показатели России."))
    regions = RegionSummarySerializer(many=True)


# --- snapshots ------------------------------------------------------------------------------------


class SnapshotSerializer(serializers.ModelSerializer):
    org_id = serializers.CharField(source="organisation.org_id", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True, help_text=_("Код региона."))
    upload = serializers.IntegerField(
        source="upload_id", read_only=True, allow_null=True, help_text=_("Загрузка, из которой строка.")
    )

    class Meta:
        model = WeeklySnapshot
        fields = ["id", "org_id", "region", "week", *COUNT_FIELDS, "upload", "updated_at"]
        read_only_fields = fields
