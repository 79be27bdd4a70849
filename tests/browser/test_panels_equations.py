"""The equations panel: the lecture's derivation with the numbers of the traced example.

The numbers are read as a person reads them (the text of each bracketed matrix) and
compared with GET /api/sessions/{id}/trace; the toggles are clicked by their labels.
"""

import base64
import re

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, session_created_by
from tests.browser.numbers import number

DTYPES = {"f8": "<f8", "f4": "<f4", "i4": "<i4", "u1": "u1"}
# The panel writes 3 significant digits: the rounding error is at most 0.5% of the value.
RELATIVE = 6e-3


def open_lab(page, live_server, hash_: str = "") -> str:
    """Load the page and wait for its first frame; return the session id it created."""
    session_id = session_created_by(page, lambda: page.goto(live_server.url + "/" + hash_))
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    expect(equation_value(page, "δ^(o)")).to_be_visible()
    return session_id


def equation_value(page, display: str):
    """The bracketed matrix that shows a quantity's value in the equations panel."""
    return page.locator("#equations").get_by_role("table", name=f"value of {display}", exact=True)


def read_matrix(table) -> np.ndarray:
    """The numbers of a bracketed matrix, row by row, as printed (− is a minus).

    Read as a person reads it: scrolled into view first. The panel rewrites only the
    sections on screen, so wait until this one has caught up with the newest frame.
    """
    table.scroll_into_view_if_needed()
    section = table.locator("xpath=ancestor::section[contains(@class, 'eq-section')]")
    expect(section).not_to_have_attribute("data-stale", re.compile(".*"))
    rows = table.locator("tr").all()
    cells = [[c.inner_text() for c in r.locator("td").all()] for r in rows]
    return np.array([[number(c) for c in row] for row in cells])


def array(value) -> np.ndarray:
    if not isinstance(value, dict):
        return np.asarray(value, dtype=float)
    shape = [int(s) for s in str(value["shape"]).split(",") if s.strip()]
    data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=DTYPES[value["dtype"]])
    return data.reshape(shape).astype(float)


def api_trace(page, live_server, session_id: str, **params) -> dict:
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}/trace", params=params)
    assert answer.ok, answer.text()
    return {q["symbol"]: q for q in answer.json()["quantities"]}


def step_once(page, expected: int) -> None:
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text(str(expected))


def test_equation_numbers_equal_the_api_trace(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    step_once(page, 1)
    trace = api_trace(page, live_server, session_id, index=0)

    checked = []
    for symbol in [
        "x",
        "z",
        "h",
        "v",
        "o",
        "y",
        "J",
        "dJ/do",
        "do/dv",
        "delta_o",
        "delta_h",
        "delta_z",
        "delta_x",
        "dJ/dU",
        "dJ/dc",
        "dJ/dW",
        "dJ/db",
    ]:
        quantity = trace[symbol]
        expected = array(quantity["value"])
        shown = read_matrix(equation_value(page, quantity["display"]))
        # Vectors x, z, h, v, o, y are columns, as on the slides; δ keep the trace's shape.
        shown = shown.reshape(expected.shape)
        np.testing.assert_allclose(shown, expected, rtol=RELATIVE, atol=1e-12, err_msg=symbol)
        checked.append(symbol)
    # The weights appear as the operands of z = Wx + b and v = Uh + c.
    operand = page.locator("#equations").get_by_role("table", name="U", exact=True).first
    np.testing.assert_allclose(read_matrix(operand), array(trace["U"]["value"]), rtol=RELATIVE)
    assert len(checked) == 17


def test_sign_convention_flips_delta_o(page, live_server) -> None:
    open_lab(page, live_server)
    step_once(page, 1)
    panel = page.locator("#equations")
    delta_o = panel.get_by_role("group", name="δ^(o)", exact=True)
    expect(delta_o.locator(".eq-formula")).to_contain_text("o − y")
    expect(delta_o.locator(".eq-formula")).to_contain_text("J = NLL · descent")
    before = read_matrix(equation_value(page, "δ^(o)"))

    panel.get_by_label("J = log P, ascent").check()
    expect(delta_o.locator(".eq-formula")).to_contain_text("y − o")
    expect(delta_o.locator(".eq-formula")).to_contain_text("J = log P · ascent")
    after = read_matrix(equation_value(page, "δ^(o)"))
    np.testing.assert_allclose(after, -before)
    expect(panel.get_by_role("group", name="update")).to_contain_text("θ + η ∂J/∂θ")
    assert "sign=loglik" in page.url

    panel.get_by_label("J = NLL, descent").check()
    expect(delta_o.locator(".eq-formula")).to_contain_text("o − y")


def test_layout_toggle_transposes_delta(page, live_server) -> None:
    open_lab(page, live_server)
    panel = page.locator("#equations")
    row_o = read_matrix(equation_value(page, "δ^(o)"))
    row_h = read_matrix(equation_value(page, "δ^(h)"))
    assert row_o.shape == (1, 2) and row_h.shape == (1, 8)  # 1×n rows, as on the slides

    panel.get_by_label("column vector").check()
    expect(equation_value(page, "δ^(h)").locator("tr")).to_have_count(8)
    col_o = read_matrix(equation_value(page, "δ^(o)"))
    col_h = read_matrix(equation_value(page, "δ^(h)"))
    np.testing.assert_array_equal(col_o, row_o.T)
    np.testing.assert_array_equal(col_h, row_h.T)
    # In columns the backward step reads δ^(h) = Uᵀ δ^(o).
    expect(panel.get_by_role("group", name="δ^(h)", exact=True)).to_contain_text("Uᵀ δ(o)")


def test_bias_toggle_augments_x_and_w(page, live_server) -> None:
    open_lab(page, live_server)
    panel = page.locator("#equations")
    assert read_matrix(equation_value(page, "x")).shape == (2, 1)
    panel.get_by_label("in W (x with 1)").check()
    expect(equation_value(page, "x").locator("tr")).to_have_count(3)
    x = read_matrix(equation_value(page, "x"))
    assert x[-1, 0] == 1.0
    operand_w = panel.get_by_role("table", name="W", exact=True).first
    assert read_matrix(operand_w).shape == (8, 3)


def test_current_phase_is_highlighted(page, live_server) -> None:
    open_lab(page, live_server)
    panel = page.locator("#equations")
    phase = page.get_by_role("button", name="Phase")
    for expected in ["forward", "loss", "backward", "update"]:
        phase.click()
        expect(panel.locator("section.eq-section.current")).to_have_attribute(
            "data-phase", expected
        )
        expect(panel.locator(".eq-phases li.current")).to_have_text(re.compile(expected))


def test_deeper_network_shows_one_block_per_layer(page, live_server) -> None:
    open_lab(page, live_server, "#hidden=4,3&activation=tanh")
    panel = page.locator("#equations")
    for display in [
        "z₁",
        "h₁",
        "z₂",
        "h₂",
        "δ^(h₂)",
        "δ^(z₂)",
        "δ^(h₁)",
        "δ^(z₁)",
        "∂J/∂W₁",
        "∂J/∂W₂",
    ]:
        expect(equation_value(page, display)).to_be_visible()
    expect(panel.locator(".eq-block h4", has_text="Hidden layer 2").first).to_be_visible()
    expect(panel.get_by_role("group", name="∂h₁/∂z₁", exact=True)).to_contain_text("1 − h₁²")


def test_logistic_regression_shows_the_lecture_logistic_slides(page, live_server) -> None:
    """Binary logistic regression in the slide's notation: z = wᵀx + b, o = σ(z), y ∈ {0, 1},
    ∂J/∂w; no second name (v, ∂J/∂W, ∂J/∂z, k) beside them, and a caption that says y."""
    session_id = open_lab(page, live_server, "#model=logistic&hidden=")
    panel = page.locator("#equations")
    expect(panel.get_by_role("group", name="∂J/∂w", exact=True)).to_contain_text("(o − y) xᵀ")
    expect(panel.get_by_role("group", name="z", exact=True)).to_contain_text("wᵀx + b")
    expect(panel.get_by_role("group", name="δ^(o)", exact=True)).to_contain_text("∂J/∂z")
    for other in ["v", "∂J/∂W", "∂J/∂z", "k", "K"]:
        expect(panel.get_by_role("group", name=other, exact=True)).to_have_count(0)
    y = int(array(api_trace(page, live_server, session_id, index=0)["y"]["value"]).ravel()[0])
    expect(panel.locator(".eq-caption")).to_contain_text(f", y = {y} (y = 1: class 2")
    panel.get_by_label("J = log P, ascent").check()
    expect(panel.get_by_role("group", name="∂J/∂w", exact=True)).to_contain_text("(y − o) xᵀ")


def test_equations_screenshots(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_lab(page, live_server)
    step_once(page, 1)
    page.get_by_role("button", name="Phase").click()
    page.get_by_role("button", name="Phase").click()
    page.get_by_role("button", name="Phase").click()  # backward: δ highlighted
    expect(page.locator("#equations section.eq-section.current")).to_have_attribute(
        "data-phase", "backward"
    )
    page.locator("#equations").scroll_into_view_if_needed()
    screenshot(page, "panels-equations-1920x1080")
    page.locator("#equations section[data-phase=backward]").scroll_into_view_if_needed()
    screenshot(page, "panels-equations-backward-1920x1080")


def test_results_only_hides_the_operands(page, live_server) -> None:
    open_lab(page, live_server)
    panel = page.locator("#equations")
    operand_u = panel.get_by_role("table", name="U", exact=True).first
    expect(operand_u).to_be_visible()
    panel.get_by_label("show the operands").uncheck()
    expect(operand_u).to_be_hidden()
    expect(equation_value(page, "δ^(h)")).to_be_visible()
    # ∂h/∂z is shown as diag(…) itself: it stays.
    expect(panel.get_by_role("table", name="∂h/∂z", exact=True)).to_be_visible()
    page.set_viewport_size({"width": 1920, "height": 1080})
    panel.locator("section[data-phase=backward]").scroll_into_view_if_needed()
    screenshot(page, "panels-equations-results-only-1920x1080")


def test_the_class_label_rows_read_as_formulas(page, live_server) -> None:
    """The rows for k and K read "k ∈ {0, …, K − 1} = [0]" and "K = [2]", not "k : k ∈ …"
    or "K : K"; a formula about a component keeps its colon ("y : yᵢ = I(i = k)")."""
    open_lab(page, live_server, "#dataset=circle&classes=2&selected=0")
    eq = page.locator("#equations")

    def formula(label: str) -> str:
        row = eq.get_by_role("group", name=label, exact=True)
        return " ".join(row.locator(".eq-lhs, .eq-formula").all_inner_texts()).split()

    assert " ".join(formula("k")) == "k ∈ {1, …, K}", formula("k")
    assert formula("K") == ["K"], formula("K")
    assert ":" in formula("y"), formula("y")
    assert " ".join(formula("z")).startswith("z = Wx + b"), formula("z")


def test_numbers_stay_live_while_playing_and_settle_on_pause(page, live_server) -> None:
    """While training plays the numbers keep changing; on pause they are the final step's,
    equal to the API's trace of it."""
    session_id = open_lab(page, live_server, "#speed=5")
    table = equation_value(page, "∂J/∂U")
    before = read_matrix(table)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) >= 50")
    during = read_matrix(table)
    assert not np.allclose(during, before), "the numbers did not change while playing"
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.wait_for_timeout(300)  # the last frame of the run, then the pause's
    trace = api_trace(page, live_server, session_id, index=0)
    expected = array(trace["dJ/dU"]["value"])
    shown = read_matrix(table).reshape(expected.shape)
    np.testing.assert_allclose(shown, expected, rtol=RELATIVE, atol=1e-12)
