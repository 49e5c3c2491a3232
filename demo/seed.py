"""The demo: municipalities, organisations, weekly snapshots since August 2025, when each
region's files arrived, the Samara roadmap and the demo logins, written in one transaction.

Repeatable: every demo organisation has a deterministic ``org_id`` (prefix ``DEMO-``), every
figure is drawn from a random stream seeded by ``seed`` and that id, and a run replaces the demo
snapshots of the weeks it covers. Fast: rows are written in bulk (COPY on PostgreSQL). The parts:
``demo.registry`` (municipalities, organisations), ``demo.activity`` (the weekly numbers),
``demo.reporting`` (arrivals, and who has not reported the latest week), ``demo.users`` (the logins).
"""

import time
from datetime import date, datetime
from datetime import time as time_of_day
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from metrics.choices import KpiCode
from metrics.services import kpi_values_rebuild, roadmap_regional_upsert
from regions.choices import OrganisationKind, UserRole
from regions.models import Region, UserScope

from .activity import demo_weeks, region_plans, snapshots_replace
from .registry import municipalities_upsert, organisations_upsert
from .reporting import arrivals_record, latest_week_thin
from .users import demo_users_create

PILOT_REGION_CODES = ("16", "50", "52", "62", "63", "77")

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
    plans = region_plans(regions=regions, seed=seed)
    with transaction.atomic():
        Region.objects.filter(code__in=PILOT_REGION_CODES).update(pilot=True)
        for region in regions:
            region.pilot = region.pilot or region.code in PILOT_REGION_CODES
        municipalities = municipalities_upsert(regions=regions, scale=scale, seed=seed)
        say(f"municipalities: {len(municipalities)}")
        organisations = organisations_upsert(regions=regions, municipalities=municipalities, scale=scale, seed=seed)
        say(f"organisations: {len(organisations)}")
        snapshots = snapshots_replace(organisations=organisations, plans=plans, weeks=weeks, seed=seed, say=say)
        say(f"snapshots: {snapshots} over {len(weeks)} weeks")
        if weeks:
            snapshots -= latest_week_thin(regions=regions, week=weeks[-1], seed=seed)
        samara = Region.objects.get(code=SAMARA_ROADMAP["region"])
        roadmap_regional_upsert(
            region=samara,
            name=SAMARA_ROADMAP["name"],
            signed_on=SAMARA_ROADMAP["signed_on"],
            stages=SAMARA_ROADMAP["stages"],
        )
        users = demo_users_create(regions=regions)
        coordinators = dict(UserScope.objects.filter(role=UserRole.COORDINATOR).values_list("region_id", "user_id"))
        # The demo stands at the start of `until` (never later than now): no file arrives after it.
        as_of = min(timezone.now(), timezone.make_aware(datetime.combine(until, time_of_day.min)))
        arrived = arrivals_record(regions=regions, weeks=weeks, seed=seed, users_by_region=coordinators, as_of=as_of)
        say(f"roadmap of region 63, {len(users)} users, {arrived} region-weeks' arrivals; computing KPI values")
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
