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


def paused_in_the_past(page, played: int, step: int) -> None:
    """Play to at least `played`, pause, drag the timeline to `step` and wait until the
    page shows it (a drag begun while paused stays there)."""
    play_until(page, played)
    page.get_by_role("button", name="Pause").click()
    page.locator("#timeline-range").fill(str(step))
    assert settled_in_the_past(page) == step


def assert_page_agrees_with_the_api(page, live_server, session_id: str, step: int) -> None:
    shown = page.evaluate(SHOWN)
    assert shown["step"] == step and shown["timeline"]["at"] == step
    base = f"{live_server.url}/api/sessions/{session_id}"
    state = page.request.get(base, params={"step": step})
    assert state.ok, state.text()
    assert state.json()["step"] == step == step_count(page)
    # the top bar's accuracy, to its one decimal (JS rounds 96.25 up, Python's format down)
    accuracy = 100 * state.json()["metrics"]["test_accuracy"]
    shown_accuracy = float(page.locator("#test-accuracy").inner_text().rstrip("%"))
    assert abs(shown_accuracy - accuracy) <= 0.05 + 1e-9, (shown_accuracy, accuracy)
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


def live_now(page) -> int:
    return page.evaluate("window.backpropLab.lastFrame().timeline.now")


def drag_to(page, fraction: float) -> None:
    """Move the held pointer to `fraction` of the range (measured again: a check may have
    scrolled the page since)."""
    box = page.locator("#timeline-range").bounding_box()
    page.mouse.move(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2, steps=6)


def test_dragging_while_it_trains_shows_each_step_as_the_api_has_it(page, live_server) -> None:
    """A drag begun while training plays: at three places on the way the page shows what
    the API says of that step; letting go, training is live and plays on."""
    session_id = open_lab(page, live_server)
    play_until(page, 600)
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    box = page.locator("#timeline-range").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    page.mouse.down()
    seen = []
    for fraction in (0.3, 0.85, 0.1):
        drag_to(page, fraction)
        step = settled_in_the_past(page)
        assert 0 < step < live_now(page)
        expect(page.locator("#timeline-hint")).to_have_text("Let go to return to live")
        if fraction == 0.3:
            screenshot(page, "timeline-past-1280x720")
        assert_page_agrees_with_the_api(page, live_server, session_id, step)
        seen.append(step)
    assert seen[1] > seen[0] > seen[2]  # back, forth, back
    live = live_now(page)
    page.mouse.up()
    # it was playing: the drag was a look back, and training goes on from the live step
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function(f"Number(document.querySelector('#step-counter').textContent) > {live}")
    expect(page.locator("#timeline-hint")).to_have_text("")


def test_a_drag_while_paused_stays_and_the_keys_travel(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    play_until(page, 400)
    page.get_by_role("button", name="Pause").click()
    box = page.locator("#timeline-range").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 3, y)
    page.mouse.down()
    for fraction in (0.3, 0.85, 0.45):
        page.mouse.move(box["x"] + fraction * box["width"], y, steps=6)
    page.mouse.up()
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # the past holds still
    step = settled_in_the_past(page)
    live = live_now(page)
    assert 0 < step < live
    expect(page.locator("#timeline-hint")).to_contain_text("Play or End returns to live")
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


def test_the_keys_leave_the_live_network_too(page, live_server) -> None:
    """From live, with no field focused: ← pauses one step back, Home goes to the start,
    End comes back; in a field the keys are the field's."""
    session_id = open_lab(page, live_server)
    play_until(page, 300)
    page.locator("#boundary-title").click()
    now = live_now(page)  # the page's newest live step when the key goes
    page.keyboard.press("ArrowLeft")
    step = settled_in_the_past(page)
    live = live_now(page)  # the server may have trained one more frame before the key came
    assert now - 1 <= step < live
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert_page_agrees_with_the_api(page, live_server, session_id, step)
    page.keyboard.press("End")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-counter")).to_have_text(str(live))
    page.keyboard.press("Home")
    assert settled_in_the_past(page) == 0
    page.keyboard.press("End")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    # typing in a number field: ← moves the caret, the network stays live
    page.locator("input[data-prop=learningRate]").evaluate("e => e.focus()")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    page.locator("#boundary-title").click()
    page.keyboard.press("Shift+ArrowRight")  # a phase, not time travel: still live
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "forward")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")


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


def test_slow_play_from_a_past_step_returns_to_live(page, live_server) -> None:
    """Slow play walks the phases from the page: at a past step it must first go live,
    not replay that step's update."""
    session_id = open_lab(page, live_server)
    paused_in_the_past(page, 200, 80)
    live = live_now(page)  # held still since the seek
    page.get_by_label("Slow").check()
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "forward")
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) > {live}",
        timeout=20_000,
    )
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    page.get_by_role("button", name="Pause").click()
    state = page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()
    assert state["step"] >= live + 1


def test_a_past_update_replays_phase_by_phase(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    paused_in_the_past(page, 200, 80)
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
    assert np.array_equal(np.array(frame_w), decode_typed_array(state["layers"][0]["W"]).ravel())


def layer_weights(page, live_server, session_id: str, step: int | None = None) -> list:
    params = {} if step is None else {"step": step}
    state = page.request.get(f"{live_server.url}/api/sessions/{session_id}", params=params)
    assert state.ok, state.text()
    return [decode_typed_array(layer["W"]) for layer in state.json()["layers"]]


def open_branch_form(page):
    page.get_by_role("button", name="Branch here").click()
    form = page.get_by_role("form", name="Branch here with")
    expect(form).to_be_visible()
    return form


def test_branch_here_with_another_eta_continues_in_a_new_run(
    page, live_server, page_problems
) -> None:
    original = open_lab(page, live_server)
    paused_in_the_past(page, 400, 150)
    form = open_branch_form(page)
    expect(form).to_contain_text("Branch at step 150")
    # prefilled with the run's settings
    expect(form.get_by_label("η")).to_have_value("0.1")
    expect(form.get_by_label("batch size")).to_have_value("10")
    expect(form.get_by_label("activation")).to_have_value("relu")
    # refused: the server's sentence next to the field it names, and no new run
    form.get_by_label("η").fill("100")
    form.get_by_role("button", name="Branch", exact=True).click()
    error = form.locator('[data-error-for="train.learning_rate"]')
    expect(error).to_contain_text("learning_rate must be between 1e-05 and 10 (got 100)")
    expect(form.get_by_label("η")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("η")).to_be_focused()
    form.get_by_label("η").fill("0.5")
    expect(error).to_be_empty()  # the sentence was about 100
    expect(form.get_by_label("η")).not_to_have_attribute("aria-invalid", "true")
    form.get_by_label("batch size").fill("0")
    form.get_by_role("button", name="Branch", exact=True).click()
    expect(form.locator('[data-error-for="train.batch_size"]')).to_contain_text(
        "batch_size must be between 1 and 2000 (got 0)"
    )
    expect(form.get_by_label("batch size")).to_be_focused()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "timeline-branch-refused-1280x720")
    assert page.evaluate("window.backpropLab.sessionId()") == original
    # the browser logs each refused request (422) itself; those are expected
    expected = [m for m in page_problems.messages if "422" in m]
    assert len(expected) == 2, page_problems.messages
    for message in expected:
        page_problems.messages.remove(message)
    form.get_by_label("batch size").fill("10")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "timeline-branch-form-1280x720")
    form.get_by_role("button", name="Branch", exact=True).click()
    expect(form).to_be_hidden()
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-counter")).to_have_text("150")
    expect(page.locator("#notice")).to_contain_text("Branched at step 150 with η = 0.5")
    branch_id = page.evaluate("window.backpropLab.sessionId()")
    assert branch_id != original
    expect(page.locator("input[data-prop=learningRate]")).to_have_value("0.5")
    base = f"{live_server.url}/api/sessions"
    state = page.request.get(f"{base}/{branch_id}").json()
    assert state["step"] == 150
    assert state["config"]["train"]["learning_rate"] == 0.5
    assert state["config"]["train"]["batch_size"] == 10  # unchanged fields are not sent
    before = page.request.get(f"{base}/{original}").json()
    assert before["step"] >= 400 and before["config"]["train"]["learning_rate"] == 0.1
    for mine, theirs in zip(
        layer_weights(page, live_server, branch_id),
        layer_weights(page, live_server, original, 150),
        strict=True,
    ):
        assert np.array_equal(mine, theirs)  # the branch starts from the state of step 150
    # the page now drives the branch: a step moves it, not the original
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("151")
    assert page.request.get(f"{base}/{branch_id}").json()["step"] == 151
    assert page.request.get(f"{base}/{original}").json()["step"] == before["step"]
    compare = page.get_by_role("link", name="Compare runs")
    expect(compare).to_be_visible()
    # the comparison is at the branch's newest step, where the runs can differ
    expect(compare).to_have_attribute("href", f"/compare?runs={original},{branch_id}&step=151")
    screenshot(page, "timeline-branched-1280x720")


def test_branch_here_with_another_activation_keeps_the_parameters(page, live_server) -> None:
    original = open_lab(page, live_server)
    paused_in_the_past(page, 300, 120)
    form = open_branch_form(page)
    form.get_by_label("activation").select_option("tanh")
    form.get_by_role("button", name="Branch", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Branched at step 120 with activation = tanh")
    expect(page.locator("#step-counter")).to_have_text("120")
    branch_id = page.evaluate("window.backpropLab.sessionId()")
    assert branch_id != original
    state = page.request.get(f"{live_server.url}/api/sessions/{branch_id}").json()
    assert state["step"] == 120
    assert state["config"]["model"]["activation"] == "tanh"
    assert state["config"]["train"]["learning_rate"] == 0.1
    expect(page.locator("select[data-prop=activation]")).to_have_value("tanh")
    for mine, theirs in zip(
        layer_weights(page, live_server, branch_id),
        layer_weights(page, live_server, original, 120),
        strict=True,
    ):
        assert np.array_equal(mine, theirs)
    # the equations trace the branch's network: its hidden values are tanh of its z
    trace = page.request.get(
        f"{live_server.url}/api/sessions/{branch_id}/trace", params={"index": 0}
    ).json()
    quantities = {q["symbol"]: q for q in trace["quantities"]}
    z, h = array(quantities["z"]["value"]), array(quantities["h"]["value"])
    np.testing.assert_allclose(h, np.tanh(z), rtol=1e-6, atol=1e-9)
    shown = read_matrix(equation_value(page, quantities["h"]["display"])).reshape(h.shape)
    np.testing.assert_allclose(shown, h, rtol=RELATIVE, atol=1e-12)
    # Escape closes the form, and nothing is made
    form = open_branch_form(page)
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    assert page.evaluate("window.backpropLab.sessionId()") == branch_id


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
