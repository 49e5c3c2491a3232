"""Reads shared by pages, the API and the services: KPI status, series, summaries, rankings."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from regions.models import Region, Roadmap

from .kpi import StagePlan
from .models import KpiDefinition


def kpi_definitions() -> list[KpiDefinition]:
    """The four KPI definitions in display order."""
    return list(KpiDefinition.objects.order_by("order"))


def kpi_targets() -> dict[str, Decimal]:
    """KPI code -> the target in force."""
    return dict(KpiDefinition.objects.values_list("code", "target"))


def roadmap_stage_plans(*, regions: list[Region]) -> tuple[list[StagePlan], dict[int, list[StagePlan]]]:
    """The federal plan and, per region, the stages in force (its own roadmap or the federal one),
    pilot-only stages kept for pilot regions only. Three queries whatever the number of regions."""
    targets = kpi_targets()
    roadmaps = Roadmap.objects.filter(is_federal=True) | Roadmap.objects.filter(region__in=regions)
    plans: dict[int | None, list[StagePlan]] = defaultdict(list)
    for roadmap in roadmaps.prefetch_related("stages__targets__kpi"):
        key = None if roadmap.is_federal else roadmap.region_id
        for stage in roadmap.stages.all():
            plans[key].append(
                StagePlan(
                    order=stage.order,
                    title=stage.title,
                    start=stage.start,
                    deadline=stage.deadline,
                    kinds=tuple(stage.kinds or ()),
                    pilot_only=stage.pilot_only,
                    targets={t.kpi.code: (t.target if t.target is not None else targets[t.kpi.code]) for t in stage.targets.all()},
                )
            )
    federal = sorted(plans.get(None, []), key=lambda s: s.order)
    by_region = {}
    for region in regions:
        stages = sorted(plans.get(region.id) or federal, key=lambda s: s.order)
        by_region[region.id] = [stage for stage in stages if stage.applies_to(pilot=region.pilot)]
    return federal, by_region


def latest_week_with_data(*, before: date | None = None) -> date | None:
    """The latest week for which the country has KPI values."""
    from .choices import ScopeType
    from .models import KpiValue

    qs = KpiValue.objects.filter(scope=ScopeType.COUNTRY, kind="", denominator__gt=0)
    if before:
        qs = qs.filter(week__lte=before)
    return qs.order_by("-week").values_list("week", flat=True).first()
