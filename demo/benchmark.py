"""The national-scale benchmark (DESIGN.md §7): synthetic data in a separate PostgreSQL database,
the real import path (new week and re-sent week), the physical limit (bare COPY), the data-quality
checks, KPI recomputation, page and API server times, the tile map, and a week's digests.

Run through ``python manage.py benchmark``, which re-executes itself against the benchmark
database so the user's own data is never touched.
"""

import gc
import io
import multiprocessing
import os
import random
import resource
import secrets
import statistics
import tempfile
import threading
import time
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from metrics.counts import COUNT_FIELDS
from metrics.importers import template_headers
from metrics.kpi import monday_of

from .benchmark_report import Result

KIND_MIX = (
    ("preschool", 0.33),
    ("school", 0.45),
    ("college", 0.05),
    ("extra", 0.08),
    ("authority_municipal", 0.09),
)


def synthetic_counts(rng: random.Random, kind: str, progress: float) -> tuple[int, ...]:
    """One organisation-week of plausible counts; ``progress`` 0..1 moves activity up."""
    staff = rng.randint(10, 120)
    students = 0 if kind.startswith("authority") else rng.randint(50, 1200)
    parents = int(students * 1.6)
    officials = rng.randint(5, 40) if kind.startswith("authority") else rng.randint(1, 5)
    sferum = staff + students + parents
    share = min(1.0, 0.3 + 0.6 * progress + rng.uniform(-0.1, 0.1))
    return (
        staff,
        int(staff * share),
        students,
        int(students * share * 0.5),
        parents,
        int(parents * share * 0.4),
        officials,
        int(officials * min(1.0, share + 0.2)),
        sferum,
        int(sferum * share),
    )


def dataset_build(*, orgs: int, weeks: list[date], seed: int = 7, log=print) -> dict:
    """Organisations across the 89 regions (≈ orgs/36 municipalities) and one snapshot per
    organisation per week, written with COPY. Returns {"organisations": [(id, org_id, region_id, kind)]}."""
    from metrics.services import snapshot_partitions_ensure
    from regions.models import Municipality, Organisation, Region

    rng = random.Random(seed)
    regions = list(Region.objects.order_by("code").values_list("id", "code"))
    municipalities_per_region = max(1, orgs // 36 // len(regions))
    Municipality.objects.bulk_create(
        [
            Municipality(region_id=rid, name=f"Муниципалитет {code}-{i}")
            for rid, code in regions
            for i in range(municipalities_per_region)
        ],
        batch_size=5000,
    )
    municipality_ids = {}
    for mid, rid in Municipality.objects.values_list("id", "region_id"):
        municipality_ids.setdefault(rid, []).append(mid)
    buffer = io.StringIO()
    kinds, weights = zip(*KIND_MIX, strict=True)
    for n in range(orgs):
        region_id, code = regions[n % len(regions)]
        kind = "authority_regional" if n < len(regions) else rng.choices(kinds, weights)[0]
        municipality = "\\N" if kind == "authority_regional" else rng.choice(municipality_ids[region_id])
        buffer.write(f"B{code}{n:07d}\tОрганизация № {n}\t{kind}\t{region_id}\t{municipality}\tf\t2025-01-01\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {Organisation._meta.db_table} (org_id, name, kind, region_id, municipality_id, diary_integrated, "
            "created_at) FROM STDIN",
            buffer,
        )
    organisations = list(Organisation.objects.order_by("id").values_list("id", "org_id", "region_id", "kind"))
    log(f"  {len(organisations)} organisations, {Municipality.objects.count()} municipalities")
    columns = ("organisation_id", "region_id", "week", *COUNT_FIELDS, "updated_at")
    snapshot_partitions_ensure(weeks=weeks)  # as the nightly job makes them ready
    for index, week in enumerate(weeks):
        progress = index / max(1, len(weeks) - 1)
        buffer = io.StringIO()
        for organisation_id, _org_id, region_id, kind in organisations:
            counts = synthetic_counts(rng, kind, progress)
            buffer.write(f"{organisation_id}\t{region_id}\t{week}\t" + "\t".join(map(str, counts)) + "\t2025-01-01\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY metrics_weeklysnapshot ({', '.join(columns)}) FROM STDIN", buffer)
    log(f"  {len(organisations) * len(weeks)} snapshots over {len(weeks)} weeks")
    # What autovacuum would have done to a database that grew week by week: planner statistics
    # and the visibility map (the PostgreSQL measured may run with autovacuum off).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"organisations": organisations}


def national_file(organisations, *, seed: int, regions: dict[int, str] | None = None) -> bytes:
    """A weekly file as Excel on a Russian Windows machine writes it: Windows-1251, `;`.

    With ``regions`` (id -> code) the file is national and carries «Код региона»."""
    rng = random.Random(seed)
    header = (["Код региона"] if regions else []) + [h for h in template_headers() if h != "Неделя"]
    lines = [";".join(header)]
    for _id, org_id, region_id, kind in organisations:
        counts = synthetic_counts(rng, kind, 0.8)
        prefix = [regions[region_id]] if regions else []
        # The template's order: id, name, kind, municipality, then the counts.
        lines.append(";".join([*prefix, org_id, "", "", "", *map(str, counts)]))
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def _import_in_child(conn, payload: dict) -> None:
    """Run one import in a fresh interpreter so its peak memory is its own."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from metrics.services import upload_create, upload_process
    from regions.models import Region

    if not payload.get("quality", True):
        # The import as it was before the data-quality checks (issue #14), for the before/after.
        from metrics.quality import QualityFindings
        from metrics.services import uploads

        uploads.upload_quality_check = lambda **_kwargs: QualityFindings()
    if payload.get("other_thread"):
        # A second thread alive, as in a threaded server: the checks run beside on a thread.
        threading.Thread(target=threading.Event().wait, daemon=True).start()
    user = get_user_model().objects.get(username="benchmark")
    region = Region.objects.get(code=payload["region"]) if payload["region"] else None
    start = time.perf_counter()
    upload = upload_create(
        user=user,
        file=SimpleUploadedFile(payload["name"], payload["content"]),
        region=region,
        week=date.fromisoformat(payload["week"]),
    )
    upload = upload_process(upload_id=upload.id)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The data-quality checks' process beside the write (sferum_migration.db.run_beside).
    beside_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    conn.send(
        {
            "elapsed": elapsed,
            "peak_mb": peak_mb,
            "beside_mb": beside_mb,
            "status": upload.status,
            "rows": upload.rows_imported,
            "message": upload.message,
        }
    )
    conn.close()


def import_measure(
    *, content: bytes, name: str, region_code: str | None, week: date, quality: bool = True, other_thread=False
) -> dict:
    """One import through the real path (upload_create + upload_process, as the task does);
    ``quality`` False leaves out the data-quality checks (the import before issue #14);
    ``other_thread`` runs them beside on a thread rather than in a process (a threaded server's way)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    connection.close()  # the child opens its own
    process = context.Process(
        target=_import_in_child,
        args=(
            child,
            {
                "content": content,
                "name": name,
                "region": region_code,
                "week": week.isoformat(),
                "quality": quality,
                "other_thread": other_thread,
            },
        ),
    )
    process.start()
    result = parent.recv()
    process.join()
    if result["status"] != "succeeded":
        raise RuntimeError(f"benchmark import failed: {result['message']}")
    return result


def copy_measure(content: bytes) -> float:
    """The physical limit: the same file straight into a plain table with COPY."""
    header = content.split(b"\r\n", 1)[0].decode("cp1251").split(";")
    columns = ", ".join(
        f'"c{i}" text' if i < len(header) - len(COUNT_FIELDS) else f'"c{i}" integer' for i in range(len(header))
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE bench_copy ({columns}) ON COMMIT DROP")
        start = time.perf_counter()
        cursor.copy_expert(
            "COPY bench_copy FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'WIN1251')",
            io.BytesIO(content),
        )
        return time.perf_counter() - start


def copy_indexed_measure(organisations, *, seed: int) -> float:
    """The floor for this schema: the same number of rows COPYed straight into the snapshot table
    itself (its indexes, CHECK constraints and foreign key checked), then rolled back."""
    from metrics.models import WeeklySnapshot
    from metrics.services import snapshot_partitions_ensure

    rng = random.Random(seed)
    # A week with no rows yet, its partition made ready (as the nightly job does): a Monday file.
    week = WeeklySnapshot.objects.order_by("week").values_list("week", flat=True).first() - timedelta(weeks=1)
    lines = [
        f"{organisation_id}\t{region_id}\t{week}\t" + "\t".join(map(str, synthetic_counts(rng, kind, 0.8))) + "\tnow\n"
        for organisation_id, _org_id, region_id, kind in organisations
    ]
    columns = ", ".join(("organisation_id", "region_id", "week", *COUNT_FIELDS, "updated_at"))
    buffer = io.StringIO("".join(lines))
    with transaction.atomic(), connection.cursor() as cursor:
        snapshot_partitions_ensure(weeks=[week])
        start = time.perf_counter()
        cursor.copy_expert(f"COPY {WeeklySnapshot._meta.db_table} ({columns}) FROM STDIN", buffer)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign key checks, as at COMMIT
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def quality_file_rows(organisations, *, week: date, seed: int, plausible: bool) -> list:
    """A national file's rows for the data-quality checks (QualityRow): a plausible week (each
    organisation's figures of the week before, within ±3 %, KPIs moving a point or so), or the
    synthetic counts of ``national_file`` (drawn afresh every week: nearly every row is warned)."""
    from metrics.models import WeeklySnapshot
    from metrics.quality import QualityRow

    rng = random.Random(seed)
    last = {}
    if plausible:
        rows = WeeklySnapshot.objects.filter(week=week - timedelta(weeks=1)).order_by()
        last = {pk: counts for pk, *counts in rows.values_list("organisation_id", *COUNT_FIELDS)}
    rows = []
    for line, (pk, org_id, region_id, kind) in enumerate(organisations, start=2):
        if plausible:
            counts = []
            for total, active in zip(last[pk][::2], last[pk][1::2], strict=True):
                level = rng.uniform(0.97, 1.03)
                new_total = round(total * level)
                counts += [new_total, min(new_total, round(active * level * rng.uniform(0.99, 1.01)))]
            counts = tuple(counts)
        else:
            counts = synthetic_counts(rng, kind, 0.8)
        rows.append(QualityRow(line, pk, org_id, "", kind, region_id, week, counts))
    return rows


def quality_measure(rows) -> dict:
    """The data-quality checks of one file alone, as an upload runs them before saving: the history
    read (organisations, the week before, the regions' pace, the outlier candidates' weeks) and the
    checks; nothing written."""
    from metrics.services.quality import quality_rows_check

    timings = {}
    start, cpu = time.perf_counter(), time.process_time()
    findings = quality_rows_check(rows=rows, stored={}, keep=1000, timings=timings)
    return {
        "elapsed": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "warnings": sum(findings.counts.values()),
        **timings,
    }


def timed(function, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return runs


def page_measure(client, url: str, repeat: int) -> tuple[list[float], int, int]:
    """Server-side time of one GET through the full Django stack, and its query count."""
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches of the process, not of the data
    runs = []
    queries = 0
    status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            runs.append(time.perf_counter() - start)
        queries = len(captured.captured_queries)
        status = response.status_code
    return runs, queries, status


def benchmark_run(*, orgs: int, weeks: int, repeat: int, log=print) -> list[Result]:
    """Build the dataset, then measure every figure of the performance issue."""
    from regions.choices import UserRole
    from regions.models import Region

    from .users import login_upsert

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    latest = monday_of(date.today()) - timedelta(weeks=1)
    # The last 3 × `repeat` weeks stay empty: each measured national import fills a new week, as a
    # Monday-morning file does: with its data-quality checks beside in a process, on a thread, and
    # without them.
    # The newest stays empty until the overview is measured under load, with a national file of a
    # new week imported meanwhile.
    *import_weeks, load_week = [latest - timedelta(weeks=i) for i in range(3 * repeat + 1)][::-1]
    data_weeks = [latest - timedelta(weeks=3 * repeat + 1 + i) for i in range(weeks)][::-1]
    log(f"Building {orgs} organisations × {weeks} weeks …")
    start = time.perf_counter()
    data = dataset_build(orgs=orgs, weeks=data_weeks, log=log)
    log(f"  built in {time.perf_counter() - start:.1f} s")
    password = secrets.token_urlsafe(24)
    login_upsert(username="benchmark", password=password, role=UserRole.MINISTRY)
    regions = dict(Region.objects.values_list("id", "code"))
    organisations = data["organisations"]
    results = _kpi_measures(weeks=data_weeks, repeat=repeat, full=orgs >= 50000, log=log)
    results += _quality_measures(organisations, week=import_weeks[0], repeat=repeat, log=log)
    results += _national_measures(organisations, regions=regions, weeks=import_weeks, repeat=repeat, log=log)
    results += _regional_measures(organisations, week=import_weeks[-1], repeat=repeat, log=log)
    results += _page_measures(week=import_weeks[-1], repeat=repeat, log=log)
    results += _digest_measures(week=import_weeks[-1], repeat=repeat, log=log)
    results += _load_measures(
        organisations, regions=regions, week=load_week, password=password, quick=orgs < 50000, log=log
    )
    return results


def _kpi_measures(*, weeks: list[date], repeat: int, full: bool, log) -> list[Result]:
    from metrics.services import kpi_values_rebuild, kpi_values_recompute

    rebuild = Result(f"Full KPI rebuild, {len(weeks)} weeks")
    log("Full rebuild …")
    rebuild.runs = timed(kpi_values_rebuild, 1 if full else repeat)
    week_recompute = Result("Recompute one week, whole country")
    week_recompute.runs = timed(lambda: kpi_values_recompute(week=weeks[-1]), repeat)
    return [rebuild, week_recompute]


def _quality_measures(organisations, *, week: date, repeat: int, log) -> list[Result]:
    log("Data-quality checks …")
    results = []
    for label, plausible in (("a plausible week", True), ("random counts, nearly every row warned", False)):
        rows = quality_file_rows(organisations, week=week, seed=300, plausible=plausible)
        checks = Result(f"Data-quality checks alone, national file of {len(rows)} rows, {label}")
        read = Result("  of which the history read (at most 4 queries)")
        check = Result("  of which the checks (pure Python)")
        cpu = Result("  CPU time of this process (the checks and reading the rows; not the server's)")
        for _ in range(repeat):
            outcome = quality_measure(rows)
            checks.runs.append(outcome["elapsed"])
            read.runs.append(outcome["read"])
            check.runs.append(outcome["check"])
            cpu.runs.append(outcome["cpu"])
        checks.note = f"{outcome['warnings']} warnings"
        results += [checks, read, check, cpu]
    return results


def _national_measures(organisations, *, regions: dict, weeks: list[date], repeat: int, log) -> list[Result]:
    log("National file …")
    national = Result(f"National file, {len(organisations)} rows, end to end (upload → succeeded, KPIs recomputed)")
    memory = Result("  peak memory of the importing process", unit="MB")
    beside_memory = Result("  peak memory of the checks' process beside it (forked: shares the file's rows)", unit="MB")
    rate = Result("  rows per second", unit="rows/s")
    copy = Result(f"Bare PostgreSQL COPY of the same {len(organisations)} rows (physical limit)")
    copy_indexed = Result(
        f"COPY of {len(organisations)} rows into the snapshot table itself (its 4 indexes, checks, foreign key)"
    )
    unchecked = Result("  the same import without the data-quality checks (as before issue #14)")
    unchecked_memory = Result("  its peak memory", unit="MB")
    resent = Result("  the same week sent again (every row replaced)")
    on_thread = Result("  the same import with the checks beside on a thread, not a process (a threaded server's way)")
    for i in range(repeat):
        content = national_file(organisations, seed=100 + i, regions=regions)
        outcome = import_measure(
            content=content, name="national.csv", region_code=None, week=weeks[3 * i + 1], quality=False
        )
        unchecked.runs.append(outcome["elapsed"])
        unchecked_memory.runs.append(outcome["peak_mb"])
        outcome = import_measure(
            content=content, name="national.csv", region_code=None, week=weeks[3 * i + 2], other_thread=True
        )
        on_thread.runs.append(outcome["elapsed"])
        outcome = import_measure(content=content, name="national.csv", region_code=None, week=weeks[3 * i])
        national.runs.append(outcome["elapsed"])
        memory.runs.append(outcome["peak_mb"])
        beside_memory.runs.append(outcome["beside_mb"])
        rate.runs.append(outcome["rows"] / outcome["elapsed"])
        changed = national_file(organisations, seed=150 + i, regions=regions)
        resent.runs.append(
            import_measure(content=changed, name="national.csv", region_code=None, week=weeks[3 * i])["elapsed"]
        )
        copy.runs.append(copy_measure(content))
        copy_indexed.runs.append(copy_indexed_measure(organisations, seed=100 + i))
    ratio = Result("  ratio import / bare COPY", unit="×", runs=[national.median / copy.median])
    ratio_indexed = Result(
        "  ratio import / COPY into the snapshot table", unit="×", runs=[national.median / copy_indexed.median]
    )
    return [
        national,
        rate,
        memory,
        beside_memory,
        resent,
        on_thread,
        unchecked,
        unchecked_memory,
        copy,
        ratio,
        copy_indexed,
        ratio_indexed,
    ]


def _regional_measures(organisations, *, week: date, repeat: int, log) -> list[Result]:
    from regions.models import Region

    log("Regional file …")
    ryazan = Region.objects.get(code="62")
    regional_orgs = [o for o in organisations if o[2] == ryazan.id]
    target = 5000
    # Pad the region to the size of a large regional file.
    if len(regional_orgs) < target:
        regional_orgs += dataset_extra_region_orgs(ryazan, target - len(regional_orgs))
    regional = Result(f"Regional file, {len(regional_orgs)} rows, end to end")
    for i in range(repeat):
        content = national_file(regional_orgs, seed=200 + i)
        outcome = import_measure(content=content, name="region.csv", region_code="62", week=week)
        regional.runs.append(outcome["elapsed"])
    return [regional]


PAGES = (
    ("Federal overview page (with the tile map and what changed)", "/"),
    ("Region page (62)", "/regions/62/"),
    ("Reporting register page", "/reporting/"),
    ("GET /api/v1/kpis/summary/", "/api/v1/kpis/summary/"),
    ("GET /api/v1/reporting/", "/api/v1/reporting/"),
    ("GET /api/v1/kpis/changes/", "/api/v1/kpis/changes/"),
)


def _page_measures(*, week: date, repeat: int, log) -> list[Result]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from dashboard.charts import tilemap_figure
    from metrics.selectors import kpi_definitions, region_map, region_refs

    log("Pages …")
    client = Client()
    client.force_login(get_user_model().objects.get(username="benchmark"))
    results = []
    gc.freeze()  # as a served process does (sferum_migration/wsgi.py); this one's dataset included
    for label, url in PAGES:
        runs, queries, status = page_measure(client, url, max(repeat, 5))
        note = f"{queries} queries" if status == 200 else f"HTTP {status}"
        results.append(Result(label + " (server time)", runs=runs, note=note))
    gc.unfreeze()
    kpi = kpi_definitions()[0]

    def tile_map():
        rows = region_map(week=week, kpi=kpi.code, target=float(kpi.target), regions=region_refs())
        for row in rows:
            row["url"] = f"/regions/{row['code']}/"
        return tilemap_figure(rows=rows, kpi_name=kpi.short_name, target=float(kpi.target))

    results.append(Result("  the tile map alone (its data and figure)", runs=timed(tile_map, max(repeat, 5))))
    return results


def _digest_measures(*, week: date, repeat: int, log) -> list[Result]:
    """Every digest of a week built and rendered (the dry run: nothing sent), for a coordinator
    of each region and 50 ministry users."""
    from digests.services import digests_plan

    log("Digests …")
    recipients = benchmark_recipients_create(ministry=50)
    plan = []
    digests = Result(f"All digests of a week built and rendered, {recipients} recipients")
    digests.runs = timed(lambda: plan.extend(digests_plan(week=week)), repeat)
    digests.note = f"{sum(1 for p in plan if p.action == 'send') // repeat} to send"
    return [digests]


def benchmark_recipients_create(*, ministry: int) -> int:
    """A coordinator with an address for every region and ``ministry`` ministry users. Written in
    bulk with unusable passwords: hashing 139 passwords would take longer than what is measured."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from regions.choices import UserRole
    from regions.models import Region, UserScope

    User = get_user_model()
    regions = list(Region.objects.order_by("code"))
    users = [
        User(
            username=f"bench-coordinator{r.code}",
            email=f"coordinator{r.code}@example.org",
            password=make_password(None),
        )
        for r in regions
    ]
    users += [
        User(username=f"bench-ministry{n}", email=f"ministry{n}@example.org", password=make_password(None))
        for n in range(ministry)
    ]
    users = User.objects.bulk_create(users)
    scopes = [UserScope(user=u, role=UserRole.COORDINATOR, region=r) for u, r in zip(users, regions, strict=False)]
    scopes += [UserScope(user=u, role=UserRole.MINISTRY) for u in users[len(regions) :]]
    UserScope.objects.bulk_create(scopes)
    return len(users)


def dataset_extra_region_orgs(region, count: int) -> list[tuple]:
    """Add ``count`` organisations to one region (no snapshots) for the regional file."""
    from regions.models import Organisation

    created = Organisation.objects.bulk_create(
        [
            Organisation(org_id=f"R{region.code}{n:07d}", name=f"Школа {n}", kind="school", region=region)
            for n in range(count)
        ],
        batch_size=5000,
    )
    return [(o.id, o.org_id, o.region_id, o.kind) for o in created]


def _load_measures(organisations, *, regions: dict, week: date, password: str, quick: bool, log) -> list[Result]:
    """The federal overview's time to first byte through gunicorn (2 workers, as deployed) while
    20 ministry sessions fetch it in a loop and a national file of a new week is imported beside
    them from the second second on (its own time under that load is reported too)."""
    import threading

    from .load import clients_run, free_port, gunicorn_start, gunicorn_stop, percentile, session_login

    clients, seconds = (5, 8) if quick else (20, 20)
    log(f"Overview under load ({clients} sessions, {seconds} s, a national import beside) …")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    connection.close()  # gunicorn's workers and the import open their own
    # Static files are not what is measured: an empty folder keeps WhiteNoise from warning.
    server = gunicorn_start({**os.environ, "DJANGO_STATIC_ROOT": tempfile.mkdtemp(prefix="sferum-bench-")}, port=port)
    imported = {}
    try:
        openers = [session_login(base, "benchmark", password) for _ in range(clients)]
        content = national_file(organisations, seed=400, regions=regions)

        def import_beside():
            time.sleep(2)
            thread = threading.Thread(
                target=lambda: imported.update(
                    import_measure(content=content, name="national.csv", region_code=None, week=week)
                )
            )
            thread.start()
            return thread  # waited for (join) at the end

        load = clients_run(openers, base=base, urls=["/"], seconds=seconds, during=import_beside)
    finally:
        gunicorn_stop(server)
    first = load.first_byte["/"]
    note = f"{len(first)} requests, {load.errors['/']} errors"
    title = f"Federal overview under load, {clients} sessions, gunicorn 2 workers, national import beside"
    return [
        Result(f"{title}: first byte, median", runs=[statistics.median(first)], note=note),
        Result("  first byte, 95th percentile", runs=[percentile(first, 95)]),
        Result("  the national import under that load", runs=[imported.get("elapsed", float("nan"))]),
    ]
