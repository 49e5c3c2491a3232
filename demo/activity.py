"""The demo's weekly numbers: how each region moved from Sferum to MAX, as snapshots.

Every region gets a profile (leader, on time, laggard, stalled) and logistic adoption curves
per KPI group; every organisation draws its sizes, its own shift and the weekly noise from a
random stream seeded by ``seed`` and its ``org_id``. Rows are written in bulk (COPY on PostgreSQL).
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from metrics.counts import COUNT_FIELDS
from metrics.kpi import monday_of
from metrics.models import WeeklySnapshot
from metrics.services import snapshot_partitions_ensure
from regions.choices import OrganisationKind
from regions.models import Region
from sferum_migration.db import bulk_insert

from .constants import BATCH_SIZE, DEMO_ORG_PREFIX

K = OrganisationKind
# The order of the tuples written below: the count columns in COUNT_FIELDS order.
SNAPSHOT_FIELDS = ("organisation", "region", "week", *COUNT_FIELDS, "updated_at")
DEMO_FIRST_WEEK = date(2025, 8, 4)

# KPI groups of the simulation: staff, learners (students and parents), officials, max_only.
STAFF, LEARNERS, OFFICIALS, MAX_ONLY = "staff", "learners", "officials", "max_only"
GROUPS = (STAFF, LEARNERS, OFFICIALS, MAX_ONLY)
LEADER, ON_TIME, LAGGARD, STALLED = "leader", "on_time", "laggard", "stalled"
FIXED_PROFILES = {"16": LEADER, "63": LEADER, "77": LEADER, "50": ON_TIME, "52": ON_TIME, "62": ON_TIME}
# Among the other regions: 3–4 stalled, 11 laggards, 12 more leaders, the rest (about 60) on time.
STALLED_REGIONS = (3, 4)
LAGGARD_REGIONS = 11
OTHER_LEADER_REGIONS = 12
# profile -> group -> ((level at the end of the move), (long-run plateau)); uniform ranges.
# Levels above 1 saturate: every organisation of the region then reaches 100%.
PROFILE_LEVELS = {
    LEADER: {
        STAFF: ((0.82, 0.88), (0.88, 0.93)),
        LEARNERS: ((0.36, 0.42), (0.45, 0.55)),
        OFFICIALS: ((0.98, 1.02), (1.07, 1.10)),
        MAX_ONLY: ((0.86, 0.92), (1.12, 1.20)),
    },
    ON_TIME: {
        STAFF: ((0.74, 0.80), (0.80, 0.90)),
        LEARNERS: ((0.29, 0.34), (0.35, 0.50)),
        OFFICIALS: ((0.92, 0.98), (1.0, 1.10)),
        MAX_ONLY: ((0.72, 0.85), (1.0, 1.22)),
    },
    LAGGARD: {
        STAFF: ((0.52, 0.66), (0.60, 0.70)),
        LEARNERS: ((0.16, 0.24), (0.20, 0.27)),
        OFFICIALS: ((0.68, 0.82), (0.75, 0.88)),
        MAX_ONLY: ((0.42, 0.58), (0.50, 0.66)),
    },
    STALLED: {
        STAFF: ((0.25, 0.40), (0.25, 0.40)),
        LEARNERS: ((0.07, 0.14), (0.07, 0.14)),
        OFFICIALS: ((0.45, 0.60), (0.45, 0.60)),
        MAX_ONLY: ((0.18, 0.32), (0.18, 0.32)),
    },
}
# Before the move: a few users already on MAX.
BASE_LEVELS = {STAFF: (0.04, 0.10), LEARNERS: (0.01, 0.03), OFFICIALS: (0.10, 0.25), MAX_ONLY: (0.0, 0.03)}
# profile -> (mean shift of every curve in days, its spread, width factor)
PROFILE_TIMING = {LEADER: (-8, 3, 0.9), ON_TIME: (0, 3, 1.0), LAGGARD: (20, 7, 1.8), STALLED: (10, 5, 1.5)}
# Midpoint of the staff curve per kind (the federal plan: authorities in August, pilot schools
# from early September, the mass move mid-September to October); other groups follow it.
STAFF_MID = {
    K.AUTHORITY_REGIONAL: date(2025, 8, 18),
    K.AUTHORITY_MUNICIPAL: date(2025, 8, 20),
    K.SCHOOL: date(2025, 10, 1),
    K.PRESCHOOL: date(2025, 10, 3),
    K.COLLEGE: date(2025, 10, 3),
    K.EXTRA: date(2025, 10, 8),
}
PILOT_SCHOOL_MID = date(2025, 9, 6)
SAMARA_PRESCHOOL_MID = date(2025, 7, 10)
SAMARA_DIARY_SCHOOL_MID = date(2025, 9, 3)
AUTHORITY_OFFICIALS_MID = date(2025, 8, 14)
ORG_OFFICIALS_MID = date(2025, 9, 22)
WIDTH_DAYS = {STAFF: 6.0, LEARNERS: 7.0, OFFICIALS: 7.0, MAX_ONLY: 10.0}
# After the move the values creep towards the plateau with this time constant (days).
PLATEAU_TAU_DAYS = 120.0
NOISE = {STAFF: 0.012, LEARNERS: 0.010, OFFICIALS: 0.008, MAX_ONLY: 0.012}
ORG_SPREAD = {STAFF: 0.05, LEARNERS: 0.06, OFFICIALS: 0.02, MAX_ONLY: 0.04}

# kind -> (staff, students, parents per student, officials): uniform ranges of the totals.
# Officials of schools and colleges are the director and deputies; of authorities, civil servants.
ORG_SIZES = {
    K.SCHOOL: ((40, 120), (300, 1200), (1.4, 1.8), (2, 6)),
    K.PRESCHOOL: ((15, 40), (80, 250), (1.5, 1.9), (1, 3)),
    K.COLLEGE: ((60, 150), (500, 2000), (0.6, 1.0), (3, 6)),
    K.EXTRA: ((15, 60), (150, 900), (0.8, 1.2), (1, 3)),
    K.AUTHORITY_REGIONAL: ((5, 15), (0, 0), (0.0, 0.0), (30, 60)),
    K.AUTHORITY_MUNICIPAL: ((2, 8), (0, 0), (0.0, 0.0), (10, 30)),
}
# Share of students and parents registered in Sferum (staff and officials all are).
SFERUM_AUDIENCE_SHARE = (0.55, 0.85)

# Regions that miss one whole week, and organisations that skip weeks now and then.
REGION_GAPS = 4
REGION_GAP_WINDOW = (date(2025, 9, 8), date(2026, 9, 28))
IRREGULAR_ORG_SHARE = 0.02
IRREGULAR_SKIP_CHANCE = 0.15


@dataclass(frozen=True)
class RegionPlan:
    """How one region moves: its profile, timing and the levels of each KPI group."""

    profile: str
    shift: float
    width: float
    levels: dict  # group -> (base, level, plateau)


def demo_weeks(*, until: date) -> list[date]:
    """Mondays from the first demo week to the latest week that ended before ``until``."""
    last = monday_of(until) - timedelta(weeks=1)
    weeks = []
    week = DEMO_FIRST_WEEK
    while week <= last:
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks


def region_plans(*, regions: list[Region], seed: int) -> dict[str, RegionPlan]:
    """A profile per region (most on time, some leaders and laggards, 3–4 stalled) and its curves."""
    rng = random.Random(f"{seed}:profiles")
    others = [region.code for region in regions if region.code not in FIXED_PROFILES]
    rng.shuffle(others)
    stalled = rng.randint(*STALLED_REGIONS)
    profiles = dict(FIXED_PROFILES)
    for index, code in enumerate(others):
        if index < stalled:
            profiles[code] = STALLED
        elif index < stalled + LAGGARD_REGIONS:
            profiles[code] = LAGGARD
        elif index < stalled + LAGGARD_REGIONS + OTHER_LEADER_REGIONS:
            profiles[code] = LEADER
        else:
            profiles[code] = ON_TIME
    plans = {}
    for code, profile in profiles.items():
        region_rng = random.Random(f"{seed}:region:{code}")
        mean_shift, spread, width = PROFILE_TIMING[profile]
        levels = {}
        for group in GROUPS:
            (level_low, level_high), (plateau_low, plateau_high) = PROFILE_LEVELS[profile][group]
            level = region_rng.uniform(level_low, level_high)
            plateau = max(level, region_rng.uniform(plateau_low, plateau_high))
            levels[group] = (region_rng.uniform(*BASE_LEVELS[group]), level, plateau)
        plans[code] = RegionPlan(
            profile=profile, shift=region_rng.gauss(mean_shift, spread), width=width, levels=levels
        )
    return plans


def _org_sizes(kind: str, rng: random.Random) -> dict:
    """Totals of one organisation (people registered), drawn from ``ORG_SIZES``."""
    staff, students, parents_ratio, officials = ORG_SIZES[kind]
    students_total = rng.randint(*students)
    parents_total = round(students_total * rng.uniform(*parents_ratio))
    staff_total, officials_total = rng.randint(*staff), rng.randint(*officials)
    # Preschool children have no accounts; their parents do.
    audience = parents_total if kind == K.PRESCHOOL else students_total + parents_total
    return {
        "staff_total": staff_total,
        "students_total": students_total,
        "parents_total": parents_total,
        "officials_total": officials_total,
        "sferum_total": staff_total + officials_total + round(audience * rng.uniform(*SFERUM_AUDIENCE_SHARE)),
    }


def _curve_mids(*, kind: str, region: Region, diary_integrated: bool) -> dict[str, date]:
    staff = STAFF_MID[kind]
    if kind == K.SCHOOL and region.pilot:
        staff = PILOT_SCHOOL_MID
    if region.code == "63" and (kind == K.PRESCHOOL or (kind == K.SCHOOL and diary_integrated)):
        staff = SAMARA_PRESCHOOL_MID if kind == K.PRESCHOOL else SAMARA_DIARY_SCHOOL_MID
    authority = kind in (K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL)
    officials = AUTHORITY_OFFICIALS_MID if authority else min(ORG_OFFICIALS_MID, staff)
    return {
        STAFF: staff,
        LEARNERS: staff + timedelta(days=6),
        OFFICIALS: officials,
        MAX_ONLY: staff + timedelta(days=10 if authority else 14),
    }


def _seasonal_factors(week: date) -> tuple[float, float]:
    """(staff, learners) activity factor of a week: New Year holidays and the summer of 2026."""
    sunday = week + timedelta(days=6)
    if (week.month == 12 and sunday.month == 1) or (week.month == 1 and week.day <= 8):
        return 0.9, 0.75
    if week.year >= 2026 and week.month in (7, 8):
        return 0.85, 0.7
    return 1.0, 1.0


def _region_gaps(*, regions: list[Region], seed: int) -> set[tuple[int, date]]:
    """The few (region, week) pairs with no report at all."""
    rng = random.Random(f"{seed}:gaps")
    first, last = REGION_GAP_WINDOW
    span = (last - first).days // 7
    chosen = rng.sample(regions, REGION_GAPS)
    return {(region.id, first + timedelta(weeks=rng.randint(0, span))) for region in chosen}


def snapshots_replace(*, organisations, plans, weeks, seed, say) -> int:
    """Delete the demo snapshots of these weeks and write them again, batch by batch."""
    if not weeks:
        return 0
    deleted, _detail = WeeklySnapshot.objects.filter(
        organisation__org_id__startswith=DEMO_ORG_PREFIX, week__gte=weeks[0], week__lte=weeks[-1]
    ).delete()
    if deleted:
        say(f"deleted {deleted} earlier demo snapshots")
    snapshot_partitions_ensure(weeks=weeks)
    regions = {item["region"].id: item["region"] for item in organisations}
    gaps = _region_gaps(regions=list(regions.values()), seed=seed)
    epoch = DEMO_FIRST_WEEK.toordinal()
    # Figures are taken mid-week (Thursday).
    calendar = [(week, week.toordinal() + 3 - epoch, _seasonal_factors(week)) for week in weeks]
    written = 0
    batch: list[tuple] = []
    now = timezone.now()
    previous_region = None
    for item in organisations:
        region = item["region"]
        if region != previous_region and previous_region is not None and previous_region.code.endswith("0"):
            say(f"snapshots: {written + len(batch)} (regions 01–{previous_region.code})")
        previous_region = region
        rng = random.Random(f"{seed}:{item['org_id']}")
        for row in _org_rows(item=item, plan=plans[region.code], rng=rng, calendar=calendar, gaps=gaps, now=now):
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                bulk_insert(WeeklySnapshot, batch, SNAPSHOT_FIELDS)
                written += len(batch)
                batch = []
    if batch:
        bulk_insert(WeeklySnapshot, batch, SNAPSHOT_FIELDS)
        written += len(batch)
    return written


def _org_curves(*, item: dict, plan: RegionPlan, rng: random.Random) -> list[tuple]:
    """(base, rise, creep, centre, width, creep_from) of each KPI group's curve, in GROUPS order;
    days count from the first demo week."""
    epoch = DEMO_FIRST_WEEK.toordinal()
    org_shift = plan.shift + max(-10.0, min(10.0, rng.gauss(0, 4)))
    mids = _curve_mids(kind=item["kind"], region=item["region"], diary_integrated=item["diary_integrated"])
    curves = []
    for group, mid in mids.items():
        base, level, plateau = plan.levels[group]
        factor = rng.gauss(1.0, ORG_SPREAD[group])
        width = WIDTH_DAYS[group] * plan.width
        if group == OFFICIALS and item["kind"] in (K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL):
            width = 4.0 * plan.width
        centre = mid.toordinal() - epoch + org_shift
        curves.append(
            (base * factor, (level - base) * factor, (plateau - level) * factor, centre, width, centre + 3 * width)
        )
    return curves


def _org_rows(*, item: dict, plan: RegionPlan, rng: random.Random, calendar: list[tuple], gaps: set, now):
    """The snapshot tuples (SNAPSHOT_FIELDS order) of one organisation; ``calendar`` holds
    (week, its day since the first demo week, its seasonal factors)."""
    region = item["region"]
    sizes = _org_sizes(item["kind"], rng)
    staff_total = sizes["staff_total"]
    students_total = sizes["students_total"]
    parents_total = sizes["parents_total"]
    officials_total = sizes["officials_total"]
    sferum_total = sizes["sferum_total"]
    learners_total = students_total + parents_total
    preschool = item["kind"] == K.PRESCHOOL
    seasonal_kind = item["kind"] not in (K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL)
    curves = _org_curves(item=item, plan=plan, rng=rng)
    irregular = rng.random() < IRREGULAR_ORG_SHARE
    gauss, random_, exp = rng.gauss, rng.random, math.exp
    for week, day, (staff_factor, learners_factor) in calendar:
        values = []
        for base, rise, creep, centre, width, creep_from in curves:
            x = (day - centre) / width
            value = base + rise / (1.0 + exp(min(-x, 50.0)))
            if day > creep_from:
                value += creep * (1.0 - exp((creep_from - day) / PLATEAU_TAU_DAYS))
            values.append(value)
        staff_rate, learners_rate, officials_rate, max_only_rate = values
        # The noise is drawn for every week so a skipped week does not shift the others.
        staff_rate += gauss(0, NOISE[STAFF])
        learners_rate += gauss(0, NOISE[LEARNERS])
        officials_rate += gauss(0, NOISE[OFFICIALS])
        max_only_rate += gauss(0, NOISE[MAX_ONLY])
        skip = irregular and random_() < IRREGULAR_SKIP_CHANCE
        if skip or (region.id, week) in gaps:
            continue
        if seasonal_kind:
            staff_rate *= staff_factor
            learners_rate *= learners_factor
        staff_active = _clip(round(staff_total * staff_rate), staff_total)
        if preschool:
            students_active = 0
            parents_active = _clip(round(learners_total * learners_rate), parents_total)
        else:
            students_active = _clip(round(students_total * learners_rate * 1.1), students_total)
            parents_active = _clip(round(parents_total * learners_rate * 0.93), parents_total)
        yield (
            item["id"],
            region.id,
            week,
            staff_total,
            staff_active,
            students_total,
            students_active,
            parents_total,
            parents_active,
            officials_total,
            _clip(round(officials_total * officials_rate), officials_total),
            sferum_total,
            _clip(round(sferum_total * max_only_rate), sferum_total),
            now,
        )


def _clip(value: int, total: int) -> int:
    return 0 if value < 0 else total if value > total else value
