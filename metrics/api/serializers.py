"""Serializers of the metrics API: input validation and output shape only."""

from datetime import UTC

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from regions.choices import OrganisationKind

from ..choices import KpiCode, ReportingStatus, ScheduleStatus
from ..constants import NO_DATA
from ..counts import COUNT_FIELDS
from ..kpi import monday_of, validate_accepted_week
from ..models import WeeklySnapshot
from .upload_serializers import (  # noqa: F401 (the upload API's serializers, imported from here too)
    WARNINGS_SHOWN,
    ErrorReportLinksSerializer,
    RowErrorCountSerializer,
    RowErrorSerializer,
    UploadCreateSerializer,
    UploadDiffSerializer,
    UploadListSerializer,
    UploadSerializer,
    UploadWarningSerializer,
)

# A region or the country is not ready because of these KPIs, or because nothing was reported.
BLOCKING_CHOICES = [*KpiCode.choices, (NO_DATA, _("Нет данных за неделю"))]


# --- KPIs -----------------------------------------------------------------------------------------


class WeekQuerySerializer(serializers.Serializer):
    week = serializers.DateField(
        required=False,
        validators=[validate_accepted_week],
        help_text=_(
            "Любой день недели, YYYY-MM-DD; берётся её понедельник. Без параметра — последняя закрытая "
            "неделя с данными (срок отчётности прошёл)."
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
    status = serializers.ChoiceField(
        choices=ScheduleStatus.choices,
        required=False,
        help_text=_("Только регионы с этим статусом графика."),
    )


class HistoryQuerySerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=KpiCode.choices, help_text=_("Код показателя."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = ", ".join(KpiCode.values)
        self.fields["kpi"].error_messages["invalid_choice"] = (
            _("Неизвестный код показателя «{input}».") + " " + _("Допустимые коды: %(codes)s.") % {"codes": codes}
        )
        self.fields["kpi"].error_messages["required"] = _("Укажите код показателя: %(codes)s.") % {"codes": codes}


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


class BlockerSerializer(serializers.Serializer):
    """A KPI that holds a verdict back: its value in the stage's organisation kinds, the target and
    the gap (value − target), all fractions."""

    kpi = serializers.ChoiceField(choices=KpiCode.choices)
    value = serializers.FloatField(allow_null=True, help_text=_("null — нет данных."))
    target = serializers.FloatField(**FRACTION)
    gap = serializers.FloatField(allow_null=True, help_text=_("value − target (отрицательный — ниже цели)."))


class CoverageSerializer(serializers.Serializer):
    """Organisations with a snapshot for the week, of the organisations in the registry."""

    reported = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0, help_text=_("Организаций в реестре."))


class StageStatusSerializer(StageSerializer):
    status = serializers.ChoiceField(choices=ScheduleStatus.choices)
    kpis = serializers.ListField(child=serializers.ChoiceField(choices=KpiCode.choices))
    done_on = serializers.DateField(
        allow_null=True, help_text=_("Первая неделя, с которой все показатели этапа на цели (этап выполнен).")
    )
    on_time = serializers.BooleanField(allow_null=True, help_text=_("Выполнен к сроку (true) или с опозданием."))
    late_since = serializers.DateField(allow_null=True, help_text=_("Срок просроченного этапа."))
    blocking = BlockerSerializer(many=True, default=list, help_text=_("Показатели этапа ниже цели."))


class VerdictFieldsSerializer(serializers.Serializer):
    """What a scope's verdict says (DESIGN.md §4.1): its status, since when, why, on what coverage."""

    status = serializers.ChoiceField(
        choices=ScheduleStatus.choices, allow_null=True, help_text=_("Худший статус этапов; null — нет расчёта.")
    )
    status_since = serializers.DateField(
        allow_null=True, help_text=_("Первая неделя непрерывного периода с этим статусом.")
    )
    ready = serializers.BooleanField(allow_null=True, help_text=_("Все показатели с данными на цели."))
    blocking = serializers.ListField(child=serializers.ChoiceField(choices=BLOCKING_CHOICES))
    blocking_detail = BlockerSerializer(
        many=True, help_text=_("Что мешает: показатели ниже цели со значением, целью и отставанием.")
    )
    orgs_reported = serializers.IntegerField(min_value=0, help_text=_("Организаций, приславших данные за неделю."))
    orgs_total = serializers.IntegerField(min_value=0, help_text=_("Организаций в реестре."))
    coverage = CoverageSerializer(help_text=_("Охват недели по реестру: то же, что orgs_reported / orgs_total."))


class ScopeKpisSerializer(VerdictFieldsSerializer):
    """The four KPIs of a scope for one week and its schedule state."""

    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    has_data = serializers.BooleanField(help_text=_("Прислала ли данные за неделю хоть одна организация."))
    kpis = KpiStatusSerializer(many=True)
    stages = StageStatusSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        # The order of the fields before the verdict's were added.
        first = ("week", "has_data", "status", "status_since", "ready", "blocking", "blocking_detail")
        return {**{name: fields.pop(name) for name in first}, **fields}


class DeadlineField(serializers.DateTimeField):
    """A deadline in the product's time zone (``+03:00``). For a week before 1919 Moscow kept local
    mean time, an offset with seconds that RFC 3339 cannot write: such a moment is given in UTC."""

    def to_representation(self, value):
        if value is not None and timezone.localtime(value).utcoffset().seconds % 60:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


class WeekInfoSerializer(serializers.Serializer):
    """The week's reporting deadline and whether its figures are still provisional."""

    deadline = DeadlineField(
        allow_null=True, help_text=_("Срок отчётности за неделю (по умолчанию вторник 12:00 МСК после недели).")
    )
    provisional = serializers.BooleanField(
        help_text=_("true — неделя ещё открыта (срок не прошёл): данные предварительные.")
    )


class RegionKpisSerializer(ScopeKpisSerializer, WeekInfoSerializer):
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


class RegionSummarySerializer(VerdictFieldsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    federal_district = serializers.CharField()
    pilot = serializers.BooleanField()
    reporting_status = serializers.ChoiceField(
        choices=ReportingStatus.choices, help_text=_("Отчётность региона за неделю (как в /api/v1/reporting/).")
    )
    projected_date = serializers.DateField(
        allow_null=True, help_text=_("Когда все показатели с данными будут на цели при текущем тренде.")
    )
    kpis = KpiListField()

    def get_fields(self):
        fields = super().get_fields()
        first = ("code", "name", "federal_district", "pilot")
        return {**{name: fields.pop(name) for name in first}, **fields}


class KpiSummarySerializer(WeekInfoSerializer):
    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    country = ScopeKpisSerializer(help_text=_("Показатели России."))
    regions = RegionSummarySerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"week": fields.pop("week"), **fields}


# --- reporting ------------------------------------------------------------------------------------


class ReportingQuerySerializer(WeekQuerySerializer):
    federal_district = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        help_text=_("Только регионы федерального округа (код, например ЦФО); пусто — все."),
    )
    status = serializers.ChoiceField(
        choices=ReportingStatus.choices, required=False, help_text=_("Только регионы с этим статусом отчётности.")
    )


class ReportingRowSerializer(serializers.Serializer):
    """One region's report for the week."""

    region = serializers.CharField(source="code", help_text=_("Код региона."))
    name = serializers.CharField()
    federal_district = serializers.CharField()
    status = serializers.ChoiceField(
        choices=ReportingStatus.choices,
        help_text=_(
            "on_time — порог охвата набран до срока; late — после срока; partial — меньше порога; missing — ничего."
        ),
    )
    first_upload_at = serializers.DateTimeField(allow_null=True)
    last_upload_at = serializers.DateTimeField(allow_null=True)
    complete_at = serializers.DateTimeField(allow_null=True, help_text=_("Когда набран порог охвата."))
    last_uploaded_by = serializers.CharField(
        source="last_uploaded_by.username", allow_null=True, help_text=_("Логин того, кто прислал последний файл.")
    )
    last_uploaded_by_name = serializers.CharField(source="uploaded_by_name", allow_blank=True)
    orgs_reported = serializers.IntegerField(min_value=0)
    orgs_total = serializers.IntegerField(min_value=0, help_text=_("Организаций в реестре."))
    coverage = serializers.FloatField(allow_null=True, **FRACTION, help_text=_("orgs_reported / orgs_total."))
    warnings = serializers.IntegerField(
        min_value=0, help_text=_("Необъяснённых предупреждений о качестве данных за неделю.")
    )
    warning_counts = serializers.DictField(
        source="warning_codes",
        child=serializers.IntegerField(min_value=0),
        help_text=_("Код предупреждения -> число необъяснённых."),
    )


class ReportingCountsSerializer(serializers.Serializer):
    missing = serializers.IntegerField(min_value=0)
    partial = serializers.IntegerField(min_value=0)
    late = serializers.IntegerField(min_value=0)
    on_time = serializers.IntegerField(min_value=0)


class ReportingRegisterSerializer(WeekInfoSerializer):
    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    counts = ReportingCountsSerializer(help_text=_("Регионов в каждом статусе (до фильтра по статусу)."))
    coverage = CoverageSerializer(help_text=_("Охват регионов ответа (до фильтра по статусу)."))
    regions = ReportingRowSerializer(many=True, help_text=_("Все регионы одной страницей, худшие первыми."))

    def get_fields(self):
        fields = super().get_fields()
        return {"week": fields.pop("week"), **fields}


# --- what changed this week -----------------------------------------------------------------------


class ChangesQuerySerializer(WeekQuerySerializer):
    week = serializers.DateField(
        required=False,
        help_text=_(
            "Любой день недели, YYYY-MM-DD; берётся её понедельник. Без параметра — последняя закрытая неделя "
            "с данными (срок отчёта прошёл), как на страницах."
        ),
    )


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Код региона."))
    name = serializers.CharField()
    federal_district = serializers.CharField(help_text=_("Код федерального округа."))


class StatusChangeSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    from_status = serializers.ChoiceField(choices=ScheduleStatus.choices, help_text=_("Статус неделей раньше."))
    to_status = serializers.ChoiceField(choices=ScheduleStatus.choices, help_text=_("Статус за неделю."))
    since = serializers.DateField(allow_null=True, help_text=_("Первая неделя нынешнего статуса."))
    direction = serializers.ChoiceField(
        choices=[("worse", _("хуже")), ("better", _("лучше"))], help_text=_("По тяжести статусов.")
    )


class CrossingSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    kpi = serializers.ChoiceField(choices=KpiCode.choices)
    before = serializers.FloatField(**FRACTION, help_text=_("Значение неделей раньше."))
    after = serializers.FloatField(**FRACTION, help_text=_("Значение за неделю."))
    target = serializers.FloatField(**FRACTION)
    direction = serializers.ChoiceField(
        choices=[("up", _("достиг цели")), ("down", _("опустился ниже цели"))],
    )


class MoveSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    before = serializers.FloatField(**FRACTION)
    after = serializers.FloatField(**FRACTION)
    delta = serializers.FloatField(min_value=-1, max_value=1, help_text=_("after − before, доля (0,01 = 1 п. п.)."))


class KpiMoversSerializer(serializers.Serializer):
    kpi = serializers.ChoiceField(choices=KpiCode.choices)
    name = serializers.CharField()
    up = MoveSerializer(many=True, help_text=_("Наибольший рост, по убыванию."))
    down = MoveSerializer(many=True, help_text=_("Наибольшее снижение, по убыванию."))


class StoppedReportingSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    previous_status = serializers.ChoiceField(
        choices=ReportingStatus.choices, help_text=_("Отчётность региона неделей раньше.")
    )
    orgs_reported_before = serializers.IntegerField(min_value=0)
    orgs_total = serializers.IntegerField(min_value=0)


class WeekChangesSerializer(serializers.Serializer):
    week = serializers.DateField(allow_null=True, help_text=_("Понедельник недели; null — данных ещё нет совсем."))
    previous_week = serializers.DateField(
        allow_null=True, help_text=_("С какой неделей сравнение: последняя неделя с данными до этой; null — не с чем.")
    )
    provisional = serializers.BooleanField(help_text=_("Неделя ещё открыта: данные предварительные."))
    status_changes = StatusChangeSerializer(many=True, help_text=_("Сначала ухудшения, затем по тяжести статуса."))
    crossings = CrossingSerializer(many=True, help_text=_("Сначала опустившиеся ниже цели."))
    movers = KpiMoversSerializer(many=True, help_text=_("По каждому показателю; регионы с данными обе недели."))
    stopped_reporting = StoppedReportingSerializer(many=True)


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
