"""Writes of the regions app: users and their scope (regional roadmaps: metrics.services.roadmaps,
which writes their KPI targets)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import UserRole
from .models import Region, UserScope

User = get_user_model()


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str,
    role: str,
    region: Region | None = None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create or update the user ``username`` with its scope; the password is set every time."""
    if role not in UserRole.values:
        raise ValidationError(_("Неизвестная роль: %(role)s.") % {"role": role})
    if role == UserRole.COORDINATOR and region is None:
        raise ValidationError(_("У регионального координатора должен быть регион."))
    if role != UserRole.COORDINATOR and region is not None:
        raise ValidationError(_("Регион указывается только для регионального координатора."))
    if role == UserRole.ADMINISTRATOR:
        is_staff = is_superuser = True

    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "is_active": True,
        },
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    UserScope.objects.update_or_create(user=user, defaults={"role": role, "region": region})
    return user
