"""The demo registry: municipalities and organisations of every region, with plausible names.

Names and counts are drawn from random streams seeded per region and municipality, so a run
with the same seed and scale writes the same registry, and a smaller scale a prefix of it.
"""

import math
import random

from metrics.models import WeeklySnapshot
from regions.choices import OrganisationKind
from regions.models import Municipality, Organisation, Region

from .constants import BATCH_SIZE, DEMO_ORG_PREFIX

K = OrganisationKind
FEDERAL_CITY_CODES = ("77", "78", "92")

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


def municipalities_upsert(*, regions: list[Region], scale: float, seed: int) -> list[dict]:
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


def organisations_upsert(*, regions: list[Region], municipalities: list[dict], scale: float, seed: int) -> list[dict]:
    """Create or update the demo organisations (unique by ``org_id``); remove stale demo ones.

    Returns the planned organisations in order, each with its ``id``.
    """
    planned = _organisations_plan(regions=regions, municipalities=municipalities, scale=scale, seed=seed)
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


def _organisation(org_id: str, name: str, kind: str, region: Region, municipality: dict | None, diary=False) -> dict:
    return {
        "org_id": org_id,
        "name": name,
        "kind": kind,
        "region": region,
        "municipality_id": municipality["id"] if municipality else None,
        "diary_integrated": diary,
    }


def _organisations_plan(*, regions: list[Region], municipalities: list[dict], scale: float, seed: int) -> list[dict]:
    """Per region: the regional authority, the organisations of each municipality, and colleges
    in the first municipalities (the cities)."""
    by_region: dict[int, list[dict]] = {}
    for item in municipalities:
        by_region.setdefault(item["region"].id, []).append(item)
    planned = []
    for region in regions:
        rng = random.Random(f"{seed}:organisations:{region.code}")
        munis = by_region[region.id]
        planned.append(
            _organisation(
                f"{DEMO_ORG_PREFIX}{region.code}-000-A01",
                REGIONAL_AUTHORITY_NAMES.get(region.code, f"Министерство образования {region_genitive(region.name)}"),
                K.AUTHORITY_REGIONAL,
                region,
                None,
            )
        )
        extra_total = 0
        for muni in munis:
            in_municipality = _municipality_organisations_plan(
                region=region, muni=muni, scale=scale, seed=seed, extra_needed=muni is munis[-1] and extra_total == 0
            )
            extra_total += sum(1 for item in in_municipality if item["kind"] == K.EXTRA)
            planned += in_municipality
        colleges = max(1, round(rng.randint(*COLLEGES_PER_REGION) * scale))
        for index in range(colleges):
            muni = munis[index % len(munis)]
            number = index // len(munis) + 1
            profile = COLLEGE_PROFILES[(index + rng.randrange(len(COLLEGE_PROFILES))) % len(COLLEGE_PROFILES)]
            name = f"ГБПОУ «{muni['adjective']} {profile}»"
            org_id = f"{DEMO_ORG_PREFIX}{region.code}-{muni['number']:03d}-C{number:02d}"
            planned.append(_organisation(org_id, name, K.COLLEGE, region, muni))
    return planned


def _municipality_organisations_plan(
    *, region: Region, muni: dict, scale: float, seed: int, extra_needed: bool
) -> list[dict]:
    """The municipality's authority, preschools, schools and extra education; ``extra_needed``:
    the region has none of the last yet, so this municipality gets at least one."""
    federal_city = region.code in FEDERAL_CITY_CODES
    prefix = f"{DEMO_ORG_PREFIX}{region.code}-{muni['number']:03d}-"
    rng = random.Random(f"{seed}:organisations:{region.code}:{muni['number']}")
    # Numbering restarts in every municipality, but rarely at 1 outside the main city.
    first_number = 1 if muni["number"] == 1 else rng.randint(1, 25)
    planned = [
        _organisation(
            f"{prefix}A01",
            f"Управление образования администрации {muni['genitive']}",
            K.AUTHORITY_MUNICIPAL,
            region,
            muni,
        )
    ]
    preschools = max(1, _sqrt_scaled(rng.randint(*PRESCHOOLS_PER_MUNICIPALITY), scale))
    schools = max(1, _sqrt_scaled(rng.randint(*SCHOOLS_PER_MUNICIPALITY), scale))
    extras = _sqrt_scaled(rng.randint(*EXTRA_PER_MUNICIPALITY), scale)
    if extra_needed and extras == 0:
        extras = 1  # every region has at least one organisation of extra education
    for number in range(1, preschools + 1):
        name = _preschool_name(rng, first_number + number - 1, federal_city)
        planned.append(_organisation(f"{prefix}P{number:02d}", name, K.PRESCHOOL, region, muni))
    for number in range(1, schools + 1):
        diary = rng.random() < (0.95 if region.code == "63" else DIARY_INTEGRATED_SHARE)
        name = _school_name(rng, first_number + number - 1, federal_city)
        planned.append(_organisation(f"{prefix}S{number:02d}", name, K.SCHOOL, region, muni, diary))
    for number in range(1, extras + 1):
        name = rng.choice(EXTRA_NAMES)
        owner = "ГБУ ДО" if federal_city else "МБУ ДО"
        full_name = f"{owner} «{name}{f' № {number}' if number > 1 else ''}»"
        planned.append(_organisation(f"{prefix}E{number:02d}", full_name, K.EXTRA, region, muni))
    return planned
