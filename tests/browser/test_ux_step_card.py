"""The phase drives the page: the current phase's equations are on screen while stepping.

A lecturer walks one SGD step through its four phases (Shift+→) at a projector's
1280×720 and at 1920×1080, with and without presentation mode, on the lecture's one
hidden layer and on a deep net (6,6,6). At every phase the card shows that phase's
equations (δ⁽ᵒ⁾, δ⁽ʰ⁾, δ⁽ᶻ⁾, …, δ⁽ˣ⁾ in the backward phase), each row wholly inside
the window and inside the card (nothing to scroll), and its numbers are the API's trace
of the same example.
"""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems, screenshot
from tests.browser.numbers import number
from tests.browser.test_page_training import open_lab
from tests.browser.test_panels_equations import api_trace, array


def rows(layers: int) -> dict[str, list[str]]:
    """The rows each phase's card must show, as the engine names the quantities of a net
    with `layers` hidden layers (h, z for one; h1, z1, h2, … for more)."""
    ks = [""] if layers == 1 else [str(k) for k in range(1, layers + 1)]
    return {
        "forward": [s for k in ks for s in (f"z{k}", f"h{k}")] + ["v", "o"],
        "loss": ["y", "J"],
        "backward": ["delta_o"]
        + [s for k in reversed(ks) for s in (f"delta_h{k}", f"delta_z{k}")]
        + ["delta_x"],
        "update": ["dJ/dU", "dJ/dc"]
        + [s for k in reversed(ks) for s in (f"dJ/dW{k}", f"dJ/db{k}")]
        + ["update"],
    }


def inside(box: dict, outer: dict) -> bool:
    return (
        box["x"] >= outer["x"] - 0.5
        and box["y"] >= outer["y"] - 0.5
        and box["x"] + box["width"] <= outer["x"] + outer["width"] + 0.5
        and box["y"] + box["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("hidden", ["8", "6,6,6"])
@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenting"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_each_phase_shows_its_equations_on_screen(
    browser, live_server, size, presenting, hidden
) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.set_default_timeout(15_000)
    # The lecture's net, and a deep one (whose backward phase has eight rows of vectors).
    session_id = open_lab(page, live_server, f"#hidden={hidden}")
    if presenting:
        page.get_by_role("button", name="Present").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\bpresentation\b"))
    card = page.locator("#step-card")
    expect(card).to_be_hidden()  # no phase yet: the network has the room
    window = {"x": 0, "y": 0, "width": width, "height": height}
    layers = hidden.count(",") + 1
    for phase, symbols in rows(layers).items():
        page.keyboard.press("Shift+ArrowRight")
        expect(card).to_have_attribute("data-phase", phase)
        expect(card).to_be_visible()
        card_box = card.bounding_box()
        for symbol in symbols:
            row = card.locator(f'.sc-row[data-symbol="{symbol}"]')
            expect(row).to_be_visible()
            box = row.bounding_box()
            assert inside(box, window), f"{phase}: {symbol} is off screen at {size}: {box}"
            assert inside(box, card_box), f"{phase}: {symbol} is cut off by the card: {box}"
        for row in card.locator(".sc-row").all():  # and every other row the card has
            box = row.bounding_box()
            assert box and inside(box, window) and inside(box, card_box), (phase, row.inner_text())
        net = "" if layers == 1 else f"-{hidden.replace(',', '-')}"
        mode = "-presenting" if presenting else ""
        screenshot(page, f"step-card{net}-{phase}-{width}x{height}{mode}")
        if phase == "backward":
            # The δ's shown are the engine's for this example, before the update.
            trace = api_trace(page, live_server, session_id, index=0)
            for symbol in rows(layers)["backward"]:
                texts = card.locator(f'.sc-row[data-symbol="{symbol}"] .sc-vector .num')
                shown = np.array([number(t) for t in texts.all_inner_texts()])
                np.testing.assert_allclose(
                    shown, array(trace[symbol]["value"]).ravel(), rtol=6e-3, atol=1e-12
                )
    page.keyboard.press("ArrowRight")  # a whole step: no phase on show, the card goes
    expect(card).to_be_hidden()
    context.close()
    assert not problems.messages, "the page reported problems:\n" + "\n".join(problems.messages)
