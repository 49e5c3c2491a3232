"""The tile map in a real browser (Debian chromium through Playwright): 89 squares drawn under the
CSP, a tooltip on hover, a click that opens the region, a card that scrolls sideways on a phone,
a clean console. Screenshots go to test-artifacts/screenshots/ like the other browser tests."""

import re

import pytest

from tests.e2e.test_browser import activity, log_in, page, playwright_api, shoot  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def square(tab, label):
    """The centre of the square whose label is ``label`` (its text in the heat map, a value below
    it in the KPI view)."""
    text = tab.locator("#region-map g.heatmap-label text", has_text=re.compile(rf"^{label}(?![А-Яа-яЁё])"))
    box = text.first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_ministry_reads_the_map_hovers_a_region_and_clicks_through(live_server, ministry_user, activity, page):  # noqa: F811
    expect = playwright_api.expect
    log_in(page, live_server, ministry_user.username)
    page.wait_for_selector("#region-map .main-svg")
    expect(page.locator("#region-map g.heatmap-label text")).to_have_count(89)
    expect(page.locator("#changes")).to_contain_text("Что изменилось за неделю")
    page.locator("#map").scroll_into_view_if_needed()
    shoot(page, "overview-map")

    page.mouse.move(*square(page, "Ряз"))
    tooltip = page.locator("#region-map .hoverlayer .hovertext")
    expect(tooltip).to_contain_text("62 Рязанская область")
    expect(tooltip).to_contain_text("Статус:")
    expect(tooltip).to_contain_text("цель 75")
    page.locator("#map").screenshot(path=str(shoot.__globals__["SHOTS"] / "map-hover.png"))

    # Coloured by a KPI: the same 89 squares, each with its value.
    with page.expect_navigation():
        page.select_option("#map-mode", "staff_weekly_active")
    page.wait_for_selector("#region-map .main-svg")
    expect(page.locator("#region-map g.heatmap-label text")).to_have_count(89)
    expect(page.locator("#map .scale-target")).to_contain_text("цель 75")

    with page.expect_navigation():
        page.mouse.click(*square(page, "Сам"))
    assert page.url.startswith(f"{live_server.url}/regions/63/")
    expect(page.locator("h1")).to_contain_text("Самарская область")
    expect(page.locator("#peers-table tbody tr")).to_have_count(4)
    assert page.problems == []


def test_on_a_phone_the_map_scrolls_sideways_inside_its_card(live_server, ministry_user, activity, page):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, ministry_user.username)
    page.wait_for_selector("#region-map .main-svg")
    sizes = page.eval_on_selector(
        ".map-scroll",
        "el => ({scroll: el.scrollWidth, client: el.clientWidth, page: document.documentElement.scrollWidth,"
        " map: document.getElementById('region-map').getBoundingClientRect().width})",
    )
    assert sizes["client"] < 390 and sizes["scroll"] > sizes["client"]  # the card scrolls…
    assert sizes["map"] >= 700  # …rather than squeezing 17 columns of squares into a phone
    assert sizes["page"] <= 390  # and the page itself does not
    page.locator("#map").scroll_into_view_if_needed()
    shoot(page, "overview-map-phone")
    assert page.problems == []
