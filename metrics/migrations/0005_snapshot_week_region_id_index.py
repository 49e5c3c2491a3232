"""The (week, region) index of snapshots ends with the id: the snapshot list's whole order.

Built CONCURRENTLY on PostgreSQL (imports go on while a year of snapshots is indexed), hence a
migration outside a transaction; SQLite builds it plainly."""

from django.db import migrations, models

NEW = models.Index(fields=["week", "region", "id"], name="metrics_snapshot_week_reg_id")
OLD = models.Index(fields=["week", "region"], name="metrics_snapshot_week_region")


def _swap(apps, schema_editor, add: models.Index, remove: models.Index):
    model = apps.get_model("metrics", "WeeklySnapshot")
    if schema_editor.connection.vendor == "postgresql":
        table = model._meta.db_table
        columns = ", ".join(f'"{model._meta.get_field(name).column}"' for name in add.fields)
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{add.name}" ON "{table}" ({columns})')
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{remove.name}"')
    else:
        schema_editor.add_index(model, add)
        schema_editor.remove_index(model, remove)


def forwards(apps, schema_editor):
    _swap(apps, schema_editor, NEW, OLD)


def backwards(apps, schema_editor):
    _swap(apps, schema_editor, OLD, NEW)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("metrics", "0004_snapshot_autovacuum"),
        ("regions", "0002_reference_data"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AddIndex(model_name="weeklysnapshot", index=NEW),
                migrations.RemoveIndex(model_name="weeklysnapshot", name=OLD.name),
            ],
        ),
    ]
