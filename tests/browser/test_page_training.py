"""Training from the page: play, the four phases of one step, and a live learning rate."""

import re
from itertools import pairwise

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, session_created_by


def open_lab(page, live_server, hash_: str = "") -> str:
    """Load the page, wait until it is live and drawn; return the session id it created."""
    session_id = session_created_by(page, lambda: page.goto(live_server.url + "/" + hash_))
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    expect(page.locator("#network .node").first).to_be_visible()
    # The boundary image is painted (its canvas has the grid's size, not the initial 1×1).
    expect(page.locator(".boundary-image")).not_to_have_attribute("width", "1")
    # and the views that come after the first frame are there: the equations, Plotly.js and
    # the charts (each asks the server for more when it mounts: nothing must still be in flight).
    expect(page.locator("#equations.panel-equations")).to_be_attached()
    page.wait_for_function("window.Plotly && document.querySelector('#boundary .main-svg')")
    return session_id


def step_count(page) -> int:
    return int(page.locator("#step-counter").inner_text())


def server_config(page, live_server, session_id: str) -> dict:
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}")
    assert answer.ok
    return answer.json()["config"]


def test_play_advances_the_step_counter_and_moves_the_boundary(page, live_server) -> None:
    open_lab(page, live_server)
    assert step_count(page) == 0
    before = page.locator("#boundary").screenshot()

    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 100")
    page.get_by_role("button", name="Pause").click()

    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert step_count(page) >= 100
    after = page.locator("#boundary").screenshot()
    assert after != before, "the decision boundary did not change while training"
    screenshot(page, "played-1280x720")


def test_step_phase_shows_forward_loss_backward_update_in_order(page, live_server) -> None:
    open_lab(page, live_server)
    strip = page.locator("#phase-strip")
    phase_button = page.get_by_role("button", name="Phase")
    deltas = page.locator("#network .delta-label")

    seen = []
    for expected in ["forward", "loss", "backward", "update"]:
        phase_button.click()
        current = strip.locator("li.current")
        expect(current).to_have_text(re.compile(expected))
        seen.append(expected)
        if expected == "loss":
            expect(current).to_contain_text("J = ")
        if expected == "backward":
            # δ flows from the output back: each layer labelled with its error signal.
            # Drawn with superscripts, as on the slides: δ⁽ᵒ⁾ reads "δ(o)" as text.
            expect(deltas.last).to_have_text("δ(o)")
            expect(deltas.nth(1)).to_have_text("δ(h) δ(z)")
            expect(deltas.last).to_have_css("opacity", "1")
            expect(page.locator("#network .edge-label").first).to_have_text("∂J/∂W")
            screenshot(page, "phase-backward-1280x720")
        else:
            expect(deltas.last).to_have_css("opacity", "0")
    assert seen == ["forward", "loss", "backward", "update"]
    # The update completed one SGD step.
    expect(page.locator("#step-counter")).to_have_text("1")
    # And the keyboard drives the same cycle: Shift+→ is one phase.
    page.locator("body").press("Shift+ArrowRight")
    expect(strip.locator("li.current")).to_have_text(re.compile("forward"))


def test_learning_rate_changes_live_without_a_reset(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 50")

    rate = page.get_by_label("Learning rate η")
    rate.fill("0.03")
    rate.press("Enter")

    page.wait_for_function("location.hash.includes('learningRate=0.03')")
    at_change = step_count(page)
    assert at_change >= 50, "the step counter was reset by a learning-rate change"
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) > {at_change + 50}"
    )
    page.get_by_role("button", name="Pause").click()
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == 0.03
    expect(page.locator('[data-error-for="learningRate"]')).to_be_empty()


def test_unit_names_and_the_target_read_as_in_the_lecture(page, live_server) -> None:
    """h₁…h₈ stay legible where the edges meet them; the target is labelled yₖ like its oₖ."""
    open_lab(page, live_server, "#dataset=circle&classes=2&selected=0")
    caption = page.locator("#equations .eq-caption")
    # The first class is class k = 1, as in the lecture (the API's label 0), and it is o₁.
    expect(caption).to_contain_text("Training example #0, class k = 1")
    outputs = page.locator("#network .node").filter(has=page.locator(".node-name", has_text="o"))
    target = page.locator("#network .node.target")
    expect(target).to_have_count(1)
    expect(target.locator(".node-name")).to_have_text("o₁")
    label = target.evaluate("el => getComputedStyle(el, '::after').content")
    assert label == '"y₁ = 1"', label
    assert outputs.count() == 2
    # A unit's name sits on an opaque backing, so the thick edges arriving there cannot hide it.
    for name in page.locator("#network .node-name").all():
        backing = name.evaluate("el => getComputedStyle(el).backgroundColor")
        alpha = float(re.findall(r"[\d.]+", backing)[3]) if backing.startswith("rgba") else 1.0
        assert alpha >= 0.85, f"{name.inner_text()} has backing {backing}"


def test_column_captions_never_overprint_on_a_projector(
    browser, live_server, page_problems
) -> None:
    """1280×720 is a common projector mode; presenting two hidden layers left the captions
    "h₁ = max(z₁, 0)", "h₂ = max(z₂, 0)" and "o = softmax(v)" written over each other."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page_problems.attach(page)
    try:
        open_lab(page, live_server, "#dataset=spiral&classes=3&hidden=8,8&presentation=true")
        captions = page.locator("#network .column-label")
        expect(captions).to_have_count(4)
        expect(captions.nth(1)).not_to_have_text("")
        # Where the ink of each caption lies (a Range measures the text, not the clipped box).
        boxes = captions.evaluate_all(
            """els => els.map(el => {
                const r = document.createRange();
                r.selectNodeContents(el);
                const b = r.getBoundingClientRect();
                return [el.textContent, b.left, b.right];
            })"""
        )
        for (text_a, _, right_a), (text_b, left_b, _) in pairwise(boxes):
            assert right_a <= left_b, f"{text_a!r} runs into {text_b!r}: {boxes}"
        texts = [text for text, _, _ in boxes]
        assert texts[0] == "x" and texts[1].startswith("h₁") and texts[3].startswith("o")
        screenshot(page, "present-two-layers-1280x720")
    finally:
        context.close()
    assert not page_problems.messages, "\n".join(page_problems.messages)
