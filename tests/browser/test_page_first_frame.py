"""The first frame does not wait for Plotly.js: boundary, points and network draw without it.

Plotly.js is held back (its request is parked) to prove the order: the boundary image and
the points are painted, the network is drawn and the step counter reads 0 while
`window.Plotly` is still undefined. When Plotly.js arrives, its chart takes over in exactly
the place the early drawing used: the image does not move.
"""

from playwright.sync_api import expect

from tests.browser.conftest import PageProblems

MARK = "backprop-lab:first-boundary"
FIRST_BOUNDARY = f"performance.getEntriesByName('{MARK}').length > 0"
INK = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
  return inked / (data.length / 4);
}"""


def box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_boundary_points_and_network_are_drawn_before_plotly_loads(page, live_server) -> None:
    parked = []
    page.route("**/vendor/plotly.min.js", lambda route: parked.append(route))
    page.goto(live_server.url + "/#dataset=spiral&classes=3")
    page.wait_for_function(FIRST_BOUNDARY)
    assert page.evaluate("window.Plotly === undefined")
    expect(page.locator("#step-counter")).to_have_text("0")
    expect(page.locator("#network .node").first).to_be_visible()
    expect(page.locator(".boundary-image")).not_to_have_attribute("width", "1")
    preview = page.locator(".points-preview")
    expect(preview).to_be_visible()
    inked = preview.evaluate(INK)
    assert 0.01 < inked < 0.6, f"the points cover {inked:.1%} of the preview"
    legend = page.locator("#boundary-legend")
    for k in (1, 2, 3):
        expect(legend).to_contain_text(f"class {k}")
    before = box(page, ".boundary-image")

    assert len(parked) == 1, "Plotly.js was not requested after the first frame"
    parked[0].continue_()
    page.wait_for_function("window.Plotly && document.querySelector('#boundary .main-svg')")
    expect(preview).to_have_count(0)  # Plotly draws the points now
    expect(page.locator("#boundary .scatterlayer .point").first).to_be_attached()
    page.wait_for_timeout(200)
    after = box(page, ".boundary-image")
    for key in ("x", "y", "width", "height"):
        assert abs(after[key] - before[key]) <= 1.0, (key, before, after)
    # The chart views came with Plotly.js: the learning curves have their axes.
    expect(page.locator("#curves .main-svg").first).to_be_attached()


def test_plotly_that_fails_to_load_is_said_and_tried_again(browser, live_server) -> None:
    """The charts' library refused once (a dropped connection): the page says so, keeps the
    boundary and network, and loads the charts on its next try."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    refused = []

    def once(route) -> None:
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/vendor/plotly.min.js", once)
    page.goto(live_server.url + "/")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("could not be loaded", timeout=10_000)
    expect(banner).to_contain_text("tried again")
    expect(page.locator("#network .node").first).to_be_visible()
    page.wait_for_function("window.Plotly && document.querySelector('#curves .main-svg')")
    expect(page.locator("#boundary .main-svg").first).to_be_attached()
    context.close()
    assert len(refused) == 1
    # The refused request is reported by the browser; nothing else may be.
    expected = ("plotly.min.js", "net::ERR_FAILED")
    unexpected = [m for m in problems.messages if not any(e in m for e in expected)]
    assert not unexpected, unexpected


def test_stream_opened_during_load_is_kept_and_its_first_frame_not_lost(page, live_server) -> None:
    """index.html opens the session's stream before main.js has run; main.js takes that
    socket over with every message it already received. Held back here until the first frame has
    arrived, main.js must still draw that frame, and no second socket may be opened."""
    sockets: list[str] = []
    frames: list[object] = []

    def opened(ws: object) -> None:
        sockets.append(ws.url)
        ws.on("framereceived", lambda payload: frames.append(payload))

    page.on("websocket", opened)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    parked = []
    page.route("**/static/js/main.js", lambda route: parked.append(route))
    with page.expect_response(lambda r: r.url.endswith("/api/sessions")) as created:
        page.goto(live_server.url + "/", wait_until="commit")
    session_id = created.value.json()["id"]
    deadline = 150  # × 100 ms
    while not (frames and parked) and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert frames, "no frame arrived on the stream opened by boot.js"
    assert page.evaluate(f"!performance.getEntriesByName('{MARK}').length")
    parked[0].continue_()
    page.wait_for_function(FIRST_BOUNDARY)
    # What the page asks of the stream when it opens (the traced example, the resolution)
    # reaches the server although the socket opened before main.js listened: the frames
    # then carry the trace, and a phase shows its equations on the step card.
    page.wait_for_function("window.backpropLab.lastFrame()?.trace?.quantities?.length > 0")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "forward")
    page.keyboard.press("Space")
    expect(page.locator("#step-counter")).not_to_have_text("0")
    assert len(sockets) == 1, f"the page opened {len(sockets)} streams: {sockets}"
    # index.html asked for the session before any module loaded, with the server's defaults:
    # they are the page's own, so that session is the page's (no second one is asked for).
    assert posts == [live_server.url + "/api/sessions"], posts
    assert f"/api/sessions/{session_id}/stream" in sockets[0]
