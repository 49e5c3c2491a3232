"""The overview's heat map (one KPI of every region over 26 weeks) read from an index alone: a
partial index of the region rows of all kinds, 356 of a week's 12,500 KPI values (issue #19)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0012_snapshot_partitions"),
        ("regions", "0003_api_tokens"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="kpivalue",
            index=models.Index(
                condition=models.Q(("kind", ""), ("scope", "region")),
                fields=["kpi", "week", "scope_id", "value"],
                name="metrics_kpivalue_region_matrix",
            ),
        ),
    ]
