"""The page numbers classes as the lecture does, 1 … K; the API keeps counting from 0."""

import json
import re

from playwright.sync_api import expect

from tests.browser.test_page_training import open_lab
from tests.browser.test_ux_trace_test_points import lonely, settled


def test_the_legend_the_labels_and_the_class_picker_count_from_one(page, live_server) -> None:
    open_lab(page, live_server, "#dataset=blobs&classes=3")
    legend = page.locator("#boundary-legend")
    for k in (1, 2, 3):
        expect(legend.locator(".legend-item", has_text=f"class {k}")).to_be_visible()
    expect(legend).not_to_contain_text("class 0")

    # A point's label names its class the same way.
    point = lonely(page, "train")
    page.mouse.move(point["x"], point["y"])
    hover = page.locator("#boundary .hoverlayer .hovertext")
    expect(hover).to_contain_text(re.compile(r"class [123](?!\d)"))
    expect(hover).not_to_contain_text("class 0")

    # The edit-data picker offers classes 1, 2, 3; adding "class 3" sends the API's label 2.
    page.get_by_label("Edit data").check()
    picker = page.get_by_role("radiogroup", name="Class to add")
    expect(picker).to_contain_text("Add class")
    for k in (1, 2, 3):
        expect(picker.get_by_role("radio", name=f"add class {k}", exact=True)).to_be_visible()
    expect(picker.get_by_role("radio", name="add class 0", exact=True)).to_have_count(0)
    picker.get_by_role("radio", name="add class 3", exact=True).check()
    box = page.locator("#boundary .nsewdrag").first.bounding_box()
    with page.expect_request(lambda r: r.url.endswith("/points") and r.method == "POST") as sent:
        page.mouse.click(box["x"] + box["width"] * 0.93, box["y"] + box["height"] * 0.07)
    body = json.loads(sent.value.post_data)
    assert [p["label"] for p in body["points"]] == [2]
    expect(page.locator("#point-count")).to_contain_text("321 train")
    # The new point is drawn and labelled as class 3 (the chart grows back without the bar).
    page.get_by_label("Edit data").uncheck()
    settled(page)
    added = body["points"][0]
    at = page.locator("#boundary").evaluate(
        """(root, [x1, x2]) => {
          for (const node of root.querySelectorAll('.scatterlayer .trace')) {
            const trace = node.__data__?.[0]?.trace;
            const same = (x, i) => x === x1 && trace.y[i] === x2;
            const j = trace?.meta === 'train' ? trace.x.findIndex(same) : -1;
            if (j < 0) continue;
            const b = node.querySelectorAll('.point')[j].getBoundingClientRect();
            return [b.x + b.width / 2, b.y + b.height / 2];
          }
          return null;
        }""",
        [added["x1"], added["x2"]],
    )
    assert at, added
    page.mouse.move(*at)
    expect(hover).to_contain_text("class 3")
