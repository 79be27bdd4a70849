"""A stream that cannot connect is said in plain words, retried, and recovered from.

Two ways it fails in real life, both reproduced on loopback:
- the server runs but refuses WebSocket upgrades (an install without a WebSocket library,
  which answers the stream route 404, or a proxy that blocks upgrades);
- the server goes away mid-lesson (closed laptop lid, Ctrl+C) and comes back.
The browser logs each failed handshake as a console error of its own; those, and only
those, are expected here: any other console error still fails the test.
"""

import re
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
