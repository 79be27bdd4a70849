"""One colour, one meaning: the classes keep the boundary's Okabe–Ito colours, and signed
values (weights, gradients, δ) use a scale of their own, explained by one legend.

Colours are read as the browser computed them (CSS of the edges, rings and numbers, Plotly's
trace data, colors.js's diverging() itself) and compared with colors.js, imported in the
page. "Far from a class colour" is CIEDE2000 under normal, protanope, deuteranope and
tritanope vision (tests/notebook/test_palette.py, which checks the whole scale offline):
ΔE00 ≥ CLASS_MIN from all six class colours.
"""

import itertools

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageProblems, screenshot
from tests.browser.numbers import number
from tests.browser.test_page_training import open_lab
from tests.notebook.test_palette import CLASS_MIN, SIGN_MIN, VISIONS, diverging
from tests.notebook.test_palette import delta_e as delta_e00

HASH = "#dataset=spiral&classes=3&activation=tanh&hidden=8"

# colors.js as the page loaded it: the single source of the colours asserted below.
PALETTE = """async () => {
  const c = await import('/static/js/views/colors.js');
  const ts = Array.from({ length: 81 }, (_, i) => -1 + i / 40);
  return { classes: c.CLASS_COLORS, positive: c.POSITIVE, negative: c.NEGATIVE,
           diverging: c.DIVERGING, full: [c.diverging(1), c.diverging(-1)],
           ts, shades: ts.map((t) => c.diverging(t)) };
}"""

# Every colour the page gives a signed value, as computed: edge strokes, node rings, the
# step card's and the equations' signed numbers, and the Plotly colour scales.
SIGNED_COLOURS = """() => {
  const css = (el, prop) => getComputedStyle(el).getPropertyValue(prop).trim();
  const edges = [...document.querySelectorAll('#network .edges path')]
    .filter((p) => p.style.stroke).map((p) => ({ stroke: css(p, 'stroke'), level: p.level }));
  const rings = [...document.querySelectorAll('#network .node')]
    .map((n) => ({ id: n.dataset.node, ring: n.style.getPropertyValue('--ring'),
                   value: n.querySelector('.node-value').textContent }));
  const numbers = (sel) => [...document.querySelectorAll(sel)].map((n) => css(n, 'color'));
  return {
    edges, rings,
    pos: numbers('#step-card .num.pos, #equations .num.pos'),
    neg: numbers('#step-card .num.neg, #equations .num.neg'),
    root: { positive: css(document.documentElement, '--positive'),
            negative: css(document.documentElement, '--negative') },
  };
}"""

PLOTLY_SCALES = """sel => [...document.querySelectorAll(sel)]
  .flatMap((gd) => (gd.data || []).filter((t) => t.type === 'heatmap').map((t) => t.colorscale))"""

BOUNDARY_POINTS = """() => document.querySelector('#boundary').data
  .filter((t) => t.type === 'scatter' && t.meta === 'train' && /^class \\d+$/.test(t.name))
  .map((t) => ({ name: t.name, color: t.marker.color }))"""

# The legend's box, and every visible text outside it whose box meets it.
LEGEND_AND_NEIGHBOURS = """() => {
  const legends = [...document.querySelectorAll('.sign-legend')];
  const legend = legends[0];
  const box = legend.getBoundingClientRect();
  const hits = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || legend.contains(el)) continue;
    // Not drawn: hidden, transparent, or in a closed <details> (the Demos menu).
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width && r.height && r.left < box.right && box.left < r.right
          && r.top < box.bottom && box.top < r.bottom) hits.push(node.textContent.trim());
    }
  }
  const strip = legend.querySelector('.sign-strip');
  return {
    count: legends.length,
    box: { left: box.left, right: box.right, top: box.top, bottom: box.bottom,
           width: box.width, height: box.height },
    viewport: [innerWidth, innerHeight],
    text: legend.textContent,
    gradient: getComputedStyle(strip).backgroundImage,
    hits,
  };
}"""


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """ "#RRGGBB" or "rgb(r, g, b)" → (r, g, b)."""
    colour = colour.strip()
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    inner = colour[colour.index("(") + 1 : colour.index(")")]
    return tuple(round(float(v)) for v in inner.split(",")[:3])  # type: ignore[return-value]


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """sRGB (0–255) → CIELAB under D65."""

    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str | tuple, b: str | tuple) -> float:
    """CIE 1976 ΔE between two colours given as hex, rgb() or (r, g, b)."""
    la = lab(hex_rgb(a) if isinstance(a, str) else a)
    lb = lab(hex_rgb(b) if isinstance(b, str) else b)
    return sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5


def same(a: str | tuple, b: str | tuple) -> bool:
    return delta_e(a, b) < 1


def least_de00(a: str | tuple, b: str | tuple) -> float:
    """The least CIEDE2000 difference between two colours over the four visions."""
    pa = np.array(hex_rgb(a) if isinstance(a, str) else a, dtype=float)
    pb = np.array(hex_rgb(b) if isinstance(b, str) else b, dtype=float)
    return min(float(delta_e00(pa, pb, v)) for v in VISIONS)


def step_to_backward(page, steps: int = 5) -> None:
    """Train a few SGD steps, then walk the next step to its backward phase."""
    for step in range(1, steps + 1):  # one at a time: a key pressed mid-step is not queued
        page.keyboard.press("ArrowRight")
        expect(page.locator("#step-counter")).to_have_text(str(step))
    for phase in ("forward", "loss", "backward"):
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    page.wait_for_timeout(2_000)  # the backward animation lights the layers in turn


def test_classes_and_signed_values_never_share_a_colour(page, live_server) -> None:
    open_lab(page, live_server, HASH)
    palette = page.evaluate(PALETTE)
    classes = palette["classes"][:3]
    ends = [palette["positive"], palette["negative"]]
    assert [tuple(round(v) for v in c) for c in palette["full"]] == [hex_rgb(e) for e in ends]
    # The page's diverging() is the interpolation tests/notebook/test_palette.py checks.
    mirror = diverging(palette["diverging"], np.array(palette["ts"]))
    assert np.abs(np.array(palette["shades"]) - mirror).max() < 1e-6

    # (c) the signed scale's shades for |t| ≥ 0.25 are far from all six class colours and a
    # shade of −t from one of +t, for every vision; the ends, dark, farther still.
    shades = palette["shades"]
    for i, (t, shade) in enumerate(zip(palette["ts"], shades, strict=True)):
        if abs(t) < 0.25:
            continue
        for cls in palette["classes"]:
            assert least_de00(tuple(shade), cls) >= CLASS_MIN, (t, shade, cls)
        opposite = shades[len(shades) - 1 - i]  # ts are symmetric: −t
        assert least_de00(tuple(shade), tuple(opposite)) >= SIGN_MIN, (t, shade, opposite)
    for end, cls in itertools.product(ends, palette["classes"]):
        assert least_de00(end, cls) > 2 * CLASS_MIN, (end, cls, least_de00(end, cls))

    step_to_backward(page)

    # (a) the points keep the class palette.
    points = page.evaluate(BOUNDARY_POINTS)
    assert [p["name"] for p in points] == ["class 1", "class 2", "class 3"]
    assert [p["color"].upper() for p in points] == [c.upper() for c in classes]

    # (b) edges, rings and signed numbers in the signed palette, at full strength its ends.
    shown = page.evaluate(SIGNED_COLOURS)
    assert same(shown["root"]["positive"], palette["positive"]), shown["root"]
    assert same(shown["root"]["negative"], palette["negative"]), shown["root"]
    strokes = {e["stroke"] for e in shown["edges"]}
    assert len(shown["edges"]) == 8 * 2 + 3 * 8 and len(strokes) == 2, strokes
    assert {hex_rgb(s) for s in strokes} == {hex_rgb(e) for e in ends}
    for e in shown["edges"]:
        colour = palette["positive"] if e["level"] >= 0 else palette["negative"]
        assert same(e["stroke"], colour), e
    # Going backward the rings show δ, each column on its own scale: the largest |δ| of a
    # column is drawn in an end colour, the sign's.
    hidden = [r for r in shown["rings"] if r["id"].startswith("1,")]
    at_ends = [r for r in hidden if any(same(r["ring"], e) for e in ends)]
    assert at_ends, hidden
    for ring in at_ends:
        colour = palette["negative"] if number(ring["value"]) < 0 else palette["positive"]
        assert same(ring["ring"], colour), ring
    for ring in (r["ring"] for r in shown["rings"]):
        for cls in palette["classes"]:  # no ring could pass for a class, for any viewer
            assert least_de00(ring, cls) >= CLASS_MIN, (ring, cls)
    assert shown["pos"] and shown["neg"], "the step card colours its numbers by sign"
    assert all(same(c, palette["positive"]) for c in shown["pos"]), set(shown["pos"])
    assert all(same(c, palette["negative"]) for c in shown["neg"]), set(shown["neg"])

    # The output thumbnails are probabilities of a class: in that class's colour.
    outputs = page.locator('#network .node[data-node^="2,"] canvas')
    expect(outputs).to_have_count(3)

    # Heatmaps and δ maps: the signed scale, stop for stop.
    page.get_by_role("tab", name="Matrices & delta maps").click()
    page.wait_for_function(
        "document.querySelectorAll('#matrices .mx-pair .main-svg').length >= 2"
        " && document.querySelectorAll('#matrices .mx-delta .main-svg').length >= 1"
    )
    for selector in ("#matrices .mx-pair", "#matrices .mx-delta"):
        scales = page.evaluate(PLOTLY_SCALES, selector)
        assert scales, selector
        for scale in scales:
            assert [[at, c.upper()] for at, c in scale] == [
                [at, c.upper()] for at, c in palette["diverging"]
            ], (selector, scale)
    screenshot(page, "colors-matrices-1280x720")


@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenting"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_legend_explains_the_signed_colours_on_screen(
    browser, live_server, size, presenting
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.set_default_timeout(15_000)
    open_lab(page, live_server, HASH + ("&presentation=true" if presenting else ""))
    step_to_backward(page, steps=2)
    palette = page.evaluate(PALETTE)

    def check(where: str) -> None:
        legend = page.evaluate(LEGEND_AND_NEIGHBOURS)
        assert legend["count"] == 1, f"{where}: one legend, not one per panel"
        box, (width, height) = legend["box"], legend["viewport"]
        assert box["width"] > 40 and box["height"] > 10, (where, box)
        assert box["left"] >= 0 and box["right"] <= width, (where, box)
        assert box["top"] >= 0 and box["bottom"] <= height, (where, box)
        assert not legend["hits"], f"{where}: the legend overlaps {legend['hits']}"
        text = legend["text"]
        assert all(word in text for word in ("−", "+", "weights", "gradients", "δ")), text
        # The strip is drawn on the scale itself, its ends in the palette's end colours.
        stops = [
            tuple(hex_rgb(f"rgb({s.split(')')[0]})")) for s in legend["gradient"].split("rgb(")[1:]
        ]
        assert stops[0] == hex_rgb(palette["negative"]), legend["gradient"]
        assert stops[-1] == hex_rgb(palette["positive"]), legend["gradient"]
        assert page.locator(".sign-legend").is_visible()

    check("backward phase")
    name = f"colors-legend-{size[0]}x{size[1]}" + ("-presenting" if presenting else "")
    screenshot(page, name)
    if presenting:
        page.keyboard.press("c")  # the controls drawer opens over the stage
        expect(page.locator("#controls-toggle")).to_have_attribute("aria-expanded", "true")
        check("controls drawer open")
        screenshot(page, name + "-drawer")
    context.close()
    assert not problems.messages, "the page reported problems:\n" + "\n".join(problems.messages)
