"""A stream that cannot connect is said in plain words, retried, and recovered from.

Two ways it fails in real life, both reproduced on loopback:
- the server runs but refuses WebSocket upgrades (an install without a WebSocket library,
  which answers the stream route 404, or a proxy that blocks upgrades);
- the server goes away mid-lesson (closed laptop lid, Ctrl+C) and comes back.
The browser logs each failed handshake as a console error of its own; those, and only
those, are expected here: any other console error still fails the test.
"""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from server.background import BackgroundServer
from tests.browser.conftest import PageProblems, screenshot

HANDSHAKE_FAILED = re.compile(r"^console\.error: WebSocket connection to 'ws://127\.0\.0\.1:\d+/")
# While the server is down, the page's HTTP requests (the health probe, a history reload)
# are refused too; the browser logs each.
REFUSED = re.compile(
    r"^(request failed: http://127\.0\.0\.1:\d+/api/\S+ \(net::ERR_CONNECTION_REFUSED\)"
    r"|console\.error: Failed to load resource: net::ERR_CONNECTION_REFUSED)$"
)


@pytest.fixture()
def open_page(browser: object) -> Iterator[tuple[object, PageProblems, list[re.Pattern]]]:
    """A page whose console errors fail the test, but for those the test says to expect."""
    expected = [HANDSHAKE_FAILED]
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.set_default_timeout(15_000)
    yield page, problems, expected
    context.close()
    unexpected = [m for m in problems.messages if not any(e.match(m) for e in expected)]
    assert not unexpected, "the page reported problems:\n" + "\n".join(unexpected)


def test_server_without_websockets_is_explained_within_seconds_and_retried(open_page) -> None:
    page, problems, _ = open_page
    attempts: list[str] = []
    page.on("websocket", lambda ws: attempts.append(ws.url))
    with BackgroundServer(ws="none") as server:
        page.goto(server.url + "/")
        banner = page.locator("#banner")
        # The page says what is wrong within a few seconds (the grace is 3 s; allow 6 s).
        expect(banner).to_contain_text("No connection", timeout=6_000)
        expect(banner).to_contain_text("refuses the WebSocket")
        expect(banner).to_contain_text("make run")
        expect(page.locator("#connection")).to_have_attribute("data-status", "failing")
        screenshot(page, "connection-refused-1280x720")
        # It keeps trying, with a growing delay: 0.25 + 0.5 + 1 + 2 s covers five attempts.
        page.wait_for_timeout(4_000)
        assert len(attempts) >= 4, f"only {len(attempts)} attempts to connect: {attempts}"
        assert all("/stream" in url for url in attempts)
        # "Retry now" tries at once, without waiting out the back-off.
        before = len(attempts)
        page.get_by_role("button", name="Retry now").click()
        page.wait_for_timeout(500)
        assert len(attempts) > before, "Retry now did not try again"
    assert any(HANDSHAKE_FAILED.match(m) for m in problems.messages), (
        "no failed handshake was logged: the stream was not refused as this test intends"
    )


def test_server_gone_then_back_says_so_and_carries_on(open_page) -> None:
    page, _, expected = open_page
    expected.append(REFUSED)
    first = BackgroundServer()
    port = first.port
    with first:
        page.goto(first.url + "/")
        expect(page.locator("#connection")).to_have_attribute("data-status", "open")
        expect(page.locator("#step-counter")).to_have_text("0")
        page.wait_for_function("window.Plotly !== undefined")  # the page is wholly loaded
    # The server stopped: the page says the server is unreachable, not just "reconnecting".
    banner = page.locator("#banner")
    expect(banner).to_contain_text("The server is not reachable", timeout=8_000)
    expect(banner).to_contain_text("reconnects by itself")
    # The server comes back on the same address: the page reconnects on its own (the old
    # session died with the process, so it starts a new one from the link), the banner goes,
    # and training works.
    with BackgroundServer(port=port):
        expect(page.locator("#connection")).to_have_attribute("data-status", "open", timeout=15_000)
        expect(banner).to_be_hidden()
        page.keyboard.press("ArrowRight")
        expect(page.locator("#step-counter")).to_have_text("1")


def test_a_slow_session_start_is_not_blamed_on_the_stream(open_page, live_server) -> None:
    """A busy server answers the first request late: that is no WebSocket problem."""
    page, _, _ = open_page

    def late(route) -> None:
        time.sleep(4)  # longer than the stream's 3 s grace
        route.continue_()

    page.route("**/api/sessions", late)
    page.goto(live_server.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open", timeout=15_000)
    page.wait_for_timeout(3_500)  # past the grace, counted from the stream's first attempt
    expect(page.locator("#banner")).to_be_hidden()


def test_a_refused_session_start_keeps_the_link_and_tries_again(open_page, live_server) -> None:
    """A server that cannot make a session now (503: full) is asked again with the same link."""
    page, _, expected = open_page
    expected.append(re.compile(r"^(console\.error: Failed to load resource: .* 503 |HTTP 503: )"))
    refusals = []

    def full(route) -> None:
        refusals.append(route.request.url)
        body = '{"detail": "The server holds its maximum of sessions; try again soon."}'
        route.fulfill(status=503, content_type="application/json", body=body)

    page.route("**/api/sessions", full)
    link = live_server.url + "/#dataset=moons&classes=2"
    page.goto(link)
    banner = page.locator("#banner")
    expect(banner).to_contain_text("maximum of sessions")
    expect(banner).to_contain_text("Trying again")
    expect(banner).not_to_contain_text("refuses the WebSocket")
    assert "dataset=moons" in page.evaluate("location.hash"), "the link's setup was dropped"
    page.unroute("**/api/sessions")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open", timeout=15_000)
    expect(banner).to_be_hidden()
    expect(page.get_by_label("Dataset")).to_have_value("moons")
    assert len(refusals) >= 1
