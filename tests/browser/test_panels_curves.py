"""The curves panel: learning curves that grow while training, and the gradient check."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def open_lab(page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    page.get_by_role("tab", name="Curves & gradient check").click()


def points(page, label: str) -> int:
    """How many points the chart's first curve has (the drawn data, not a person's reading)."""
    return (
        page.locator("#curves")
        .get_by_role("img", name=label)
        .evaluate("chart => (chart.data && chart.data[0] ? chart.data[0].x.length : 0)")
    )


def test_curves_grow_while_training(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})  # drawn at the screenshot's size
    open_lab(page, live_server)
    before = points(page, "Loss over the steps")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 200")
    page.get_by_role("button", name="Pause").click()
    for label in ["Loss over the steps", "Accuracy over the steps", "Gradient norm of each layer"]:
        chart = page.locator("#curves").get_by_role("img", name=label)
        # The history has a row every 10 steps: 200 steps draw at least 15 more points.
        page.wait_for_function(
            "([chart, n]) => chart.data && chart.data[0] && chart.data[0].x.length > n",
            arg=[chart.element_handle(), before + 15],
        )
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
        assert float(cells[0].replace("−", "-")) < 1e-6
        assert cells[2] == "✓ pass"
    chart = panel.get_by_role("img", name="Relative error of each gradient")
    expect(chart.locator(".annotation-text", has_text=re.compile("tolerance"))).to_be_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "panels-gradcheck-1920x1080")


def test_the_gradient_norm_axis_reads_upwards(page, live_server) -> None:
    """Read bottom to top, the labels of the log axis increase (they read "0.01, 2, 5, 0.1")."""
    open_lab(page, live_server)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 300")
    page.get_by_role("button", name="Pause").click()
    norms = page.locator("#curves").get_by_role("img", name="Gradient norm of each layer")
    page.wait_for_function(
        "chart => chart.data && chart.data[0] && chart.data[0].x.length > 20",
        arg=norms.element_handle(),
    )
    norms.scroll_into_view_if_needed()
    labels = norms.locator(".ytick text").evaluate_all(
        "els => els.map(e => [e.textContent, e.getBoundingClientRect().y + e.getBBox().y])"
    )
    assert len(labels) >= 2, labels

    def value(text: str) -> float:
        return float(text.replace("−", "-").replace("\u200b", ""))

    upwards = [value(t) for t, _ in sorted(labels, key=lambda label: -label[1])]
    assert upwards == sorted(upwards) and len(set(upwards)) == len(upwards), labels
    screenshot(page, "panels-curves-norms-1280x720")
