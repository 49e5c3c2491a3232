"""Planner statistics that follow the weekly imports.

PostgreSQL's default re-analyses a table after 10% of it changed: 470,000 rows of a year of
snapshots, five national weeks. Until then the newest week, the one every page shows, lies outside
the statistics and the planner takes it for empty. At 1% a national file (90,000 rows) triggers it.
"""

from django.db import migrations

TABLES = ("metrics_weeklysnapshot", "metrics_kpivalue")


def analyse_after_one_percent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 0.01)")


def analyse_by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (autovacuum_analyze_scale_factor)")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0003_drop_redundant_indexes")]

    operations = [migrations.RunPython(analyse_after_one_percent, analyse_by_default)]
