"""The matrices panel: every weight matrix beside its gradient, and the delta maps."""

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def open_tab(page, live_server, hash_: str = "") -> None:
    """Load the page, wait for its first frame, show the matrices tab."""
    page.goto(live_server.url + "/" + hash_)
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    page.get_by_role("tab", name="Matrices & delta maps").click()


# A cell's number as printed: "−0.27", "0.0466", "1.23×10⁻⁷" (see test_ux_numbers).
NUMBER = re.compile(r"^[-−]?\d+(\.\d+)?(×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?$")


def title_of(panel, title: str):
    """A heatmap's title as drawn (Plotly writes it as SVG text), e.g. "W 8×2"."""
    name, dims = title.split(" ")
    return panel.locator(
        "text.annotation-text", has_text=re.compile(rf"^{re.escape(name)}\s+{dims}")
    )


def test_matrices_show_w_and_its_gradient_with_the_network_shapes(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})  # drawn at the screenshot's size
    open_tab(page, live_server)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("1")
    panel = page.locator("#matrices")
    # Plotly writes each title as SVG text: what a person reads above each heatmap.
    for title in ["W 8×2", "∂J/∂W 8×2", "U 2×8", "∂J/∂U 2×8"]:
        expect(title_of(panel, title)).to_have_count(1)
    # The cells carry their numbers: 8×2 weights and 8×2 gradients in the first figure
    # (the colour bars' tick labels are numbers too, but not cells).
    cells = panel.locator(".mx-pair").first.locator(".heatmap-label text")
    numbers = cells.filter(has_text=NUMBER)
    expect(numbers).to_have_count(32)
    # One delta map per hidden unit.
    maps = panel.get_by_role("img", name="Delta maps of hidden layer 1")
    expect(maps.locator(".annotation-text")).to_have_count(8)
    expect(maps.locator("image")).to_have_count(8)
    panel.scroll_into_view_if_needed()
    screenshot(page, "panels-matrices-1920x1080")


def test_deeper_network_has_one_pair_and_one_row_of_maps_per_layer(page, live_server) -> None:
    open_tab(page, live_server, "#hidden=4,3")
    panel = page.locator("#matrices")
    for title in ["W1 4×2", "W2 3×4", "U 2×3", "∂J/∂W2 3×4"]:
        expect(title_of(panel, title)).to_have_count(1)
    expect(
        panel.get_by_role("img", name="Delta maps of hidden layer 2").locator(".annotation-text")
    ).to_have_count(3)


def test_gradient_follows_the_sign_convention(page, live_server) -> None:
    open_tab(page, live_server)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("1")
    panel = page.locator("#matrices")
    expect(panel.locator("text.annotation-text", has_text="(J = NLL)").first).to_be_visible()
    page.locator("#equations").get_by_label("J = log P, ascent").check()
    expect(panel.locator("text.annotation-text", has_text="(J = log P)").first).to_be_visible()


def test_delta_maps_are_streamed_only_while_their_tab_is_open(page, live_server) -> None:
    """Half of a frame's maps are the δ maps: the page asks for them only when it shows them,
    and they appear as soon as the tab opens."""
    sent: list[dict] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda payload: sent.append(json.loads(payload)) if isinstance(payload, str) else None,
        ),
    )
    page.goto(live_server.url + "/#tab=curves")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    asked = [c for c in sent if c["type"] == "resolution"]
    assert asked and asked[-1]["deltas"] is False, asked

    page.get_by_role("tab", name="Matrices & delta maps").click()
    maps = page.locator("#matrices").get_by_role("img", name="Delta maps of hidden layer 1")
    expect(maps.locator("image")).to_have_count(8)
    assert [c for c in sent if c["type"] == "resolution"][-1]["deltas"] is True

    page.get_by_role("tab", name="Chain-rule lab").click()
    page.wait_for_function("location.hash.includes('tab=chain-rule')")
    page.wait_for_timeout(200)
    assert [c for c in sent if c["type"] == "resolution"][-1]["deltas"] is False

    # Away from the tab the network changes; back on it, the old maps are not passed off
    # as current: the new ones come, for the hidden layer of 7 units.
    page.get_by_role("button", name="fewer units in hidden layer 1").click()
    expect(page.get_by_label("units in hidden layer 1", exact=True)).to_have_text("7")
    page.get_by_role("tab", name="Matrices & delta maps").click()
    expect(maps.locator("image")).to_have_count(7)
    expect(page.locator("#matrices .mx-deltas")).not_to_have_class(re.compile("mx-stale"))
