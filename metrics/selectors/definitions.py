"""KPI definitions, targets and the roadmap stages that apply to each region, as plain data."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Q,
)
from django.utils.translation import gettext, gettext_noop

from regions.models import Region, RoadmapStage

from ..kpi import StagePlan
from ..models import KpiDefinition

# The names the reference data migrations give the four KPIs and the federal plan's stages, marked
# for the catalogue. They are the product's vocabulary, so a page in English shows them in English;
# a name an administrator has since changed is not in the catalogue and is shown as entered.
SEEDED_NAMES = (
    gettext_noop("1.1 Еженедельная активность работников образовательных организаций"),
    gettext_noop("Активность работников"),
    gettext_noop("Σ работники активные / Σ работники всего"),
    gettext_noop("1.2 Еженедельная активность обучающихся и их родителей"),
    gettext_noop("Активность обучающихся и родителей"),
    gettext_noop("Σ (обучающиеся + родители активные) / Σ (обучающиеся + родители всего)"),
    gettext_noop(
        "2. Доля активных государственных служащих органов управления образованием (РОИВ, ОМСУ), "
        "должностных лиц и педагогических работников подведомственных организаций"
    ),
    gettext_noop("Активные должностные лица"),
    gettext_noop("Σ должностные лица активные / Σ должностные лица всего"),
    gettext_noop("3. Доля пользователей Сферума, использующих его только в национальном мессенджере"),
    gettext_noop("Только в MAX"),
    gettext_noop("Σ пользователи только в MAX / Σ пользователи Сферума всего"),
    gettext_noop("Перевод рабочего общения управленческого состава"),
    gettext_noop("Начало перевода школ в пилотных регионах"),
    gettext_noop("Массовый перевод аудитории Сферума в MAX"),
    gettext_noop("Полное завершение перевода"),
)


def seeded_name(text: str) -> str:
    """A name from the reference data in the active language (itself when not in the catalogue).
    For display only: stage titles are also stored (schedule states), and a job may run while a
    request's language is active."""
    # gettext("") is the catalogue's header, not an empty string.
    return gettext(text) if text else text


def kpi_definitions() -> list[KpiDefinition]:
    """The four KPI definitions in display order, their names in the active language (not saved;
    no service stores them)."""
    definitions = list(KpiDefinition.objects.order_by("order"))
    for definition in definitions:
        definition.name = seeded_name(definition.name)
        definition.short_name = seeded_name(definition.short_name)
        definition.formula = seeded_name(definition.formula)
    return definitions


def kpi_targets() -> dict[str, Decimal]:
    """KPI code -> the target in force."""
    return dict(KpiDefinition.objects.values_list("code", "target"))


def definition_targets(definitions) -> dict[str, Decimal]:
    """``kpi_targets()`` from the definitions a caller has read already."""
    return {definition.code: definition.target for definition in definitions}


def roadmap_stage_plans(
    *, regions: list[Region], targets: dict[str, Decimal] | None = None
) -> tuple[list[StagePlan], dict[int, list[StagePlan]]]:
    """The federal plan and, per region, the stages in force (its own roadmap or the federal one),
    pilot-only stages kept for pilot regions only. Two queries whatever the number of regions
    (one given the KPI ``targets``, ``definition_targets(definitions)``), read as plain rows
    (every page reads the plan)."""
    targets = kpi_targets() if targets is None else targets
    # One row per stage and KPI target (a stage without targets: one row of NULLs), a stage's rows
    # together, its targets in KPI order.
    rows: dict[int, tuple] = {}
    stage_targets: dict[int, dict] = defaultdict(dict)
    for *stage, code, target in (
        RoadmapStage.objects.filter(Q(roadmap__is_federal=True) | Q(roadmap__region__in=regions))
        .order_by("-roadmap__is_federal", "roadmap__region__code", "roadmap", "order", "id", "targets__kpi__order")
        .values_list(
            "id",
            "roadmap__is_federal",
            "roadmap__region_id",
            "order",
            "title",
            "start",
            "deadline",
            "kinds",
            "pilot_only",
            "targets__kpi__code",
            "targets__target",
        )
    ):
        rows.setdefault(stage[0], stage)
        if code is not None:
            stage_targets[stage[0]][code] = target if target is not None else targets[code]
    plans: dict[int | None, list[StagePlan]] = defaultdict(list)
    for stage_id, is_federal, region_id, order, title, start, deadline, kinds, pilot_only in rows.values():
        plans[None if is_federal else region_id].append(
            StagePlan(
                order=order,
                title=title,
                start=start,
                deadline=deadline,
                kinds=tuple(kinds or ()),
                pilot_only=pilot_only,
                targets=stage_targets.get(stage_id, {}),
            )
        )
    federal = sorted(plans.get(None, []), key=lambda s: s.order)
    by_region = {}
    for region in regions:
        stages = sorted(plans.get(region.id) or federal, key=lambda s: s.order)
        by_region[region.id] = [stage for stage in stages if stage.applies_to(pilot=region.pilot)]
    return federal, by_region
