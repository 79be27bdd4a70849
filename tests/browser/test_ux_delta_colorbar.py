"""The δ^(z) maps' colour bar reads upwards (negative at the bottom, positive at the top)
and names its convention in both sign conventions, and the maps' colours flip with δ."""

import base64

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, session_created_by
from tests.browser.numbers import number
from tests.browser.test_panels_matrices import open_tab

# The colour bar as drawn: its tick labels from top to bottom and its title.
COLOUR_BAR = """div => {
  const bar = div.querySelector('.colorbar');
  const ticks = [...bar.querySelectorAll('.cbaxis text, .ytick text')]
    .map((t) => ({ text: t.textContent, y: t.getBoundingClientRect().y }))
    .sort((a, b) => a.y - b.y)
    .map((t) => t.text);
  const title = [...bar.querySelectorAll('.cbtitle text')].map((t) => t.textContent).join(' ');
  return { ticks, title };
}"""

# How green (+) or violet (−) each unit's map is on the whole: the mean of green − blue over
# the pixels of its heatmap image, as the browser painted it (the signed scale of colors.js:
# green − blue is 0 at its grey zero, above 0 all along its green side, below on its violet).
OLIVENESS = """async div => {
  const out = [];
  for (const image of div.querySelectorAll('image')) {
    const img = new Image();
    img.src = image.getAttribute('href') || image.getAttribute('xlink:href');
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const c = canvas.getContext('2d');
    c.drawImage(img, 0, 0);
    const px = c.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += px[i + 1] - px[i + 2];
    out.push(sum / (px.length / 4));
  }
  return out;
}"""


def read_bar(maps) -> dict:
    bar = maps.evaluate(COLOUR_BAR)
    values = [number(t) for t in bar["ticks"]]
    assert len(values) == 3, bar
    return {**bar, "values": values}


def largest_delta(page, live_server, session_id: str) -> float:
    """max |δ^(z)| over the plane and the units, from the API's maps (loss sign)."""
    answer = page.request.get(
        f"{live_server.url}/api/sessions/{session_id}/boundary", params={"resolution": 100}
    )
    assert answer.ok, answer.text()
    deltas = answer.json()["layers"][0]["deltas"]
    return max(
        float(np.abs(np.frombuffer(base64.b64decode(d["bdata"]), "<f4")).max()) for d in deltas
    )


def bar_once_drawn(page, maps, title: str, m: float) -> dict:
    """The colour bar once it shows the newest maps: J named by `title`, ends at ±m."""
    for _ in range(50):
        bar = read_bar(maps)
        if title in bar["title"] and abs(abs(bar["values"][0]) - m) <= 0.03 * m:
            return bar
        page.wait_for_timeout(100)
    raise AssertionError(f"the colour bar never showed ±{m:.3g} with {title}: {bar}")


def test_the_delta_colour_bar_reads_upwards_in_both_conventions(page, live_server) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    session_id = session_created_by(page, lambda: open_tab(page, live_server))
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("1")
    panel = page.locator("#matrices")
    maps = panel.get_by_role("img", name="Delta maps of hidden layer 1")
    expect(maps.locator("image")).to_have_count(8)
    maps.scroll_into_view_if_needed()

    m = largest_delta(page, live_server, session_id)
    loss = bar_once_drawn(page, maps, "J = NLL", m)
    top, middle, bottom = loss["values"]
    assert top > 0 and middle == 0 and bottom < 0, loss
    assert "∂J/∂z" in loss["title"] and "J = NLL" in loss["title"], loss
    expect(panel.locator(".panel-note", has_text="J = NLL")).to_be_visible()
    olive_loss = maps.evaluate(OLIVENESS)
    screenshot(page, "ux-delta-maps-loss-1920x1080")

    page.locator("#equations").get_by_label("J = log P, ascent").check()
    expect(panel.locator(".panel-note", has_text="J = log P")).to_be_visible()
    loglik = bar_once_drawn(page, maps, "J = log P", m)
    assert loglik["values"][0] > 0 and loglik["values"][2] < 0, loglik
    assert "J = log P" in loglik["title"], loglik
    # δ under J = log P is minus δ under J = NLL: the same range, each map's colours flipped.
    assert loglik["values"] == [top, 0, bottom] or loglik["values"] == [-bottom, 0, -top]
    olive_loglik = maps.evaluate(OLIVENESS)
    strongest = max(range(len(olive_loss)), key=lambda i: abs(olive_loss[i]))
    assert abs(olive_loss[strongest]) > 5, olive_loss
    for before, after in zip(olive_loss, olive_loglik, strict=True):
        if abs(before) > 5:
            assert before * after < 0, (olive_loss, olive_loglik)
    maps.scroll_into_view_if_needed()
    screenshot(page, "ux-delta-maps-loglik-1920x1080")
