"""python manage.py recompute_kpis [--week YYYY-MM-DD] [--all]"""

from datetime import date

from django.core.management import BaseCommand, CommandError
from tqdm import tqdm

from metrics.models import WeeklySnapshot
from metrics.services import kpi_current_week_recompute, kpi_values_rebuild, kpi_values_recompute


class Command(BaseCommand):
    help = "Recompute the precomputed KPI values: one week, every week (--all), or the current week."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--week", type=date.fromisoformat, help="any day of the week, YYYY-MM-DD")
        group.add_argument("--all", action="store_true", help="rebuild every week that has snapshots")

    def handle(self, *args, **options):
        week = options["week"]
        if week:
            rows = kpi_values_recompute(week=week)
            self.stdout.write(self.style.SUCCESS(f"{week:%Y-%m-%d}: {rows} KPI values"))
        elif options["all"]:
            weeks = list(WeeklySnapshot.objects.order_by("week").values_list("week", flat=True).distinct())
            if not weeks:
                raise CommandError("No snapshots yet: nothing to compute.")
            with tqdm(total=len(weeks), unit="week", disable=not self.stdout.isatty()) as bar:
                rows = kpi_values_rebuild(weeks=weeks, progress=lambda _week: bar.update())
            self.stdout.write(self.style.SUCCESS(f"{len(weeks)} weeks: {rows} KPI values"))
        else:
            rows = kpi_current_week_recompute()
            self.stdout.write(self.style.SUCCESS(f"current and previous week: {rows} KPI values"))
