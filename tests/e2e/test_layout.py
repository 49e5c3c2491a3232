"""The pages changed for issue #17 in a real browser at a laptop (1366×768) and a phone (390×844):
a clean console, no sideways scroll of the page itself at 390 px (tables and wide charts scroll
inside their card, selects stay on screen), the cue under a table whose box hides rows, the error
pages in the layout. Screenshots go to test-artifacts/screenshots/ like the other browser tests."""

import pytest

from regions.choices import UserRole
from tests.e2e.test_browser import SHOTS, activity, log_in, page, playwright_api, shoot  # noqa: F401
from tests.factories import UserFactory, region

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
# What the page measures of itself: its own sideways overflow, selects past the right edge,
# tables wider than their box that are not in a box that scrolls sideways.
MEASURE = """() => {
  const width = window.innerWidth;
  const inScroller = el => {
    for (let box = el.parentElement; box; box = box.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) { return true; }
    }
    return false;
  };
  const offscreen = [...document.querySelectorAll('select, input, button')]
    .filter(el => el.offsetParent !== null && !inScroller(el))
    .filter(el => { const r = el.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
    .map(el => el.id || el.name || el.outerHTML.slice(0, 60));
  const spilling = [...document.querySelectorAll('main table')]
    .filter(t => t.offsetParent !== null)
    .filter(t => {
      const box = t.closest('.table-wrap');
      return t.getBoundingClientRect().width > (box || t.parentElement).clientWidth + 1
        && !(box && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX));
    })
    .map(t => t.id || t.className);
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !inScroller(el))
    .filter(el => !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1))
    .map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right));
  return {page: document.documentElement.scrollWidth, width, offscreen, spilling, wide};
}"""


def check(tab, name: str, viewport: str) -> dict:
    """The page laid out within the viewport, saved as a screenshot; what it measured."""
    tab.wait_for_load_state("networkidle")
    sizes = tab.evaluate(MEASURE)
    shoot(tab, f"layout-{name}-{viewport}")
    assert sizes["page"] <= sizes["width"], f"{name}: the page scrolls sideways ({sizes['page']} px): {sizes['wide']}"
    assert sizes["offscreen"] == [], f"{name}: controls off the screen"
    assert sizes["spilling"] == [], f"{name}: tables spill out of their card"
    return sizes


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_pages_fit_the_screen_with_a_clean_console(live_server, ministry_user, activity, viewport, page):  # noqa: F811
    expect = playwright_api.expect
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_server, ministry_user.username)
    page.wait_for_selector("[data-chart] .main-svg")
    check(page, "overview", viewport)
    # 89 regions in a box that shows a part of them: the cue says so, and goes once scrolled through.
    cue = page.locator("#regions-table").locator(
        "xpath=ancestor::div[contains(@class, 'table-wrap')]/following-sibling::p[contains(@class, 'scroll-cue')]"
    )
    expect(cue).to_be_visible()
    expect(cue).to_contain_text("из 89")
    page.screenshot(path=str(SHOTS / f"layout-overview-top-{viewport}.png"))
    ranking = page.eval_on_selector(
        "[data-chart=chart-ranking]",
        "el => ({chart: el.getBoundingClientRect().width, box: el.parentElement.clientWidth,"
        " svg: el.querySelector('.main-svg').getBoundingClientRect().width})",
    )
    assert abs(ranking["svg"] - ranking["chart"]) < 2  # the drawing takes its container's width
    if viewport == "phone":
        assert ranking["chart"] >= 560 > ranking["box"]  # readable, scrolled sideways in its card
    page.locator("#regions-table").locator("xpath=ancestor::div[contains(@class, 'table-wrap')]").evaluate(
        "box => box.scrollTo(box.scrollWidth, box.scrollHeight)"
    )
    expect(cue).to_be_hidden()  # scrolled through: nothing more to say
    for chart in ("chart-ranking", "chart-heatmap", "chart-timeline"):
        page.locator(f"[data-chart={chart}]").screenshot(path=str(SHOTS / f"layout-{chart}-{viewport}.png"))
    for path, name in [
        ("/regions/62/", "region"),
        ("/reporting/", "reporting"),
        ("/uploads/", "uploads"),
        ("/api/v1/docs/", "api-docs"),
        ("/no-such-page/", "404"),
    ]:
        page.goto(f"{live_server.url}{path}")
        check(page, name, viewport)
    expect(page.locator(".error-page h1")).to_have_text("Страница не найдена")
    page.goto(f"{live_server.url}/api/v1/docs/")
    with page.expect_navigation():
        page.click("#api-back a")
    assert page.url == f"{live_server.url}/"
    # The 404 is the answer asked for; the browser logs it as a failed load, and nothing else.
    assert [p for p in page.problems if "status of 404" not in p] == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_refusal_and_a_read_only_account_in_the_layout(live_server, activity, viewport, page):  # noqa: F811
    expect = playwright_api.expect
    UserFactory(username="reader", role=UserRole.SYSTEM)
    UserFactory(username="coord63", role=UserRole.COORDINATOR, role__region=region("63"))
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, live_server, "reader")
    page.goto(f"{live_server.url}/uploads/")
    check(page, "uploads-read-only", viewport)
    expect(page.locator("#read-only-note")).to_be_visible()
    expect(page.locator("#upload-form")).to_have_count(0)
    page.context.clear_cookies()
    log_in(page, live_server, "coord63")
    page.goto(f"{live_server.url}/uploads/?region=62")
    check(page, "403", viewport)
    expect(page.locator(".error-page h1")).to_have_text("Доступ запрещён")
    expect(page.locator(".error-reason")).to_contain_text("Загрузки этого региона вам недоступны")
    expect(page.locator(".topbar .mainnav")).to_be_visible()
    # The 403 is an expected answer; the browser logs it as a failed resource load, nothing else.
    assert [p for p in page.problems if "status of 403" not in p] == []
