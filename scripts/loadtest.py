#!/usr/bin/env python
"""Load test on loopback: gunicorn (2 workers) serves the federal overview, a region page and the
KPI summary API to 20 concurrent clients for 60 s while a 90,000-row national upload is processed.

    .venv/bin/python scripts/loadtest.py [--clients 20] [--seconds 60] [--orgs 90000] [--weeks 8]

It builds its own PostgreSQL database (LOADTEST_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/sferum_load), never the product's, and drops it at the end.
Bounded in time and count; traffic goes to 127.0.0.1 only. Prints requests per second,
p50/p95/p99 latency per URL and the error count.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.load import clients_run, gunicorn_start, gunicorn_stop, percentile, session_login  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
URLS = ["/", "/regions/62/", "/api/v1/kpis/summary/"]


def run(command, env, **kwargs):
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def prepare(env, args, password):
    """The database with a national dataset and a ministry user."""
    script = f"""
from datetime import date, timedelta
from demo.benchmark import dataset_build
from metrics.kpi import monday_of
from metrics.services import kpi_values_rebuild
from regions.services import user_upsert
latest = monday_of(date.today()) - timedelta(weeks=2)
dataset_build(orgs={args.orgs}, weeks=[latest - timedelta(weeks=i) for i in range({args.weeks})][::-1])
kpi_values_rebuild()
for n in range({args.clients}):
    user_upsert(username=f"loadtest{{n}}", password="{password}", role="ministry")
"""
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    run([sys.executable, "manage.py", "shell", "-c", script], env)


def national_upload(env):
    """The national import through the real path, in its own process, as a worker runs it."""
    script = """
import time
from datetime import date, timedelta
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from demo.benchmark import national_file
from metrics.kpi import monday_of
from metrics.services import upload_create, upload_process
from regions.models import Organisation, Region
orgs = list(Organisation.objects.order_by("id").values_list("id", "org_id", "region_id", "kind"))
content = national_file(orgs, seed=1, regions=dict(Region.objects.values_list("id", "code")))
start = time.perf_counter()
week = monday_of(date.today()) - timedelta(weeks=1)
upload = upload_create(user=get_user_model().objects.get(username="loadtest0"), region=None,
                       file=SimpleUploadedFile("national.csv", content), week=week)
upload = upload_process(upload_id=upload.id)
print(f"national upload: {upload.status}, {upload.rows_imported} rows in {time.perf_counter() - start:.2f} s")
"""
    return subprocess.Popen([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env)  # noqa: S603


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--orgs", type=int, default=90000)
    parser.add_argument("--weeks", type=int, default=52, help="weeks of history (default a year, DESIGN.md §7)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Dockerfile's: 2)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600)  # bounded whatever is asked
    args.clients = min(args.clients, 100)

    url = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sferum_load")
    name = urllib.parse.urlparse(url).path.lstrip("/")
    server = url.rsplit("/", 1)[0] + "/postgres"
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": "",
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "sferum_migration.settings.base",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(prefix="sferum-load-media-"),
    }
    sql = f'DROP DATABASE IF EXISTS "{name}"; '
    run(["psql", server, "-qc", sql], env)
    run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], env)
    gunicorn = None
    try:
        print(f"building {args.orgs} organisations × {args.weeks} weeks …", flush=True)
        prepare(env, args, password)
        run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        gunicorn = gunicorn_start(env, port=PORT, workers=min(args.workers, 16))
        openers = [session_login(BASE, f"loadtest{n}", password) for n in range(args.clients)]
        print(f"{args.clients} clients for {args.seconds} s; the national upload starts after 5 s", flush=True)

        def upload_after_five_seconds():
            time.sleep(5)
            return national_upload(env)

        load = clients_run(openers, base=BASE, urls=URLS, seconds=args.seconds, during=upload_after_five_seconds)
        results, errors = load.whole, load.errors
        total = sum(len(v) for v in results.values())
        print("\n| url | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for path in URLS:
            values = results[path]
            print(
                f"| {path} | {len(values)} | {len(values) / args.seconds:.1f} | {percentile(values, 50) * 1000:.0f} | "
                f"{percentile(values, 95) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} | {errors[path]} |"
            )
        everything = [v for values in results.values() for v in values]
        print(
            f"| all | {total} | {total / args.seconds:.1f} | {statistics.median(everything) * 1000:.0f} | "
            f"{percentile(everything, 95) * 1000:.0f} | {percentile(everything, 99) * 1000:.0f} | "
            f"{sum(errors.values())} |"
        )
        return 1 if sum(errors.values()) else 0
    finally:
        if gunicorn is not None:
            gunicorn_stop(gunicorn)
        if not args.keep:
            run(["psql", server, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], env)


if __name__ == "__main__":
    sys.exit(main())
