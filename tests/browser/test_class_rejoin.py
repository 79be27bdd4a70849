"""A follower who reloads, or whose Wi-Fi drops, rejoins the class live.

Not a replay of the frames missed: the first frame drawn after rejoining is the lecturer's
newest (at least the step the lecturer's page showed when the follower left or came back),
and the follower goes on live from there. A dropped network is simulated twice, with the
follower's stream routed through the test so that it can go silent while its socket still
looks open (a half-open TCP connection after a Wi-Fi drop): once with the browser told it
is offline and back online (the page replaces the socket at once), once without (the page
notices that the server, which sends something at least every 3 s, has gone quiet).

How long each rejoin took is printed, not asserted: the machine is shared.
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_class import browser, open_class, open_follower  # noqa: F401
from tests.browser.test_page_training import open_lab

# Every frame a page draws, with when (performance.now(), ms since the page's navigation),
# and the browser's offline/online events: polled once per animation frame, which sees
# every frame drawn (the stream hands over at most one per animation frame).
FRAME_LOG = """
window.__frames = [];
window.__network = [];
addEventListener("offline", () => __network.push(["offline", performance.now()]));
addEventListener("online", () => __network.push(["online", performance.now()]));
(function poll() {
  const frame = window.backpropLab?.lastFrame?.();
  if (frame && frame !== window.__lastFrame) {
    window.__lastFrame = frame;
    __frames.push({ step: frame.step, seq: frame.seq, at: performance.now() });
  }
  requestAnimationFrame(poll);
})();
"""
LECTURER_STEP = "window.backpropLab.lastFrame().step"
STREAM = re.compile(r"/api/classes/\d+/stream$")


def live_frame_after(page, logged: int, step: int, timeout: float = 15_000) -> dict:
    """The first frame drawn after the first `logged` ones; waits for one at `step` or
    later, and returns the first one drawn (which must be it: no replay of older ones)."""
    page.wait_for_function(
        "([n, step]) => __frames.slice(n).some((f) => f.step >= step)",
        arg=[logged, step],
        timeout=timeout,
    )
    return page.evaluate("(n) => __frames[n]", logged)


def test_a_reloaded_follower_shows_the_live_step_not_a_replay(
    browser,  # noqa: F811
    live_server,
    page,
    page_problems,
) -> None:
    lecturer = page
    open_lab(lecturer, live_server, "#fps=10")
    code = open_class(lecturer)
    context, follower = open_follower(browser, live_server, code, page_problems)
    follower.add_init_script(FRAME_LOG)  # from the next load on
    lecturer.get_by_role("button", name="Play").click()
    lecturer.wait_for_function(f"{LECTURER_STEP} > 40")

    left_at = lecturer.evaluate(LECTURER_STEP)
    follower.reload()
    expect(follower.locator("#follow-bar")).to_contain_text("Following the lecturer")
    first = live_frame_after(follower, 0, left_at)
    assert first["step"] >= left_at, f"the reloaded page began at {first}, before {left_at}"
    print(f"reloaded follower: first frame (step {first['step']}) {first['at']:.0f} ms after load")
    # and it goes on live, read-only
    follower.wait_for_function("(s) => __frames.at(-1).step > s", arg=first["step"])
    expect(follower.get_by_role("button", name="Play", exact=True)).to_be_disabled()
    lecturer.get_by_role("button", name="Pause").click()
    context.close()


def test_a_follower_whose_network_drops_rejoins_the_live_class(
    browser,  # noqa: F811
    live_server,
    page,
    page_problems,
) -> None:
    lecturer = page
    open_lab(lecturer, live_server, "#fps=10")
    code = open_class(lecturer)

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    follower = context.new_page()
    page_problems.attach(follower)
    follower.set_default_timeout(15_000)
    links: list[dict] = []  # one per socket the page opened: {"dead": bool}

    def relay(socket) -> None:
        server = socket.connect_to_server()
        link = {"dead": False}
        links.append(link)
        server.on_message(lambda message: None if link["dead"] else socket.send(message))
        socket.on_message(lambda message: None if link["dead"] else server.send(message))

    follower.route_web_socket(STREAM, relay)
    follower.add_init_script(FRAME_LOG)
    follower.goto(f"{live_server.url}/join/{code}")
    expect(follower.locator("#follow-bar")).to_contain_text("Following the lecturer")
    lecturer.get_by_role("button", name="Play").click()
    follower.wait_for_function("__frames.length && __frames.at(-1).step > 20")
    assert len(links) == 1

    # 1. The Wi-Fi drops for a while and comes back: nothing passes the old socket any more,
    # though it still looks open; back online, the page replaces it at once.
    links[0]["dead"] = True
    context.set_offline(True)
    follower.wait_for_timeout(3_000)
    frozen = follower.evaluate("__frames.length")
    back_at = lecturer.evaluate(LECTURER_STEP)
    context.set_offline(False)
    first = live_frame_after(follower, frozen, back_at)
    assert first["step"] >= back_at, f"after the drop it drew {first}, older than {back_at}"
    assert len(links) == 2, "the page went on with the dead socket"
    online = follower.evaluate("__network.filter(([what]) => what === 'online').at(-1)[1]")
    print(f"back online: the live frame (step {first['step']}) {first['at'] - online:.0f} ms later")
    expect(follower.locator("#connection")).to_have_attribute("data-status", "open")
    screenshot(follower, "class-follower-rejoined-1280x720")

    # 2. The socket goes silent with no word from the browser: the page hears nothing for
    # a few seconds (the server sends something every 3 s at the least) and reconnects.
    links[1]["dead"] = True
    dropped_at = follower.evaluate("performance.now()")
    follower.wait_for_timeout(1_000)  # the frames already relayed are drawn
    dropped = follower.evaluate("[__frames.length, performance.now()]")
    silent_at = lecturer.evaluate(LECTURER_STEP)
    first = live_frame_after(follower, dropped[0], silent_at, timeout=30_000)
    assert first["step"] >= silent_at
    assert len(links) == 3, "the page went on with the silent socket"
    print(
        f"silent socket: the live frame (step {first['step']}) {first['at'] - dropped_at:.0f} ms"
        " after it went silent"
    )
    follower.wait_for_function("(s) => __frames.at(-1).step > s", arg=first["step"])
    lecturer.get_by_role("button", name="Pause").click()
    context.close()
    # a request the page made while offline failed, and the browser said so: expected
    page_problems.messages[:] = [
        m for m in page_problems.messages if "ERR_INTERNET_DISCONNECTED" not in m
    ]
