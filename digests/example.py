"""Demo-like data for docs/digest-example.md (``python manage.py digest_example``): the pure
content functions fed by hand, no database. Deterministic, so the document is checked by a test."""

import random
from datetime import UTC, date, datetime

from metrics.choices import ReportingStatus, ScheduleStatus

from .content import district_ranks
from .facts import DigestData, KpiInfo, KpiReading, RegionFacts, Reporting, StageFacts, Verdict

SITE = "https://sferum-monitoring.edu.gov.example"
WEEK = date(2025, 11, 3)
# A run of the hourly job an hour after the week's deadline (Tuesday 11.11.2025 12:00 МСК).
NOW = datetime(2025, 11, 11, 10, 5, tzinfo=UTC)
KPIS = (
    KpiInfo("staff_weekly_active", "Активность работников", 0.75),
    KpiInfo("learners_weekly_active", "Активность обучающихся и родителей", 0.30),
    KpiInfo("officials_active", "Активные должностные лица", 1.0),
    KpiInfo("max_only_share", "Только в MAX", 1.0),
)
REGIONS = (
    ("31", "Белгородская область", "ЦФО"),
    ("32", "Брянская область", "ЦФО"),
    ("33", "Владимирская область", "ЦФО"),
    ("36", "Воронежская область", "ЦФО"),
    ("37", "Ивановская область", "ЦФО"),
    ("40", "Калужская область", "ЦФО"),
    ("44", "Костромская область", "ЦФО"),
    ("46", "Курская область", "ЦФО"),
    ("48", "Липецкая область", "ЦФО"),
    ("50", "Московская область", "ЦФО"),
    ("57", "Орловская область", "ЦФО"),
    ("62", "Рязанская область", "ЦФО"),
    ("67", "Смоленская область", "ЦФО"),
    ("68", "Тамбовская область", "ЦФО"),
    ("69", "Тверская область", "ЦФО"),
    ("71", "Тульская область", "ЦФО"),
    ("76", "Ярославская область", "ЦФО"),
    ("77", "Москва", "ЦФО"),
    ("16", "Республика Татарстан", "ПФО"),
    ("63", "Самарская область", "ПФО"),
)
FINAL_STAGE = StageFacts(
    order=4,
    title="Переход завершён, все показатели на целевом уровне",
    start=date(2025, 11, 1),
    deadline=date(2025, 11, 1),
    status=ScheduleStatus.LATE,
    late_since=date(2025, 11, 1),
)


def _at(day: int, hour: int, minute: int) -> datetime:
    """A moment of November 2025, given in Moscow time (UTC+3)."""
    return datetime(2025, 11, day, hour - 3, minute, tzinfo=UTC)


def _region(index: int, code: str, name: str, district: str, rng: random.Random) -> RegionFacts:
    staff, learners = 0.74 + rng.random() * 0.2, 0.26 + rng.random() * 0.14
    officials, max_only = 0.93 + rng.random() * 0.07, 0.8 + rng.random() * 0.19
    status, previous, reporting = ScheduleStatus.LATE, ScheduleStatus.LATE, ReportingStatus.ON_TIME
    total = 900 + index * 37
    reported = total - rng.randrange(0, 40)
    if code == "62":  # the coordinator's digest of the example
        staff, learners, officials, max_only = 0.8012, 0.3345, 0.9571, 1.0
        previous, total, reported = ScheduleStatus.AT_RISK, 1000, 980
    elif code in ("77", "16"):
        staff, learners, officials, max_only = 0.91, 0.42, 1.0, 1.0
        status = previous = ScheduleStatus.DONE
    elif code == "37":
        status, reporting, reported = ScheduleStatus.INSUFFICIENT_DATA, ReportingStatus.PARTIAL, total * 7 // 10
    elif code == "46":
        status, reporting, reported = ScheduleStatus.INSUFFICIENT_DATA, ReportingStatus.MISSING, 0
    elif code == "69":
        reporting = ReportingStatus.LATE
    elif code == "63":
        previous = ScheduleStatus.INSUFFICIENT_DATA
    values = {"staff_weekly_active": staff, "learners_weekly_active": learners}
    values |= {"officials_active": officials, "max_only_share": max_only}
    kpis = {
        kpi.code: KpiReading(
            value=None if reported == 0 else values[kpi.code],
            previous=values[kpi.code] - 0.004 - rng.random() * 0.02,
            met=None if reported == 0 else values[kpi.code] >= kpi.target,
            status=ScheduleStatus.DONE if values[kpi.code] >= kpi.target else ScheduleStatus.LATE,
        )
        for kpi in KPIS
    }
    blocking = tuple(
        {"kpi": kpi.code, "value": values[kpi.code], "target": kpi.target, "gap": values[kpi.code] - kpi.target}
        for kpi in KPIS
        if values[kpi.code] < kpi.target
    )
    complete = {ReportingStatus.ON_TIME: _at(10, 16, 40), ReportingStatus.LATE: _at(11, 15, 20)}.get(reporting)
    return RegionFacts(
        id=index + 1,
        code=code,
        name=name,
        district_code=district,
        kpis=kpis,
        verdict=Verdict(
            status=status,
            status_since=date(2025, 11, 3) if code == "62" else date(2025, 10, 27),
            blocking=blocking if status == ScheduleStatus.LATE else (),
            stages=(FINAL_STAGE,) if status == ScheduleStatus.LATE else (),
            orgs_reported=reported,
            orgs_total=total,
            previous_status=previous,
        ),
        reporting=Reporting(
            status=reporting,
            orgs_reported=reported,
            orgs_total=total,
            first_upload_at=_at(10, 9, 12) if reported else None,
            last_upload_at=_at(10, 16, 40) if reported else None,
            complete_at=complete,
        ),
        warnings={"base_jump": 2, "drop_to_zero": 1}
        if code == "62"
        else ({"same_as_previous": 1} if code == "71" else {}),
        page_url=f"{SITE}/regions/{code}/?week={WEEK.isoformat()}",
        missing_url=f"{SITE}/regions/{code}/missing/?week={WEEK.isoformat()}",
    )


def example_data() -> DigestData:
    """A week of 20 regions: Рязанская область late on the officials KPI, the rest mixed."""
    rng = random.Random(2025)
    regions = {
        index + 1: _region(index, code, name, district, rng) for index, (code, name, district) in enumerate(REGIONS)
    }
    reported = sum(r.reporting.orgs_reported for r in regions.values())
    total = sum(r.reporting.orgs_total for r in regions.values())
    country = {
        kpi.code: KpiReading(
            value=value,
            previous=value - 0.011,
            met=value >= kpi.target,
            status=ScheduleStatus.DONE if value >= kpi.target else ScheduleStatus.LATE,
        )
        for kpi, value in zip(KPIS, (0.8123, 0.3466, 0.9712, 0.9204), strict=True)
    }
    data = DigestData(
        week=WEEK,
        deadline=_at(11, 12, 0),
        next_week=date(2025, 11, 10),
        next_deadline=_at(18, 12, 0),
        now=NOW,
        timezone="Europe/Moscow",
        coverage_min=0.9,
        kpis=KPIS,
        country_kpis=country,
        country=Verdict(
            status=ScheduleStatus.LATE,
            status_since=date(2025, 11, 3),
            blocking=tuple(
                {"kpi": code, "value": value, "target": 1.0, "gap": value - 1.0}
                for code, value in (("officials_active", 0.9712), ("max_only_share", 0.9204))
            ),
            stages=(FINAL_STAGE,),
            orgs_reported=reported,
            orgs_total=total,
            previous_status=ScheduleStatus.LATE,
        ),
        regions=regions,
        warnings_checked=True,
        overview_url=f"{SITE}/?week={WEEK.isoformat()}",
        upload_url=f"{SITE}/uploads/",
    )
    data.ranks.update(district_ranks(data))
    return data


def example_region_id(data: DigestData) -> int:
    return next(r.id for r in data.regions.values() if r.code == "62")
