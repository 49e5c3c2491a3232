"""«EN» in a real browser: the overview switches to English, chart axes name months in English,
on a laptop and on a phone, with a clean console. Screenshots go to test-artifacts/screenshots/."""

import re

import pytest

from tests.e2e.test_browser import activity, log_in, page, playwright_api, shoot, wait_for_charts  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A tick may run on into its year on a second line ("27 Jul" + "2025" reads "27 Jul2025").
ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?![a-z])")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def axis_ticks(tab) -> list[str]:
    # SVG text has no innerText: read textContent.
    return tab.eval_on_selector_all(
        "[data-chart] .xtick text, [data-chart] .ytick text", "els => els.map(e => e.textContent)"
    )


def test_en_switches_the_overview_to_english_on_a_laptop_and_a_phone(live_server, ministry_user, activity, page):  # noqa: F811
    expect = playwright_api.expect
    log_in(page, live_server, ministry_user.username)
    wait_for_charts(page, 3)
    assert any(re.search(r"\b(янв|фев|мар|апр|май|июн|июл|авг|сен|окт|ноя|дек)", t) for t in axis_ticks(page))

    with page.expect_navigation():
        page.click(".langswitch button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_charts(page, 3)
    expect(page.locator("h1")).to_have_text("Russia")
    expect(page.locator("h2", has_text="Federal migration plan")).to_have_count(1)
    expect(page.locator(".topbar .whoami")).to_contain_text("Ministry staff")
    expect(page.locator(".langswitch button")).to_have_text("RU")
    ticks = axis_ticks(page)
    assert [t for t in ticks if ENGLISH_MONTH.search(t)], ticks
    # The y axes name regions (data, Russian); the x axes are the dates and shares.
    x_ticks = page.eval_on_selector_all("[data-chart] .xtick text", "els => els.map(e => e.textContent)")
    assert x_ticks and not [t for t in x_ticks if CYRILLIC.search(t)], x_ticks
    headings = page.locator("h1, h2, h3, th").all_inner_texts()
    assert not [h for h in headings if CYRILLIC.search(h) and "ЦФО" not in h], headings
    shoot(page, "overview-en-1366")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_for_charts(page, 3)
    expect(page.locator("h1")).to_have_text("Russia")
    assert [t for t in axis_ticks(page) if ENGLISH_MONTH.search(t)]
    # Nothing wider than the phone's screen but the tables' own scrolling boxes.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "overview-en-390")

    # The choice sticks: the region page is English too.
    with page.expect_navigation():
        page.goto(f"{live_server.url}/regions/62/")
    wait_for_charts(page, 4)
    expect(page.locator("h2", has_text="Roadmap stages")).to_have_count(1)
    shoot(page, "region-en-390")
    assert page.problems == []
