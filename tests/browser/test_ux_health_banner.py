"""Health warnings in the banner: with tanh at η = 10 the loss climbs from 1.1 to about 10
and nothing overflows, yet the page says so in words and offers the way out."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab, server_config

RUNAWAY = "#dataset=spiral&classes=3&hidden=8,8&activation=tanh&learningRate=10&speed=20"


def test_a_growing_loss_is_said_in_words_and_the_recovery_works(page, live_server) -> None:
    session_id = open_lab(page, live_server, RUNAWAY)
    banner = page.get_by_role("alert")
    expect(banner).to_be_hidden()
    page.get_by_role("button", name="Play").click()
    expect(banner).to_contain_text("The loss is growing", timeout=15_000)

    message = banner.locator("span").first.inner_text()
    match = re.fullmatch(
        r"The loss is growing: ([\d.]+) now, best ([\d.]+) at step (\d+)\."
        r" Lower the learning rate to η = ([\d.e-]+), then reset\.",
        message,
    )
    assert match, message
    now, best = float(match[1]), float(match[2])
    assert now > 2 * best, message
    assert match[4] == "1", message  # a tenth of η = 10
    assert "diverged" not in message  # nothing overflowed: this is not the overflow banner
    state = page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()
    assert state["diverged"] is False
    assert "diverging" in [w["kind"] for w in state["health"]]
    screenshot(page, "ux-health-banner-growing-1280x720")

    # Nothing overflows, so training goes on: pause to read, then take the way out.
    page.get_by_role("button", name="Pause").click()
    button = banner.get_by_role("button", name="Reset with η = 1")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_label("Learning rate η")).to_have_value("1")
    expect(page.locator("#step-counter")).to_have_text("0")
    expect(banner).to_be_hidden()
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == 1.0
    assert page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()["health"] == []
    # and at η = 1 the same network trains without a warning
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 600")
    page.get_by_role("button", name="Pause").click()
    expect(banner).to_be_hidden()


def test_a_saturated_layer_is_named_and_can_be_dismissed(page, live_server) -> None:
    """Stepping one step at a time at η = 10: the first warning is a saturated layer, before
    the loss has had 20 steps to be judged; the banner names the layer the server names."""
    session_id = open_lab(page, live_server, RUNAWAY)
    banner = page.get_by_role("alert")
    step = page.get_by_role("button", name="Step")
    for i in range(1, 11):
        step.click()
        expect(page.locator("#step-counter")).to_have_text(str(i))
        if banner.is_visible():
            break
    expect(banner).to_contain_text("saturated")
    message = banner.locator("span").first.inner_text()
    match = re.fullmatch(
        r"Hidden layer (\d): (\d) of 8 tanh units are saturated \(\|h\| > 0\.99 for most"
        r" inputs\): gradients through them vanish\. Lower the learning rate to η = 1, then"
        r" reset\.",
        message,
    )
    assert match and int(match[2]) > 4, message
    health = page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()["health"]
    first = health[0]
    assert (first["kind"], first["layer"], first["units"]) == (
        "saturated",
        int(match[1]),
        int(match[2]),
    ), health
    screenshot(page, "ux-health-banner-saturated-1280x720")
    banner.get_by_role("button", name="Dismiss").click()
    expect(banner).to_be_hidden()
    step.click()  # still saturated, still dismissed
    expect(page.locator("#step-counter")).not_to_have_text("0")
    expect(banner).to_be_hidden()
