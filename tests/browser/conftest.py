"""Headless Chromium through Playwright, failing any test whose page logs an error.

Playwright cannot download its own browser here, so it drives Debian's `/usr/bin/chromium`.
Without that binary the browser tests skip with one line saying why; under CI=true a
missing browser is a failure, because CI must prove the page works.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module.

    Playwright's sync API runs an asyncio loop in the main thread while it is open; a
    session-wide browser would leave that loop running under the later server tests,
    whose TestClient then cannot start its own ("Already running asyncio in this thread").
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (as root: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one page."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page: object) -> None:
        page.on(
            "console",
            lambda msg: (
                self.messages.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: self.messages.append(f"uncaught: {exc}"))
        page.on(
            "requestfailed",
            lambda req: self.messages.append(f"request failed: {req.url} ({req.failure})"),
        )
        page.on(
            "response",
            lambda res: (
                self.messages.append(f"HTTP {res.status}: {res.url}") if res.status >= 500 else None
            ),
        )


@pytest.fixture()
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture()
def page(browser: object, live_server: object, page_problems: PageProblems) -> Iterator[object]:
    """A fresh 1280×720 page on the live server; fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page_problems.attach(page)
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not page_problems.messages, "the page reported problems:\n" + "\n".join(
        page_problems.messages
    )


def screenshot(page: object, name: str) -> Path:
    """Save a PNG under artifacts/screenshots for people to look at.

    After a scroll, software compositing rasters the newly shown tiles over a few frames
    and a capture taken at once can show them blank: wait for three frames first.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    frame = "requestAnimationFrame"
    page.evaluate(f"() => new Promise((done) => {frame}(() => {frame}(() => {frame}(done))))")
    page.screenshot(path=str(path), full_page=False)
    return path


def session_created_by(page: object, action: Callable[[], object]) -> str:
    """Run `action` (a page load) and return the id of the session the page created."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/sessions") and r.request.method == "POST"
    ) as created:
        action()
    return created.value.json()["id"]
