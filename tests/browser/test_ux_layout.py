"""Nothing overlaps: the edit bar beside Plotly's toolbar at 1280×720, and the boundary's
legend, which reads cleanly in presentation mode at 1280×720."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab
from tests.browser.test_ux_sidebar import box


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_edit_bar_leaves_the_charts_toolbar_free_at_1280x720(page, live_server) -> None:
    open_lab(page, live_server, "#dataset=blobs&classes=6")
    page.get_by_label("Edit data").check()
    bar = page.locator("#edit-bar")
    expect(bar).to_be_visible()
    chart = page.locator("#boundary")
    page.mouse.move(box(chart)["x"] + 40, box(chart)["y"] + 60)  # the toolbar shows on hover
    modebar = chart.locator(".modebar")
    expect(modebar).to_be_visible()
    assert not overlap(box(bar), box(modebar)), (box(bar), box(modebar))
    assert not overlap(box(bar), box(chart)), "the edit bar lies over the chart"
    screenshot(page, "ux-edit-bar-1280x720")

    # The toolbar's buttons take clicks (a covered button would not): zoom in, and back.
    ticks = "[...document.querySelectorAll('#boundary .xtick text')].map((t) => t.textContent)"
    before = page.evaluate(ticks)
    chart.get_by_role("button", name="Zoom in").click()
    page.wait_for_function(f"JSON.stringify({ticks}) !== {json.dumps(json.dumps(before))}")
    zoomed = page.evaluate(ticks)
    chart.get_by_role("button", name="Reset axes").click()
    page.wait_for_function(f"JSON.stringify({ticks}) !== {json.dumps(json.dumps(zoomed))}")


@pytest.mark.parametrize("classes", [2, 4, 6])
def test_the_boundary_legend_reads_cleanly_when_presenting_at_1280x720(
    page, live_server, classes
) -> None:
    open_lab(page, live_server, f"#dataset=blobs&classes={classes}")
    page.get_by_role("button", name="Present").click()
    expect(page.get_by_role("button", name="Exit presenting")).to_be_visible()
    legend = page.locator("#boundary-legend")
    items = legend.locator(".legend-item")
    expect(items).to_have_count(classes + 2)  # the classes, hollow = test, traced
    page.wait_for_timeout(300)  # the chart resizes to the larger type

    boxes = [box(item) for item in items.all()]
    line = min(b["height"] for b in boxes)
    # No entry breaks over two lines, and none runs out of the panel.
    panel = box(page.locator(".boundary-panel"))
    for b in boxes:
        assert b["height"] < 1.5 * line, boxes
        assert b["x"] >= panel["x"] and b["x"] + b["width"] <= panel["x"] + panel["width"]
    classes_boxes, key = boxes[:classes], boxes[classes:]
    # The classes read in order, row by row, in columns that line up.
    rows: dict[float, list[dict]] = {}
    for b in classes_boxes:
        rows.setdefault(round(b["y"]), []).append(b)
    firsts = [row[0]["x"] for row in rows.values()]
    assert max(firsts) - min(firsts) < 2, rows
    # The key stays together on a row of its own, after the classes.
    assert abs(key[0]["y"] - key[1]["y"]) < 2, key
    assert key[0]["y"] >= max(b["y"] for b in classes_boxes) - 1, (classes_boxes, key)
    # The legend lies above the chart, never on it.
    chart = box(page.locator("#boundary"))
    for b in boxes:
        assert not overlap(b, chart), (b, chart)
    screenshot(page, f"ux-legend-presenting-{classes}-classes-1280x720")


@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenting"])
def test_walking_through_a_step_gives_the_network_the_stage_height_at_1280x720(
    browser, live_server, presenting
) -> None:
    """At a projector's height the step card does not take its rows from the network: the
    diagram keeps the stage's height, the card stands beside it under a smaller boundary
    whose chart is still there, and none of the three lies on another or off the window."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(15_000)
    hash_ = "#dataset=spiral&classes=3&hidden=6,6,6" + ("&presentation=true" if presenting else "")
    open_lab(page, live_server, hash_)
    network = page.locator(".network-panel")
    before = box(network)["height"]
    for phase in ("forward", "loss", "backward"):
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    page.wait_for_timeout(300)  # the charts follow their panels' new sizes
    card, boundary = box(page.locator("#step-card")), box(page.locator(".boundary-panel"))
    after = box(network)
    chart = box(page.locator("#boundary"))
    screenshot(page, f"ux-step-layout-6-6-6-1280x720{'-presenting' if presenting else ''}")
    context.close()
    assert after["height"] >= before - 1, (before, after)  # not shortened by the card
    assert not overlap(card, after) and not overlap(boundary, after) and not overlap(card, boundary)
    for b in (card, boundary, after):
        assert b["x"] >= 0 and b["x"] + b["width"] <= 1280 and b["y"] + b["height"] <= 720, b
    assert chart["height"] >= 100 and chart["width"] >= 100, f"the boundary is gone: {chart}"
