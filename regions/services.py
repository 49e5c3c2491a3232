"""Writes of the regions app: users and their scope, regional roadmaps."""

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from metrics.models import KpiDefinition, StageTarget

from .choices import OrganisationKind, UserRole
from .models import Region, Roadmap, RoadmapStage, UserScope

User = get_user_model()


@transaction.atomic
def user_create(
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


@transaction.atomic
def roadmap_create_regional(
    *, region: Region, name: str, signed_on: date | None, stages: list[dict[str, Any]]
) -> Roadmap:
    """Create or update the region's own roadmap; its stages are replaced by ``stages``.

    Each stage is a dict with ``order``, ``title``, ``start``, ``deadline`` and optionally
    ``kinds`` (empty: every kind), ``pilot_only`` and ``kpis`` (KPI codes due at the deadline,
    each at the KPI's own target).
    """
    kpis = {kpi.code: kpi for kpi in KpiDefinition.objects.all()}
    for stage in stages:
        unknown_kinds = set(stage.get("kinds", [])) - set(OrganisationKind.values)
        if unknown_kinds:
            raise ValidationError(
                _("Неизвестные типы организаций: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown_kinds))}
            )
        unknown_kpis = set(stage.get("kpis", [])) - set(kpis)
        if unknown_kpis:
            raise ValidationError(_("Неизвестные показатели: %(kpis)s.") % {"kpis": ", ".join(sorted(unknown_kpis))})

    roadmap, _created = Roadmap.objects.update_or_create(
        region=region, defaults={"name": name, "signed_on": signed_on, "is_federal": False}
    )
    roadmap.stages.all().delete()
    targets = []
    for stage in stages:
        created = RoadmapStage.objects.create(
            roadmap=roadmap,
            order=stage["order"],
            title=stage["title"],
            kinds=[str(kind) for kind in stage.get("kinds", [])],
            pilot_only=stage.get("pilot_only", False),
            start=stage["start"],
            deadline=stage["deadline"],
        )
        targets += [StageTarget(stage=created, kpi=kpis[code], target=None) for code in stage.get("kpis", [])]
    StageTarget.objects.bulk_create(targets)
    return roadmap
