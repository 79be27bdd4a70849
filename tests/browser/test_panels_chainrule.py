"""The chain-rule lab: the lecture's Jacobian examples at a picked point."""

import math

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.numbers import number


def read_matrix(table) -> np.ndarray:
    rows = table.locator("tr").all()
    cells = [[c.inner_text() for c in r.locator("td").all()] for r in rows]
    return np.array([[number(c) for c in row] for row in cells])


def open_lab(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("tab", name="Chain-rule lab").click()
    lab = page.locator("#chain-rule")
    expect(lab.get_by_role("table", name="analytic Jacobian")).to_be_visible()
    return lab


def pick(lab, x: float, y: float) -> None:
    lab.get_by_role("spinbutton", name="x").fill(str(x))
    lab.get_by_role("spinbutton", name="y").fill(str(y))
    lab.get_by_role("spinbutton", name="y").press("Enter")
    expect(lab).to_contain_text(f"At (x, y) = ({x:g}, {y:g})".replace("-", "−"))


def test_analytic_and_numerical_jacobians_agree_and_the_product_equals_the_direct_one(
    page, live_server
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})  # drawn at the screenshot's size
    lab = open_lab(page, live_server)
    x, y = 0.5, -1.5
    pick(lab, x, y)
    analytic = read_matrix(lab.get_by_role("table", name="analytic Jacobian"))
    numeric = read_matrix(lab.get_by_role("table", name="numerical Jacobian"))
    closed_form = np.array([[6 * y * x, 3 * x**2], [5 * y, 5 * x + 3 * y**2]])
    np.testing.assert_allclose(analytic, closed_form, rtol=6e-3)
    np.testing.assert_allclose(numeric, analytic, rtol=6e-3)
    expect(lab.get_by_label("Jacobian of f and g")).to_contain_text("analytic and numerical agree")

    product = read_matrix(lab.get_by_role("table", name="chain-rule product"))
    direct = read_matrix(lab.get_by_role("table", name="direct Jacobian"))
    np.testing.assert_array_equal(product, direct)
    np.testing.assert_allclose(direct.ravel(), [2 / x, 3 * math.cos(3 * x)], rtol=6e-3)
    chain = lab.get_by_label("Vector chain rule")
    expect(chain).to_contain_text("the chain-rule product equals the direct Jacobian")
    expect(chain).to_contain_text("analytic and numerical agree")

    lab.get_by_label("denominator (Jᵀ)").check()
    expect(lab).to_contain_text("denominator layout")
    transposed = read_matrix(lab.get_by_role("table", name="analytic Jacobian"))
    np.testing.assert_array_equal(transposed, analytic.T)
    assert read_matrix(lab.get_by_role("table", name="chain-rule product")).shape == (1, 2)
    lab.scroll_into_view_if_needed()
    screenshot(page, "panels-chain-rule-1920x1080")


def test_clicking_the_plane_picks_the_point(page, live_server) -> None:
    lab = open_lab(page, live_server)
    plane = lab.get_by_role("img", name="Click the plane to pick (x, y)")
    # The upper-left quarter of the plane: x < 0 < y. Point, read the hover label, click.
    area = plane.locator(".nsewdrag").first
    box = area.bounding_box()
    spot = {"x": box["width"] * 0.25, "y": box["height"] * 0.25}
    area.hover(position=spot)
    expect(plane.locator(".hoverlayer .hovertext")).to_contain_text("pick (x, y)")
    area.click(position=spot)
    expect(lab.get_by_role("spinbutton", name="x")).not_to_have_value("1")
    x = float(lab.get_by_role("spinbutton", name="x").input_value())
    y = float(lab.get_by_role("spinbutton", name="y").input_value())
    assert x < 0 < y
    expect(lab).to_contain_text("At (x, y) = (")
    expect(lab.get_by_label("Jacobian of f and g")).to_contain_text("analytic and numerical agree")


def test_a_bad_point_shows_the_servers_message_naming_the_field(
    page, live_server, page_problems
) -> None:
    lab = open_lab(page, live_server)
    lab.get_by_role("spinbutton", name="x").fill("0")
    lab.get_by_role("spinbutton", name="x").press("Enter")
    expect(lab.get_by_role("alert")).to_contain_text("x must be non-zero")
    expect(lab.get_by_role("spinbutton", name="x")).to_have_attribute("aria-invalid", "true")
    # The browser logs the refused request (422) itself; that one is expected.
    expected = [m for m in page_problems.messages if "422" in m]
    assert len(expected) == 1, page_problems.messages
    page_problems.messages.remove(expected[0])
    lab.get_by_role("spinbutton", name="x").fill("2")
    lab.get_by_role("spinbutton", name="x").press("Enter")
    expect(lab.get_by_role("alert")).to_have_text("")
