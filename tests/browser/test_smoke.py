"""The page loads in a real browser, offline-capable, with Plotly drawn."""

from tests.browser.conftest import screenshot


def test_page_loads_with_plotly_and_no_errors(page, live_server) -> None:
    external: list[str] = []
    page.on(
        "request",
        lambda req: (
            external.append(req.url)
            if not req.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    page.goto(live_server.url + "/")
    page.wait_for_function("window.Plotly !== undefined && document.querySelector('.main-svg')")
    assert page.evaluate("Plotly.version").split(".")[0].isdigit()
    assert external == [], f"the page fetched from outside this server: {external}"
    screenshot(page, "smoke-1280x720")
