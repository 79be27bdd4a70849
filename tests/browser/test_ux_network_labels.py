"""The network's labels never collide: column captions, δ labels, unit names and values,
edge labels, at every supported depth, at a projector's 1280×720 and at 1920×1080, normal
and presenting, with the δ labels on show (the backward phase).

Two labels collide when their boxes overlap; two column captions side by side also need
a clear gap between them, or "h₁ = tanh z₁" and "h₂ = tanh z₂" read as one line. A label
that should be on show counts whether or not it is displayed: a unit's δ left out for
want of room fails, as does one cut off by the diagram's edge or too small to read.
"""

import itertools
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems, screenshot
from tests.browser.numbers import number
from tests.browser.test_page_training import open_lab
from tests.browser.test_panels_equations import api_trace, array

CAPTION_GAP = 8  # px between two column captions
MIN_TEXT_PX = 11  # the smallest value text that reads on a projector
# Every label with a text; `shown` says whether it is on screen (displayed, not faded out).
# A unit's value always counts (it is what the backward phase is about), shown or not.
LABELS = """root => [...root.querySelectorAll(
    '.column-label, .delta-label, .edge-label, .node-name, .node-value')]
  .filter((n) => n.textContent.trim())
  .map((n) => {
    const r = n.getBoundingClientRect();
    const style = getComputedStyle(n);
    const kind = n.className;
    const shown = style.display !== 'none' && style.visibility !== 'hidden'
      && Number(style.opacity) > 0.5 && !n.closest('.no-value, [hidden]')
      && r.width > 0 && r.height > 0;
    const node = n.closest('.node')?.dataset.node ?? null;
    return { text: n.textContent, kind, shown, node, px: parseFloat(style.fontSize),
             x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
  })
  .filter((b) => b.shown || b.kind.includes('node-value'))"""
NODES = """root => [...root.querySelectorAll('.node')].map((n) => {
  const r = n.getBoundingClientRect();
  return { node: n.dataset.node, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
})"""


def overlap(a: dict, b: dict, margin: float = 0.0) -> bool:
    return (
        a["x0"] < b["x1"] + margin
        and b["x0"] < a["x1"] + margin
        and a["y0"] < b["y1"]
        and b["y0"] < a["y1"]
    )


def hidden_deltas(trace: dict, layers: int) -> list[np.ndarray]:
    """δ⁽ᶻ⁾ of each hidden layer, as the API names it for this depth (delta_z, or delta_zℓ)."""
    names = ["delta_z"] if layers == 1 else [f"delta_z{k}" for k in range(1, layers + 1)]
    return [array(trace[name]["value"]).ravel() for name in names]


@pytest.mark.parametrize("hidden", ["8", "8,8", "6,6,6", "4,4,4,4", "3,3,3,3,3,3"])
@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenting"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_two_network_labels_collide(browser, live_server, size, presenting, hidden) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.set_default_timeout(15_000)
    hash_ = f"#dataset=spiral&classes=3&activation=tanh&hidden={hidden}"
    session_id = open_lab(page, live_server, hash_ + ("&presentation=true" if presenting else ""))
    for phase in ("forward", "loss", "backward"):
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    # The δ labels fade in one layer after another: wait for the last (all are done).
    page.wait_for_function(
        "document.querySelectorAll('#network .delta-label').length"
        " && document.getAnimations().every((a) => a.playState !== 'running')"
    )
    network = page.locator("#network")
    name = f"network-labels-{hidden.replace(',', '-')}-{size[0]}x{size[1]}"
    screenshot(page, name + ("-presenting" if presenting else ""))
    labels = network.evaluate(LABELS)
    nodes = network.evaluate(NODES)
    frame = network.bounding_box()
    captions = [b for b in labels if "column-label" in b["kind"]]
    assert len(captions) == hidden.count(",") + 3, [c["text"] for c in captions]
    deltas = [b for b in labels if "delta-label" in b["kind"]]
    assert len(deltas) == hidden.count(",") + 3, "every column shows its δ going backward"

    # Every hidden unit shows its δ⁽ᶻ⁾, readable, the API's for this example.
    layers = hidden.count(",") + 1
    units = [int(n) for n in hidden.split(",")]
    trace = api_trace(page, live_server, session_id, index=0)
    for layer, expected in enumerate(hidden_deltas(trace, layers), start=1):
        column = f"{layer},"
        shown = [b for b in labels if "node-value" in b["kind"] and b["node"].startswith(column)]
        assert len(shown) == units[layer - 1], (layer, shown)
        left_out = [b["node"] for b in shown if not b["shown"]]
        assert not left_out, f"hidden units without their δ on screen: {left_out}"
        small = [(b["node"], b["px"]) for b in shown if b["px"] < MIN_TEXT_PX]
        assert not small, f"δ values too small to read: {small}"
        shown.sort(key=lambda b: int(b["node"].split(",")[1]))
        values = [number(b["text"]) for b in shown]
        assert np.allclose(values, expected, rtol=0.05, atol=1e-12), (values, expected)

    # Nothing cut off by the diagram's edge, no two labels on each other or on a unit.
    on_show = [b for b in labels if b["shown"]]
    cut = [
        b["text"]
        for b in on_show
        if b["x0"] < frame["x"] - 0.5
        or b["y0"] < frame["y"] - 0.5
        or b["x1"] > frame["x"] + frame["width"] + 0.5
        or b["y1"] > frame["y"] + frame["height"] + 0.5
    ]
    collisions = [
        (a["text"], b["text"])
        for a, b in itertools.combinations(labels, 2)
        if overlap(a, b, CAPTION_GAP if "column-label" in a["kind"] + b["kind"] else 0.0)
    ]
    covered = [
        (b["text"], n["node"])
        for b in labels
        for n in nodes
        if n["node"] != b["node"] and overlap(b, n)
    ]
    context.close()
    assert not cut, f"labels cut off by the diagram's edge: {cut}"
    assert not collisions, f"labels collide: {collisions}"
    assert not covered, f"labels over a unit: {covered}"
    assert not problems.messages, "\n".join(problems.messages)
    assert all(re.search(r"\S", c["text"]) for c in captions)
