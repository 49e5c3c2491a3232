"""python manage.py benchmark [--orgs 90000] [--weeks 52] [--repeat 3] [--quick]"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sferum_bench"


class Command(BaseCommand):
    help = "Measure import, KPI recomputation and page times at national scale in a separate PostgreSQL database."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=90000)
        parser.add_argument("--weeks", type=int, default=52, help="weeks of history (default a year, DESIGN.md §7)")
        parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
        parser.add_argument("--quick", action="store_true", help="9,000 organisations × 4 weeks, 2 runs (CI smoke)")
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCHMARK_DATABASE_URL", DEFAULT_URL),
            help="PostgreSQL database to create, fill and drop (never the product's own)",
        )
        parser.add_argument("--output", help="also write the Markdown table to this file")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
        parser.add_argument("--child", action="store_true", help=argparse_hidden())

    def handle(self, *args, **options):
        if options["quick"]:
            options.update(orgs=9000, weeks=4, repeat=2)
        if options["child"]:
            return self.run_child(options)
        url = options["database_url"]
        own = settings.DATABASES["default"]
        if urlparse(url).path.lstrip("/") == own.get("NAME"):
            raise CommandError("The benchmark database must not be the product's own database.")
        self.recreate(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": "",
            "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(prefix="sferum-bench-media-"),
            "DJANGO_SETTINGS_MODULE": "sferum_migration.settings.base",
            "DJANGO_DEBUG": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "benchmark",
            "--child",
            "--orgs",
            str(options["orgs"]),
            "--weeks",
            str(options["weeks"]),
            "--repeat",
            str(options["repeat"]),
        ]
        if options["output"]:
            command += ["--output", options["output"]]
        try:
            completed = subprocess.run(command, env=env, check=False)  # noqa: S603
        finally:
            if not options["keep"]:
                self.drop(url)
        if completed.returncode:
            raise CommandError("benchmark failed")

    def run_child(self, options):
        from demo.benchmark import benchmark_run
        from demo.benchmark_report import machine_description, results_table

        call_command("migrate", verbosity=0)
        results = benchmark_run(
            orgs=options["orgs"], weeks=options["weeks"], repeat=options["repeat"], log=self.stdout.write
        )
        table = results_table(results)
        machine = machine_description()
        self.stdout.write("\n" + machine + "\n\n" + table)
        if options["output"]:
            Path(options["output"]).write_text(machine + "\n\n" + table + "\n", encoding="utf-8")

    @staticmethod
    def server_url(url):
        parsed = urlparse(url)
        return urlunparse(parsed._replace(path="/postgres")), parsed.path.lstrip("/")

    def recreate(self, url):
        self.server_execute(url, 'DROP DATABASE IF EXISTS "{name}"', 'CREATE DATABASE "{name}"')

    def drop(self, url):
        self.server_execute(url, 'DROP DATABASE IF EXISTS "{name}"')

    def server_execute(self, url, *statements):
        server, name = self.server_url(url)
        if not name.replace("_", "").isalnum():
            raise CommandError(f"Unexpected database name: {name!r}")
        conn = psycopg2.connect(server)
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        try:
            with conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement.format(name=name))
        finally:
            conn.close()


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
