"""Reference data: the four KPIs of DESIGN.md §4 and the targets due at each federal stage."""

from decimal import Decimal

from django.db import migrations

# (code, order, name, short name, formula, target)
KPIS = [
    ("staff_weekly_active", 1, "1.1 Еженедельная активность работников образовательных организаций",
     "Активность работников", "Σ работники активные / Σ работники всего", Decimal("0.75")),
    ("learners_weekly_active", 2, "1.2 Еженедельная активность обучающихся и их родителей",
     "Активность обучающихся и родителей",
     "Σ (обучающиеся + родители активные) / Σ (обучающиеся + родители всего)", Decimal("0.30")),
    ("officials_active", 3,
     "2. Доля активных государственных служащих органов управления образованием (РОИВ, ОМСУ), "
     "должностных лиц и педагогических работников подведомственных организаций",
     "Активные должностные лица", "Σ должностные лица активные / Σ должностные лица всего", Decimal("1.00")),
    ("max_only_share", 4, "3. Доля пользователей Сферума, использующих его только в национальном мессенджере",
     "Только в MAX", "Σ пользователи только в MAX / Σ пользователи Сферума всего", Decimal("1.00")),
]

# federal stage order -> KPI codes due at its deadline (the KPI's own target applies)
STAGE_KPIS = {
    1: ["officials_active"],
    2: ["staff_weekly_active"],
    3: ["staff_weekly_active", "learners_weekly_active"],
    4: ["staff_weekly_active", "learners_weekly_active", "officials_active", "max_only_share"],
}


def load(apps, schema_editor):
    KpiDefinition = apps.get_model("metrics", "KpiDefinition")
    StageTarget = apps.get_model("metrics", "StageTarget")
    RoadmapStage = apps.get_model("regions", "RoadmapStage")
    kpis = {}
    for code, order, name, short_name, formula, target in KPIS:
        kpis[code], _ = KpiDefinition.objects.update_or_create(
            code=code,
            defaults={"order": order, "name": name, "short_name": short_name, "formula": formula, "target": target},
        )
    for stage in RoadmapStage.objects.filter(roadmap__is_federal=True):
        for code in STAGE_KPIS.get(stage.order, []):
            StageTarget.objects.get_or_create(stage=stage, kpi=kpis[code])


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial"), ("regions", "0002_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
