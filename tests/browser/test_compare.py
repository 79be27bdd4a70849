"""The comparison page: two runs from the same start, one with another η, side by side."""

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def make_runs(page, live_server) -> tuple[str, str]:
    """A run of 600 steps, and a branch of it at step 200 trained to 600 with η = 1."""
    base = f"{live_server.url}/api/sessions"
    original = page.request.post(base, data={}).json()["id"]
    page.request.post(f"{base}/{original}/step", data={"steps": 500})
    page.request.post(f"{base}/{original}/step", data={"steps": 100})
    branch = page.request.post(f"{base}/{original}/branch", data={"step": 200}).json()["id"]
    assert page.request.patch(
        f"{base}/{branch}/config", data={"train": {"learning_rate": 1.0}}
    ).ok
    page.request.post(f"{base}/{branch}/step", data={"steps": 400})
    return original, branch


def test_two_runs_side_by_side_and_the_link_reopens_them(page, live_server) -> None:
    original, branch = make_runs(page, live_server)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/compare?runs={original},{branch}")
    runs = page.locator("#compare-runs")
    expect(runs).to_contain_text("A · η = 0.1")
    expect(runs).to_contain_text("B · η = 1")
    panels = page.locator(".compare-boundary")
    expect(panels).to_have_count(2)
    for i in range(2):
        expect(panels.nth(i)).to_have_attribute("data-step", "600")
    # one loss line per run, each with every history row of its run
    lines = page.evaluate(
        "document.getElementById('compare-loss').data.map(t => [t.name, t.x.length])"
    )
    base = f"{live_server.url}/api/sessions"
    rows = [page.request.get(f"{base}/{sid}/history").json()["rows"] for sid in (original, branch)]
    assert [n for _, n in lines] == rows
    assert lines[0][0].startswith("A") and lines[1][0].startswith("B")
    screenshot(page, "compare-1920x1080")

    page.locator("#compare-step").fill("300")
    for i in range(2):
        expect(panels.nth(i)).to_have_attribute("data-step", "300")
    for i, sid in enumerate((original, branch)):
        accuracy = page.request.get(f"{base}/{sid}", params={"step": 300}).json()["metrics"][
            "test_accuracy"
        ]
        expect(panels.nth(i).locator("h2")).to_contain_text(f"{100 * accuracy:.1f} %")
    assert "step=300" in page.url

    page.set_viewport_size({"width": 1280, "height": 720})
    page.reload()
    expect(page.locator("#compare-step")).to_have_value("300")
    expect(panels.nth(1)).to_have_attribute("data-step", "300")
    screenshot(page, "compare-1280x720")


def test_a_missing_run_is_named(page, live_server, page_problems) -> None:
    base = f"{live_server.url}/api/sessions"
    one = page.request.post(base, data={}).json()["id"]
    page.goto(f"{live_server.url}/compare?runs={one},nosuchsession")
    expect(page.locator("#compare-status")).to_contain_text("Run B")
    expect(page.locator("#compare-status")).to_contain_text("nosuchsession")
    # The browser logs the refused request (404) itself; that one is expected.
    expected = [m for m in page_problems.messages if "404" in m]
    assert len(expected) == 1, page_problems.messages
    page_problems.messages.remove(expected[0])
    page.goto(f"{live_server.url}/compare?runs={one}")
    expect(page.locator("#compare-status")).to_contain_text("two or three runs")
