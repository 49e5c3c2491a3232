from datetime import date

from django.db import migrations, models


def week_range_fill(apps, schema_editor):
    """Uploads stored before the range: the weeks their import read from the rows (kept in the
    diff), else the week chosen on upload. One upload's diff in memory at a time."""
    Upload = apps.get_model("metrics", "Upload")
    for upload_id, week, diff in Upload.objects.order_by().values_list("id", "week", "diff").iterator():
        weeks = sorted(date.fromisoformat(text) for text in (diff or {}).get("weeks") or [])
        first, last = (weeks[0], weeks[-1]) if weeks else (week, week)
        if first is not None:
            Upload.objects.filter(id=upload_id).update(week_first=first, week_last=last)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0009_upload_errors_bounded"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="week_first",
            field=models.DateField(blank=True, null=True, verbose_name="первая неделя файла"),
        ),
        migrations.AddField(
            model_name="upload",
            name="week_last",
            field=models.DateField(blank=True, null=True, verbose_name="последняя неделя файла"),
        ),
        migrations.RunPython(week_range_fill, migrations.RunPython.noop, elidable=True),
    ]
