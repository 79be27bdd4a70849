"""Time travel on the page: drag the timeline back through training, as a lecturer would.

What the page shows at a past step is checked against the API asked for that step: the
step counter, the boundary's probability map (byte for byte, both quantised the same way)
and the equations' numbers for the traced example.
"""

import numpy as np
from playwright.sync_api import expect

from server.encoding import decode_typed_array
from tests.browser.conftest import screenshot
from tests.browser.test_page_training import step_count
from tests.browser.test_panels_equations import (
    RELATIVE,
    array,
    equation_value,
    open_lab,
    read_matrix,
)

SHOWN = """async () => {
  const { decode } = await import("/static/js/typed.js");
  const frame = window.backpropLab.lastFrame();
  const spec = frame.boundary.probabilities[0];
  return {
    step: frame.step,
    timeline: frame.timeline,
    resolution: frame.boundary.resolution,
    probability: Array.from(decode(spec).data),
  };
}"""


def play_until(page, steps: int) -> None:
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) >= {steps}"
    )


def settled_in_the_past(page) -> int:
    """Wait until the page shows the step the timeline points at; return it."""
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "past")
    page.wait_for_function(
        "document.querySelector('#step-counter').textContent"
        " === document.querySelector('#timeline-range').value"
        " && window.backpropLab.lastFrame().timeline.at"
        " === Number(document.querySelector('#timeline-range').value)"
    )
    return step_count(page)


def assert_page_agrees_with_the_api(page, live_server, session_id: str, step: int) -> None:
    shown = page.evaluate(SHOWN)
    assert shown["step"] == step and shown["timeline"]["at"] == step
    base = f"{live_server.url}/api/sessions/{session_id}"
    answer = page.request.get(
        f"{base}/boundary",
        params={"step": step, "resolution": shown["resolution"], "precision": "uint8"},
    )
    assert answer.ok, answer.text()
    expected = decode_typed_array(answer.json()["probabilities"][0]).ravel()
    assert np.array_equal(np.array(shown["probability"], dtype=np.uint8), expected)
    trace = page.request.get(f"{base}/trace", params={"index": 0, "step": step})
    assert trace.ok, trace.text()
    quantities = {q["symbol"]: q for q in trace.json()["quantities"]}
    for symbol in ("o", "delta_o", "dJ/dW"):
        quantity = quantities[symbol]
        expected_value = array(quantity["value"])
        value = read_matrix(equation_value(page, quantity["display"])).reshape(expected_value.shape)
        np.testing.assert_allclose(value, expected_value, rtol=RELATIVE, atol=1e-12, err_msg=symbol)


def test_dragging_back_and_forth_shows_each_step_as_the_api_has_it(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    play_until(page, 600)
    # drag while it trains: grab the thumb at the live end, sweep back and forth, let go
    box = page.locator("#timeline-range").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 3, y)
    page.mouse.down()
    for fraction in (0.3, 0.85, 0.1, 0.45):
        page.mouse.move(box["x"] + fraction * box["width"], y, steps=6)
    page.mouse.up()
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # the past holds still
    step = settled_in_the_past(page)
    live = page.evaluate("window.backpropLab.lastFrame().timeline.now")
    assert 0 < step < live
    screenshot(page, "timeline-past-1280x720")
    assert_page_agrees_with_the_api(page, live_server, session_id, step)

    # the keyboard, away from the range: ← back one step, → (Step) forward one, End: live
    page.locator("#boundary-title").click()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step-counter")).to_have_text(str(step - 1))
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step-counter")).to_have_text(str(step - 2))
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step-counter")).to_have_text(str(step - 1))
    assert settled_in_the_past(page) == step - 1
    assert_page_agrees_with_the_api(page, live_server, session_id, step - 1)
    page.keyboard.press("Home")
    expect(page.locator("#step-counter")).to_have_text("0")
    page.keyboard.press("End")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-counter")).to_have_text(str(live))
    expect(page.locator("#timeline-at")).to_have_text(f"live · step {live:,}")


def test_play_and_live_return_to_the_live_network(page, live_server) -> None:
    open_lab(page, live_server)
    play_until(page, 300)
    page.locator("#timeline-range").fill("120")
    assert settled_in_the_past(page) == 120
    expect(page.locator("#timeline-at")).to_contain_text("step 120 of")
    page.get_by_role("button", name="Live").click()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    page.locator("#timeline-range").fill("50")
    assert settled_in_the_past(page) == 50
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) > 300")


def test_a_past_update_replays_phase_by_phase(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    play_until(page, 200)
    page.get_by_role("button", name="Pause").click()
    page.locator("#timeline-range").fill("80")
    assert settled_in_the_past(page) == 80
    page.locator("#boundary-title").click()  # the range keeps its own arrow keys
    for phase in ("forward", "loss", "backward"):
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "timeline-replay-backward-1280x720")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#step-counter")).to_have_text("81")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "past")
    # update 81 replayed gives the parameters the run had after it
    shown = page.evaluate("window.backpropLab.lastFrame().timeline")
    assert shown["at"] == 81
    state = page.request.get(
        f"{live_server.url}/api/sessions/{session_id}", params={"step": 81}
    ).json()
    frame_w = page.evaluate(
        """async () => {
          const { decode } = await import("/static/js/typed.js");
          return Array.from(decode(window.backpropLab.lastFrame().layers[0].W).data);
        }"""
    )
    assert np.array_equal(
        np.array(frame_w), decode_typed_array(state["layers"][0]["W"]).ravel()
    )


def test_branch_here_continues_in_a_new_run_and_keeps_the_original(page, live_server) -> None:
    original = open_lab(page, live_server)
    play_until(page, 400)
    page.get_by_role("button", name="Pause").click()
    page.locator("#timeline-range").fill("150")
    assert settled_in_the_past(page) == 150
    page.get_by_role("button", name="Branch here").click()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-counter")).to_have_text("150")
    expect(page.locator("#notice")).to_contain_text("Branched at step 150")
    compare = page.get_by_role("link", name="Compare runs")
    expect(compare).to_be_visible()
    href = compare.get_attribute("href")
    assert original in href
    branch_id = href.split("runs=")[1].split("&")[0].split(",")[1]
    assert branch_id != original
    base = f"{live_server.url}/api/sessions"
    assert page.request.get(f"{base}/{branch_id}").json()["step"] == 150
    assert page.request.get(f"{base}/{original}").json()["step"] >= 400
    # the page now drives the branch: a step moves it, not the original
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("151")
    assert page.request.get(f"{base}/{branch_id}").json()["step"] == 151
    screenshot(page, "timeline-branched-1280x720")


def test_presenting_the_bar_makes_room_for_the_phases(page, live_server) -> None:
    """At 1280×720 presenting, the bar is there to pick a step and steps aside while the
    phases are walked (the network needs the height); the read-out stays inked."""
    open_lab(page, live_server, "#presentation=true")
    play_until(page, 100)
    page.get_by_role("button", name="Pause").click()
    bar = page.locator("#timeline")
    expect(bar).to_be_visible()
    page.locator("#timeline-range").fill("30")
    assert settled_in_the_past(page) == 30
    inked = page.locator("#step-counter").evaluate("e => getComputedStyle(e).backgroundColor")
    assert inked not in ("rgba(0, 0, 0, 0)", "transparent")
    page.locator("#boundary-title").click()
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "forward")
    expect(bar).to_be_hidden()
    page.keyboard.press("ArrowLeft")  # the keys still travel while the bar is away
    expect(page.locator("#step-counter")).to_have_text("29")
    expect(page.locator("#step-card")).to_be_hidden()
    expect(bar).to_be_visible()


def test_a_step_before_a_points_edit_shows_the_points_of_then(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    play_until(page, 150)
    page.get_by_role("button", name="Pause").click()
    count = page.locator("#point-count")
    expect(count).to_contain_text("320 train")
    answer = page.request.post(
        f"{live_server.url}/api/sessions/{session_id}/points",
        data={"points": [{"x1": 0.5, "x2": 0.5, "label": 1}, {"x1": -0.5, "x2": 0.5, "label": 0}]},
    )
    assert answer.ok, answer.text()
    page.get_by_role("button", name="Step", exact=True).click()  # the page learns of them
    expect(count).to_contain_text("322 train")
    page.locator("#timeline-range").fill("60")
    assert settled_in_the_past(page) == 60
    expect(count).to_contain_text("320 train")
    page.get_by_role("button", name="Live").click()
    expect(count).to_contain_text("322 train")
