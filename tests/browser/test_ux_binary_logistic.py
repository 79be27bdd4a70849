"""Binary logistic regression in the lecture's notation, on every part of the page.

The slide writes z = wᵀx + b, o = σ(z) = P(y = 1 | x), y ∈ {0, 1}, δ = ∂J/∂z and
∂J/∂w = (y − o)xᵀ (log-likelihood) or (o − y)xᵀ (loss). A lecturer opens the binary demo
at a projector's 1280×720 and walks one step phase by phase (Shift+→): the network's
output caption and unit, the target beside it, the step card, the equations panel and
GET /api/sessions/{id}/trace must use those symbols, and the same numbers. y = 1 is the
second class (the API's label 1, "class 2" in the legend): the caption says so.
"""

import re

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.numbers import number
from tests.browser.test_page_training import open_lab
from tests.browser.test_panels_equations import RELATIVE, api_trace, array, read_matrix

BINARY = "#dataset=gauss&classes=2&model=logistic&hidden="
CARD_ROWS = {
    "forward": ["z", "o"],
    "loss": ["y", "J"],
    "backward": ["delta_o", "delta_x"],
    "update": ["dJ/dw", "dJ/db", "update"],
}
# Second names for the same numbers, which the binary case must not show.
DUPLICATES = ["v", "W", "dJ/dW", "dJ/dz", "do/dv", "k", "K"]


def card_numbers(card, symbol: str) -> np.ndarray:
    """The numbers of a step card row's value, as printed (a number or a bracketed vector)."""
    texts = card.locator(f'.sc-row[data-symbol="{symbol}"] > .num, '
                         f'.sc-row[data-symbol="{symbol}"] .sc-vector .num').all_inner_texts()
    return np.array([number(t) for t in texts])


def flat(quantity: dict) -> np.ndarray:
    return array(quantity["value"]).ravel()


def caption_text(locator) -> str:
    """A label's text as read: no-break spaces, word joiners and line breaks undone."""
    text = locator.inner_text().replace("\u2060", "")
    return re.sub(r"\s+", " ", text).strip()


def test_binary_logistic_regression_speaks_one_notation(page, live_server) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    session_id = open_lab(page, live_server, BINARY)
    network = page.locator("#network")
    card = page.locator("#step-card")
    equations = page.locator("#equations")

    # The API's trace: the slide's names, and no second name for any of them.
    trace = api_trace(page, live_server, session_id, index=0)
    for symbol in ["x", "w", "b", "z", "o", "y", "J", "delta_o", "dJ/dw", "dJ/db"]:
        assert symbol in trace, symbol
    for symbol in DUPLICATES:
        assert symbol not in trace, symbol
    assert trace["z"]["formula"] == "z = wᵀx + b"
    assert trace["o"]["formula"].endswith("= P(y = 1 | x)")
    assert trace["delta_o"]["formula"] == "δ^(o) = ∂J/∂z = o − y"

    # The diagram: one output o = σ(z) = P(y = 1 | x), named o (not o₁), weights w.
    output_caption = network.locator(".column-label").last
    expect(output_caption).to_contain_text("P(y")
    assert caption_text(output_caption) == "o = σ(z) = P(y = 1 | x)", output_caption.inner_text()
    output = network.locator('.node[data-node="1,0"]')
    expect(output.locator(".node-name")).to_have_text("o")
    expect(network.locator(".edge-label")).to_have_text("w")

    seen_rows: set[str] = set()
    for phase, symbols in CARD_ROWS.items():
        page.keyboard.press("Shift+ArrowRight")
        expect(card).to_have_attribute("data-phase", phase)
        for symbol in symbols:
            expect(card.locator(f'.sc-row[data-symbol="{symbol}"]')).to_be_visible()
        seen_rows |= set(card.locator(".sc-row").evaluate_all(
            "rows => rows.map(r => r.dataset.symbol)"
        ))
        trace = api_trace(page, live_server, session_id, index=0)
        y = int(flat(trace["y"])[0])
        assert y in (0, 1)
        if phase == "forward":
            expect(card.locator('.sc-row[data-symbol="o"]')).to_contain_text("P(y = 1 | x)")
            for symbol in ("z", "o"):
                np.testing.assert_allclose(
                    card_numbers(card, symbol), flat(trace[symbol]), rtol=RELATIVE, atol=1e-12
                )
                np.testing.assert_allclose(
                    read_matrix(equations.get_by_role(
                        "table", name=f"value of {symbol}", exact=True
                    )).ravel(),
                    flat(trace[symbol]), rtol=RELATIVE, atol=1e-12,
                )
        if phase == "loss":
            # The target beside o reads as the lecture writes it, y = 0 or y = 1: the API's y.
            expect(output).to_have_class(re.compile(r"\btarget\b"))
            expect(output).to_have_attribute("data-target", f"y = {y}")
            np.testing.assert_allclose(card_numbers(card, "y"), [y])
            np.testing.assert_allclose(
                card_numbers(card, "J"), flat(trace["J"]), rtol=RELATIVE, atol=1e-12
            )
            caption = equations.locator(".eq-caption")
            expect(caption).to_contain_text(f"Training example #0, y = {y} (y = 1: class 2")
            expect(caption).not_to_contain_text("class k")
        if phase == "backward":
            expect(card.locator('.sc-row[data-symbol="delta_o"]')).to_contain_text("o − y")
            for symbol in ("delta_o", "delta_x"):
                np.testing.assert_allclose(
                    card_numbers(card, symbol), flat(trace[symbol]), rtol=RELATIVE, atol=1e-12
                )
            # δ = o − y of this example, and each edge is lit by its ∂J/∂w
            o, delta = flat(trace["o"])[0], flat(trace["delta_o"])[0]
            assert abs(delta - (o - y)) < 1e-12
            expect(network.locator(".edge-label")).to_have_text("∂J/∂w")
            expect(output.locator(".node-value")).to_have_text(re.compile(r"\d"))
            assert abs(number(output.locator(".node-value").inner_text()) - delta) <= max(
                0.01, 0.01 * abs(delta)
            )
            # The gradient in the equations panel: ∂J/∂w = δ xᵀ = (o − y) xᵀ, the API's numbers.
            group = equations.get_by_role("group", name="∂J/∂w", exact=True)
            expect(group).to_contain_text("(o − y) xᵀ")
            shown = read_matrix(equations.get_by_role("table", name="value of ∂J/∂w", exact=True))
            x = flat(trace["x"])
            np.testing.assert_allclose(shown.ravel(), flat(trace["dJ/dw"]), rtol=RELATIVE)
            np.testing.assert_allclose(flat(trace["dJ/dw"]), (o - y) * x, rtol=1e-12)
        if phase == "backward":
            screenshot(page, "binary-logistic-equations-backward-1280x720")
        page.locator("#step-card").scroll_into_view_if_needed()
        network.scroll_into_view_if_needed()
        screenshot(page, f"binary-logistic-{phase}-1280x720")

    assert {"v", "dJ/dW", "k", "K"}.isdisjoint(seen_rows), seen_rows
    # The equations panel has the slide's rows, and none under a second name.
    for label in ["z", "o", "y", "J", "δ^(o)", "∂J/∂w", "∂J/∂b"]:
        expect(equations.get_by_role("group", name=label, exact=True)).to_have_count(1)
    for label in ["v", "W", "∂J/∂W", "∂J/∂z", "∂o/∂v", "k", "K"]:
        expect(equations.get_by_role("group", name=label, exact=True)).to_have_count(0)
    expect(equations.get_by_role("group", name="z", exact=True)).to_contain_text("wᵀx + b")


def test_the_log_likelihood_sign_writes_y_minus_o(page, live_server) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    session_id = open_lab(page, live_server, BINARY + "&sign=loglik&bias=augmented")
    equations = page.locator("#equations")
    expect(equations.get_by_role("group", name="∂J/∂w", exact=True)).to_contain_text(
        "(y − o) xᵀ"
    )
    expect(equations.get_by_role("group", name="z", exact=True)).to_contain_text("wᵀx")
    card = page.locator("#step-card")
    for phase in CARD_ROWS:
        page.keyboard.press("Shift+ArrowRight")
        expect(card).to_have_attribute("data-phase", phase)
        if phase == "backward":
            expect(card.locator('.sc-row[data-symbol="delta_o"]')).to_contain_text("y − o")
            trace = api_trace(
                page, live_server, session_id, index=0, sign="loglik", bias="augmented"
            )
            y, o = flat(trace["y"])[0], flat(trace["o"])[0]
            x = flat(trace["x"])
            assert x[-1] == 1.0  # the augmented x ends in 1, and b is w's last entry
            np.testing.assert_allclose(flat(trace["dJ/dw"]), (y - o) * x, rtol=1e-12)
            np.testing.assert_allclose(
                card_numbers(card, "delta_o"), [y - o], rtol=RELATIVE, atol=1e-12
            )
            page.locator("#network").scroll_into_view_if_needed()
            screenshot(page, "binary-logistic-loglik-backward-1280x720")


def test_the_matrices_panel_writes_w_transposed_and_z(page, live_server) -> None:
    """The matrices tab speaks the same notation: the one row of weights is wᵀ (z = wᵀx + b),
    its output z, its gradient ∂J/∂wᵀ; no W, no v₁."""
    open_lab(page, live_server, BINARY + "&tab=matrices")
    page.keyboard.press("ArrowRight")  # one step: the gradient is there too
    pair = page.locator("#matrices .mx-pair").first
    expect(pair).to_contain_text("wᵀ")
    expect(pair).to_contain_text("∂J/∂wᵀ")
    texts = [t or "" for t in pair.locator("text").all_text_contents()]
    assert "z" in [t.strip() for t in texts], texts
    assert not [t for t in texts if t.strip() in ("W", "v₁", "∂J/∂W")], texts
