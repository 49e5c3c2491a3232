"""The pure content functions: exact lines of each digest for one fixture, ranks, formats."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from digests.content import coordinator_digest, district_ranks, ministry_digest
from digests.facts import DigestData, KpiInfo, KpiReading, RegionFacts, Reporting, StageFacts, Verdict
from digests.formats import countdown, percent, plural, points, target_percent
from metrics.choices import ReportingStatus, ScheduleStatus

NB = "\u00a0"
KPIS = (
    KpiInfo("staff_weekly_active", "Активность работников", 0.75),
    KpiInfo("learners_weekly_active", "Активность обучающихся и родителей", 0.30),
    KpiInfo("officials_active", "Активные должностные лица", 1.0),
    KpiInfo("max_only_share", "Только в MAX", 1.0),
)
SITE = "http://digest.test"


def readings(staff, learners, officials, max_only, *, previous=None, statuses=None):
    values = (staff, learners, officials, max_only)
    previous = previous or (None,) * 4
    statuses = statuses or (None,) * 4
    return {
        kpi.code: KpiReading(
            value=value, previous=before, met=None if value is None else value >= kpi.target, status=status
        )
        for kpi, value, before, status in zip(KPIS, values, previous, statuses, strict=True)
    }


def region(region_id, code, name, district, kpis, verdict, reporting, warnings=None):
    return RegionFacts(
        id=region_id,
        code=code,
        name=name,
        district_code=district,
        kpis=kpis,
        verdict=verdict,
        reporting=reporting,
        warnings=warnings,
        page_url=f"{SITE}/regions/{code}/?week=2025-11-03",
        missing_url=f"{SITE}/regions/{code}/missing/?week=2025-11-03",
    )


LATE_STAGE = StageFacts(4, "Переход завершён", date(2025, 11, 1), date(2025, 11, 1), "late", date(2025, 11, 1))


@pytest.fixture
def data():
    ryazan = region(
        1,
        "62",
        "Рязанская область",
        "ЦФО",
        readings(
            0.8012,
            0.3345,
            0.9571,
            1.0,
            previous=(0.79, 0.33, 0.95, 0.99),
            statuses=("done", "done", "late", "done"),
        ),
        Verdict(
            status=ScheduleStatus.LATE,
            status_since=date(2025, 11, 3),
            blocking=({"kpi": "officials_active", "value": 0.9571, "target": 1.0, "gap": -0.0429},),
            stages=(LATE_STAGE,),
            orgs_reported=980,
            orgs_total=1000,
            previous_status=ScheduleStatus.AT_RISK,
        ),
        Reporting(
            ReportingStatus.ON_TIME,
            980,
            1000,
            first_upload_at=datetime(2025, 11, 10, 6, 12, tzinfo=UTC),
            last_upload_at=datetime(2025, 11, 10, 13, 40, tzinfo=UTC),
            complete_at=datetime(2025, 11, 10, 13, 40, tzinfo=UTC),
        ),
        warnings={"base_jump": 2, "drop_to_zero": 1},
    )
    tula = region(
        2,
        "71",
        "Тульская область",
        "ЦФО",
        readings(None, None, None, None),
        Verdict(
            status=ScheduleStatus.INSUFFICIENT_DATA,
            status_since=date(2025, 11, 3),
            orgs_reported=0,
            orgs_total=500,
            previous_status=ScheduleStatus.ON_TRACK,
        ),
        Reporting(ReportingStatus.MISSING, 0, 500),
        warnings={},
    )
    samara = region(
        3,
        "63",
        "Самарская область",
        "ПФО",
        readings(0.9, 0.4, 1.0, 1.0, previous=(0.9, 0.4, 1.0, 1.0)),
        Verdict(status=ScheduleStatus.DONE, status_since=date(2025, 10, 27), previous_status=ScheduleStatus.LATE),
        Reporting(
            ReportingStatus.LATE,
            1900,
            2000,
            first_upload_at=datetime(2025, 11, 11, 12, 0, tzinfo=UTC),
            last_upload_at=datetime(2025, 11, 11, 12, 20, tzinfo=UTC),
            complete_at=datetime(2025, 11, 11, 12, 20, tzinfo=UTC),
        ),
        warnings={"same_as_previous": 1},
    )
    return DigestData(
        week=date(2025, 11, 3),
        deadline=datetime(2025, 11, 11, 9, 0, tzinfo=UTC),
        next_week=date(2025, 11, 10),
        next_deadline=datetime(2025, 11, 18, 9, 0, tzinfo=UTC),
        now=datetime(2025, 11, 11, 10, 5, tzinfo=UTC),
        timezone="Europe/Moscow",
        coverage_min=0.9,
        kpis=KPIS,
        country_kpis=readings(0.85, 0.37, 0.97, 0.99, previous=(0.84, 0.36, 0.96, 0.99)),
        country=Verdict(
            status=ScheduleStatus.LATE,
            status_since=date(2025, 11, 3),
            blocking=({"kpi": "officials_active", "value": 0.97, "target": 1.0, "gap": -0.03},),
            stages=(LATE_STAGE,),
            orgs_reported=2880,
            orgs_total=3500,
            previous_status=ScheduleStatus.LATE,
        ),
        regions={1: ryazan, 2: tula, 3: samara},
        warnings_checked=True,
        overview_url=f"{SITE}/?week=2025-11-03",
        upload_url=f"{SITE}/uploads/",
    )


def test_coordinator_digest_says_status_reason_rank_kpis_reporting_warnings_and_deadline(data):
    digest = coordinator_digest(data, 1)
    assert digest.subject == "Сферум → MAX: Рязанская область, неделя с 03.11.2025"
    assert digest.lines() == [
        "Рязанская область (62, ЦФО): неделя с 03.11.2025 по 09.11.2025",
        "",
        "Статус графика",
        f"Просрочено с 01.11.2025 · мешает: активные должностные лица 95,7{NB}% из 100{NB}%, −4,3{NB}п.{NB}п.",
        f"Место в ЦФО: 1 из 2 по среднему выполнению целей показателей (98,9{NB}%).",
        "",
        "Показатели региона",
        f"Активность работников: 80,1{NB}% (цель 75{NB}%) · +1,1{NB}п.{NB}п. за неделю, было 79,0{NB}% · "
        "цель достигнута · статус: выполнено",
        f"Активность обучающихся и родителей: 33,4{NB}% (цель 30{NB}%) · +0,5{NB}п.{NB}п. за неделю, было 33,0{NB}% · "
        "цель достигнута · статус: выполнено",
        f"Активные должностные лица: 95,7{NB}% (цель 100{NB}%) · +0,7{NB}п.{NB}п. за неделю, было 95,0{NB}% · "
        f"до цели 4,3{NB}п.{NB}п. · статус: просрочено",
        f"Только в MAX: 100,0{NB}% (цель 100{NB}%) · +1,0{NB}п.{NB}п. за неделю, было 99,0{NB}% · "
        "цель достигнута · статус: выполнено",
        "",
        "Отчётность за неделю",
        "Отчёт получен в срок: полный отчёт — 10.11.2025 16:40 (срок — 11.11.2025 12:00).",
        f"Отчитались 980 из 1{NB}000 организаций (98,0{NB}%).",
        "Загрузки за неделю: первая — 10.11.2025 09:12, последняя — 10.11.2025 16:40.",
        f"Не отчитались 20 организаций — список: {SITE}/regions/62/missing/?week=2025-11-03",
        "",
        "Качество данных",
        "Предупреждений: 3 (скачок численности — 2, активность упала до нуля — 1). "
        "Проверьте файл на странице загрузки.",
        "",
        "Следующий срок отчёта",
        "За неделю с 10.11.2025 — до 18.11.2025 12:00 (МСК), через 7 дней.",
        "",
        f"Страница региона: {SITE}/regions/62/?week=2025-11-03",
        f"Загрузить отчёт: {SITE}/uploads/",
    ]


def test_ministry_digest_says_counts_moves_non_reporters_and_the_countrys_kpis(data):
    digest = ministry_digest(data)
    assert digest.subject == "Сферум → MAX: Россия, неделя с 03.11.2025"
    assert digest.lines() == [
        "Россия: неделя с 03.11.2025 по 09.11.2025",
        "",
        "Статус графика по России",
        f"Просрочено с 01.11.2025 · мешает: активные должностные лица 97,0{NB}% из 100{NB}%, −3,0{NB}п.{NB}п.",
        f"Отчитались 2{NB}880 из 3{NB}500 организаций (82,2{NB}%).",
        "",
        "Регионы по статусу (3)",
        "Просрочено: 1",
        "Недостаточно данных: 1",
        "Выполнено: 1",
        "",
        "Изменения за неделю",
        "Ухудшили статус (1):",
        "— Рязанская область: под угрозой → просрочено",
        "Улучшили статус (1):",
        "— Самарская область: просрочено → выполнено",
        "Оценка появилась или пропала из-за полноты отчётов (1):",
        "— Тульская область: по графику → недостаточно данных",
        "",
        "Отчётность регионов (срок — 11.11.2025 12:00)",
        "Не отчитался: 1 · Частично: 0 · С опозданием: 1 · В срок: 1",
        "Не отчитались (1): Тульская область",
        "С опозданием (1): Самарская область — 11.11.2025 15:20",
        "",
        "Показатели России",
        f"Активность работников: 85,0{NB}% (цель 75{NB}%) · +1,0{NB}п.{NB}п. за неделю, было 84,0{NB}% · "
        "цель достигнута",
        f"Активность обучающихся и родителей: 37,0{NB}% (цель 30{NB}%) · +1,0{NB}п.{NB}п. за неделю, было 36,0{NB}% · "
        "цель достигнута",
        f"Активные должностные лица: 97,0{NB}% (цель 100{NB}%) · +1,0{NB}п.{NB}п. за неделю, было 96,0{NB}% · "
        f"до цели 3,0{NB}п.{NB}п.",
        f"Только в MAX: 99,0{NB}% (цель 100{NB}%) · 0,0{NB}п.{NB}п. за неделю, было 99,0{NB}% · "
        f"до цели 1,0{NB}п.{NB}п.",
        "",
        "Качество данных",
        "Предупреждений: 4 в 2 регионах.",
        "Рязанская область — 3; Самарская область — 1",
        "",
        "Следующий срок отчёта",
        "За неделю с 10.11.2025 — до 18.11.2025 12:00 (МСК), через 7 дней.",
        "",
        f"Обзор по России: {SITE}/?week=2025-11-03",
    ]


def test_a_region_without_enough_reports_gets_no_verdict_but_its_coverage(data):
    lines = coordinator_digest(data, 2).lines()
    assert (
        f"Недостаточно данных: отчитались 0 из 500 организаций (0,0{NB}%), для оценки нужно не менее 90{NB}%." in lines
    )
    assert "Отчёт не получен: ни одна организация региона не отчиталась." in lines
    assert f"Активность работников: нет данных (цель 75{NB}%)" in lines
    assert "Предупреждений о качестве данных нет." in lines


def test_warnings_counted_without_their_codes_are_shown_as_a_count(data):
    regions = {**data.regions, 1: replace(data.regions[1], warnings={"": 4})}
    digest = coordinator_digest(replace(data, regions=regions), 1)
    assert "Предупреждений: 4. Проверьте файл на странице загрузки." in digest.lines()


def test_without_the_data_quality_checks_the_digest_has_no_warnings_section(data):
    digest = coordinator_digest(replace(data, warnings_checked=False), 1)
    assert "Качество данных" not in [section.title for section in digest.sections]


def test_an_open_week_is_marked_provisional(data):
    digest = coordinator_digest(replace(data, now=datetime(2025, 11, 10, 8, 0, tzinfo=UTC)), 1)
    assert digest.sections[0].title == "Предварительные данные"
    assert digest.sections[0].lines == ("Неделя ещё открыта: срок отчёта — 11.11.2025 12:00, цифры могут измениться.",)
    assert "через 8 дней" in digest.lines()[-4]


def test_regions_of_a_district_are_ranked_by_the_mean_share_of_targets_and_ties_share_a_place(data):
    ranks = district_ranks(data)
    assert ranks[1][:2] == (1, 2)
    assert ranks[2] == (2, 2, 0.0)
    assert ranks[3] == (1, 1, 1.0)
    twin = replace(data.regions[1], id=4, code="50", name="Московская область")
    tied = district_ranks(replace(data, regions={**data.regions, 4: twin}))
    assert tied[1][:2] == tied[4][:2] == (1, 3)
    assert tied[2][:2] == (3, 3)


def test_status_lines_of_the_other_statuses(data):
    stage = StageFacts(3, "Массовый переход", date(2025, 9, 15), date(2025, 10, 31), "at_risk")
    at_risk = Verdict(
        status=ScheduleStatus.AT_RISK,
        status_since=date(2025, 10, 20),
        blocking=({"kpi": "learners_weekly_active", "value": 0.25, "target": 0.3, "gap": -0.05},),
        stages=(stage,),
    )
    regions = {1: replace(data.regions[1], verdict=at_risk)}
    line = coordinator_digest(replace(data, regions=regions), 1).sections[0].lines[0]
    assert line == (
        "Под угрозой с недели 20.10.2025 · срок этапа «Массовый переход» — 31.10.2025 · "
        f"мешает: активность обучающихся и родителей 25,0{NB}% из 30{NB}%, −5,0{NB}п.{NB}п."
    )
    done = Verdict(status=ScheduleStatus.DONE, status_since=date(2025, 10, 27))
    regions = {1: replace(data.regions[1], verdict=done)}
    assert coordinator_digest(replace(data, regions=regions), 1).sections[0].lines[0] == "Выполнено с недели 27.10.2025"
    nothing = Verdict(status=None)
    regions = {1: replace(data.regions[1], verdict=nothing)}
    assert coordinator_digest(replace(data, regions=regions), 1).sections[0].lines[0] == "Статус графика не рассчитан."
    no_data = Verdict(status=ScheduleStatus.LATE, blocking=({"kpi": "no_data"},), stages=(LATE_STAGE,))
    regions = {1: replace(data.regions[1], verdict=no_data)}
    line = coordinator_digest(replace(data, regions=regions), 1).sections[0].lines[0]
    assert line == "Просрочено с 01.11.2025 · мешает: нет данных за неделю"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "нет данных"), (0.9999, f"99,9{NB}%"), (1.0, f"100,0{NB}%"), (0.75, f"75,0{NB}%"), (0.0, f"0,0{NB}%")],
)
def test_percent_is_truncated_never_rounded_up_to_a_target(value, text):
    assert percent(value) == text


def test_points_targets_plurals_and_countdowns():
    assert points(-0.0429) == f"−4,3{NB}п.{NB}п."
    assert points(0.021) == f"+2,1{NB}п.{NB}п."
    assert points(-0.00001) == f"0,0{NB}п.{NB}п."
    assert target_percent(0.75) == f"75{NB}%"
    assert target_percent(0.325) == f"32,5{NB}%"
    assert [plural(n, "день", "дня", "дней") for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "день",
        "дня",
        "дней",
        "дней",
        "день",
        "дня",
        "дней",
    ]
    assert [countdown(n) for n in (-1, 0, 1, 3, 7)] == [
        "срок прошёл",
        "сегодня",
        "завтра",
        "через 3 дня",
        "через 7 дней",
    ]
