#!/usr/bin/env python
"""False-positive rate of the data-quality checks on the demo data (issue #14).

Every region-week of the database is checked as if the region had just sent it as its weekly file
(the Monday case: nothing stored for that week yet), through the same read and checks as an
upload (metrics.services.quality.quality_rows_check). The demo's numbers are smooth adoption
curves with weekly noise, seasonal dips and a mass move, so every warning here is noise.

    DATABASE_URL=sqlite:////tmp/q_demo.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/q_demo.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/q_demo.sqlite3 .venv/bin/python scripts/quality_false_positives.py

Prints, per code, the share of organisation-weeks flagged (region-weeks for the section checks)
and the weeks with most of them; then, as a check of the checks, how often each kind of error
planted into a sample of region-weeks after the move (``--inject N``, default 300) is caught by the
code meant for it. Reads only; writes nothing.
"""

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sferum_migration.settings.base")

import django

django.setup()

from metrics.counts import COUNT_FIELDS  # noqa: E402
from metrics.models import WeeklySnapshot  # noqa: E402
from metrics.quality import QualityRow, QualityThresholds  # noqa: E402
from metrics.services.quality import organisations_read, quality_rows_check  # noqa: E402
from regions.models import Organisation  # noqa: E402

SECTION_CODES = ("same_as_previous", "identical_rows", "region_swing")
# The demo's mass move is over by then: the planted errors land on settled numbers.
AFTER_THE_MOVE = date(2025, 11, 17)
INDEX = {name: index for index, name in enumerate(COUNT_FIELDS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inject", type=int, default=300, help="region-weeks to plant errors into (0: none)")
    inject = parser.parse_args().inject
    thresholds = QualityThresholds.from_settings()
    started = time.perf_counter()
    regions = sorted(set(Organisation.objects.values_list("region_id", flat=True)))
    organisations = organisations_read(regions)
    org_ids = dict(Organisation.objects.values_list("id", "org_id"))
    by_region_week = defaultdict(list)
    for organisation_id, region_id, week, *counts in WeeklySnapshot.objects.order_by(
        "week", "organisation_id"
    ).values_list("organisation_id", "region_id", "week", *COUNT_FIELDS):
        by_region_week[(region_id, week)].append((organisation_id, tuple(counts)))
    weeks = sorted({week for _region, week in by_region_week})
    flagged_orgs = defaultdict(set)  # code -> {(organisation, week)}
    flagged_sections = defaultdict(set)  # code -> {(region, week)}
    per_week = defaultdict(Counter)  # code -> week -> organisations (or regions) flagged
    examples = {}
    org_weeks = 0
    checked_weeks = weeks[1:]  # the first week has no week before it
    for week in checked_weeks:
        for region_id in regions:
            snapshots = by_region_week.get((region_id, week), [])
            org_weeks += len(snapshots)
            rows = [
                QualityRow(
                    line=line,
                    org_pk=pk,
                    org_id=org_ids[pk],
                    name="",
                    kind=organisations[pk][1],
                    region_id=region_id,
                    week=week,
                    counts=counts,
                )
                for line, (pk, counts) in enumerate(snapshots, start=2)
            ]
            findings = quality_rows_check(rows=rows, stored={}, organisations=organisations, thresholds=thresholds)
            for warning in findings.warnings:
                examples.setdefault(warning.code, warning.message)
                if warning.code in SECTION_CODES:
                    if (region_id, week) not in flagged_sections[warning.code]:
                        per_week[warning.code][week] += 1
                    flagged_sections[warning.code].add((region_id, week))
                else:
                    if (warning.org_pk, week) not in flagged_orgs[warning.code]:
                        per_week[warning.code][week] += 1
                    flagged_orgs[warning.code].add((warning.org_pk, week))
    region_weeks = sum(1 for region, week in by_region_week if week in set(checked_weeks))
    print(
        f"{len(checked_weeks)} weeks ({checked_weeks[0]} – {checked_weeks[-1]}), {org_weeks} organisation-weeks, "
        f"{region_weeks} region-weeks checked in {time.perf_counter() - started:.1f} s"
    )
    print(f"thresholds: {thresholds}")
    any_org = set().union(*flagged_orgs.values()) if flagged_orgs else set()
    for code in ("same_as_previous", "base_jump", "drop_to_zero", "outlier", "identical_rows", "region_swing"):
        if code in SECTION_CODES:
            n, of, unit = len(flagged_sections[code]), region_weeks, "region-weeks"
        else:
            n, of, unit = len(flagged_orgs[code]), org_weeks, "organisation-weeks"
        top = ", ".join(f"{week}: {count}" for week, count in per_week[code].most_common(4))
        print(f"  {code:17s} {n:6d} of {of} {unit} = {100 * n / of:.3f} %" + (f"   (most: {top})" if top else ""))
    print(f"  any organisation-level warning: {len(any_org)} of {org_weeks} = {100 * len(any_org) / org_weeks:.3f} %")
    for code, message in examples.items():
        print(f"  e.g. {code}: {message}")
    if inject:
        planted(by_region_week, organisations, org_ids, thresholds, sample=inject)


def with_counts(counts, **changes):
    values = list(counts)
    for name, value in changes.items():
        values[INDEX[name]] = value
    return tuple(values)


def first_row(rows, **scale):
    """The rows with one count of the first row changed: {name: function of the old value}."""
    pk, counts = rows[0]
    return [(pk, with_counts(counts, **{name: f(counts[INDEX[name]]) for name, f in scale.items()})), *rows[1:]]


# error -> (the code meant to catch it, how to plant it: (the region-week's rows, the week before's) -> rows)
ERRORS = {
    "last week's file sent again": ("same_as_previous", lambda rows, before: list(before)),
    "students total ×10 in one row": (
        "base_jump",
        lambda rows, before: first_row(rows, students_total=lambda v: v * 10),
    ),
    "parents active left empty in one row": (
        "drop_to_zero",
        lambda rows, before: first_row(rows, parents_active=lambda v: 0),
    ),
    "staff active a third of itself in one row": (
        "outlier",
        lambda rows, before: first_row(rows, staff_active=lambda v: v // 3),
    ),
    "one row copied over ten others": (
        "identical_rows",
        lambda rows, before: [(pk, rows[0][1]) for pk, _counts in rows[:11]] + rows[11:],
    ),
}


def planted(by_region_week, organisations, org_ids, thresholds, *, sample: int) -> None:
    """Plant each kind of error into the same sample of region-weeks after the move (a school as
    the first row: staff ≥ 20 and learners to drop), and count how often its code catches it."""
    rng = random.Random(14)
    eligible = []
    for (region_id, week), rows in sorted(by_region_week.items()):
        before = by_region_week.get((region_id, week - timedelta(weeks=1)))
        schools = [(pk, counts) for pk, counts in rows if organisations[pk][1] == "school"]
        if week >= AFTER_THE_MOVE and before and len(rows) >= 12 and schools:
            first = max(schools, key=lambda item: item[1][INDEX["staff_total"]])
            eligible.append((region_id, week, [first] + [item for item in rows if item[0] != first[0]], before))
    chosen = rng.sample(eligible, min(sample, len(eligible)))
    print(f"planted errors, {len(chosen)} region-weeks from {AFTER_THE_MOVE} (of {len(eligible)} eligible):")
    for error, (code, plant) in ERRORS.items():
        caught = 0
        for region_id, week, rows, before in chosen:
            changed = plant(rows, before)
            file_rows = [
                QualityRow(line, pk, org_ids[pk], "", organisations[pk][1], region_id, week, counts)
                for line, (pk, counts) in enumerate(changed, start=2)
            ]
            findings = quality_rows_check(rows=file_rows, stored={}, organisations=organisations, thresholds=thresholds)
            target = changed[0][0]
            if any(w.code == code and (code in SECTION_CODES or w.org_pk == target) for w in findings.warnings):
                caught += 1
        print(f"  {error:45s} → {code:17s} caught in {caught} of {len(chosen)} ({100 * caught / len(chosen):.1f} %)")


if __name__ == "__main__":
    main()
