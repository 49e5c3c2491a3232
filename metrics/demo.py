"""Demo data: municipalities, organisations, weekly snapshots since August 2025, demo users.

Repeatable: every demo organisation has a deterministic ``org_id`` (prefix ``DEMO-``), every
figure is drawn from a random stream seeded by ``seed`` and that id, and a run replaces the demo
snapshots of the weeks it covers. Fast: rows are written in bulk (COPY on PostgreSQL).
"""

import math
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from regions.choices import OrganisationKind, UserRole
from regions.models import Municipality, Organisation, Region
from regions.services import user_upsert
from sferum_migration.db import bulk_insert

from .choices import KpiCode
from .counts import COUNT_FIELDS
from .kpi import monday_of
from .models import WeeklySnapshot
from .services import kpi_values_rebuild, roadmap_regional_upsert

BATCH_SIZE = 2000
# The order of the tuples written below: the count columns in COUNT_FIELDS order.
SNAPSHOT_FIELDS = ("organisation", "region", "week", *COUNT_FIELDS, "updated_at")
DEMO_ORG_PREFIX = "DEMO-"
DEMO_FIRST_WEEK = date(2025, 8, 4)
PILOT_REGION_CODES = ("16", "50", "52", "62", "63", "77")
FEDERAL_CITY_CODES = ("77", "78", "92")

# (username, password, role, region code, first name, last name): demo logins only.
DEMO_USERS = (
    ("ministry", "ministry-demo-2025", UserRole.MINISTRY, None, "Мария", "Орлова"),
    ("admin", "admin-demo-2025", UserRole.ADMINISTRATOR, None, "Андрей", "Смирнов"),
    ("coordinator62", "coordinator62-demo-2025", UserRole.COORDINATOR, "62", "Ирина", "Кузнецова"),
    ("coordinator63", "coordinator63-demo-2025", UserRole.COORDINATOR, "63", "Олег", "Волков"),
    ("api_system", "api-system-demo-2025", UserRole.SYSTEM, None, "", ""),
)

K = OrganisationKind
SAMARA_ROADMAP = {
    "region": "63",
    "name": "Дорожная карта перевода Сферума в MAX Самарской области",
    "signed_on": date(2025, 7, 14),
    "stages": [
        {
            "order": 1,
            "title": "Перевод дошкольных образовательных организаций",
            "kinds": [K.PRESCHOOL],
            "pilot_only": False,
            "start": date(2025, 7, 1),
            "deadline": date(2025, 7, 31),
            "kpis": [KpiCode.STAFF_WEEKLY_ACTIVE, KpiCode.LEARNERS_WEEKLY_ACTIVE],
        },
        {
            "order": 2,
            "title": "Перевод рабочего общения управленческого состава",
            "kinds": [K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL],
            "pilot_only": False,
            "start": date(2025, 8, 1),
            "deadline": date(2025, 8, 31),
            "kpis": [KpiCode.OFFICIALS_ACTIVE],
        },
        {
            "order": 3,
            "title": "Перевод всех школ, интегрированных с электронным дневником",
            "kinds": [K.SCHOOL],
            "pilot_only": False,
            "start": date(2025, 9, 1),
            "deadline": date(2025, 9, 15),
            "kpis": [KpiCode.STAFF_WEEKLY_ACTIVE, KpiCode.LEARNERS_WEEKLY_ACTIVE],
        },
        {
            "order": 4,
            "title": "Полное завершение перевода",
            "kinds": [],
            "pilot_only": False,
            "start": date(2025, 11, 1),
            "deadline": date(2025, 11, 1),
            "kpis": list(KpiCode.values),
        },
    ],
}

# (town, its adjective): "городской округ <town>", "<adjective> муниципальный район".
PLACE_STEMS = (
    ("Александровка", "Александровский"),
    ("Андреевка", "Андреевский"),
    ("Белогорск", "Белогорский"),
    ("Берёзовка", "Берёзовский"),
    ("Богородск", "Богородский"),
    ("Боровск", "Боровский"),
    ("Бугуруслан", "Бугурусланский"),
    ("Вишнёвка", "Вишнёвский"),
    ("Воскресенск", "Воскресенский"),
    ("Гавриловка", "Гавриловский"),
    ("Дмитриевка", "Дмитриевский"),
    ("Дубровка", "Дубровский"),
    ("Заречный", "Зареченский"),
    ("Знаменск", "Знаменский"),
    ("Ивановка", "Ивановский"),
    ("Ильинск", "Ильинский"),
    ("Каменка", "Каменский"),
    ("Камышин", "Камышинский"),
    ("Кировск", "Кировский"),
    ("Климовка", "Климовский"),
    ("Кольцово", "Кольцовский"),
    ("Красногорск", "Красногорский"),
    ("Краснослободск", "Краснослободский"),
    ("Кузнецк", "Кузнецкий"),
    ("Луговое", "Луговской"),
    ("Мирный", "Мирнинский"),
    ("Михайловка", "Михайловский"),
    ("Никольск", "Никольский"),
    ("Новоалександровск", "Новоалександровский"),
    ("Новоспасское", "Новоспасский"),
    ("Октябрьск", "Октябрьский"),
    ("Озёрск", "Озёрский"),
    ("Петровск", "Петровский"),
    ("Покровка", "Покровский"),
    ("Полевое", "Полевской"),
    ("Приволжск", "Приволжский"),
    ("Пролетарск", "Пролетарский"),
    ("Раздольное", "Раздольненский"),
    ("Рождественка", "Рождественский"),
    ("Светлогорск", "Светлогорский"),
    ("Северск", "Северский"),
    ("Семёновка", "Семёновский"),
    ("Сергиевск", "Сергиевский"),
    ("Славянка", "Славянский"),
    ("Солнечногорск", "Солнечногорский"),
    ("Сосновка", "Сосновский"),
    ("Спасск", "Спасский"),
    ("Старица", "Старицкий"),
    ("Сухой Лог", "Сухоложский"),
    ("Троицк", "Троицкий"),
    ("Успенка", "Успенский"),
    ("Фёдоровка", "Фёдоровский"),
    ("Хвойное", "Хвойнинский"),
    ("Целинное", "Целинный"),
    ("Чистополье", "Чистопольский"),
    ("Шиловка", "Шиловский"),
    ("Юрьевка", "Юрьевский"),
    ("Ясногорск", "Ясногорский"),
    ("Лесогорск", "Лесогорский"),
    ("Устьинск", "Устьинский"),
)
KINDERGARTEN_NAMES = ("Солнышко", "Ромашка", "Колокольчик", "Берёзка", "Радуга", "Теремок", "Сказка", "Ласточка")
EXTRA_NAMES = (
    "Дом детского творчества",
    "Центр детского творчества",
    "Детско-юношеская спортивная школа",
    "Детская школа искусств",
    "Станция юных техников",
    "Центр дополнительного образования",
)
COLLEGE_PROFILES = (
    "политехнический колледж",
    "педагогический колледж",
    "медицинский колледж",
    "технологический колледж",
    "многопрофильный колледж",
    "аграрный техникум",
    "индустриальный техникум",
    "строительный техникум",
)
REGIONAL_AUTHORITY_NAMES = {
    "77": "Департамент образования и науки города Москвы",
    "78": "Комитет по образованию Санкт-Петербурга",
    "92": "Департамент образования и науки города Севастополя",
}
GENITIVE_OVERRIDES = {
    "Республика Северная Осетия — Алания": "Республики Северная Осетия — Алания",
    "Кемеровская область — Кузбасс": "Кемеровской области — Кузбасса",
    "Ханты-Мансийский автономный округ — Югра": "Ханты-Мансийского автономного округа — Югры",
}
GENITIVE_WORDS = {"область": "области", "Республика": "Республики", "край": "края", "округ": "округа"}

# --- adoption curves ------------------------------------------------------------------------------
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
        OFFICIALS: ((0.98, 1.02), (1.05, 1.06)),
        MAX_ONLY: ((0.86, 0.92), (1.0, 1.12)),
    },
    ON_TIME: {
        STAFF: ((0.74, 0.80), (0.80, 0.90)),
        LEARNERS: ((0.29, 0.34), (0.35, 0.50)),
        OFFICIALS: ((0.92, 0.98), (0.96, 1.04)),
        MAX_ONLY: ((0.72, 0.85), (0.91, 1.02)),
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

# Sizes at scale 1.0 (uniform ranges). Kept modest so the default run stays quick on SQLite:
# about 2,200 organisations and 150k snapshots over 68 weeks; scale 4 gives about 8,000
# organisations. Municipalities and organisations per municipality grow with √scale, colleges
# with scale; every region keeps at least one organisation of each kind.
MUNICIPALITIES_PER_REGION = (3, 5)
CITIES_PER_REGION = (1, 2)
PRESCHOOLS_PER_MUNICIPALITY = (1, 2)
SCHOOLS_PER_MUNICIPALITY = (2, 3)
EXTRA_PER_MUNICIPALITY = (0, 1)
COLLEGES_PER_REGION = (1, 3)
DIARY_INTEGRATED_SHARE = 0.88

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


def region_genitive(name: str) -> str:
    """«Самарская область» → «Самарской области»; enough for the 89 subject names."""
    if name in GENITIVE_OVERRIDES:
        return GENITIVE_OVERRIDES[name]
    words = name.split(" ")
    if words[0] == "Республика":
        return " ".join(["Республики", *words[1:]])
    return " ".join(_word_genitive(word) for word in words)


def _word_genitive(word: str) -> str:
    if word in GENITIVE_WORDS:
        return GENITIVE_WORDS[word]
    if word.endswith("ая"):
        return word[:-2] + "ой"
    if word.endswith(("ий", "ый", "ой")):
        return word[:-2] + "ого"
    return word


def demo_data_seed(
    *, scale: float = 1.0, seed: int = 2025, until: date | None = None, stdout: TextIO | None = None
) -> dict:
    """Fill the database with a repeatable demo: see the module docstring. Returns counts and logins."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    started = time.monotonic()
    until = until or timezone.localdate()
    weeks = demo_weeks(until=until)

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"[{time.monotonic() - started:5.1f} s] {message}\n")

    regions = list(Region.objects.order_by("code"))
    plans = _region_plans(regions=regions, seed=seed)
    with transaction.atomic():
        Region.objects.filter(code__in=PILOT_REGION_CODES).update(pilot=True)
        for region in regions:
            region.pilot = region.pilot or region.code in PILOT_REGION_CODES
        municipalities = _municipalities_upsert(regions=regions, scale=scale, seed=seed)
        say(f"municipalities: {len(municipalities)}")
        organisations = _organisations_upsert(regions=regions, municipalities=municipalities, scale=scale, seed=seed)
        say(f"organisations: {len(organisations)}")
        snapshots = _snapshots_replace(organisations=organisations, plans=plans, weeks=weeks, seed=seed, say=say)
        say(f"snapshots: {snapshots} over {len(weeks)} weeks")
        samara = Region.objects.get(code=SAMARA_ROADMAP["region"])
        roadmap_regional_upsert(
            region=samara,
            name=SAMARA_ROADMAP["name"],
            signed_on=SAMARA_ROADMAP["signed_on"],
            stages=SAMARA_ROADMAP["stages"],
        )
        users = _users_create(regions=regions)
        say(f"roadmap of region 63 and {len(users)} users; computing KPI values")
        # Inside the same transaction: the demo appears whole or not at all, and SQLite
        # commits once instead of once per week.
        kpi_rows = kpi_values_rebuild()
        say(f"KPI values: {kpi_rows} rows")
    return {
        "regions": len(regions),
        "pilot_regions": sorted(PILOT_REGION_CODES),
        "municipalities": len(municipalities),
        "organisations": len(organisations),
        "weeks": len(weeks),
        "first_week": weeks[0] if weeks else None,
        "last_week": weeks[-1] if weeks else None,
        "snapshots": snapshots,
        "kpi_values": kpi_rows,
        "profiles": {code: plan.profile for code, plan in plans.items()},
        "users": users,
        "seconds": round(time.monotonic() - started, 1),
    }


# --- registry ---------------------------------------------------------------------------------------


def _region_plans(*, regions: list[Region], seed: int) -> dict[str, RegionPlan]:
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


def _sqrt_scaled(count: float, scale: float) -> int:
    return round(count * math.sqrt(scale))


def _municipality_names(*, region: Region, scale: float, seed: int) -> list[tuple[str, str, str, str]]:
    """(name, genitive, town, adjective) of the region's municipalities; cities first.

    The names of a smaller scale are a prefix of those of a larger one, so the ids stay put.
    """
    rng = random.Random(f"{seed}:municipalities:{region.code}")
    count = max(1, _sqrt_scaled(rng.randint(*MUNICIPALITIES_PER_REGION), scale))
    cities = rng.randint(*CITIES_PER_REGION)
    stems = rng.sample(PLACE_STEMS, len(PLACE_STEMS))
    names = []
    for index in range(count):
        town, adjective = stems[index % len(stems)]
        suffix = f" {index // len(stems) + 1}" if index >= len(stems) else ""
        adjective_genitive = _word_genitive(adjective)
        if region.code in FEDERAL_CITY_CODES:
            name, genitive = f"муниципальный округ {town}", f"муниципального округа {town}"
        elif index < cities:
            name, genitive = f"городской округ {town}", f"городского округа {town}"
        elif index % 3 == 0:
            name, genitive = f"{adjective} муниципальный округ", f"{adjective_genitive} муниципального округа"
        else:
            name, genitive = f"{adjective} муниципальный район", f"{adjective_genitive} муниципального района"
        names.append((name + suffix, genitive + suffix, town, adjective))
    return names


def _municipalities_upsert(*, regions: list[Region], scale: float, seed: int) -> list[dict]:
    """Create the missing municipalities (unique by region and name); return them in order."""
    planned = []
    for region in regions:
        for number, (name, genitive, town, adjective) in enumerate(
            _municipality_names(region=region, scale=scale, seed=seed), start=1
        ):
            planned.append(
                {
                    "region": region,
                    "number": number,
                    "name": name,
                    "genitive": genitive,
                    "town": town,
                    "adjective": adjective,
                }
            )
    Municipality.objects.bulk_create(
        [Municipality(region=item["region"], name=item["name"]) for item in planned],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    ids = {(region_id, name): pk for pk, region_id, name in Municipality.objects.values_list("id", "region_id", "name")}
    for item in planned:
        item["id"] = ids[(item["region"].id, item["name"])]
    return planned


def _school_name(rng: random.Random, number: int, federal_city: bool) -> str:
    owner = "ГБОУ" if federal_city else "МБОУ"
    roll = rng.random()
    if roll < 0.12:
        return f"{owner} «Гимназия № {number}»"
    if roll < 0.22:
        return f"{owner} «Лицей № {number}»"
    if roll < 0.30 and not federal_city:
        return f"{owner} ООШ № {number}"
    return f"{owner} Школа № {number}" if federal_city else f"{owner} СОШ № {number}"


def _preschool_name(rng: random.Random, number: int, federal_city: bool) -> str:
    owner = "ГБДОУ" if federal_city else "МБДОУ"
    if rng.random() < 0.4:
        return f"{owner} «Детский сад № {number} «{rng.choice(KINDERGARTEN_NAMES)}»»"
    return f"{owner} детский сад № {number}"


def _organisations_upsert(*, regions: list[Region], municipalities: list[dict], scale: float, seed: int) -> list[dict]:
    """Create or update the demo organisations (unique by ``org_id``); remove stale demo ones.

    Per region: the regional authority, and per municipality its authority, preschools,
    schools and extra education; colleges sit in the first municipalities (the cities).
    """
    by_region: dict[int, list[dict]] = {}
    for item in municipalities:
        by_region.setdefault(item["region"].id, []).append(item)
    planned = []

    def plan(org_id, name, kind, region, municipality, diary_integrated=False):
        planned.append(
            {
                "org_id": org_id,
                "name": name,
                "kind": kind,
                "region": region,
                "municipality_id": municipality["id"] if municipality else None,
                "diary_integrated": diary_integrated,
            }
        )

    for region in regions:
        federal_city = region.code in FEDERAL_CITY_CODES
        rng = random.Random(f"{seed}:organisations:{region.code}")
        munis = by_region[region.id]
        plan(
            f"{DEMO_ORG_PREFIX}{region.code}-000-A01",
            REGIONAL_AUTHORITY_NAMES.get(region.code, f"Министерство образования {region_genitive(region.name)}"),
            K.AUTHORITY_REGIONAL,
            region,
            None,
        )
        extra_total = 0
        for muni in munis:
            prefix = f"{DEMO_ORG_PREFIX}{region.code}-{muni['number']:03d}-"
            muni_rng = random.Random(f"{seed}:organisations:{region.code}:{muni['number']}")
            # Numbering restarts in every municipality, but rarely at 1 outside the main city.
            first_number = 1 if muni["number"] == 1 else muni_rng.randint(1, 25)
            plan(
                f"{prefix}A01",
                f"Управление образования администрации {muni['genitive']}",
                K.AUTHORITY_MUNICIPAL,
                region,
                muni,
            )
            preschools = max(1, _sqrt_scaled(muni_rng.randint(*PRESCHOOLS_PER_MUNICIPALITY), scale))
            schools = max(1, _sqrt_scaled(muni_rng.randint(*SCHOOLS_PER_MUNICIPALITY), scale))
            extras = _sqrt_scaled(muni_rng.randint(*EXTRA_PER_MUNICIPALITY), scale)
            if muni is munis[-1] and extra_total + extras == 0:
                extras = 1  # every region has at least one organisation of extra education
            extra_total += extras
            for number in range(1, preschools + 1):
                plan(
                    f"{prefix}P{number:02d}",
                    _preschool_name(muni_rng, first_number + number - 1, federal_city),
                    K.PRESCHOOL,
                    region,
                    muni,
                )
            for number in range(1, schools + 1):
                diary = muni_rng.random() < (0.95 if region.code == "63" else DIARY_INTEGRATED_SHARE)
                plan(
                    f"{prefix}S{number:02d}",
                    _school_name(muni_rng, first_number + number - 1, federal_city),
                    K.SCHOOL,
                    region,
                    muni,
                    diary,
                )
            for number in range(1, extras + 1):
                name = muni_rng.choice(EXTRA_NAMES)
                owner = "ГБУ ДО" if federal_city else "МБУ ДО"
                plan(
                    f"{prefix}E{number:02d}",
                    f"{owner} «{name}{f' № {number}' if number > 1 else ''}»",
                    K.EXTRA,
                    region,
                    muni,
                )
        colleges = max(1, round(rng.randint(*COLLEGES_PER_REGION) * scale))
        for index in range(colleges):
            muni = munis[index % len(munis)]
            number = index // len(munis) + 1
            profile = COLLEGE_PROFILES[(index + rng.randrange(len(COLLEGE_PROFILES))) % len(COLLEGE_PROFILES)]
            name = f"ГБПОУ «{muni['adjective']} {profile}»"
            plan(f"{DEMO_ORG_PREFIX}{region.code}-{muni['number']:03d}-C{number:02d}", name, K.COLLEGE, region, muni)

    Organisation.objects.bulk_create(
        [
            Organisation(
                org_id=item["org_id"],
                name=item["name"],
                kind=item["kind"],
                region=item["region"],
                municipality_id=item["municipality_id"],
                diary_integrated=item["diary_integrated"],
            )
            for item in planned
        ],
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["org_id"],
        update_fields=["name", "kind", "region", "municipality", "diary_integrated"],
    )
    wanted = {item["org_id"] for item in planned}
    ids = dict(Organisation.objects.filter(org_id__startswith=DEMO_ORG_PREFIX).values_list("org_id", "id"))
    stale = [pk for org_id, pk in ids.items() if org_id not in wanted]
    if stale:
        # A smaller scale than last time: drop the demo organisations it no longer has.
        WeeklySnapshot.objects.filter(organisation_id__in=stale).delete()
        Organisation.objects.filter(id__in=stale).delete()
    for item in planned:
        item["id"] = ids[item["org_id"]]
    return planned


def demo_logins_present() -> list[dict]:
    """The demo logins whose users exist and still have the demo password."""
    from django.contrib.auth import get_user_model

    existing = {
        user.username: user for user in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])
    }
    return [
        {"username": username, "password": password, "role": str(role), "region": region_code or ""}
        for username, password, role, region_code, _first, _last in DEMO_USERS
        if username in existing and existing[username].check_password(password)
    ]


def _users_create(*, regions: list[Region]) -> list[dict]:
    by_code = {region.code: region for region in regions}
    users = []
    for username, password, role, region_code, first_name, last_name in DEMO_USERS:
        user_upsert(
            username=username,
            password=password,
            role=role,
            region=by_code[region_code] if region_code else None,
            first_name=first_name,
            last_name=last_name,
        )
        users.append({"username": username, "password": password, "role": str(role), "region": region_code or ""})
    return users


# --- snapshots --------------------------------------------------------------------------------------


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


def _snapshots_replace(*, organisations, plans, weeks, seed, say) -> int:
    """Delete the demo snapshots of these weeks and write them again, batch by batch."""
    if not weeks:
        return 0
    deleted, _detail = WeeklySnapshot.objects.filter(
        organisation__org_id__startswith=DEMO_ORG_PREFIX, week__gte=weeks[0], week__lte=weeks[-1]
    ).delete()
    if deleted:
        say(f"deleted {deleted} earlier demo snapshots")
    regions = {item["region"].id: item["region"] for item in organisations}
    gaps = _region_gaps(regions=list(regions.values()), seed=seed)
    epoch = DEMO_FIRST_WEEK.toordinal()
    # Figures are taken mid-week (Thursday).
    days = [week.toordinal() + 3 - epoch for week in weeks]
    seasonal = [_seasonal_factors(week) for week in weeks]
    written = 0
    batch: list[tuple] = []
    now = timezone.now()
    exp = math.exp
    previous_region = None
    for item in organisations:
        region = item["region"]
        if region != previous_region and previous_region is not None and previous_region.code.endswith("0"):
            say(f"snapshots: {written + len(batch)} (regions 01–{previous_region.code})")
        previous_region = region
        plan = plans[region.code]
        rng = random.Random(f"{seed}:{item['org_id']}")
        sizes = _org_sizes(item["kind"], rng)
        staff_total = sizes["staff_total"]
        students_total = sizes["students_total"]
        parents_total = sizes["parents_total"]
        officials_total = sizes["officials_total"]
        sferum_total = sizes["sferum_total"]
        learners_total = students_total + parents_total
        preschool = item["kind"] == K.PRESCHOOL
        seasonal_kind = item["kind"] not in (K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL)
        org_shift = plan.shift + max(-10.0, min(10.0, rng.gauss(0, 4)))
        curves = []
        for group, mid in _curve_mids(
            kind=item["kind"], region=region, diary_integrated=item["diary_integrated"]
        ).items():
            base, level, plateau = plan.levels[group]
            factor = rng.gauss(1.0, ORG_SPREAD[group])
            width = WIDTH_DAYS[group] * plan.width
            if group == OFFICIALS and item["kind"] in (K.AUTHORITY_REGIONAL, K.AUTHORITY_MUNICIPAL):
                width = 4.0 * plan.width
            centre = mid.toordinal() - epoch + org_shift
            curves.append(
                (base * factor, (level - base) * factor, (plateau - level) * factor, centre, width, centre + 3 * width)
            )
        irregular = rng.random() < IRREGULAR_ORG_SHARE
        gauss, random_ = rng.gauss, rng.random
        for week, day, (staff_factor, learners_factor) in zip(weeks, days, seasonal, strict=True):
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
            batch.append(
                (
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
            )
            if len(batch) >= BATCH_SIZE:
                bulk_insert(WeeklySnapshot, batch, SNAPSHOT_FIELDS)
                written += len(batch)
                batch = []
    if batch:
        bulk_insert(WeeklySnapshot, batch, SNAPSHOT_FIELDS)
        written += len(batch)
    return written


def _clip(value: int, total: int) -> int:
    return 0 if value < 0 else total if value > total else value
