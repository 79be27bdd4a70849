"""Every control of the sidebar is in reach: all of it on screen at 1920×1080, a scroll away
at 1280×720 (presenting too), and under the divergence banner."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab


def box(locator) -> dict:
    b = locator.bounding_box()
    assert b, locator
    return b


def sidebar_controls(page):
    """Every control a person can use in the sidebar (the file input hides in its label)."""
    controls = page.locator("#controls").locator(
        "input:not([type=file]), select, button, label.file-button"
    )
    return [c for c in controls.all() if c.is_visible()]


def test_every_sidebar_control_is_visible_at_1920x1080_without_scrolling(
    page, live_server
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_lab(page, live_server)
    display = page.locator('fieldset[data-group="display"]')
    expect(display).to_be_in_viewport(ratio=1)
    for control in sidebar_controls(page):
        expect(control).to_be_in_viewport(ratio=1)
    screenshot(page, "ux-sidebar-1920x1080")


@pytest.mark.parametrize("presenting", [False, True])
def test_the_sidebar_scrolls_to_its_last_control_at_1280x720(
    page, live_server, presenting
) -> None:
    # Presenting with every group shown is the longest sidebar there is.
    open_lab(page, live_server, "#presentation=true&hide=" if presenting else "")
    if presenting:  # the controls are a drawer: open it
        page.get_by_role("button", name="Controls").click()
    sidebar = page.locator(".sidebar")
    last = page.get_by_role("button", name="Loss history CSV")
    expect(last).not_to_be_in_viewport(ratio=1)
    # A person scrolls with the wheel over the sidebar (not the page behind it).
    b = box(sidebar)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    for _ in range(8):
        page.mouse.wheel(0, 400)
    expect(last).to_be_in_viewport(ratio=1)
    assert page.evaluate("scrollY") == 0, "the page scrolled instead of the sidebar"
    # Every control can be brought wholly into view (but for a fraction of a pixel).
    for control in sidebar_controls(page):
        control.scroll_into_view_if_needed()
        expect(control).to_be_in_viewport(ratio=0.95)
    screenshot(page, f"ux-sidebar-scrolled-{'presenting-' if presenting else ''}1280x720")


def test_under_the_divergence_banner_the_sidebar_still_reaches_its_end(
    page, live_server
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_lab(page, live_server, "#dataset=spiral&classes=3&learningRate=10&speed=20")
    page.get_by_role("button", name="Play").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=15_000)
    sidebar = page.locator(".sidebar")
    b = box(sidebar)
    assert b["y"] >= box(banner)["y"] + box(banner)["height"] - 1, "the banner covers the sidebar"
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    for _ in range(6):
        page.mouse.wheel(0, 400)
    last = page.get_by_role("button", name="Loss history CSV")
    expect(last).to_be_in_viewport(ratio=1)
    # Nothing lies on top of it: the point under its centre is the button itself.
    c = box(last)
    on_top = page.evaluate(
        f"document.elementFromPoint({c['x'] + c['width'] / 2}, {c['y'] + c['height'] / 2})"
        ".textContent"
    )
    assert on_top == "Loss history CSV"
    screenshot(page, "ux-sidebar-under-banner-1920x1080")
