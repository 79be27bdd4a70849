"""A hollow test point can be traced like a training point, and a link reopens it."""

import math
import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.numbers import number
from tests.browser.test_page_training import open_lab

# Plotly binds each drawn trace (`g.trace`) to its calcdata, whose first item knows the
# trace: its `meta` (train, test, selected) and `customdata` (each point's index in its
# split). LONELY finds, among the points of one split, the one farthest from every other
# point drawn, so that a click there can only mean that point.
LONELY = """([root, split]) => {
  const centre = (el) => {
    const b = el.getBoundingClientRect();
    return [b.x + b.width / 2, b.y + b.height / 2];
  };
  const traces = [...root.querySelectorAll('.scatterlayer .trace')].map((node) => ({
    node, trace: node.__data__?.[0]?.trace,
  }));
  const all = traces.filter(({ trace }) => trace?.meta !== 'selected').flatMap(({ node }) =>
    [...node.querySelectorAll('.point')].map((el) => ({ el, at: centre(el) })));
  let best = null;
  for (const { node, trace } of traces) {
    if (trace?.meta !== split || !trace.customdata?.length) continue;
    node.querySelectorAll('.point').forEach((el, j) => {
      const at = centre(el);
      let nearest = Infinity;
      for (const other of all) {
        if (other.el === el) continue;
        nearest = Math.min(nearest, Math.hypot(other.at[0] - at[0], other.at[1] - at[1]));
      }
      if (!best || nearest > best.nearest) {
        const index = trace.customdata[j];
        best = { nearest, x: at[0], y: at[1], index, x1: trace.x[j], x2: trace.y[j] };
      }
    });
  }
  return best;
}"""

# Where the point `index` of a split is drawn: [x, y] on the page (null if it is not).
POSITION = """([root, split, index]) => {
  for (const node of root.querySelectorAll('.scatterlayer .trace')) {
    const trace = node.__data__?.[0]?.trace;
    const j = trace?.meta === split ? trace.customdata.indexOf(index) : -1;
    if (j < 0) continue;
    const b = node.querySelectorAll('.point')[j].getBoundingClientRect();
    return [b.x + b.width / 2, b.y + b.height / 2];
  }
  return null;
}"""

# The centre of the traced ring, or null while there is none.
TRACED_RING = """root => {
  for (const node of root.querySelectorAll('.scatterlayer .trace')) {
    if (node.__data__?.[0]?.trace?.meta !== 'selected') continue;
    const b = node.querySelector('.point')?.getBoundingClientRect();
    if (b) return [b.x + b.width / 2, b.y + b.height / 2];
  }
  return null;
}"""


def settled(page) -> None:
    """Wait until the chart is drawn at the size of its box: the legend above it (whose
    height decides the chart's) is complete, and Plotly has followed the last resize."""
    page.wait_for_function(
        """() => {
          const gd = document.querySelector('#boundary');
          const legend = document.querySelector('#boundary-legend');
          const full = gd._fullLayout;
          return legend.hidden || legend.querySelector('[data-legend=traced]')
            ? full && Math.abs(full.width - gd.clientWidth) < 1
              && Math.abs(full.height - gd.clientHeight) < 1
            : false;
        }"""
    )
    page.wait_for_timeout(100)  # a resize observed in this frame is handled in the next


def lonely(page, split: str) -> dict:
    settled(page)
    found = page.locator("#boundary").evaluate(f"root => ({LONELY})([root, {split!r}])")
    assert found and found["nearest"] > 6, found  # a point a click cannot miss
    return found


def ring_on(page, split: str, index: int) -> None:
    """Wait until the traced ring is drawn centred on point `index` of `split`."""
    page.wait_for_function(
        f"""() => {{
          const root = document.querySelector('#boundary');
          const ring = ({TRACED_RING})(root);
          const at = ({POSITION})([root, {split!r}, {index}]);
          return ring !== null && at !== null && Math.hypot(ring[0] - at[0], ring[1] - at[1]) < 1.5;
        }}"""
    )


def page_loss(page) -> float:
    """J of the traced example as the network's phase strip shows it ("J = 0.651")."""
    item = page.locator('#phase-strip [data-phase="loss"] .phase-value')
    expect(item).to_have_text(re.compile(r"J = "))
    return number(item.inner_text().split("=")[1])


def api_trace(page, live_server, session_id: str, index: int) -> dict:
    answer = page.request.get(
        f"{live_server.url}/api/sessions/{session_id}/trace",
        params={"index": index, "split": "test"},
    )
    assert answer.ok, answer.text()
    return answer.json()


def test_clicking_a_hollow_test_point_traces_it_and_a_link_reopens_it(
    page, live_server, browser, page_problems
) -> None:
    session_id = open_lab(page, live_server)
    target = lonely(page, "test")

    # Point at it as a person would: its label says it is a test point and can be traced.
    page.mouse.move(target["x"], target["y"])
    hover = page.locator("#boundary .hoverlayer .hovertext")
    expect(hover).to_contain_text(f"test #{target['index']}")
    expect(hover).to_contain_text("click to trace")
    page.mouse.click(target["x"], target["y"])

    # The link now names a test example: "t" before its index.
    page.wait_for_function(
        f"new URLSearchParams(location.hash.slice(1)).get('selected') === 't{target['index']}'"
    )
    # The traced ring sits on the clicked point, and the legend says what the ring is.
    ring_on(page, "test", target["index"])
    expect(page.locator("#boundary-legend")).to_contain_text("traced")

    # The network shows that example: its inputs x₁, x₂, its class and its loss J, which
    # are the test example's according to the API.
    trace = api_trace(page, live_server, session_id, target["index"])
    assert trace["split"] == "test" and trace["index"] == target["index"]
    assert trace["x_raw"] == [target["x1"], target["x2"]]
    x1 = page.locator('#network .node[data-node="0,0"] .node-value')
    x2 = page.locator('#network .node[data-node="0,1"] .node-value')
    expect(x1).to_have_text(re.compile(r"\d"))
    assert math.isclose(number(x1.inner_text()), target["x1"], rel_tol=0.05, abs_tol=0.01)
    assert math.isclose(number(x2.inner_text()), target["x2"], rel_tol=0.05, abs_tol=0.01)
    k = trace["target"] + 1  # the page numbers classes from 1
    expect(page.locator("#network .node.target")).to_have_attribute(
        "data-target", f"y{'₀₁₂₃₄₅₆₇₈₉'[k]} = 1"
    )
    J = next(q for q in trace["quantities"] if q["symbol"] == "J")["value"]
    assert math.isclose(page_loss(page), J, rel_tol=6e-3, abs_tol=1e-3), (page_loss(page), J)
    # The equations say whose numbers they show, and stay on it (no training example's
    # trace, fetched for the same index, replaces it).
    caption = page.locator("#equations .eq-caption")
    expect(caption).to_contain_text(f"Test example #{target['index']}, class k = {k}")
    page.wait_for_timeout(500)
    expect(caption).to_contain_text(f"Test example #{target['index']}, class k = {k}")
    screenshot(page, "ux-traced-test-point-1280x720")

    # A colleague opens the shared link on a projector: the same test example is traced.
    link = page.url
    other = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        second = other.new_page()
        page_problems.attach(second)
        second.goto(link)
        expect(second.locator("#connection")).to_have_attribute("data-status", "open")
        expect(second.locator(".boundary-image")).not_to_have_attribute("width", "1")
        ring_on(second, "test", target["index"])
        assert (
            second.evaluate("new URLSearchParams(location.hash.slice(1)).get('selected')")
            == f"t{target['index']}"
        )
        expect(second.locator('#network .node[data-node="0,0"] .node-value')).to_have_text(
            x1.inner_text()
        )
        assert math.isclose(page_loss(second), J, rel_tol=6e-3, abs_tol=1e-3)
        screenshot(second, "ux-traced-test-point-link-1920x1080")
    finally:
        other.close()


def test_a_training_point_click_after_a_test_point_traces_training_again(
    page, live_server
) -> None:
    open_lab(page, live_server, "#selected=t3")
    point = lonely(page, "train")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(
        "new URLSearchParams(location.hash.slice(1)).get('selected')"
        f" === '{point['index']}'"
    )
    ring_on(page, "train", point["index"])
