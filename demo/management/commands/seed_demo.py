"""Fill the database with repeatable demo data (see demo.seed)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from demo.seed import demo_data_seed
from demo.users import demo_logins_present
from regions.models import Organisation


class Command(BaseCommand):
    help = "Create demo municipalities, organisations, weekly snapshots since August 2025, KPI values and logins."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="Share of the full demo size (default 1.0).")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (default 2025).")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=None,
            help="YYYY-MM-DD: weeks up to the last complete one before this day (default today).",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any organisation exists.")

    def handle(self, *args, scale, seed, until, if_empty, **options):
        if if_empty and Organisation.objects.exists():
            self.stdout.write("Organisations exist already: demo data not created (--if-empty).")
            # Still say how to log in: `make run` calls this on every start.
            self.print_logins(demo_logins_present())
            return
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        result = demo_data_seed(scale=scale, seed=seed, until=until, stdout=self.stdout)
        self.stdout.write(
            f"{result['regions']} regions ({len(result['pilot_regions'])} pilot), "
            f"{result['municipalities']} municipalities, {result['organisations']} organisations, "
            f"{result['snapshots']} snapshots over {result['weeks']} weeks "
            f"({result['first_week']} – {result['last_week']}), {result['kpi_values']} KPI values."
        )
        self.print_logins(result["users"])
        self.stdout.write(self.style.SUCCESS(f"Done in {result['seconds']:.1f} s."))

    def print_logins(self, users):
        if not users:
            self.stdout.write("No demo users in this database: create one with `python manage.py createsuperuser`.")
            return
        self.stdout.write("Demo logins:")
        rows = [("username", "password", "role", "region")]
        rows += [(user["username"], user["password"], user["role"], user["region"] or "—") for user in users]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for row in rows:
            self.stdout.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
