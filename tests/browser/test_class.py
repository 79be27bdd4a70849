"""Class mode as a lecture uses it: one lecturer's page, three students' pages.

Each page is its own browser context (its own cookies and storage, as separate devices).
The followers must show what the lecturer shows — step, phase, traced example, tab —
within about a frame, while the lecturer steps phase by phase and while playing; they
can change nothing; "Make it mine" gives a student an independent session; closing the
class ends their views.
"""

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PageProblems, screenshot
from tests.browser.test_page_training import open_lab

SYNC_MS = 5_000  # a frame at 30 fps is 33 ms; four pages on 2 loaded cores get slack


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium as four devices: each page draws as if it were in front (in one browser,
    the pages behind would otherwise be throttled and show old frames)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the browser tests: {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    args = [
        *CHROMIUM_ARGS,
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield chromium
        chromium.close()


def open_follower(browser, live_server, code: str, problems: PageProblems):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems.attach(page)
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/join/{code}")
    expect(page.locator("#follow-bar")).to_contain_text("Following the lecturer")
    expect(page.locator("#network .node").first).to_be_visible()
    return context, page


def open_class(lecturer) -> str:
    lecturer.get_by_role("button", name="Class").click()
    lecturer.get_by_role("button", name="Open a class on this network").click()
    code = lecturer.locator("#class-code")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(lecturer.locator("#class-qr svg")).to_be_visible()
    screenshot(lecturer, "class-dialog-1280x720")
    value = code.inner_text().replace(" ", "")
    lecturer.get_by_role("button", name="Done").click()
    return value


def same_as_lecturer(lecturer, followers) -> None:
    """Every follower shows the lecturer's step, phase and traced example (read once the
    lecturer's page has drawn its newest frame: four pages share two cores here)."""
    lecturer.wait_for_function(
        "(() => { const f = window.backpropLab.lastFrame(); const now = f && f.step;"
        " const same = window.__lastSeen === now; window.__lastSeen = now; return same; })()",
        polling=300,
    )
    step = lecturer.locator("#step-counter").inner_text()
    phase = lecturer.locator("#step-card").get_attribute("data-phase")
    selected = lecturer.evaluate("window.backpropLab.lastFrame().trace?.index ?? null")
    for page in followers:
        expect(page.locator("#step-counter")).to_have_text(step, timeout=SYNC_MS)
        if phase is None:
            expect(page.locator("#step-card")).to_be_hidden(timeout=SYNC_MS)
        else:
            card = page.locator("#step-card")
            expect(card).to_have_attribute("data-phase", phase, timeout=SYNC_MS)
        expected = "null" if selected is None else selected
        page.wait_for_function(
            f"(window.backpropLab.lastFrame()?.trace?.index ?? null) === {expected}",
            timeout=SYNC_MS,
        )


def test_a_lecture_with_three_followers(browser, live_server, page, page_problems) -> None:
    lecturer = page
    open_lab(lecturer, live_server)
    code = open_class(lecturer)
    followers, contexts = [], []
    for _ in range(3):
        context, follower = open_follower(browser, live_server, code, page_problems)
        contexts.append(context)
        followers.append(follower)
    expect(lecturer.get_by_role("button", name="Class · 3")).to_be_visible(timeout=5_000)
    same_as_lecturer(lecturer, followers)

    # phase by phase
    lecturer.locator("#boundary-title").click()
    for phase in ("forward", "loss", "backward", "update"):
        lecturer.keyboard.press("Shift+ArrowRight")
        expect(lecturer.locator("#step-card")).to_have_attribute("data-phase", phase)
        same_as_lecturer(lecturer, followers)
    screenshot(followers[0], "class-follower-update-1280x720")

    # another traced example: the lecturer clicks a point
    point = lecturer.locator("#boundary .scatterlayer .trace").nth(1).locator(".point").nth(2)
    box = point.bounding_box()
    lecturer.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lecturer.wait_for_function("(window.backpropLab.lastFrame().trace?.index ?? 0) !== 0")
    same_as_lecturer(lecturer, followers)

    # and the tab
    lecturer.get_by_role("tab", name="Matrices & delta maps").click()
    for follower in followers:
        expect(follower.get_by_role("tab", name="Matrices & delta maps")).to_have_attribute(
            "aria-selected", "true", timeout=SYNC_MS
        )

    # while playing
    lecturer.get_by_role("button", name="Play").click()
    lecturer.wait_for_function("Number(document.querySelector('#step-counter').textContent) > 60")
    for follower in followers:
        follower.wait_for_function(
            "Number(document.querySelector('#step-counter').textContent) > 60"
        )
    lecturer.get_by_role("button", name="Pause").click()
    same_as_lecturer(lecturer, followers)
    screenshot(followers[1], "class-follower-1280x720")

    # a follower can change nothing: every control is disabled or unreachable
    student = followers[0]
    for name in ("Play", "Step", "Phase", "Reset", "Branch here"):
        expect(student.get_by_role("button", name=name, exact=True)).to_be_disabled()
    assert student.locator("#sidebar").evaluate("e => e.inert")
    enabled = student.locator(
        "#sidebar :is(input, select, button):enabled, .run :is(input, button):enabled"
    )
    assert enabled.count() == 0
    before = student.locator("#step-counter").inner_text()
    student.keyboard.press("Space")
    student.keyboard.press("ArrowRight")
    student.wait_for_timeout(500)
    assert lecturer.locator("#step-counter").inner_text() == before

    # "Make it mine": an independent session from exactly here
    student.get_by_role("button", name="Make it mine").click()
    expect(student.locator("#follow-bar")).to_be_hidden()
    expect(student.get_by_role("button", name="Step", exact=True)).to_be_enabled()
    student.get_by_role("button", name="Step", exact=True).click()
    expect(student.locator("#step-counter")).to_have_text(str(int(before) + 1))
    assert lecturer.locator("#step-counter").inner_text() == before  # the lecturer's is untouched
    expect(lecturer.get_by_role("button", name="Class · 2")).to_be_visible(timeout=5_000)

    # closing the class ends the other followers' views
    lecturer.get_by_role("button", name="Class · 2").click()
    lecturer.get_by_role("button", name="Close the class").click()
    for follower in followers[1:]:
        bar = follower.locator("#follow-bar")
        expect(bar).to_contain_text("The class has ended", timeout=5_000)
        expect(follower.get_by_role("link", name="Start your own network")).to_be_visible()
    screenshot(followers[1], "class-ended-1280x720")
    for context in contexts:
        context.close()


def test_a_wrong_code_asks_again(page, live_server, page_problems) -> None:
    page.goto(f"{live_server.url}/join/12345678")
    expect(page.locator("#class-join-error")).to_contain_text("no open class has this code")
    expected = [m for m in page_problems.messages if "404" in m]
    assert len(expected) == 1, page_problems.messages
    page_problems.messages.remove(expected[0])
    page.locator("#class-join-code").fill("123")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#class-join-error")).to_contain_text("8 digits (got 3)")
