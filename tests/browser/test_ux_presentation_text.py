"""Presentation mode makes the charts' text larger too, not only the page's.

The curves are Plotly charts with their own font sizes in pixels; the page's larger root
font does not reach them. Presenting, their tick labels and titles grow by a third, at
once (not at the next streamed frame: the page may be paused).
"""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab

TICK_SIZES = """() => [...document.querySelectorAll('#curves .plots-grid .xtick text')]
  .map((t) => parseFloat(getComputedStyle(t).fontSize))"""


def test_presenting_enlarges_the_curves_text_at_once(page, live_server) -> None:
    open_lab(page, live_server, "#speed=20")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 200")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.wait_for_function(f"({TICK_SIZES})().length > 0")
    normal = page.evaluate(TICK_SIZES)
    assert max(normal) <= 15, normal
    page.get_by_role("button", name="Present").click()
    page.wait_for_function(f"Math.min(...({TICK_SIZES})()) >= 18", timeout=5_000)
    page.locator("#curves").scroll_into_view_if_needed()
    screenshot(page, "presentation-curves-1280x720")
    page.get_by_role("button", name="Exit presenting").click()
    page.wait_for_function(f"Math.max(...({TICK_SIZES})()) <= 15", timeout=5_000)
