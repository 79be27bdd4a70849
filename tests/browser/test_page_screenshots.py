"""Screenshots of the trained page at projector sizes, for people to look at."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab

SIZES = [(1920, 1080), (1280, 720)]


def train_a_little(page, steps: int = 300) -> None:
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) >= {steps}"
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def assert_nothing_cut_off(page) -> None:
    """The two central views sit wholly inside the window; the top bar fits its width."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    for selector in ["#boundary", "#network", ".topbar"]:
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= height + 1, selector
    overflow = page.evaluate("document.querySelector('.topbar').scrollWidth")
    assert overflow <= width, "the top bar is wider than the window"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_screenshot_of_the_trained_page(page, live_server, width, height) -> None:
    page.set_viewport_size({"width": width, "height": height})
    # Four classes, two hidden layers: every colour, every kind of column.
    open_lab(page, live_server, "#dataset=blobs&classes=4&noise=0.3&hidden=8,6&speed=50")
    train_a_little(page, 1500)
    assert_nothing_cut_off(page)
    screenshot(page, f"page-{width}x{height}")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_screenshot_in_presentation_mode(page, live_server, width, height) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_lab(page, live_server, "#speed=20")
    train_a_little(page, 200)
    page.get_by_role("button", name="Present").click()
    expect(page.get_by_role("button", name="Exit presenting")).to_have_attribute(
        "aria-pressed", "true"
    )
    # The stage has the whole width: the controls wait in a closed drawer.
    expect(page.get_by_label("Learning rate η")).to_be_hidden()
    page.wait_for_timeout(300)  # the charts resize to the larger layout
    assert_nothing_cut_off(page)
    left = page.locator("#boundary").bounding_box()["x"]
    assert left < 60, f"the boundary starts at x = {left}: room is kept for a sidebar"
    # The four phases read left to right on one row, the loss value with them.
    tops = page.locator("#phase-strip li").evaluate_all(
        "items => items.map((li) => li.getBoundingClientRect().top)"
    )
    assert len(tops) == 4 and max(tops) - min(tops) < 1, tops
    screenshot(page, f"presentation-{width}x{height}")
    # The Controls button opens the drawer with the chosen groups: training, not data.
    toggle = page.get_by_role("button", name="Controls")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Learning rate η")).to_be_visible()
    expect(page.get_by_label("Dataset")).to_be_hidden()
    screenshot(page, f"presentation-controls-{width}x{height}")
    page.keyboard.press("Escape")  # closes the drawer, still presenting
    expect(page.get_by_label("Learning rate η")).to_be_hidden()
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresentation\b"))


def test_screenshot_of_the_backward_phase(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_lab(page, live_server, "#speed=20")
    train_a_little(page, 100)
    for _ in range(3):  # forward, loss, backward
        page.get_by_role("button", name="Phase").click()
    expect(page.locator("#phase-strip li.current")).to_have_text("backward")
    page.wait_for_timeout(1500)  # let the animation finish
    screenshot(page, "phase-backward-1920x1080")
