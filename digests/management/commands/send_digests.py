"""python manage.py send_digests [--week YYYY-MM-DD] [--dry-run]"""

from datetime import date

from django.core.management import BaseCommand, CommandError
from django.db.models import Count

from digests.models import DigestDelivery
from digests.selectors import digest_week_due, week_has_values
from digests.services import digests_plan, digests_send
from metrics.kpi import monday_of


class Command(BaseCommand):
    help = (
        "Send a week's digests to every coordinator and ministry user: what has not gone out yet "
        "(sent ones never again; failed and waiting ones now). --dry-run prints who would get what."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--week", type=date.fromisoformat, help="any day of the week, YYYY-MM-DD; default: the latest closed week"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the plan; send nothing, write nothing")

    def handle(self, *args, **options):
        week = options["week"]
        week = monday_of(week) if week else digest_week_due()
        if week is None:
            raise CommandError("The latest closed week has no KPI values yet: give --week.")
        if not week_has_values(week=week):
            raise CommandError(f"No KPI values for the week of {week:%Y-%m-%d}: nothing to send.")
        if options["dry_run"]:
            self._print_plan(week)
            return
        result = digests_send(week=week, by_hand=True)
        statuses = dict(
            DigestDelivery.objects.filter(week=week).values_list("status").annotate(n=Count("id")).order_by()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{week:%Y-%m-%d}: {result['created']} new, {result['skipped']} skipped, {result['queued']} queued; "
                f"now {', '.join(f'{s} {n}' for s, n in sorted(statuses.items())) or 'no records'}"
            )
        )

    def _print_plan(self, week):
        plan = digests_plan(week=week)
        for item in plan:
            about = item.region_label or "Россия"
            address = f" <{item.email}>" if item.email else ""
            what = item.subject if item.action == "send" else item.reason
            self.stdout.write(f"{item.action:6} {item.username}{address} [{item.kind}, {about}]: {what}")
        counts = {action: sum(1 for item in plan if item.action == action) for action in ("send", "skip", "exists")}
        self.stdout.write(
            self.style.SUCCESS(
                f"{week:%Y-%m-%d}: {counts['send']} to send, {counts['skip']} to skip, {counts['exists']} already "
                "recorded. Dry run: nothing sent, nothing written."
            )
        )
