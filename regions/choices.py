"""Choices of the regions app: organisation kinds and user roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganisationKind(models.TextChoices):
    PRESCHOOL = "preschool", _("Дошкольная образовательная организация (ДОО)")
    SCHOOL = "school", _("Общеобразовательная организация (ОО)")
    COLLEGE = "college", _("Профессиональная образовательная организация (СПО)")
    EXTRA = "extra", _("Организация дополнительного образования (ДО)")
    AUTHORITY_REGIONAL = "authority_regional", _("Региональный орган управления образованием (РОИВ)")
    AUTHORITY_MUNICIPAL = "authority_municipal", _("Муниципальный орган управления образованием (ОМСУ)")


# The Russian abbreviations coordinators write in files; one home for them.
KIND_ABBREVIATIONS = {
    OrganisationKind.PRESCHOOL: "ДОО",
    OrganisationKind.SCHOOL: "ОО",
    OrganisationKind.COLLEGE: "СПО",
    OrganisationKind.EXTRA: "ДО",
    OrganisationKind.AUTHORITY_REGIONAL: "РОИВ",
    OrganisationKind.AUTHORITY_MUNICIPAL: "ОМСУ",
}
# The short name of a kind on the pages: the abbreviation in Russian, a short word in English.
KIND_SHORT_LABELS = {
    OrganisationKind.PRESCHOOL: pgettext_lazy("вид организации", "ДОО"),
    OrganisationKind.SCHOOL: pgettext_lazy("вид организации", "ОО"),
    OrganisationKind.COLLEGE: pgettext_lazy("вид организации", "СПО"),
    OrganisationKind.EXTRA: pgettext_lazy("вид организации", "ДО"),
    OrganisationKind.AUTHORITY_REGIONAL: pgettext_lazy("вид организации", "РОИВ"),
    OrganisationKind.AUTHORITY_MUNICIPAL: pgettext_lazy("вид организации", "ОМСУ"),
}
AUTHORITY_KINDS = (OrganisationKind.AUTHORITY_REGIONAL, OrganisationKind.AUTHORITY_MUNICIPAL)


class UserRole(models.TextChoices):
    MINISTRY = "ministry", _("Сотрудник министерства")
    COORDINATOR = "coordinator", _("Региональный координатор")
    SYSTEM = "system", _("Внешняя система (только чтение)")
    ADMINISTRATOR = "administrator", _("Администратор")
