"""The pages in a real browser: Debian's chromium driven by Playwright against the live server.

Charts must draw under the Content-Security-Policy, so every test fails on any console error or
page error (a CSP violation is one). Each page is saved full-size under
test-artifacts/screenshots/ for a person to look at.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from metrics.choices import KpiCode
from metrics.services import kpi_values_rebuild
from regions.choices import OrganisationKind
from regions.models import Region
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory, region

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pass-word-123"
WEEKS = 6
SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture
def page(monkeypatch):
    """A laptop-sized Russian browser tab that records every console error and page error.

    Request it last: while Playwright runs, its event loop gives ORM calls a connection of their
    own, which would miss the reference data that serialized_rollback restores on the first one.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made meanwhile are
    # plain synchronous code. Only for this test: the variable fails `check --deploy`.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.problems = []
        tab.on("console", lambda message: message.type == "error" and tab.problems.append(f"console: {message.text}"))
        tab.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
        yield tab
        context.close()
        browser.close()
        # Connections opened inside Playwright's loop are its own: close them, or PostgreSQL
        # refuses to drop the test database at the end.
        connections.close_all()


@pytest.fixture
def activity(db):
    """A few months of rising figures for regions 62, 63 and 77, KPIs precomputed."""
    for code in ("62", "63", "77"):
        places = [MunicipalityFactory(region=region(code), name=f"Городской округ {n}") for n in (1, 2, 3)]
        for i in range(6):
            kind = OrganisationKind.AUTHORITY_MUNICIPAL if i == 0 else OrganisationKind.SCHOOL
            organisation = OrganisationFactory(
                org_id=f"E2E-{code}-{i}", region=region(code), municipality=places[i % 3], kind=kind
            )
            for back in range(WEEKS):
                share = (WEEKS - back) / WEEKS
                SnapshotFactory(
                    organisation=organisation,
                    week=WEEK - timedelta(weeks=back),
                    staff_active=int(40 + 45 * share) - i,
                    students_active=int(300 * share),
                    parents_active=int(200 * share),
                    officials_active=min(4, int(5 * share)),
                    sferum_max_only=int(1400 * share * 0.9),
                )
    kpi_values_rebuild()


def shoot(tab, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def log_in(tab, live_server, username: str) -> None:
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form.stack button[type=submit]")
    tab.wait_for_load_state("networkidle")


def wait_for_charts(tab, count: int) -> None:
    """Every chart container holds a drawn Plotly SVG."""
    tab.wait_for_function(
        "n => document.querySelectorAll('[data-chart] .main-svg').length >= n && "
        "Array.from(document.querySelectorAll('[data-chart]')).every(el => el.querySelector('.main-svg'))",
        arg=count,
    )


def test_ministry_reads_the_overview_filters_it_and_drills_down(live_server, ministry_user, activity, page):
    expect = playwright_api.expect
    log_in(page, live_server, ministry_user.username)
    assert page.url == f"{live_server.url}/"
    expect(page.locator("#regions-table tbody tr")).to_have_count(89)
    wait_for_charts(page, 3)
    assert page.locator("[data-chart=chart-ranking] .main-svg").count() >= 1
    assert page.locator("[data-chart=chart-ranking] g.trace.bars path").count() >= 3
    assert page.locator("[data-chart=chart-heatmap] .hm, [data-chart=chart-heatmap] image").count() >= 1
    expect(page.locator(".kpi-card")).to_have_count(4)
    expect(page.locator(".topbar .whoami")).to_contain_text("Сотрудник министерства")
    shoot(page, "overview")

    # Another week: the selector submits itself and the table follows.
    previous = (WEEK - timedelta(weeks=2)).isoformat()
    with page.expect_navigation():
        page.select_option("#week-select", previous)
    assert f"week={previous}" in page.url
    expect(page.locator("#week-select")).to_have_value(previous)
    # Another KPI and a district: the ranking and the heat map follow.
    page.select_option("#overview-filters select[name=kpi]", KpiCode.OFFICIALS_ACTIVE.value)
    page.select_option("#overview-filters select[name=district]", "ЦФО")
    with page.expect_navigation():
        page.click("#overview-filters button[type=submit]")
    assert "kpi=officials_active" in page.url and f"week={previous}" in page.url
    wait_for_charts(page, 3)
    expect(page.locator("[data-chart=chart-ranking] .annotation-text").first).to_contain_text("цель 100")
    expect(page.locator(".breadcrumbs")).to_contain_text("ЦФО")
    rows = page.locator("#regions-table tbody tr")
    assert 10 <= rows.count() < 89
    shoot(page, "overview-cfo-officials")

    # Sorting and quick search work in the browser.
    page.click("#regions-table th:nth-child(2)")
    expect(page.locator("#regions-table th:nth-child(2)")).to_have_attribute("aria-sort", "ascending")
    page.fill("input[data-filter-table=regions-table]", "рязан")
    expect(page.locator("#regions-table tbody tr:visible")).to_have_count(1)

    # Drill down: region, municipality, organisation, each with its charts drawn.
    with page.expect_navigation():
        page.click("#regions-table a:has-text('Рязанская область')")
    assert page.url.endswith(f"/regions/62/?week={previous}")
    expect(page.locator("h1")).to_contain_text("Рязанская область")
    wait_for_charts(page, 4)
    expect(page.locator("#municipalities-table tbody tr")).to_have_count(3)
    expect(page.locator("#stages-table tbody tr")).not_to_have_count(0)
    shoot(page, "region")
    with page.expect_navigation():
        page.click("#municipalities-table a >> nth=0")
    wait_for_charts(page, 4)
    expect(page.locator(".breadcrumbs a")).to_have_count(3)
    shoot(page, "municipality")
    with page.expect_navigation():
        page.click("#organisations-table a >> nth=0")
    wait_for_charts(page, 4)
    expect(page.locator("#weeks-table tbody tr")).to_have_count(WEEKS)
    shoot(page, "organisation")
    with page.expect_navigation():
        page.click(".breadcrumbs a:has-text('ЦФО')")
    assert "district=" in page.url
    assert page.problems == []


def test_coordinator_lands_on_their_region_and_uploads_a_file(live_server, coordinator62, activity, page):
    expect = playwright_api.expect
    log_in(page, live_server, coordinator62.username)
    assert page.url == f"{live_server.url}/regions/62/"
    expect(page.locator(".mainnav a[aria-current=page]")).to_have_text("Рязанская область")
    wait_for_charts(page, 4)
    shoot(page, "region-coordinator")

    header = "ID организации;Работники всего;Работники активные;Обучающиеся всего;Обучающиеся активные;" \
        "Родители всего;Родители активные;Пользователи Сферума всего;Пользователи только в MAX"  # fmt: skip
    lines = [header] + [f"E2E-62-{i};100;90;500;200;800;300;1400;1400" for i in range(6)]
    page.goto(f"{live_server.url}/uploads/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "ryazan-week.csv", "mimeType": "text/csv", "buffer": "\r\n".join(lines).encode("cp1251")}],
    )
    page.fill("input[name=week]", WEEK.isoformat())
    shoot(page, "upload-form")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-status")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#upload-message")).not_to_be_empty()
    shoot(page, "upload-succeeded")

    # The region page now shows the new figures and the upload in its history.
    page.goto(f"{live_server.url}/regions/62/")
    wait_for_charts(page, 4)
    expect(page.locator("#region-uploads")).to_contain_text("ryazan-week.csv")
    expect(page.locator(".kpi-card[data-kpi=staff_weekly_active] .kpi-value")).to_have_text("90,0\u00a0%")
    # The federal overview stays one click away.
    with page.expect_navigation():
        page.click(".mainnav a:has-text('Россия')")
    assert page.url == f"{live_server.url}/?all=1"
    wait_for_charts(page, 3)
    assert page.problems == []


def test_a_passed_check_is_checked_and_its_button_loads_the_same_file(live_server, coordinator62, activity, page):
    """Issue #17 item 2: «Только проверить» that passes reads «Проверен», saves nothing, and its page
    loads the same file for real with one button."""
    expect = playwright_api.expect
    log_in(page, live_server, coordinator62.username)
    header = "ID организации;Работники всего;Работники активные;Обучающиеся всего;Обучающиеся активные;" \
        "Родители всего;Родители активные;Пользователи Сферума всего;Пользователи только в MAX"  # fmt: skip
    lines = [header] + [f"E2E-62-{i};100;70;500;200;800;300;1400;1400" for i in range(6)]
    page.goto(f"{live_server.url}/uploads/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "ryazan-check.csv", "mimeType": "text/csv", "buffer": "\r\n".join(lines).encode("cp1251")}],
    )
    page.fill("input[name=week]", WEEK.isoformat())
    page.check("input[name=dry_run]")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    # Inline jobs: checked at once («Ничего не сохранено»); with a worker: queued («Ничего не будет
    # сохранено»), and the page reloads itself when the check ends (the flash is then gone).
    expect(page.locator(".messages")).to_contain_text(re.compile("Ничего не (будет )?сохранено"))
    expect(page.locator("#upload-status")).to_have_attribute("data-state", "checked")
    expect(page.locator("#upload-status")).to_have_text("Проверен")
    expect(page.locator("#upload-diff h2")).to_have_text("Что изменится")
    expect(page.locator("#diff-changes")).to_contain_text("Работники, активные:")
    shoot(page, "upload-checked")
    with page.expect_navigation():
        page.click("#upload-import button[type=submit]")
    expect(page.locator("#upload-status")).to_have_attribute("data-state", "succeeded")
    expect(page.locator("#upload-status")).to_have_text("Загружен")
    expect(page.locator("#upload-import")).to_have_count(0)
    expect(page.locator("#upload-diff h2")).to_have_text("Что изменилось")
    shoot(page, "upload-checked-then-loaded")
    assert page.problems == []


def test_the_first_screen_answers_who_is_behind_and_who_has_not_reported(live_server, ministry_user, activity, page):
    """DESIGN.md §8 at 1366×768: the status strip (counts by status, non-reporters, coverage, the
    week and its deadline) and the KPI cards above the fold; a status chip filters the table; the
    register is one click away."""
    expect = playwright_api.expect
    log_in(page, live_server, ministry_user.username)
    wait_for_charts(page, 3)
    strip = page.locator("#status-strip")
    expect(strip).to_be_visible()
    box = strip.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box
    cards = page.locator(".kpi-cards").bounding_box()
    assert cards["y"] + cards["height"] <= 768, cards
    expect(strip).to_contain_text("срок отчётности")
    expect(strip).to_contain_text("Не отчитались")
    expect(strip).to_contain_text("Отчитались")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "overview-first-screen.png")
    chips = strip.locator("a[data-status-filter]")
    chip = next(c for c in chips.all() if c.locator("strong").inner_text() != "0")  # a status some region has
    status = chip.get_attribute("data-status-filter")
    with page.expect_navigation():
        chip.click()
    assert f"status={status}" in page.url
    statuses = page.locator("#regions-table tbody td.verdict-cell .badge").all_inner_texts()
    assert statuses and len(set(statuses)) == 1
    with page.expect_navigation():
        page.click(".mainnav a:has-text('Отчётность')")
    expect(page.locator("#reporting-table tbody tr")).to_have_count(89)
    wait_for_charts(page, 1)
    shoot(page, "reporting")


def test_a_warned_upload_is_explained_by_the_ministry(live_server, coordinator62, ministry_user, activity, page):
    """Data-quality warnings (issue #14): a school's pupils typed ten times over are shown on the
    upload's result by kind, marked on the overview, and explained by ministry staff."""
    expect = playwright_api.expect
    log_in(page, live_server, coordinator62.username)
    header = "ID организации;Работники всего;Работники активные;Обучающиеся всего;Обучающиеся активные;" \
        "Родители всего;Родители активные;Пользователи Сферума всего;Пользователи только в MAX"  # fmt: skip
    lines = [header] + [f"E2E-62-{i};100;85;{5000 if i == 1 else 500};300;800;200;1400;1300" for i in range(6)]
    page.goto(f"{live_server.url}/uploads/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "ryazan-jump.csv", "mimeType": "text/csv", "buffer": "\r\n".join(lines).encode("cp1251")}],
    )
    page.fill("input[name=week]", (WEEK + timedelta(weeks=1)).isoformat())
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-status")).to_have_attribute("data-status", "succeeded")
    page.reload()
    jumps = page.locator("#warnings-base_jump")
    expect(jumps.locator("h3")).to_contain_text("Скачок численности")
    expect(jumps.locator("tbody tr")).to_have_count(1)
    expect(jumps.locator("tbody tr")).to_contain_text("Обучающиеся всего")
    expect(page.locator("form.explain-form")).to_have_count(0)  # coordinators read, the ministry explains
    shoot(page, "upload-warnings")
    upload_url = page.url

    page.context.clear_cookies()
    log_in(page, live_server, ministry_user.username)
    mark = page.locator("#regions-table .quality-mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_attribute("title", re.compile("Скачок численности — 1"))
    page.goto(upload_url)
    form = page.locator("#warnings-base_jump form.explain-form")
    form.locator("input[name=comment]").fill("В школу влились два филиала: численность верна")
    with page.expect_navigation():
        form.locator("button").click()
    expect(page.locator("#warnings-base_jump tbody tr")).to_contain_text("В школу влились два филиала")
    expect(page.locator("#warnings-base_jump h3")).to_contain_text("объяснено: 1")
    shoot(page, "upload-warning-explained")
    assert page.problems == []


@pytest.mark.parametrize("run", [1, 2])
def test_reference_data_survives_the_transactional_tests(activity, run):
    # Runs after the browser tests: serialized_rollback reloads what migrations created before
    # every transactional test, whatever the test before it flushed.
    assert Region.objects.count() == 89
    assert region("62").name == "Рязанская область"
