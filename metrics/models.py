"""Weekly activity snapshots, uploads, KPI definitions, stage targets and precomputed KPI values."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regions.choices import OrganisationKind

from .choices import (
    KpiCode,
    ReportingStatus,
    ScheduleStatus,
    ScopeType,
    UploadMode,
    UploadState,
    UploadStatus,
    WarningCode,
)
from .counts import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS  # noqa: F401


class KpiDefinition(models.Model):
    """One of the four KPIs, with its target as data an administrator edits."""

    code = models.CharField(_("код"), max_length=32, unique=True, choices=KpiCode.choices)
    name = models.CharField(_("название"), max_length=255)
    short_name = models.CharField(_("краткое название"), max_length=64)
    formula = models.CharField(_("формула"), max_length=255)
    target = models.DecimalField(_("целевое значение"), max_digits=5, decimal_places=4)
    order = models.PositiveSmallIntegerField(_("порядок"), default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("показатель (KPI)")
        verbose_name_plural = _("показатели (KPI)")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gte=0) & Q(target__lte=1), name="%(app_label)s_%(class)s_target_fraction"
            ),
        ]

    def __str__(self):
        return self.short_name


class StageTarget(models.Model):
    """A KPI that must be at target at a roadmap stage's deadline (optionally its own target)."""

    stage = models.ForeignKey(
        "regions.RoadmapStage", on_delete=models.CASCADE, related_name="targets", verbose_name=_("этап")
    )
    kpi = models.ForeignKey(
        KpiDefinition, on_delete=models.PROTECT, related_name="stage_targets", verbose_name=_("KPI")
    )
    target = models.DecimalField(
        _("целевое значение"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Пусто: целевое значение показателя."),
    )

    class Meta:
        ordering = ["stage", "kpi__order"]
        verbose_name = _("целевой показатель этапа")
        verbose_name_plural = _("целевые показатели этапа")
        constraints = [
            models.UniqueConstraint(fields=["stage", "kpi"], name="%(app_label)s_%(class)s_unique_stage_kpi"),
            models.CheckConstraint(
                condition=Q(target__isnull=True) | (Q(target__gte=0) & Q(target__lte=1)),
                name="%(app_label)s_%(class)s_target_fraction",
            ),
        ]

    def __str__(self):
        return f"{self.stage}: {self.kpi}"


def upload_file_path(instance, filename):
    """Store every upload under a generated name; only a known extension is kept."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".txt"):
        suffix = ".bin"
    return f"uploads/{uuid.uuid4().hex}{suffix}"


class Upload(models.Model):
    """One file sent by a user, kept as sent, with the outcome of its import."""

    file = models.FileField(_("файл"), upload_to=upload_file_path, max_length=255)
    original_name = models.CharField(_("имя файла"), max_length=255)
    size = models.PositiveBigIntegerField(_("размер, байт"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("отправитель")
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("регион"),
        help_text=_("Пусто: национальный файл со столбцом «Код региона»."),
    )
    week = models.DateField(_("неделя"), null=True, blank=True, help_text=_("Понедельник недели."))
    # The weeks the file covers, whatever their source (the form, or the file's «Неделя» column):
    # set on creation from ``week``, then by the import from its rows. Pages show and filter by them.
    week_first = models.DateField(_("первая неделя файла"), null=True, blank=True)
    week_last = models.DateField(_("последняя неделя файла"), null=True, blank=True)
    mode = models.CharField(_("режим"), max_length=16, choices=UploadMode.choices, default=UploadMode.ATOMIC)
    dry_run = models.BooleanField(_("только проверка"), default=False)
    status = models.CharField(
        _("статус"), max_length=16, choices=UploadStatus.choices, default=UploadStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("прогресс, %"), default=0)
    # The import whose values replaced this one's (set when it is marked superseded by one).
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("заменена загрузкой"),
    )
    rows_total = models.PositiveIntegerField(_("строк всего"), default=0)
    rows_imported = models.PositiveIntegerField(_("строк загружено"), default=0)
    rows_rejected = models.PositiveIntegerField(_("строк отклонено"), default=0)
    # The first settings.UPLOAD_ERRORS_KEPT row errors, whole; every error is counted in errors_total
    # and, by column and reason, in errors_summary ([{column, reason, count, not_kept}], most first).
    # Lists never load them (metrics.selectors.uploads_for_user defers them).
    errors = models.JSONField(_("ошибки строк"), default=list, blank=True)
    errors_total = models.PositiveIntegerField(_("ошибок строк всего"), default=0)
    errors_summary = models.JSONField(_("ошибки строк по столбцам и причинам"), default=list, blank=True)
    message = models.TextField(_("сообщение"), blank=True)
    diff = models.JSONField(_("изменения относительно недели"), default=dict, blank=True)
    # {code: number of findings}: every data-quality warning of the file, stored or not (UploadWarning
    # keeps at most QUALITY_WARNINGS_STORED_PER_CODE of each code).
    warning_counts = models.JSONField(_("предупреждений по видам"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("попыток обработки"), default=0)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(_("поставлена в очередь"), null=True, blank=True)
    started_at = models.DateTimeField(_("начата"), null=True, blank=True)
    finished_at = models.DateTimeField(_("завершена"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("загрузка")
        verbose_name_plural = _("загрузки")
        indexes = [models.Index(fields=["region", "-created_at"], name="metrics_upload_region_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=UploadMode.values), name="%(app_label)s_%(class)s_mode_valid"),
            models.CheckConstraint(
                condition=Q(status__in=UploadStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rows_imported__lte=F("rows_total")) & Q(rows_rejected__lte=F("rows_total")),
                name="%(app_label)s_%(class)s_counts_within_total",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="%(app_label)s_%(class)s_progress_percent"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self):
        return reverse("dashboard:upload_detail", kwargs={"pk": self.pk})

    @property
    def state(self) -> str:
        """The badge's state (UploadState): a passed dry run is checked, not loaded; an import
        that skipped rows is partial."""
        if self.status == UploadStatus.SUCCEEDED:
            if self.dry_run:
                return UploadState.CHECKED
            if self.rows_rejected:
                return UploadState.PARTIAL
        return self.status

    def get_state_display(self) -> str:
        state = self.state
        if state == UploadState.PARTIAL:
            return _("Загружен частично: пропущено строк %(n)s") % {"n": self.rows_rejected}
        return UploadState(state).label


class WeeklySnapshot(models.Model):
    """One organisation's activity counts for one ISO week (stored as its Monday)."""

    # Every index here is paid for by each imported row (a national file writes 90,000): no
    # single-column index where a composite one already leads with the column (the unique
    # (organisation, week) serves an organisation's series, "metrics_snapshot_upload" the uploads).
    organisation = models.ForeignKey(
        "regions.Organisation",
        on_delete=models.CASCADE,
        db_index=False,
        related_name="snapshots",
        verbose_name=_("организация"),
    )
    # Denormalised from the organisation so one region-week is read by index alone. No database
    # constraint: the organisation's own foreign key is the integrity check, and a second and third
    # per-row check would cost the national import a third of its time.
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("регион"),
    )
    week = models.DateField(_("неделя"))
    staff_total = models.PositiveIntegerField(_("работники всего"))
    staff_active = models.PositiveIntegerField(_("работники активные"))
    students_total = models.PositiveIntegerField(_("обучающиеся всего"))
    students_active = models.PositiveIntegerField(_("обучающиеся активные"))
    parents_total = models.PositiveIntegerField(_("родители всего"))
    parents_active = models.PositiveIntegerField(_("родители активные"))
    officials_total = models.PositiveIntegerField(_("должностные лица всего"), default=0)
    officials_active = models.PositiveIntegerField(_("должностные лица активные"), default=0)
    sferum_total = models.PositiveIntegerField(_("пользователи Сферума всего"))
    sferum_max_only = models.PositiveIntegerField(_("пользователи только в MAX"))
    upload = models.ForeignKey(
        Upload,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        db_index=False,
        related_name="snapshots",
        verbose_name=_("загрузка"),
    )
    updated_at = models.DateTimeField(_("обновлено"), auto_now=True)

    class Meta:
        ordering = ["-week", "organisation"]
        verbose_name = _("недельный срез активности")
        verbose_name_plural = _("недельные срезы активности")
        indexes = [
            # Serves both a national week and one region's week; with the id it holds the whole
            # order of the snapshot list of the API, whose deep pages skip their offset in it.
            models.Index(fields=["week", "region", "id"], name="metrics_snapshot_week_reg_id"),
            models.Index(fields=["upload"], name="metrics_snapshot_upload"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "week"], name="%(app_label)s_%(class)s_one_per_org_week"),
            models.CheckConstraint(condition=Q(week__iso_week_day=1), name="%(app_label)s_%(class)s_week_is_monday"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{active}__lte": F(total)}),
                    name=f"%(app_label)s_%(class)s_{active}_lte_{total}",
                )
                for active, total in ACTIVE_TOTAL_PAIRS
            ],
        ]

    def __str__(self):
        return f"{self.organisation_id} @ {self.week:%Y-%m-%d}"


class KpiValue(models.Model):
    """A KPI of one scope (country, district, region, municipality) for one week, precomputed."""

    week = models.DateField(_("неделя"))
    scope = models.CharField(_("уровень"), max_length=16, choices=ScopeType.choices)
    scope_id = models.PositiveBigIntegerField(_("идентификатор уровня"), help_text=_("0 для России."))
    # Region of region and municipality rows: a region's municipalities are read by index.
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,  # "metrics_kpivalue_region_week" leads with it
        related_name="+",
        verbose_name=_("регион"),
    )
    # Blank: all kinds. Region and country rows are also kept per organisation kind for stage checks.
    kind = models.CharField(
        _("тип организаций"), max_length=32, blank=True, default="", choices=OrganisationKind.choices
    )
    kpi = models.CharField(_("KPI"), max_length=32, choices=KpiCode.choices)
    numerator = models.BigIntegerField(_("числитель"))
    denominator = models.BigIntegerField(_("знаменатель"))
    value = models.FloatField(_("значение"), null=True, blank=True)
    target = models.DecimalField(_("цель"), max_digits=5, decimal_places=4)
    met = models.BooleanField(_("достигнут"), null=True, blank=True)
    delta = models.FloatField(_("изменение за неделю"), null=True, blank=True)
    orgs_reported = models.PositiveIntegerField(_("организаций отчиталось"), default=0)
    orgs_total = models.PositiveIntegerField(_("организаций всего"), default=0)
    computed_at = models.DateTimeField(_("рассчитано"), auto_now=True)

    class Meta:
        ordering = ["scope", "scope_id", "kpi", "week"]
        verbose_name = _("значение KPI")
        verbose_name_plural = _("значения KPI")
        indexes = [
            # A scope's series across the weeks (pages, history API).
            models.Index(fields=["scope", "scope_id", "kpi", "week"], name="metrics_kpivalue_series"),
            models.Index(fields=["region", "scope", "week"], name="metrics_kpivalue_region_week"),
            # The overview's heat map: one KPI of every region over 26 weeks, read from the index
            # alone. Partial: 356 of a week's 12,500 rows, so a recompute barely pays for it.
            models.Index(
                fields=["kpi", "week", "scope_id", "value"],
                condition=Q(scope="region", kind=""),
                name="metrics_kpivalue_region_matrix",
            ),
        ]
        constraints = [
            # Week first: every recompute deletes, reads and joins one week at a time.
            models.UniqueConstraint(
                fields=["week", "scope", "scope_id", "kind", "kpi"], name="%(app_label)s_%(class)s_unique_scope_week"
            ),
            models.CheckConstraint(
                condition=Q(numerator__gte=0) & Q(numerator__lte=F("denominator")),
                name="%(app_label)s_%(class)s_numerator_within_denominator",
            ),
            models.CheckConstraint(
                condition=(Q(denominator=0) & Q(value__isnull=True) & Q(met__isnull=True))
                | (Q(denominator__gt=0) & Q(value__isnull=False) & Q(met__isnull=False)),
                name="%(app_label)s_%(class)s_no_data_is_null",
            ),
        ]

    def __str__(self):
        return f"{self.scope}:{self.scope_id} {self.kpi} {self.week:%Y-%m-%d}"


class ScheduleState(models.Model):
    """Schedule state of the country or a region as of one week, derived from its KPI values.

    Kept beside the values so that a page of 89 regions reads one row per region.
    """

    week = models.DateField(_("неделя"))
    scope = models.CharField(_("уровень"), max_length=16, choices=ScopeType.choices)
    scope_id = models.PositiveBigIntegerField(_("идентификатор уровня"))
    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("регион")
    )
    status = models.CharField(_("статус графика"), max_length=20, choices=ScheduleStatus.choices)
    # First week of the current unbroken run of this status.
    status_since = models.DateField(_("статус с недели"), null=True, blank=True)
    ready = models.BooleanField(_("готов"), default=False)
    # KPI codes below target (or constants.NO_DATA when nothing was reported that week).
    blocking = models.JSONField(_("блокирующие показатели"), default=list, blank=True)
    # [{"kpi", "value", "target", "gap"}]: the KPIs that hold the verdict back, in the stage's kinds.
    blocking_detail = models.JSONField(_("что мешает"), default=list, blank=True)
    # Coverage of the week: organisations with a snapshot / organisations in the registry.
    orgs_reported = models.PositiveIntegerField(_("организаций отчиталось"), default=0)
    orgs_total = models.PositiveIntegerField(_("организаций в реестре"), default=0)
    # [{"order", "title", "start", "deadline", "status", "kpis": [codes], "done_on", "on_time",
    #   "late_since", "blocking": [{"kpi", "value", "target", "gap"}]}]
    stages = models.JSONField(_("этапы"), default=list, blank=True)
    # {code: {"schedule_status" (the KPI's own), "stage" (order judged, or None), "projected_date", "planned"}}
    kpis = models.JSONField(_("состояние показателей"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("рассчитано"), auto_now=True)

    class Meta:
        ordering = ["scope", "scope_id", "week"]
        verbose_name = _("состояние графика")
        verbose_name_plural = _("состояния графика")
        indexes = [models.Index(fields=["scope", "week"], name="metrics_schedulestate_week")]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "scope_id", "week"], name="%(app_label)s_%(class)s_unique_scope_week"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ScheduleStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.scope}:{self.scope_id} {self.week:%Y-%m-%d} {self.status}"


class RegionReporting(models.Model):
    """Whether and when a region reported one week (DESIGN.md §4.2): one row per region for every
    week the country has data, 0 of N included, so "who has not reported" is a plain read."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("регион"))
    week = models.DateField(_("неделя"))
    status = models.CharField(_("отчётность"), max_length=16, choices=ReportingStatus.choices)
    orgs_reported = models.PositiveIntegerField(_("организаций отчиталось"), default=0)
    orgs_total = models.PositiveIntegerField(_("организаций в реестре"), default=0)
    first_upload_at = models.DateTimeField(_("первая загрузка"), null=True, blank=True)
    last_upload_at = models.DateTimeField(_("последняя загрузка"), null=True, blank=True)
    last_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто загрузил последним"),
    )
    # When the region's coverage first reached COVERAGE_MIN (on time when by the deadline).
    complete_at = models.DateTimeField(_("полный отчёт получен"), null=True, blank=True)
    computed_at = models.DateTimeField(_("рассчитано"), auto_now=True)

    class Meta:
        ordering = ["week", "region"]
        verbose_name = _("отчётность региона")
        verbose_name_plural = _("отчётность регионов")
        indexes = [models.Index(fields=["week", "status"], name="metrics_reporting_week_status")]
        constraints = [
            models.UniqueConstraint(fields=["region", "week"], name="%(app_label)s_%(class)s_one_per_region_week"),
            models.CheckConstraint(
                condition=Q(status__in=ReportingStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.region_id} {self.week:%Y-%m-%d} {self.status}"


class UploadWarning(models.Model):
    """A data-quality finding of an upload (DESIGN.md §5.1), with the values it is about and, once
    a ministry user has looked into it, their explanation."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("загрузка"))
    code = models.CharField(_("вид"), max_length=32, choices=WarningCode.choices)
    # Null for a warning about a whole region-week, or an organisation not registered before the file.
    organisation = models.ForeignKey(
        "regions.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("организация"),
    )
    # As in the file when the warning was found: the registry may change later.
    org_id = models.CharField(_("ID организации"), max_length=64, blank=True)
    name = models.CharField(_("наименование организации"), max_length=500, blank=True)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, db_index=False, related_name="+", verbose_name=_("регион")
    )
    week = models.DateField(_("неделя"))
    line = models.PositiveIntegerField(_("строка файла"), null=True, blank=True)
    # A count field (staff_total …), a KPI code, or blank for the whole region-week.
    column = models.CharField(_("столбец или показатель"), max_length=32, blank=True)
    # Counts, KPI values (fractions) or numbers of rows, as the column says.
    previous = models.FloatField(_("было"), null=True, blank=True)
    new = models.FloatField(_("стало"), null=True, blank=True)
    message = models.TextField(_("описание"))
    explained_at = models.DateTimeField(_("объяснено"), null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто объяснил"),
    )
    explanation = models.TextField(_("объяснение"), blank=True)

    class Meta:
        ordering = ["upload", "id"]
        verbose_name = _("предупреждение о качестве данных")
        verbose_name_plural = _("предупреждения о качестве данных")
        indexes = [models.Index(fields=["upload", "code", "id"], name="metrics_uploadwarning_code")]
        constraints = [
            models.CheckConstraint(condition=Q(code__in=WarningCode.values), name="%(app_label)s_%(class)s_code_valid"),
        ]

    def __str__(self):
        return f"#{self.upload_id} {self.code} {self.org_id}".strip()


class UploadWarningCount(models.Model):
    """How many warnings of one code an upload carries for one region and week, and how many of
    them are explained: exact however many UploadWarning rows were kept, and what the per-region
    counts read (a national file is one upload over 89 regions)."""

    upload = models.ForeignKey(
        Upload, on_delete=models.CASCADE, related_name="warning_tallies", verbose_name=_("загрузка")
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, db_index=False, related_name="+", verbose_name=_("регион")
    )
    week = models.DateField(_("неделя"))
    code = models.CharField(_("вид"), max_length=32, choices=WarningCode.choices)
    total = models.PositiveIntegerField(_("всего"))
    explained = models.PositiveIntegerField(_("объяснено"), default=0)

    class Meta:
        ordering = ["week", "region", "code"]
        verbose_name = _("число предупреждений")
        verbose_name_plural = _("числа предупреждений")
        indexes = [models.Index(fields=["week", "region"], name="metrics_warningcount_week")]
        constraints = [
            models.UniqueConstraint(
                fields=["upload", "region", "week", "code"], name="%(app_label)s_%(class)s_one_per_code"
            ),
            models.CheckConstraint(
                condition=Q(explained__lte=F("total")), name="%(app_label)s_%(class)s_explained_within_total"
            ),
        ]

    def __str__(self):
        return f"#{self.upload_id} {self.region_id} {self.week:%Y-%m-%d} {self.code}: {self.total}"


class WarningRule(models.Model):
    """Whether a data-quality warning code blocks an import (an administrator's decision, no deploy)."""

    code = models.CharField(_("вид предупреждения"), max_length=32, unique=True, choices=WarningCode.choices)
    blocking = models.BooleanField(
        _("блокирует загрузку"),
        default=False,
        help_text=_("Файл с таким предупреждением не загружается; проверка без сохранения сообщает об этом."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("правило предупреждения")
        verbose_name_plural = _("правила предупреждений")

    def __str__(self):
        return self.get_code_display()
