"""Running controls: slow play through the phases, the keyboard, and recovering from divergence."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab, server_config, step_count


def test_slow_play_animates_every_phase_of_every_step(page, live_server) -> None:
    open_lab(page, live_server)
    page.get_by_label("Slow").check()
    page.get_by_role("button", name="Play").click()
    current = page.locator("#phase-strip li.current")
    for phase in ["forward", "loss", "backward", "update", "forward"]:
        expect(current).to_have_text(re.compile(phase), timeout=10_000)
    page.get_by_role("button", name="Pause").click()
    assert step_count(page) >= 1


def test_the_keyboard_plays_pauses_and_steps(page, live_server) -> None:
    open_lab(page, live_server)
    body = page.locator("body")
    body.press("ArrowRight")
    expect(page.locator("#step-counter")).to_have_text("1")
    body.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) > 5")
    body.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # Typing in a field is typing, not a shortcut.
    rate = page.get_by_label("Learning rate η")
    rate.press("ArrowRight")
    rate.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_divergence_says_how_to_recover_and_the_button_recovers(page, live_server) -> None:
    session_id = open_lab(page, live_server, "#dataset=spiral&classes=3&learningRate=10&speed=20")
    page.get_by_role("button", name="Play").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=15_000)
    expect(banner).to_contain_text("learning rate")
    # Training pauses by itself: nothing to gain from stepping a diverged net.
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    screenshot(page, "diverged-1280x720")

    page.get_by_role("button", name="Reset with η = 1").click()
    expect(page.get_by_label("Learning rate η")).to_have_value("1")
    expect(page.locator("#step-counter")).to_have_text("0")
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == 1
    page.get_by_role("button", name="Step").click()
    expect(banner).to_be_hidden()


def test_divergence_message_is_seen_from_the_equations(page, live_server) -> None:
    """A teacher scrolled down to the equations still sees training diverge."""
    open_lab(page, live_server, "#dataset=spiral&classes=3&learningRate=10&speed=20")
    page.locator("#equations").scroll_into_view_if_needed()
    page.mouse.wheel(0, 600)
    expect(page.locator(".boundary-panel")).not_to_be_in_viewport()
    page.locator("body").press("Space")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=15_000)
    expect(banner).to_be_in_viewport()
    expect(banner.get_by_role("button", name=re.compile("Reset with"))).to_be_in_viewport()
    screenshot(page, "diverged-scrolled-1280x720")


def test_after_raising_the_rate_the_recovery_goes_back_to_the_rate_that_trained(
    page, live_server
) -> None:
    """Raise η from 0.1 to 10, watch it diverge, follow the message: training resumes at 0.1,
    not at 10/10 = 1, which on this spiral leaves every ReLU of the second layer dead."""
    session_id = open_lab(page, live_server, "#dataset=spiral&classes=3&hidden=8,8&speed=20")
    rate = page.get_by_label("Learning rate η")
    expect(rate).to_have_value("0.1")
    rate.fill("10")
    rate.press("Enter")
    page.wait_for_function(
        "Number(new URLSearchParams(location.hash.slice(1)).get('learningRate')) === 10"
    )
    page.get_by_role("button", name="Play").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=15_000)
    page.get_by_role("button", name="Reset with η = 0.1").click()
    expect(rate).to_have_value("0.1")
    expect(page.locator("#step-counter")).to_have_text("0")
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == 0.1
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 200")
    page.get_by_role("button", name="Pause").click()
    expect(banner).to_be_hidden()
