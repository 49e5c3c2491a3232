"""The demo's reporting: when each region's file of each week arrived, and who has not reported
in the latest week.

Without this every demo region-week would have rows but no arrival, and the register would call
every one of them late. Arrivals follow the reporting cycle (DESIGN.md §4.2): most regions send
their file between Friday and Tuesday morning, before the deadline; a few are habitually late,
and everyone is late now and then. In the latest week a few regions have sent nothing and two
only part of their organisations, so «кто не отчитался» has something to say.
"""

import random
from datetime import date, datetime, timedelta

from metrics.models import RegionReporting, WeeklySnapshot
from metrics.reporting import ReportingCycle
from metrics.services import Arrival, reporting_arrivals_record

from .constants import DEMO_ORG_PREFIX

# Regions that usually send after the deadline, and the chance that anyone else does in a week.
HABITUALLY_LATE_REGIONS = 6
LATE_CHANCE = (0.6, 0.03)
# The latest week: regions with no file yet, and regions whose file covers about this share of
# their organisations (under COVERAGE_MIN: «частично»). 62 is a demo coordinator's own region.
MISSING_LAST_WEEK = 3
PARTIAL_LAST_WEEK = ("62",)
PARTIAL_EXTRA = 1
PARTIAL_SHARE = 0.6


def latest_week_gaps(*, regions, seed: int) -> tuple[set[str], set[str]]:
    """(codes of the regions with no file in the latest week, codes of those with part of one)."""
    rng = random.Random(f"{seed}:latest-week")
    candidates = sorted(region.code for region in regions if region.code not in {"62", "63"})
    chosen = rng.sample(candidates, MISSING_LAST_WEEK + PARTIAL_EXTRA)
    return set(chosen[:MISSING_LAST_WEEK]), {*PARTIAL_LAST_WEEK, *chosen[MISSING_LAST_WEEK:]}


def latest_week_thin(*, regions, week: date, seed: int) -> int:
    """Remove the latest week's rows of the regions that have not (fully) reported it."""
    missing, partial = latest_week_gaps(regions=regions, seed=seed)
    rows = WeeklySnapshot.objects.filter(week=week, organisation__org_id__startswith=DEMO_ORG_PREFIX)
    deleted, _ = rows.filter(region__code__in=missing).delete()
    for code in sorted(partial):
        ids = sorted(rows.filter(region__code=code).values_list("pk", flat=True))
        keep = round(len(ids) * PARTIAL_SHARE)
        removed, _ = WeeklySnapshot.objects.filter(pk__in=ids[keep:]).delete()
        deleted += removed
    return deleted


def arrivals_record(*, regions, weeks: list[date], seed: int, users_by_region: dict[int, int], as_of: datetime) -> int:
    """Record an arrival for every region-week that has rows: before the deadline, or after it
    for the habitually late and the occasional slip, and never after ``as_of`` (the moment the
    demo stands at: no file comes from the future). Returns the region-weeks recorded."""
    cycle = ReportingCycle.from_settings()
    # Replaced like the snapshots of these weeks: a re-run at another date keeps no stale times.
    RegionReporting.objects.filter(week__in=weeks).delete()
    rng = random.Random(f"{seed}:arrivals")
    codes = sorted(region.code for region in regions)
    late_regions = set(rng.sample(codes, HABITUALLY_LATE_REGIONS))
    present = set(
        WeeklySnapshot.objects.filter(week__in=weeks, organisation__org_id__startswith=DEMO_ORG_PREFIX)
        .order_by()
        .values_list("region_id", "week")
        .distinct()
    )
    arrivals = []
    for region in sorted(regions, key=lambda r: r.code):
        late_chance = LATE_CHANCE[0] if region.code in late_regions else LATE_CHANCE[1]
        region_rng = random.Random(f"{seed}:arrivals:{region.code}")
        for week in weeks:
            # Drawn for every week, so a week without rows does not shift the others.
            late, hours = region_rng.random() < late_chance, region_rng.uniform(0.5, 60)
            if (region.id, week) not in present:
                continue
            deadline = cycle.deadline(week)
            at = deadline + timedelta(hours=hours) if late else deadline - timedelta(hours=hours + 1)
            if at > as_of:
                at = as_of - timedelta(minutes=10 + int(hours))
            arrivals.append(Arrival(region.id, week, at, users_by_region.get(region.id)))
    return reporting_arrivals_record(arrivals=arrivals)
