"""Regions, municipalities, organisations, roadmaps and who may see which region."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from .choices import OrganisationKind, UserRole
from .names import without_bidi_controls


class FederalDistrict(models.Model):
    """One of the eight federal districts that group the regions."""

    code = models.CharField(_("код"), max_length=8, unique=True)
    name = models.CharField(_("название"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("порядок"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("федеральный округ")
        verbose_name_plural = _("федеральные округа")

    def __str__(self):
        return self.code


class Region(models.Model):
    """A subject of the Russian Federation, identified by its two-digit code."""

    code = models.CharField(_("код субъекта"), max_length=2, unique=True)
    name = models.CharField(_("название"), max_length=150, unique=True)
    federal_district = models.ForeignKey(
        FederalDistrict, on_delete=models.PROTECT, related_name="regions", verbose_name=_("федеральный округ")
    )
    pilot = models.BooleanField(_("пилотный регион"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("регион")
        verbose_name_plural = _("регионы")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2}$"), name="%(app_label)s_%(class)s_code_two_digits"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("dashboard:region", kwargs={"code": self.code})

    def clean(self):
        self.name = without_bidi_controls(self.name)


class Municipality(models.Model):
    """A municipality (ОМСУ level) of a region."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("регион")
    )
    name = models.CharField(_("название"), max_length=255)
    oktmo = models.CharField(_("ОКТМО"), max_length=11, blank=True)

    class Meta:
        ordering = ["region", "name"]
        verbose_name = _("муниципалитет")
        verbose_name_plural = _("муниципалитеты")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="%(app_label)s_%(class)s_unique_region_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dashboard:municipality", kwargs={"pk": self.pk})

    def clean(self):
        self.name = without_bidi_controls(self.name)


class Organisation(models.Model):
    """An educational organisation or an education authority, known by its Sferum id."""

    org_id = models.CharField(_("ID организации"), max_length=64, unique=True)
    name = models.CharField(_("наименование"), max_length=500)
    kind = models.CharField(_("тип"), max_length=32, choices=OrganisationKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("регион"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("муниципалитет"),
    )
    diary_integrated = models.BooleanField(_("интеграция с электронным дневником"), default=False)
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta:
        ordering = ["region", "name"]
        verbose_name = _("организация")
        verbose_name_plural = _("организации")
        indexes = [models.Index(fields=["region", "kind"], name="regions_org_region_kind_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.org_id})"

    def get_absolute_url(self):
        return reverse("dashboard:organisation", kwargs={"pk": self.pk})

    def clean(self):
        self.name = without_bidi_controls(self.name)
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            raise ValidationError({"municipality": _("Муниципалитет относится к другому региону.")})


class Roadmap(models.Model):
    """The federal plan (exactly one) or a region's own plan that replaces it."""

    name = models.CharField(_("название"), max_length=255)
    is_federal = models.BooleanField(_("федеральный план"), default=False)
    region = models.OneToOneField(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="roadmap", verbose_name=_("регион")
    )
    signed_on = models.DateField(_("подписана"), null=True, blank=True)

    class Meta:
        ordering = ["-is_federal", "region__code"]
        verbose_name = _("дорожная карта")
        verbose_name_plural = _("дорожные карты")
        constraints = [
            models.UniqueConstraint(
                fields=["is_federal"], condition=Q(is_federal=True), name="%(app_label)s_%(class)s_one_federal"
            ),
            models.CheckConstraint(
                condition=(Q(is_federal=True) & Q(region__isnull=True))
                | (Q(is_federal=False) & Q(region__isnull=False)),
                name="%(app_label)s_%(class)s_federal_xor_region",
            ),
        ]

    def __str__(self):
        return self.name


class RoadmapStage(models.Model):
    """A stage of a roadmap: kinds covered, start, deadline; its KPI targets live in metrics."""

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="stages", verbose_name=_("дорожная карта")
    )
    order = models.PositiveSmallIntegerField(_("номер"))
    title = models.CharField(_("этап"), max_length=255)
    kinds = models.JSONField(_("типы организаций"), default=list, blank=True, help_text=_("Пусто: все типы."))
    pilot_only = models.BooleanField(_("только пилотные регионы"), default=False)
    start = models.DateField(_("начало"))
    deadline = models.DateField(_("срок"))

    class Meta:
        ordering = ["roadmap", "order"]
        verbose_name = _("этап дорожной карты")
        verbose_name_plural = _("этапы дорожной карты")
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "order"], name="%(app_label)s_%(class)s_unique_order"),
            models.CheckConstraint(
                condition=Q(start__lte=F("deadline")), name="%(app_label)s_%(class)s_start_before_deadline"
            ),
        ]

    def __str__(self):
        return f"{self.order}. {self.title}"


class UserScope(models.Model):
    """A user's role and, for a coordinator, the one region they report for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope", verbose_name=_("пользователь")
    )
    role = models.CharField(_("роль"), max_length=16, choices=UserRole.choices, default=UserRole.MINISTRY)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="coordinators", verbose_name=_("регион")
    )

    class Meta:
        verbose_name = _("роль пользователя")
        verbose_name_plural = _("роли пользователей")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=UserRole.COORDINATOR) & Q(region__isnull=False))
                | (~Q(role=UserRole.COORDINATOR) & Q(region__isnull=True)),
                name="%(app_label)s_%(class)s_region_iff_coordinator",
                violation_error_message=_("Регион указывается для регионального координатора, и только для него."),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


class ApiToken(AbstractAuthToken):
    """An API token, stored as a hash (django-rest-knox), with an expiry and the account state it was issued for.

    ``fingerprint`` is a keyed hash of the user's password hash, role and region when the token was
    issued (regions.selectors.api_token_fingerprint): a token whose fingerprint no longer matches
    is refused, whatever path changed the password or the role.
    """

    fingerprint = models.CharField(_("отпечаток учётной записи"), max_length=64, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API-токен")
        verbose_name_plural = _("API-токены")

    def __str__(self):
        return f"{self.token_key[:8]}… — {self.user}"
