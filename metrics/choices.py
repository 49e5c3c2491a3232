"""Choices of the metrics app; the KPI codes of DESIGN.md §4 live here and nowhere else."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KpiCode(models.TextChoices):
    STAFF_WEEKLY_ACTIVE = "staff_weekly_active", _("1.1 Еженедельная активность работников")
    LEARNERS_WEEKLY_ACTIVE = "learners_weekly_active", _("1.2 Еженедельная активность обучающихся и родителей")
    OFFICIALS_ACTIVE = "officials_active", _("2. Доля активных государственных служащих и должностных лиц")
    MAX_ONLY_SHARE = "max_only_share", _("3. Доля пользователей Сферума только в MAX")


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("В очереди")
    PROCESSING = "processing", _("Обрабатывается")
    SUCCEEDED = "succeeded", _("Загружен")
    FAILED = "failed", _("Ошибка")
    SUPERSEDED = "superseded", _("Заменён более поздней загрузкой")


class UploadState(models.TextChoices):
    """What an upload's badge says: its status, with a passed dry run and an import that skipped
    rows told apart from a clean import (derived from the status, ``dry_run`` and ``rows_rejected``)."""

    QUEUED = "queued", _("В очереди")
    PROCESSING = "processing", _("Обрабатывается")
    SUCCEEDED = "succeeded", _("Загружен")
    PARTIAL = "partial", _("Загружен частично")
    CHECKED = "checked", _("Проверен")
    FAILED = "failed", _("Ошибка")
    SUPERSEDED = "superseded", _("Заменён более поздней загрузкой")


class UploadMode(models.TextChoices):
    ATOMIC = "atomic", _("Всё или ничего")
    SKIP_INVALID = "skip_invalid", _("Загрузить корректные строки, пропустить ошибочные")


class ScopeType(models.TextChoices):
    COUNTRY = "country", _("Россия")
    DISTRICT = "district", _("Федеральный округ")
    REGION = "region", _("Регион")
    MUNICIPALITY = "municipality", _("Муниципалитет")


class ScheduleStatus(models.TextChoices):
    DONE = "done", _("Выполнено")
    ON_TRACK = "on_track", _("По графику")
    AT_RISK = "at_risk", _("Под угрозой")
    LATE = "late", _("Просрочено")
    NOT_STARTED = "not_started", _("Не начато")
    INSUFFICIENT_DATA = "insufficient_data", _("Недостаточно данных")


class ReportingStatus(models.TextChoices):
    """A region's report for one week (DESIGN.md §4.2), worst first."""

    MISSING = "missing", _("Не отчитался")
    PARTIAL = "partial", _("Частично")
    LATE = "late", _("С опозданием")
    ON_TIME = "on_time", _("В срок")


class WarningCode(models.TextChoices):
    """The data-quality findings of an upload (DESIGN.md §5.1)."""

    SAME_AS_PREVIOUS = "same_as_previous", _("Повтор прошлой недели")
    BASE_JUMP = "base_jump", _("Скачок численности")
    DROP_TO_ZERO = "drop_to_zero", _("Активность упала до нуля")
    OUTLIER = "outlier", _("Нетипичное значение показателя")
    IDENTICAL_ROWS = "identical_rows", _("Одинаковые строки")
    REGION_SWING = "region_swing", _("Резкое изменение показателя региона")
