"""The comparison page: runs from the same start, with another η, side by side; and the
lab's own "Compare runs" link, followed as a person follows it."""

import numpy as np
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_timeline import (
    open_branch_form,
    open_lab,
    paused_in_the_past,
    play_until,
)


def make_runs(page, live_server) -> tuple[str, str, str]:
    """A run of 600 steps (η = 0.1), and two branches of it at step 200 trained to 600:
    one with η = 1 and one with η = 0.01, each set by the branch request itself."""
    base = f"{live_server.url}/api/sessions"
    original = page.request.post(base, data={}).json()["id"]
    page.request.post(f"{base}/{original}/step", data={"steps": 500})
    page.request.post(f"{base}/{original}/step", data={"steps": 100})
    branches = []
    for rate in (1.0, 0.01):
        answer = page.request.post(
            f"{base}/{original}/branch",
            data={"step": 200, "config": {"train": {"learning_rate": rate}}},
        )
        assert answer.status == 201, answer.text()
        assert answer.json()["step"] == 200
        branch = answer.json()["id"]
        page.request.post(f"{base}/{branch}/step", data={"steps": 400})
        branches.append(branch)
    return original, *branches


def boundary_of(panel) -> np.ndarray:
    """The heatmap a boundary panel draws (the likeliest class and how sure), as plotted."""
    z = panel.locator(".compare-plot").evaluate("e => e.data[0].z")
    return np.array(z, dtype=float)


def test_three_runs_side_by_side_and_the_link_reopens_them(page, live_server) -> None:
    runs = make_runs(page, live_server)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server.url}/compare?runs={','.join(runs)}")
    names = page.locator("#compare-runs")
    expect(names).to_contain_text("A · η = 0.1", timeout=15_000)  # two cores, many tests
    expect(names).to_contain_text("B · η = 1")
    expect(names).to_contain_text("C · η = 0.01")
    panels = page.locator(".compare-boundary")
    expect(panels).to_have_count(3, timeout=15_000)
    for i in range(3):
        expect(panels.nth(i)).to_have_attribute("data-step", "600", timeout=15_000)
    # one line per run on each chart, each with every history row of its run
    base = f"{live_server.url}/api/sessions"
    rows = [page.request.get(f"{base}/{sid}/history").json()["rows"] for sid in runs]
    for chart in ("compare-loss", "compare-accuracy"):
        lines = page.evaluate(
            f"document.getElementById('{chart}').data.map(t => [t.name, t.x.length])"
        )
        assert [n for _, n in lines] == rows, chart
        assert [name[0] for name, _ in lines] == ["A", "B", "C"]
    # at step 600 the runs have learnt differently: three different boundaries
    at_600 = [boundary_of(panels.nth(i)) for i in range(3)]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert not np.array_equal(at_600[i], at_600[j]), (i, j)
    screenshot(page, "compare-1920x1080")

    page.locator("#compare-step").fill("300")
    for i in range(3):
        expect(panels.nth(i)).to_have_attribute("data-step", "300")
    for i, sid in enumerate(runs):
        accuracy = page.request.get(f"{base}/{sid}", params={"step": 300}).json()["metrics"][
            "test_accuracy"
        ]
        expect(panels.nth(i).locator("h2")).to_contain_text(f"{100 * accuracy:.1f} %")
    assert "step=300" in page.url
    # at the branch point the three are one network: the same boundary
    page.locator("#compare-step").fill("200")
    for i in range(3):
        expect(panels.nth(i)).to_have_attribute("data-step", "200")
    at_200 = [boundary_of(panels.nth(i)) for i in range(3)]
    assert np.array_equal(at_200[0], at_200[1]) and np.array_equal(at_200[0], at_200[2])

    page.locator("#compare-step").fill("300")
    expect(panels.nth(2)).to_have_attribute("data-step", "300")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.reload()
    expect(page.locator("#compare-step")).to_have_value("300")
    expect(panels).to_have_count(3)
    for i in range(3):
        expect(panels.nth(i)).to_have_attribute("data-step", "300")
    screenshot(page, "compare-1280x720")


def test_the_labs_compare_link_opens_the_runs_at_the_newest_step(
    page, live_server, page_problems
) -> None:
    """Branch in the lab with η = 1, train the branch on, click "Compare runs": the
    comparison opens in a new tab at the branch's newest step, where the runs differ."""
    original = open_lab(page, live_server)
    paused_in_the_past(page, 300, 100)
    form = open_branch_form(page)
    form.get_by_label("η").fill("1")
    form.get_by_role("button", name="Branch", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("Branched at step 100 with η = 1")
    expect(page.locator("#timeline")).to_have_attribute("data-mode", "live")
    expect(page.locator("#step-counter")).to_have_text("100")
    branch = page.evaluate("window.backpropLab.sessionId()")
    assert branch != original
    play_until(page, 180)
    page.get_by_role("button", name="Pause").click()
    base = f"{live_server.url}/api/sessions"
    page.wait_for_function(
        "Number(document.querySelector('#step-counter').textContent)"
        " === window.backpropLab.lastFrame().timeline.now"
    )
    newest = page.request.get(f"{base}/{branch}").json()["step"]
    expect(page.locator("#step-counter")).to_have_text(str(newest))
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Compare runs").click()
    compare = opened.value
    page_problems.attach(compare)
    compare.set_default_timeout(15_000)
    expect(compare.locator("#compare-runs")).to_contain_text("B · η = 1", timeout=15_000)
    panels = compare.locator(".compare-boundary")
    expect(panels).to_have_count(2, timeout=15_000)
    for i in range(2):
        expect(panels.nth(i)).to_have_attribute("data-step", str(newest), timeout=15_000)
    expect(compare.locator("#compare-step")).to_have_value(str(newest))
    assert not np.array_equal(boundary_of(panels.nth(0)), boundary_of(panels.nth(1)))
    assert f"runs={original},{branch}" in compare.url


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
