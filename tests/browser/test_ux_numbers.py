"""Every number the matrices and curves panels print is one a student reads: 3 significant
figures, or scientific notation written 1.2×10⁻⁵; never an SI prefix ("400f", "20μ"), never
"1e−5"; log axes in powers of ten; and a heatmap cell's text never contradicts its colour.

Two well separated Gaussians learnt at a large step size: after a few hundred steps the
gradients are tiny (10⁻⁴ and below), where Plotly's defaults write "μ", "n" and "f".
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab
from tests.browser.test_panels_matrices import open_tab

EASY = "#dataset=gauss&noise=0&learningRate=2&speed=20"
STEPS = 600

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789−")
# A number with an SI prefix glued to it ("400f", "−20μ", "1.5k"); a unit or a word after a
# number ("8 units", "2nd") is not one.
SI_PREFIX = re.compile(r"\d[yzafpnμµumkMGTPEZY](?![A-Za-z])")
# A number in a programmer's exponent notation ("1e−5", "3.1E+9").
E_NOTATION = re.compile(r"\d[eE][+\-−]?\d")
# Plotly's exponentformat "power" writes the exponent as a superscript between zero-width
# spaces: its text reads "2×10\u200b−13\u200b", or "10\u200b−6\u200b" on a log axis.
PLOTLY_POWER = re.compile(r"\u200b([−\-]?\d+)\u200b$")
# What a printed number may look like once its exponent is written "^n": "0.27",
# "−1.23×10^−7", "10^−6"; and a log axis's labels: powers of ten (1 and 10 among them).
NUMBER = re.compile(r"^([−\-]?\d+(?:\.\d+)?)(?:×10\^([−\-]?\d+))?$")
POWER = re.compile(r"^10\^([−\-]?\d+)$")


def exponent_marked(text: str) -> str:
    """The text with its exponent (a superscript or Plotly's) written as "^n"."""
    text = text.strip()
    if PLOTLY_POWER.search(text):
        return PLOTLY_POWER.sub(lambda m: "^" + m[1], text)
    return re.sub(r"[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+$", lambda m: "^" + m[0].translate(SUPERSCRIPTS), text)


def is_power_of_ten(text: str) -> bool:
    marked = exponent_marked(text)
    return marked in ("1", "10") or bool(POWER.match(marked))


def read_number(text: str) -> float:
    """A number as printed: "0.27", "−1.23×10⁻⁷", Plotly's "2×10−13" or "10−6"."""
    marked = exponent_marked(text).replace("−", "-")
    power = POWER.match(marked)
    if power:
        return 10.0 ** int(power[1])
    match = NUMBER.match(marked)
    assert match, f"not a number as a person writes it: {text!r}"
    return float(match[1]) * 10.0 ** int(match[2] or 0)


# Every text with a digit in a panel: the SVG texts of its Plotly charts (tick, colour-bar,
# annotation, cell and hover labels, each <text> with its tspans joined) and its HTML text;
# for SVG text, its font size and whether it lies inside its chart's box (not cut off).
NUMBERS_IN = """root => {
  const out = [];
  for (const text of root.querySelectorAll('svg text')) {
    const s = text.textContent.trim();
    if (!/\\d/.test(s)) continue;
    const box = text.getBoundingClientRect();
    if (!box.width) continue;
    const chart = text.closest('.js-plotly-plot').getBoundingClientRect();
    const inside = box.left >= chart.left - 1 && box.right <= chart.right + 1
      && box.top >= chart.top - 1 && box.bottom <= chart.bottom + 1;
    out.push({ where: 'svg', text: s, size: parseFloat(getComputedStyle(text).fontSize), inside });
  }
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    if (node.parentElement.closest('svg') || !/\\d/.test(node.data)) continue;
    out.push({ where: 'html', text: node.data.trim() });
  }
  return out;
}"""

# Each number written in a heatmap cell, with the value and the colour scale of that cell:
# the cell is found from where its text is drawn, through the trace's axes.
CELLS_IN = """gd => {
  const svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const full = gd._fullLayout;
  const axis = (id, letter) => full[letter + 'axis' + id.slice(1)];
  const out = [];
  for (const text of gd.querySelectorAll('.heatmap-label text')) {
    const r = text.getBoundingClientRect();
    const cx = r.x + r.width / 2 - svg.x;
    const cy = r.y + r.height / 2 - svg.y;
    for (const trace of gd._fullData) {
      if (trace.type !== 'heatmap') continue;
      const xa = axis(trace.xaxis, 'x');
      const ya = axis(trace.yaxis, 'y');
      const px = cx - xa._offset;
      const py = cy - ya._offset;
      if (px < 0 || px > xa._length || py < 0 || py > ya._length) continue;
      const i = Math.round(ya.p2c(py));
      const j = Math.round(xa.p2c(px));
      const zmax = Math.max(Math.abs(trace.zmin), Math.abs(trace.zmax));
      out.push({ text: text.textContent, z: trace.z[i][j], zmax });
    }
  }
  return out;
}"""

# The largest |∂J/∂W| of each gradient heatmap drawn (the right-hand trace of each figure).
GRADIENT_SCALES = """root => [...root.querySelectorAll('.mx-pair')]
  .filter((gd) => gd.data && gd.data.length > 1)
  .map((gd) => Math.max(...gd.data[1].z.flat().map(Math.abs)))"""


def train(page, steps: int = STEPS) -> None:
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) >= {steps}",
        timeout=60_000,
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.wait_for_timeout(800)  # the last frames drawn


def assert_readable(numbers: list[dict], panel: str) -> None:
    """No SI prefix, no e-notation; chart text large enough and inside its chart."""
    assert numbers, f"no number read in the {panel} panel"
    prefixed = [n["text"] for n in numbers if SI_PREFIX.search(n["text"])]
    assert not prefixed, f"SI prefixes in the {panel} panel: {prefixed}"
    programmer = [n["text"] for n in numbers if E_NOTATION.search(n["text"])]
    assert not programmer, f"e-notation in the {panel} panel: {programmer}"
    small = [(n["text"], n["size"]) for n in numbers if n["where"] == "svg" and n["size"] < 12]
    assert not small, f"numbers too small to read in the {panel} panel: {small}"
    cut = [n["text"] for n in numbers if n["where"] == "svg" and not n["inside"]]
    assert not cut, f"numbers cut off at a chart's edge in the {panel} panel: {cut}"


def test_numbers_are_read_as_printed() -> None:
    assert read_number("0.27") == 0.27
    assert read_number("−0.5") == -0.5
    assert read_number("0") == 0
    assert read_number("−1.23×10⁻⁷") == -1.23e-7
    assert read_number("10⁻⁶") == 1e-6
    assert read_number("2×10\u200b−13\u200b") == 2e-13
    assert read_number("10\u200b−6\u200b") == 1e-6
    assert read_number("100") == 100
    assert all(map(is_power_of_ten, ["1", "10", "10\u200b2\u200b", "10\u200b−6\u200b", "10⁻⁶"]))
    assert not any(map(is_power_of_ten, ["100μ", "0.01", "2", "20"]))
    assert SI_PREFIX.search("400f") and SI_PREFIX.search("−20μ") and SI_PREFIX.search("1.5k")
    assert not any(map(SI_PREFIX.search, ["8 units", "2nd", "W 8×2", "h₂[3]"]))
    assert E_NOTATION.search("1e−5") and not E_NOTATION.search("2×10⁻⁵")


def test_the_matrices_panel_prints_no_si_prefix_and_no_cell_contradicts_its_colour(
    page, live_server
) -> None:
    open_tab(page, live_server, EASY)
    train(page)
    panel = page.locator("#matrices")
    expect(panel.locator(".mx-pair")).to_have_count(2)
    # The gradients are tiny by now: what this test is about.
    scales = panel.evaluate(GRADIENT_SCALES)
    assert scales and min(scales) < 1e-3, scales

    # Hover the middle of a gradient heatmap: its label is read with the rest.
    pair = panel.locator(".mx-pair").first
    pair.scroll_into_view_if_needed()
    area = pair.locator(".nsewdrag").nth(1).bounding_box()
    assert area is not None
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    expect(pair.locator(".hoverlayer .hovertext")).to_have_count(1)
    hover = pair.locator(".hoverlayer .hovertext").text_content()
    assert "∂J/∂W" in hover, hover
    read_number(hover.split(" = ")[-1])

    numbers = panel.evaluate(NUMBERS_IN)
    assert any(n["text"] == hover.strip() or hover.strip() in n["text"] for n in numbers)
    assert_readable(numbers, "matrices")

    # A cell's number agrees with its colour: within 2 % of the scale (the colour's own
    # resolution), and a cell coloured at a quarter of the scale or more never reads 0.
    strong = 0
    for figure in panel.locator(".mx-pair").all():
        for cell in figure.evaluate(CELLS_IN):
            value = read_number(cell["text"])
            z, zmax = cell["z"], cell["zmax"]
            assert abs(value - z) <= 0.02 * zmax, cell
            if abs(z) >= 0.25 * zmax:
                strong += 1
                assert value != 0 and abs(value - z) <= 0.05 * abs(z), cell
    assert strong >= 8, "too few coloured cells carried a number to check"
    page.mouse.move(5, 5)
    panel.evaluate("panel => panel.scrollIntoView({ block: 'start' })")
    screenshot(page, "ux-numbers-matrices-1280x720")
    panel.locator(".mx-pair").nth(1).scroll_into_view_if_needed()
    screenshot(page, "ux-numbers-matrices-u-1280x720")


def test_the_curves_panel_prints_no_si_prefix_and_its_log_axes_in_powers_of_ten(
    page, live_server
) -> None:
    page.goto(live_server.url + "/" + EASY)
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    page.get_by_role("tab", name="Curves & gradient check").click()
    train(page)
    panel = page.locator("#curves")
    norms = panel.get_by_role("img", name="Gradient norm of each layer")
    page.wait_for_function(
        "chart => Number(chart.dataset.points ?? 0) > 20", arg=norms.element_handle()
    )

    panel.get_by_role("button", name="Run the gradient check").click()
    expect(panel.get_by_role("table", name="Gradient check per parameter")).to_be_visible()
    gradcheck = panel.get_by_role("img", name="Relative error of each gradient")
    expect(gradcheck.locator(".xtick text").first).to_be_visible()

    # The log axes: every label a power of ten, and they span tiny values.
    for chart, ticks in [(norms, ".ytick text"), (gradcheck, ".xtick text")]:
        labels = chart.locator(ticks).all_text_contents()
        assert len(labels) >= 2, labels
        odd = [t for t in labels if not is_power_of_ten(t)]
        assert not odd, f"log-axis labels that are not powers of ten: {labels}"
    lowest = min(read_number(t) for t in norms.locator(".ytick text").all_text_contents())
    assert lowest <= 1e-4, lowest

    # Hover the gradient norms near the end: the tooltip's numbers are read with the rest.
    norms.scroll_into_view_if_needed()
    plot = norms.locator(".nsewdrag").first.bounding_box()
    assert plot is not None
    page.mouse.move(plot["x"] + plot["width"] * 0.95, plot["y"] + plot["height"] / 2)
    tip = norms.locator(".live-tip")
    expect(tip).to_be_visible()
    shown = dict(line.split(": ") for line in tip.inner_text().splitlines()[1:])
    assert shown and all(read_number(v) > 0 for v in shown.values()), shown
    # Hover a bar of the gradient check as well.
    gradcheck.scroll_into_view_if_needed()
    bars = gradcheck.locator(".nsewdrag").first.bounding_box()
    assert bars is not None
    page.mouse.move(bars["x"] + 5, bars["y"] + bars["height"] / 8)
    expect(gradcheck.locator(".hoverlayer .hovertext")).to_have_count(1)

    numbers = panel.evaluate(NUMBERS_IN)
    assert_readable(numbers, "curves")
    hovered = gradcheck.locator(".hoverlayer .hovertext").text_content()
    assert "∂J/∂" in hovered, hovered
    read_number(hovered.split(": ")[-1])
    for cells in panel.locator(".gc-table tbody tr").all():
        for text in cells.locator("td").all_inner_texts()[:2]:
            read_number(text)

    page.mouse.move(5, 5)
    panel.evaluate("panel => panel.scrollIntoView({ block: 'start' })")
    screenshot(page, "ux-numbers-curves-1280x720")
    norms.scroll_into_view_if_needed()
    screenshot(page, "ux-numbers-curves-norms-1280x720")
    gradcheck.scroll_into_view_if_needed()
    screenshot(page, "ux-numbers-gradcheck-1280x720")


def test_the_top_bar_network_and_equations_write_tiny_numbers_as_powers_of_ten(
    page, live_server
) -> None:
    """Once the loss is tiny (below 10⁻³), the read-out, the network's numbers, the step card
    and the equations write it 1.2×10⁻⁵ too: one way of writing numbers on the whole page."""
    open_lab(page, live_server, EASY)
    train(page, 1500)
    loss = page.locator("#train-loss").inner_text()
    assert read_number(loss) < 1e-3, f"the loss {loss} is not tiny yet: nothing to check"
    assert "×10" in loss, loss
    for phase in ("forward", "loss", "backward", "update"):  # the card: δ and gradients
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    texts = []
    for selector in ("header.topbar", "#network", "#step-card", "#equations"):
        texts += page.locator(selector).evaluate(
            "root => [...root.querySelectorAll('*')].filter((n) => !n.children.length)"
            ".map((n) => n.textContent).filter((t) => /\\d/.test(t))"
        )
    assert any("×10" in t for t in texts), texts[:20]
    assert not [t for t in texts if E_NOTATION.search(t)], [t for t in texts if "e" in t][:10]
    assert not [t for t in texts if SI_PREFIX.search(t)]
