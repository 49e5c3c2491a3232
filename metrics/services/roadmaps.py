"""Regional roadmaps: a region's own plan, with the KPI targets of its stages."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from regions.choices import OrganisationKind
from regions.models import Region, Roadmap, RoadmapStage

from ..models import KpiDefinition, StageTarget


@transaction.atomic
def roadmap_regional_upsert(
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
