"""The curves panel: learning curves that grow while training, and the gradient check."""

import base64
import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, session_created_by
from tests.browser.numbers import number
from tests.browser.test_ux_numbers import read_number


def open_lab(page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    page.get_by_role("tab", name="Curves & gradient check").click()


def points(page, label: str) -> int:
    """How many steps the chart's lines run through (the drawn data, not a person's reading)."""
    return (
        page.locator("#curves")
        .get_by_role("img", name=label)
        .evaluate("chart => Number(chart.dataset.points ?? 0)")
    )


GROWN = "([chart, n]) => Number(chart.dataset.points ?? 0) > n"

# The share of the plot area's pixels painted in a colour (the lines are on a canvas).
PAINTED = """([chart, hex]) => {
  const canvas = chart.querySelector('canvas.live-lines');
  if (!canvas || !canvas.width) return 0;
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let hits = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i + 3] > 200 && want.every((c, k) => Math.abs(px[i + k] - c) < 8)) hits += 1;
  }
  return hits / (canvas.width * canvas.height);
}"""
BLUE, VERMILLION = "#0072B2", "#D55E00"


def test_curves_grow_while_training(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})  # drawn at the screenshot's size
    open_lab(page, live_server)
    before = points(page, "Loss over the steps")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 200")
    page.get_by_role("button", name="Pause").click()
    for label in ["Loss over the steps", "Accuracy over the steps", "Gradient norm of each layer"]:
        chart = page.locator("#curves").get_by_role("img", name=label)
        # The history has a row a frame: 200 steps at 5 a frame draw at least 15 more points.
        page.wait_for_function(GROWN, arg=[chart.element_handle(), before + 15])
        # And they are drawn: the train line (blue) and the test line (vermillion) are seen.
        colours = [BLUE] if "norm" in label else [BLUE, VERMILLION]
        for colour in colours:
            share = page.evaluate(PAINTED, [chart.element_handle(), colour])
            assert share > 0.001, (label, colour, share)
    norms = page.locator("#curves").get_by_role("img", name="Gradient norm of each layer")
    expect(norms.locator(".legendtext")).to_have_text(["‖∂J/∂W‖", "‖∂J/∂U‖"])
    page.locator("#curves").scroll_into_view_if_needed()
    screenshot(page, "panels-curves-1920x1080")


def test_gradient_check_passes(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})  # drawn at the screenshot's size
    open_lab(page, live_server)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Run the gradient check").click()
    panel = page.locator("#curves")
    expect(panel.get_by_role("status").filter(has_text="gradients agree")).to_contain_text(
        "All 4 gradients agree"
    )
    table = panel.get_by_role("table", name="Gradient check per parameter")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(table.locator("tbody th")).to_have_text(["∂J/∂W", "∂J/∂b", "∂J/∂U", "∂J/∂c"])
    for row in rows.all():
        cells = row.locator("td").all_inner_texts()
        assert read_number(cells[0]) < 1e-6
        assert cells[2] == "✓ pass"
    chart = panel.get_by_role("img", name="Relative error of each gradient")
    expect(chart.locator(".annotation-text", has_text=re.compile("tolerance"))).to_be_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "panels-gradcheck-1920x1080")


def test_the_gradient_norm_axis_reads_upwards(page, live_server) -> None:
    """Read bottom to top, the labels of the log axis increase (they once read "0.01, 2, 5,
    0.1"); they are powers of ten, 10⁻² as Plotly writes it (its text "10\u200b−2\u200b")."""
    open_lab(page, live_server)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 300")
    page.get_by_role("button", name="Pause").click()
    norms = page.locator("#curves").get_by_role("img", name="Gradient norm of each layer")
    page.wait_for_function(GROWN, arg=[norms.element_handle(), 20])
    norms.scroll_into_view_if_needed()
    labels = norms.locator(".ytick text").evaluate_all(
        "els => els.map(e => [e.textContent, e.getBoundingClientRect().y + e.getBBox().y])"
    )
    assert len(labels) >= 2, labels

    upwards = [read_number(t) for t, _ in sorted(labels, key=lambda label: -label[1])]
    assert upwards == sorted(upwards) and len(set(upwards)) == len(upwards), labels
    screenshot(page, "panels-curves-norms-1280x720")


def test_hovering_a_curve_reads_the_values_of_the_history(page, live_server) -> None:
    """The tooltip at the pointer names the nearest recorded step and its losses, as the
    history endpoint has them."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    session_id = session_created_by(page, lambda: open_lab(page, live_server))
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 300")
    page.get_by_role("button", name="Pause").click()
    chart = page.locator("#curves").get_by_role("img", name="Loss over the steps")
    chart.scroll_into_view_if_needed()
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}/history?format=csv")
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    steps = [int(r["step"]) for r in rows]
    # Every row of the history is drawn, the first too: the stream may replace the frame
    # that carried the whole history before it is drawn, and the page must fetch it then.
    page.wait_for_function(
        "([chart, n]) => Number(chart.dataset.points) === n",
        arg=[chart.element_handle(), len(steps)],
    )
    plot = chart.locator(".nsewdrag").first.bounding_box()  # the plot area
    assert plot is not None
    page.mouse.move(plot["x"] + plot["width"] * 0.3, plot["y"] + plot["height"] / 2)
    tip = chart.locator(".live-tip")
    expect(tip).to_be_visible()
    lines = tip.inner_text().splitlines()
    step = int(lines[0].removeprefix("step "))
    assert step in steps, (step, steps[:5])
    row = rows[steps.index(step)]
    shown = dict(line.split(": ") for line in lines[1:])
    for name, column in [("train", "train_loss"), ("test", "test_loss")]:
        value = number(shown[name])
        assert value == pytest.approx(float(row[column]), rel=1e-3), (name, shown, row)
    screenshot(page, "panels-curves-hover-1920x1080")
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()


def test_the_camera_exports_the_curve_with_its_lines(page, live_server) -> None:
    """The PNG holds the lines (drawn as Plotly traces for the export), not bare axes."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_lab(page, live_server)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 100")
    page.get_by_role("button", name="Pause").click()
    chart = page.locator("#curves").get_by_role("img", name="Loss over the steps")
    chart.scroll_into_view_if_needed()
    chart.hover()
    with page.expect_download() as download:
        chart.locator('.modebar-btn[data-title="Download the chart as a PNG"]').click()
    assert download.value.suggested_filename == "loss.png"
    png = download.value.path().read_bytes()
    assert png.startswith(b"\x89PNG")
    # Decode it in the page and look for the train line's blue.
    share = page.evaluate(
        """async (b64) => {
          const img = new Image();
          img.src = 'data:image/png;base64,' + b64;
          await img.decode();
          const c = new OffscreenCanvas(img.width, img.height);
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const px = g.getImageData(0, 0, img.width, img.height).data;
          let hits = 0;
          for (let i = 0; i < px.length; i += 4) {
            if (Math.abs(px[i] - 0) < 10 && Math.abs(px[i + 1] - 114) < 10
                && Math.abs(px[i + 2] - 178) < 10) hits += 1;
          }
          return hits / (img.width * img.height);
        }""",
        base64.b64encode(png).decode(),
    )
    assert share > 0.001, share


# A slow machine: for the first 1.5 s no animation frame runs, so the stream's first
# frames (the first with the whole history, then refreshes) pile up and only the newest
# is drawn.
# Animation frames are held until the test releases them (window.__release = true), and the
# stream's messages are counted, so the test decides which frames arrive before any is drawn.
SLOW_START = """(() => {
  const raf = window.requestAnimationFrame.bind(window);
  window.__messages = 0;
  const Socket = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Socket(...args);
    socket.addEventListener("message", () => (window.__messages += 1));
    return socket;
  };
  window.WebSocket.prototype = Socket.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.requestAnimationFrame = (cb) =>
    window.__release ? raf(cb) : setTimeout(() => window.requestAnimationFrame(cb), 20);
})();"""


def test_the_first_rows_are_drawn_when_the_first_frame_was_skipped(page, live_server) -> None:
    """The frame that carried the whole history was replaced before it was drawn: the page
    fetches the history instead of drawing an empty chart."""
    page.add_init_script(SLOW_START)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server.url + "/")
    # The first frame (step 0, the whole history) arrives and is not drawn; a step's frame
    # (its own row only) replaces it.
    page.wait_for_function("window.__messages >= 1", polling=50)  # rAF is held: poll by time
    arrived = page.evaluate("window.__messages")
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"window.__messages > {arrived}", polling=50)
    with page.expect_request("**/history") as fetched:  # the scenario did happen
        page.evaluate("window.__release = true")
        expect(page.locator("#step-counter")).to_have_text("1")
    assert fetched.value.method == "GET"
    chart = page.locator("#curves").get_by_role("img", name="Loss over the steps")
    page.wait_for_function(GROWN, arg=[chart.element_handle(), 1])
    assert points(page, "Loss over the steps") == 2  # steps 0 and 1: no row lost
    chart.scroll_into_view_if_needed()
    # Its markers are seen: the test line is drawn last, over the training line.
    assert page.evaluate(PAINTED, [chart.element_handle(), VERMILLION]) > 0.0001
