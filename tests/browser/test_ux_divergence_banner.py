"""The divergence banner in two short sentences: what happened, at which step, and how to
recover, with the recovery one click away."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab, server_config


def test_the_divergence_banner_is_short_and_says_step_and_remedy(page, live_server) -> None:
    session_id = open_lab(page, live_server, "#dataset=spiral&classes=3&learningRate=10&speed=20")
    page.get_by_role("button", name="Play").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=15_000)
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # it paused itself

    message = banner.locator("span").first.inner_text()
    match = re.fullmatch(
        r"Training diverged at step (\d+): the loss (?:became NaN|became infinite|blew up to \S+)\."
        r" Lower the learning rate to η = ([\d.e-]+), then reset\.",
        message,
    )
    assert match, message
    assert len(message.split()) <= 25, f"{len(message.split())} words: {message}"
    # The step is the server's: the update that blew up.
    state = page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()
    assert f"after update {match[1]}" in state["divergence"], state["divergence"]
    # The rate it suggests is the one the button sets.
    suggested = match[2]
    button = banner.get_by_role("button", name=f"Reset with η = {suggested}")
    expect(button).to_be_visible()
    screenshot(page, "ux-divergence-banner-1280x720")

    button.click()
    expect(page.get_by_label("Learning rate η")).to_have_value(suggested)
    expect(page.locator("#step-counter")).to_have_text("0")
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == float(
        suggested
    )
    page.get_by_role("button", name="Step").click()
    expect(banner).to_be_hidden()
