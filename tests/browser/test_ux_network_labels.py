"""The network's labels never collide: column captions, δ labels, unit names and values,
edge labels, at every supported depth, at a projector's 1280×720 and at 1920×1080, normal
and presenting, with the δ labels on show (the backward phase).

Two labels collide when their boxes overlap; two column captions side by side also need
a clear gap between them, or "h₁ = tanh z₁" and "h₂ = tanh z₂" read as one line.
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
LABELS = """root => [...root.querySelectorAll(
    '.column-label, .delta-label, .edge-label, .node-name, .node-value')]
  .filter((n) => n.textContent.trim() && getComputedStyle(n).display !== 'none'
    && getComputedStyle(n).visibility !== 'hidden' && Number(getComputedStyle(n).opacity) > 0.5)
  .map((n) => {
    const r = n.getBoundingClientRect();
    const kind = n.className;
    return { text: n.textContent, kind, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
  })
  .filter((b) => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0)"""


def overlap(a: dict, b: dict, margin: float = 0.0) -> bool:
    return (
        a["x0"] < b["x1"] + margin
        and b["x0"] < a["x1"] + margin
        and a["y0"] < b["y1"]
        and b["y0"] < a["y1"]
    )


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
    page.wait_for_timeout(2_500)  # the δ labels fade in, one layer after another
    labels = page.locator("#network").evaluate(LABELS)
    captions = [b for b in labels if "column-label" in b["kind"]]
    assert len(captions) == hidden.count(",") + 3, [c["text"] for c in captions]
    deltas = [b for b in labels if "delta-label" in b["kind"]]
    assert len(deltas) == hidden.count(",") + 3, "every column shows its δ going backward"
    collisions = [
        (a["text"], b["text"])
        for a, b in itertools.combinations(labels, 2)
        if overlap(a, b, CAPTION_GAP if "column-label" in a["kind"] + b["kind"] else 0.0)
    ]
    if hidden == "8":
        # The lecture's network: every hidden unit shows its δ⁽ᶻ⁾, the API's for this example.
        values = page.locator('#network .node[data-node^="1,"] .node-value')
        assert all(v.is_visible() for v in values.all()), "a hidden unit's δ is not on screen"
        shown = values.all_inner_texts()
        assert len(shown) == 8 and all(shown), shown
        trace = api_trace(page, live_server, session_id, index=0)
        expected = array(trace["delta_z"]["value"]).ravel()
        assert np.allclose([number(t) for t in shown], expected, rtol=0.05, atol=1e-12), (
            shown,
            expected,
        )
    name = f"network-labels-{hidden.replace(',', '-')}-{size[0]}x{size[1]}"
    screenshot(page, name + ("-presenting" if presenting else ""))
    context.close()
    assert not collisions, f"labels collide: {collisions}"
    assert not problems.messages, "\n".join(problems.messages)
    assert all(re.search(r"\S", c["text"]) for c in captions)
