"""The page loads in a real browser, offline-capable, with Plotly drawn and the stream live."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_page_loads_with_plotly_and_no_errors(page, live_server) -> None:
    external: list[str] = []
    page.on(
        "request",
        lambda req: (
            external.append(req.url)
            if not req.url.startswith((live_server.url, "ws://127.0.0.1", "data:", "blob:"))
            else None
        ),
    )
    page.goto(live_server.url + "/")
    page.wait_for_function("window.Plotly !== undefined && document.querySelector('.main-svg')")
    assert page.evaluate("Plotly.version").split(".")[0].isdigit()
    # A session was made and its first frame drawn: step 0, the lecture's 2-8-2 network.
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    expect(page.locator("#step-counter")).to_have_text("0")
    diagram = page.get_by_role("img", name="Network diagram: 2 inputs, 8 hidden units")
    expect(diagram).to_be_visible()
    for view in ["boundary", "network", "equations", "matrices", "curves", "chain-rule"]:
        assert page.locator(f"#{view}").count() == 1, f"no container for the {view} view"
    assert external == [], f"the page fetched from outside this server: {external}"
    screenshot(page, "smoke-1280x720")


def test_frames_arrive_as_binary_messages_and_are_drawn(page, live_server) -> None:
    """The stream sends raw array bytes (no base64) and the page draws them."""
    kinds: list[str] = []

    def watch(ws) -> None:
        ws.on("framereceived", lambda payload: kinds.append(type(payload).__name__))

    page.on("websocket", watch)
    page.goto(live_server.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("1")
    assert "bytes" in kinds, f"no binary frame among the messages received: {kinds}"
    # The boundary was painted from those bytes: its canvas has the grid's size, not 1×1.
    expect(page.locator(".boundary-image")).not_to_have_attribute("width", "1")
