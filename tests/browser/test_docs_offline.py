"""`/docs` renders every API operation in a browser that can reach nothing but this server."""

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import screenshot

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def test_docs_render_with_the_network_cut_off(page, live_server) -> None:
    outside: list[str] = []
    local: list[str] = []

    def only_this_machine(route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in {"data", "blob"} or urlsplit(url).hostname in LOCAL_HOSTS:
            local.append(url)
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_this_machine)
    spec = page.request.get(live_server.url + "/openapi.json").json()
    operations = sum(method in HTTP_METHODS for item in spec["paths"].values() for method in item)

    page.goto(live_server.url + "/docs")
    expect(page.locator(".information-container .title")).to_contain_text("Backprop Lab")
    create = page.locator(".opblock-post .opblock-summary-path[data-path='/api/sessions']")
    expect(create).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(operations)
    assert operations >= 10, spec["paths"].keys()
    assert any(url.endswith("/swagger-ui-bundle.js") for url in local), local  # routed
    screenshot(page, "docs_offline")

    # The page is live, not just drawn: run a request through it.
    health = page.locator(".opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/api/health']")
    )
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")

    assert outside == [], f"/docs tried to fetch from outside this server: {outside}"
