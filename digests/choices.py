"""Choices of the digests app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DigestKind(models.TextChoices):
    """Who a digest is about: a coordinator's region, or the country for ministry staff."""

    COORDINATOR = "coordinator", _("Координатору: регион")
    MINISTRY = "ministry", _("Министерству: Россия")


class DeliveryStatus(models.TextChoices):
    """Where one recipient's digest of one week stands."""

    PENDING = "pending", _("Ожидает отправки")
    SENT = "sent", _("Отправлена")
    FAILED = "failed", _("Не доставлена")
    SKIPPED = "skipped", _("Пропущена")


# A week's digests have all gone out when each recipient's record is in one of these.
DELIVERED_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED)
