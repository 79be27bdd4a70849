"""Class mode as a lecture uses it: one lecturer's page, three students' pages.

Each page is its own browser context (its own cookies and storage, as separate devices).
The followers must show what the lecturer shows — step, phase, traced example, tab —
within about a frame, while the lecturer steps phase by phase and while playing; they
can change nothing; "Make it mine" gives a student an independent session; closing the
class ends their views.
"""

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PageProblems, screenshot
from tests.browser.test_page_training import open_lab

# What a page shows: the frame drawn (its seq, the same bytes on every page of the class),
# the step, the phase on the step card (none between steps) and the traced example.
SHOWN = """(() => {
  const f = window.backpropLab.lastFrame();
  const card = document.querySelector("#step-card");
  return f && {
    seq: f.seq, step: Number(document.querySelector("#step-counter").textContent),
    phase: card.hidden ? null : card.dataset.phase, trace: f.trace?.index ?? null,
  };
})()"""
SAME_AS = f"(want) => JSON.stringify({SHOWN}) === JSON.stringify(want)"
# The lecturer's page has drawn its newest frame: its count of frames drawn stood still
# for one polling interval (four pages share two cores here: a frame may be on its way).
SETTLED = (
    "(() => { const n = window.backpropLab.stats.frames;"
    " const same = window.__framesSeen === n; window.__framesSeen = n; return same; })()"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium as four devices: each page draws as if it were in front (in one browser,
    the pages behind would otherwise be throttled and show old frames)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires the browser tests: {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    args = [
        *CHROMIUM_ARGS,
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield chromium
        chromium.close()


def open_follower(browser, live_server, code: str, problems: PageProblems):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems.attach(page)
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/join/{code}")
    expect(page.locator("#follow-bar")).to_contain_text("Following the lecturer")
    expect(page.locator("#network .node").first).to_be_visible()
    return context, page


def open_class(lecturer) -> str:
    lecturer.get_by_role("button", name="Class").click()
    lecturer.get_by_role("button", name="Open a class on this network").click()
    code = lecturer.locator("#class-code")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(lecturer.locator("#class-qr svg")).to_be_visible()
    screenshot(lecturer, "class-dialog-1280x720")
    value = code.inner_text().replace(" ", "")
    lecturer.get_by_role("button", name="Done").click()
    return value


def same_as_lecturer(lecturer, followers) -> None:
    """Every follower shows the lecturer's frame — the same seq, step, phase and traced
    example — before the lecturer's page draws another: read once the lecturer settled,
    then read again after every follower has caught up, it must not have moved on."""
    lecturer.wait_for_function(SETTLED, polling=300)
    shown = lecturer.evaluate(SHOWN)
    for page in followers:
        page.wait_for_function(SAME_AS, arg=shown)
    assert lecturer.evaluate(SHOWN) == shown, "the lecturer drew a newer frame meanwhile"


def shown_alike(lecturer, followers, selector: str) -> str:
    """Every follower's `selector` reads as the lecturer's (once the lecturer's settled)."""
    lecturer.wait_for_function(SETTLED, polling=300)
    text = lecturer.locator(selector).text_content()
    for page in followers:
        expect(page.locator(selector)).to_have_text(text)
    return text


def playing_in_step(lecturer, followers, steps_per_frame: int, samples: int = 8) -> list[int]:
    """While the lecturer plays, each follower shows a step within one frame's advance of
    the lecturer's page: read between two reads of the lecturer's (its step may advance
    while the follower is read), a follower may lag or lead it by at most one frame.

    The pages are read one after another, not at one instant: a renderer busy for a moment
    when read (four pages on two shared cores) is not a lag, so a deviation must persist
    over five fresh reads, 0.1 s apart, to fail. Returns the lags (in steps) of the reads
    that passed."""
    lags = []
    step = "window.backpropLab.lastFrame().step"
    for _ in range(samples):
        for page in followers:
            reads = []
            for _ in range(5):
                before = lecturer.evaluate(step)
                shown = page.evaluate(step)
                after = lecturer.evaluate(step)
                reads.append((before, shown, after))
                if before - steps_per_frame <= shown <= after + steps_per_frame:
                    lags.append(before - shown)
                    break
                page.wait_for_timeout(100)
            else:
                raise AssertionError(
                    f"a follower is more than a frame ({steps_per_frame} steps) off the"
                    f" lecturer in five reads (lecturer before, follower, lecturer after): {reads}"
                )
        lecturer.wait_for_timeout(200)
    return lags


def test_a_lecture_with_three_followers(browser, live_server, page, page_problems) -> None:
    lecturer = page
    # 10 frames/s in play: four pages share two cores here, each must draw every frame
    session_id = open_lab(lecturer, live_server, "#fps=10")
    code = open_class(lecturer)
    followers, contexts = [], []
    for _ in range(3):
        context, follower = open_follower(browser, live_server, code, page_problems)
        contexts.append(context)
        followers.append(follower)
    expect(lecturer.get_by_role("button", name="Class · 3")).to_be_visible()
    same_as_lecturer(lecturer, followers)

    # phase by phase: each follower shows each of the lecturer's frames before the next
    lecturer.locator("#boundary-title").click()
    for phase in ("forward", "loss", "backward", "update", "forward"):
        lecturer.keyboard.press("Shift+ArrowRight")
        expect(lecturer.locator("#step-card")).to_have_attribute("data-phase", phase)
        same_as_lecturer(lecturer, followers)
    for phase in ("loss", "backward", "update"):
        lecturer.keyboard.press("Shift+ArrowRight")
        expect(lecturer.locator("#step-card")).to_have_attribute("data-phase", phase)
    same_as_lecturer(lecturer, followers)
    screenshot(followers[0], "class-follower-update-1280x720")

    # the configuration: a new η reaches the followers' equations, step card and sidebar
    rate = lecturer.get_by_label("Learning rate η")
    rate.fill("0.05")
    rate.press("Enter")
    update = "#equations section.eq-section[data-phase='update']"
    expect(lecturer.locator(update)).to_contain_text("η = 0.05")
    shown_alike(lecturer, followers, update)
    for follower in followers:
        expect(follower.get_by_label("Learning rate η")).to_have_value("0.05")
    lecturer.locator("#boundary-title").click()  # the keys step again, not the η field
    for phase in ("forward", "loss", "backward", "update"):
        lecturer.keyboard.press("Shift+ArrowRight")
        expect(lecturer.locator("#step-card")).to_have_attribute("data-phase", phase)
    expect(lecturer.locator("#step-card")).to_contain_text("η = 0.05")
    same_as_lecturer(lecturer, followers)
    shown_alike(lecturer, followers, "#step-card")
    # … and the activation, the network's column labels
    lecturer.locator("select[data-prop='activation']").select_option("tanh")
    expect(lecturer.locator("#network .column-label").nth(1)).to_contain_text("tanh")
    labels = "[...document.querySelectorAll('#network .column-label')].map((e) => e.textContent)"
    wanted = lecturer.evaluate(labels)
    assert any("tanh" in label for label in wanted), wanted
    for follower in followers:
        follower.wait_for_function(f"(want) => JSON.stringify({labels}) === JSON.stringify(want)",
                                   arg=wanted)  # fmt: skip
    for follower in followers:
        expect(follower.locator("select[data-prop='activation']")).to_have_value("tanh")
    same_as_lecturer(lecturer, followers)
    screenshot(followers[2], "class-follower-config-1280x720")

    # the sign convention and the layout the lecturer chooses
    panel = lecturer.locator("#equations")
    panel.get_by_label("J = log P, ascent").check()
    delta_o = "#equations [role=group][aria-label='δ^(o)']"
    expect(lecturer.locator(delta_o)).to_contain_text("y − o")
    panel.get_by_label("column vector").check()
    expect(lecturer.locator("#equations").get_by_label("column vector")).to_be_checked()
    for follower in followers:
        expect(follower.locator("#equations").get_by_label("J = log P, ascent")).to_be_checked()
        expect(follower.locator("#equations").get_by_label("column vector")).to_be_checked()
    shown_alike(lecturer, followers, "#equations")
    same_as_lecturer(lecturer, followers)

    # another traced example: the lecturer clicks a point
    point = lecturer.locator("#boundary .scatterlayer .trace").nth(1).locator(".point").nth(2)
    box = point.bounding_box()
    lecturer.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lecturer.wait_for_function("(window.backpropLab.lastFrame().trace?.index ?? 0) !== 0")
    same_as_lecturer(lecturer, followers)

    # and the tab
    lecturer.get_by_role("tab", name="Matrices & delta maps").click()
    for follower in followers:
        expect(follower.get_by_role("tab", name="Matrices & delta maps")).to_have_attribute(
            "aria-selected", "true"
        )

    # while playing: sampled, every follower is within a frame of the lecturer (on the
    # chain-rule tab, which draws nothing per frame: the pages' drawing is what is timed)
    lecturer.get_by_role("tab", name="Chain-rule lab").click()
    speed = int(lecturer.locator("#speed").input_value())
    lecturer.get_by_role("button", name="Play").click()
    lecturer.wait_for_function("window.backpropLab.lastFrame().step > 60")
    lags = playing_in_step(lecturer, followers, speed)
    print(f"followers' lag behind the lecturer while playing, in steps: {sorted(lags)}")
    lecturer.get_by_role("button", name="Pause").click()
    same_as_lecturer(lecturer, followers)
    screenshot(followers[1], "class-follower-1280x720")

    # a follower can change nothing: every control is disabled or unreachable …
    student = followers[0]
    for name in ("Play", "Step", "Phase", "Reset", "Branch here"):
        expect(student.get_by_role("button", name=name, exact=True)).to_be_disabled()
    assert student.locator("#sidebar").evaluate("e => e.inert")
    assert student.locator("#boundary").evaluate("e => e.inert")
    # what is left to click only changes this page's own display, or leaves the class (the
    # chain-rule lab's inputs are a calculator of its own, apart from any session)
    enabled = student.evaluate(ENABLED_CONTROLS)
    assert set(enabled) <= {"present", "make-it-mine", "modebar-btn"}, enabled
    before = lecturer.evaluate(SHOWN)
    points = server_state(lecturer, live_server, session_id)["dataset"]["y_train"]["shape"]
    student.keyboard.press("Space")
    student.keyboard.press("ArrowRight")
    student.keyboard.press("Shift+ArrowRight")
    box = student.locator("#boundary").bounding_box()
    for dx, dy in ((0.5, 0.5), (0.3, 0.6)):
        student.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
        student.keyboard.down("Shift")  # Shift+click adds a point on a page of one's own
        student.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
        student.keyboard.up("Shift")
    # … and the join code is no key to the session: every route and command is refused
    logged = len(page_problems.messages)
    refused = student.evaluate(REFUSALS, code)
    for what, status in refused.items():
        assert 400 <= status < 500, f"{what} from a follower answered {status}"
    assert refused["class stream: step"] == 403
    student.wait_for_timeout(500)  # anything sent would have been drawn by now
    # the browser logs each refused request: those are expected here, and only those
    expected = page_problems.messages[logged:]
    assert all(REFUSED_LOG.search(m) for m in expected), expected
    assert len(expected) <= len(refused)
    del page_problems.messages[logged:]
    assert lecturer.evaluate(SHOWN) == before
    assert student.evaluate(SHOWN) == before
    after = server_state(lecturer, live_server, session_id)
    assert after["step"] == before["step"]
    assert after["dataset"]["y_train"]["shape"] == points

    # "Make it mine": an independent session from exactly here
    student.get_by_role("button", name="Make it mine").click()
    expect(student.locator("#follow-bar")).to_be_hidden()
    expect(student.get_by_role("button", name="Step", exact=True)).to_be_enabled()
    student.get_by_role("button", name="Step", exact=True).click()
    expect(student.locator("#step-counter")).to_have_text(str(before["step"] + 1))
    assert lecturer.evaluate(SHOWN)["step"] == before["step"]  # the lecturer's is untouched
    expect(lecturer.get_by_role("button", name="Class · 2")).to_be_visible()

    # closing the class ends the other followers' views
    lecturer.get_by_role("button", name="Class · 2").click()
    lecturer.get_by_role("button", name="Close the class").click()
    for follower in followers[1:]:
        bar = follower.locator("#follow-bar")
        expect(bar).to_contain_text("The class has ended", timeout=5_000)
        expect(follower.get_by_role("link", name="Start your own network")).to_be_visible()
    screenshot(followers[1], "class-ended-1280x720")
    for context in contexts:
        context.close()


def server_state(page, live_server, session_id: str) -> dict:
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}")
    assert answer.ok
    return answer.json()


REFUSED_LOG = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")

# The controls on a page a click could reach: enabled, shown, and not in an inert part.
ENABLED_CONTROLS = """[...document.querySelectorAll("input, select, button, textarea")]
  .filter((e) => !e.disabled && !e.closest("[inert], #chain-rule") && e.offsetParent !== null)
  .map((e) => e.id || e.className)"""


# From a follower's page: each route that changes (or reads) a session, asked with the
# join code in place of the session id, and the class stream asked to step; the status of
# each answer (a socket's close code 44xx counts as its 4xx).
REFUSALS = """async (code) => {
  const statuses = {};
  const json = { "content-type": "application/json" };
  const asks = [
    ["GET", `/api/sessions/${code}`], ["DELETE", `/api/sessions/${code}`],
    ["PATCH", `/api/sessions/${code}/config`, { train: { learning_rate: 1 } }],
    ["POST", `/api/sessions/${code}/step`, { steps: 1 }],
    ["POST", `/api/sessions/${code}/reset`, {}],
    ["POST", `/api/sessions/${code}/points`, { points: [[0, 0, 0]] }],
    ["POST", `/api/sessions/${code}/class`, {}], ["DELETE", `/api/sessions/${code}/class`],
    ["POST", `/api/classes/${code}/step`, { steps: 1 }],
    ["PATCH", `/api/classes/${code}/config`, {}],
    ["DELETE", `/api/classes/${code}`],
  ];
  for (const [method, url, body] of asks) {
    const init = body ? { method, headers: json, body: JSON.stringify(body) } : { method };
    statuses[`${method} ${url}`] = (await fetch(url, init)).status;
  }
  const socket = (path, onOpen) => new Promise((done) => {
    const ws = new WebSocket(`ws://${location.host}${path}`);
    ws.onopen = () => onOpen(ws);
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      const msg = JSON.parse(event.data);
      if (msg.type === "error") { done(msg.status); ws.close(); }
    };
    ws.onclose = (event) => done(event.code >= 4000 ? event.code - 4000 : event.code);
  });
  statuses["session stream with the code"] = await socket(`/api/sessions/${code}/stream`,
    (ws) => ws.send(JSON.stringify({ type: "step", steps: 1 })));
  statuses["class stream: step"] = await socket(`/api/classes/${code}/stream`,
    (ws) => ws.send(JSON.stringify({ type: "step", steps: 1 })));
  return statuses;
}"""


def test_a_wrong_code_asks_again(page, live_server, page_problems) -> None:
    page.goto(f"{live_server.url}/join/12345678")
    expect(page.locator("#class-join-error")).to_contain_text("no open class has this code")
    expected = [m for m in page_problems.messages if "404" in m]
    assert len(expected) == 1, page_problems.messages
    page_problems.messages.remove(expected[0])
    page.locator("#class-join-code").fill("123")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#class-join-error")).to_contain_text("8 digits (got 3)")
