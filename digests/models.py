"""Who opted out of the weekly digest, and the delivery log: one record per recipient, week and kind."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import DeliveryStatus, DigestKind


class DigestSubscription(models.Model):
    """A user's choice about the weekly digest; no row means subscribed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_subscription",
        verbose_name=_("пользователь"),
    )
    opted_out = models.BooleanField(_("отказался от сводки"), default=False)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta:
        verbose_name = _("подписка на сводку")
        verbose_name_plural = _("подписки на сводку")

    def __str__(self):
        state = _("отписан") if self.opted_out else _("подписан")
        return f"{self.user}: {state}"


class DigestDelivery(models.Model):
    """One recipient's digest of one week: what was (or will be) sent, and what became of it.

    The unique (user, week, kind) row is the claim that makes a digest go out at most once: a
    sender takes it with a conditional UPDATE before talking to SMTP and marks it `sent` right
    after the server accepted the message.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_deliveries",
        verbose_name=_("получатель"),
    )
    week = models.DateField(_("неделя"))
    kind = models.CharField(_("вид"), max_length=16, choices=DigestKind.choices)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("регион"),
        help_text=_("Регион координатора; пусто для сводки по России."),
    )
    email = models.EmailField(_("адрес"), blank=True)
    status = models.CharField(
        _("статус"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("попыток отправки"), default=0)
    last_error = models.TextField(_("последняя ошибка или причина пропуска"), blank=True)
    subject = models.CharField(_("тема"), max_length=255, blank=True)
    body_text = models.TextField(_("текст"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # When the next attempt is due: the planning run queues it now, a failed attempt its retry.
    next_attempt_at = models.DateTimeField(_("следующая попытка"), null=True, blank=True)
    # Set by the sender that took the record; a claim older than DIGEST_CLAIM_TIMEOUT_SECONDS
    # belongs to a sender that died before talking to SMTP (or while it did) and may be taken again.
    claimed_at = models.DateTimeField(_("взята в отправку"), null=True, blank=True)
    sent_at = models.DateTimeField(_("отправлена"), null=True, blank=True)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменена"), auto_now=True)

    class Meta:
        ordering = ["-week", "kind", "user"]
        verbose_name = _("доставка сводки")
        verbose_name_plural = _("доставки сводок")
        indexes = [models.Index(fields=["week", "status"], name="digests_delivery_week_status")]
        constraints = [
            models.UniqueConstraint(fields=["user", "week", "kind"], name="%(app_label)s_%(class)s_one_per_user_week"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=DigestKind.values), name="%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(kind=DigestKind.COORDINATOR, region__isnull=False)
                | Q(kind=DigestKind.MINISTRY, region__isnull=True),
                name="%(app_label)s_%(class)s_region_iff_coordinator",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.week:%Y-%m-%d} {self.kind}: {self.status}"
