"""A server restart on the same data directory: the page reconnects to its own session.

The page trains a few steps; the server stops and starts again on the same port with the
same data directory; the page's stream retries the same URL, finds the session under the
same id (loaded before the server accepted connections) and carries on from the same step,
without creating a new session.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.background import BackgroundServer
from server.settings import Settings
from tests.browser.conftest import PageProblems
from tests.browser.test_ux_connection import HANDSHAKE_FAILED, REFUSED


@pytest.fixture()
def page_and_problems(browser: object) -> Iterator[tuple[object, PageProblems]]:
    """A page whose console errors fail the test, but for the refused connections of a
    server that is down."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems = PageProblems()
    problems.attach(page)
    page.set_default_timeout(15_000)
    yield page, problems
    context.close()
    unexpected = [
        m for m in problems.messages if not (HANDSHAKE_FAILED.match(m) or REFUSED.match(m))
    ]
    assert not unexpected, "the page reported problems:\n" + "\n".join(unexpected)


def test_the_page_carries_on_after_a_server_restart(page_and_problems, tmp_path: Path) -> None:
    page, _ = page_and_problems
    settings = Settings(data_dir=str(tmp_path))
    created: list[str] = []
    page.on(
        "request",
        lambda r: (
            created.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/sessions")
            else None
        ),
    )
    first = BackgroundServer(settings)
    port = first.port
    with first:
        page.goto(first.url + "/#dataset=moons&hidden=5")
        connection = page.locator("#connection")
        expect(connection).to_have_attribute("data-status", "open")
        page.wait_for_function("window.Plotly !== undefined")
        for n in (1, 2, 3):
            page.keyboard.press("ArrowRight")
            expect(page.locator("#step-counter")).to_have_text(str(n))
        session_id = first.app.state.store.sessions()[0].id
    assert len(created) == 1
    expect(page.locator("#banner")).to_contain_text("The server is not reachable", timeout=8_000)

    with BackgroundServer(settings, port=port) as second:
        assert session_id in second.app.state.store
        expect(connection).to_have_attribute("data-status", "open", timeout=15_000)
        expect(page.locator("#banner")).to_be_hidden()
        expect(page.locator("#step-counter")).to_have_text("3")
        page.keyboard.press("ArrowRight")
        expect(page.locator("#step-counter")).to_have_text("4")
        store = second.app.state.store
        assert [s.id for s in store.sessions()] == [session_id]
        assert store.get(session_id).trainer.step == 4
    assert len(created) == 1, f"the page started a new session: {created}"
