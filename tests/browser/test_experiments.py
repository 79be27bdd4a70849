"""Saved experiments on the page, as a lecturer uses them: Save after some training, then
Open, rename, duplicate, delete; open one and find it exactly as saved; its share link.

What the page shows after opening is checked against the API: the opened session's step
and parameters equal the saved experiment's (its export), and the page's own frame carries
those parameters.
"""

import json
import re

import numpy as np
from playwright.sync_api import expect

from server.encoding import decode_typed_array
from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab

FRAME_PARAMS = """async () => {
  const { decode } = await import("/static/js/typed.js");
  const flat = (spec) => Array.from(decode(spec).data);
  return window.backpropLab.lastFrame().layers.map((l) => [flat(l.W), flat(l.b)]);
}"""


def press_steps(page, n: int, start: int) -> None:
    """→ n times, as a person holding the key; the counter ends exactly n further."""
    page.locator("#boundary-title").click()  # away from any control with arrow keys of its own
    for _ in range(n):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#step-counter")).to_have_text(str(start + n))


def walk_phases(page, *phases: str) -> None:
    """Shift+→ once per phase, each seen on the page before the next (as a lecturer does)."""
    for phase in phases:
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)


def session_params(page, base_url: str, session_id: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """W and b of every layer, as the API has them for the session."""
    answer = page.request.get(f"{base_url}/api/sessions/{session_id}")
    assert answer.ok, answer.text()
    return [
        (decode_typed_array(la["W"]), decode_typed_array(la["b"])) for la in answer.json()["layers"]
    ]


def assert_frame_shows(page, params: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """The page's newest frame carries exactly these parameters."""
    shown = page.evaluate(FRAME_PARAMS)
    assert len(shown) == len(params)
    for (w, b), (fw, fb) in zip(params, shown, strict=True):
        assert np.array_equal(np.array(fw), w.ravel()) and np.array_equal(np.array(fb), b.ravel())


Params = list[tuple[np.ndarray, np.ndarray]]


def saved_params(page, base_url: str, experiment_id: str) -> tuple[int, Params]:
    """The step and W, b of every layer that an experiment holds (from its export)."""
    answer = page.request.get(f"{base_url}/api/experiments/{experiment_id}/export")
    assert answer.ok, answer.text()
    state = answer.json()["state"]
    params = [(np.array(la["W"]), np.array(la["b"])) for la in state["optimizer"]["params"]]
    return state["step"], params


def save_as(page, name: str) -> str:
    """Save through the dialog under `name`; return the share link it shows."""
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save this experiment")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Save", exact=True).click()
    link = dialog.get_by_label("Share link of the saved experiment")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/e/[\w-]+$"))
    return link.input_value()


def open_list(page):
    page.get_by_role("button", name="Open", exact=True).click()
    dialog = page.get_by_role("dialog", name="Saved experiments")
    expect(dialog).to_be_visible()
    return dialog


def item_named(dialog, name: str):
    heading = dialog.page.get_by_role("heading", name=name, exact=True)
    return dialog.locator(".exp-item").filter(has=heading)


def test_save_then_list_rename_duplicate_and_delete(page, live_server) -> None:
    open_lab(page, live_server, "#dataset=spiral&classes=2&hidden=8,8&activation=tanh")
    press_steps(page, 40, 0)

    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save this experiment")
    name = dialog.get_by_label("Name")
    expect(name).to_have_value("spiral · 8,8 tanh · step 40")  # a useful name, ready to edit
    expect(name).to_be_focused()
    screenshot(page, "save-dialog-1280x720")
    name.fill("Spiral after 40 steps")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_contain_text("Saved “Spiral after 40 steps” at step 40.")
    link = dialog.get_by_label("Share link of the saved experiment")
    expect(link).to_have_value(re.compile(rf"^{re.escape(live_server.url)}/e/[\w-]+$"))
    screenshot(page, "save-dialog-saved-1280x720")
    experiment_id = link.input_value().rsplit("/", 1)[1]
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()

    listing = open_list(page)
    item = item_named(listing, "Spiral after 40 steps")
    expect(item).to_contain_text("step 40")
    expect(item).to_contain_text("spiral, 2 classes · 8,8 tanh")
    thumb = item.locator("img.exp-thumb")
    expect(thumb).to_have_attribute("src", f"/api/experiments/{experiment_id}/thumbnail.png")
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=thumb.element_handle())
    screenshot(page, "open-dialog-1280x720")

    # rename in place: Enter keeps the new name, and the server has it
    item = listing.locator(f'[data-id="{experiment_id}"]')  # its heading becomes a field
    item.get_by_role("button", name="Rename").click()
    field = item.get_by_role("textbox")
    expect(field).to_be_focused()
    field.fill("Two-arm spiral, early")
    field.press("Enter")
    expect(item_named(listing, "Two-arm spiral, early")).to_be_visible()
    api = f"{live_server.url}/api/experiments/{experiment_id}"
    assert page.request.get(api).json()["name"] == "Two-arm spiral, early"

    # duplicate: a second experiment, the same step
    item_named(listing, "Two-arm spiral, early").get_by_role("button", name="Duplicate").click()
    copy = item_named(listing, "Two-arm spiral, early (copy)")
    expect(copy).to_contain_text("step 40")
    expect(listing.locator(".exp-item")).to_have_count(2)
    copy_id = copy.get_attribute("data-id")
    assert copy_id != experiment_id

    # delete asks first; "Keep it" keeps it, "Delete for good" deletes it
    copy.get_by_role("button", name="Delete", exact=True).click()
    expect(copy).to_contain_text("Its share link will stop working")
    copy.get_by_role("button", name="Keep it").click()
    expect(listing.locator(".exp-item")).to_have_count(2)
    copy.get_by_role("button", name="Delete", exact=True).click()
    copy.get_by_role("button", name="Delete for good").click()
    expect(listing.locator(".exp-item")).to_have_count(1)
    assert page.request.get(f"{live_server.url}/api/experiments/{copy_id}").status == 404
    assert page.request.get(api).ok
    listing.get_by_role("button", name="Done").click()


def test_opening_an_experiment_shows_it_as_saved_and_play_continues(page, live_server) -> None:
    open_lab(page, live_server, "#dataset=moons&hidden=6&activation=tanh")
    press_steps(page, 25, 0)
    # the view to keep: the matrices tab, edges as gradients, the step walked to its loss phase
    page.get_by_role("tab", name="Matrices & delta maps").click()
    page.get_by_label("gradients ∂J/∂W").check()
    page.locator("#boundary-title").click()
    walk_phases(page, "forward", "loss")
    share = save_as(page, "Moons at the loss")
    experiment_id = share.rsplit("/", 1)[1]
    save_dialog = page.get_by_role("dialog", name="Save this experiment")
    save_dialog.get_by_role("button", name="Done").click()
    view = page.request.get(f"{live_server.url}/api/experiments/{experiment_id}").json()["view"]
    assert view["phase"] == "loss" and view["tab"] == "matrices", view
    saved_step, saved = saved_params(page, live_server.url, experiment_id)
    assert saved_step == 25

    # then the page moves on: trains, another tab, weights as edges
    page.locator("#boundary-title").click()
    walk_phases(page, "backward", "update")  # step 26
    press_steps(page, 10, 26)
    page.get_by_role("tab", name="Chain-rule lab").click()
    page.get_by_label("weights", exact=True).check()

    listing = open_list(page)
    open_url = f"/api/experiments/{experiment_id}/open"
    with page.expect_response(lambda r: r.url.endswith(open_url)) as opened:
        item = item_named(listing, "Moons at the loss")
        item.get_by_role("button", name="Open", exact=True).click()
    session_id = opened.value.json()["id"]
    expect(listing).to_be_hidden()
    expect(page.locator("#step-counter")).to_have_text("25")
    matrices = page.get_by_role("tab", name="Matrices & delta maps")
    expect(matrices).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("gradients ∂J/∂W")).to_be_checked()
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "loss")
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # paused
    expect(page.locator("#notice")).to_contain_text("Opened “Moons at the loss” at step 25")
    assert page.evaluate("location.pathname") == f"/e/{experiment_id}"
    page.wait_for_function("window.backpropLab.lastFrame().step === 25")
    params = session_params(page, live_server.url, session_id)
    for (w, b), (sw, sb) in zip(params, saved, strict=True):
        assert np.array_equal(w, sw) and np.array_equal(b, sb)
    assert_frame_shows(page, params)
    screenshot(page, "experiment-opened-1280x720")

    # Play continues it live, in the new session; the saved experiment stays at 25
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.querySelector('#step-counter').textContent) > 60")
    page.get_by_role("button", name="Pause").click()
    api = live_server.url + "/api"
    assert page.request.get(f"{api}/sessions/{session_id}").json()["step"] > 60
    assert page.request.get(f"{api}/experiments/{experiment_id}").json()["step"] == 25


def test_a_share_link_opens_the_experiment_in_a_fresh_page(page, live_server, browser) -> None:
    open_lab(page, live_server, "#dataset=xor&hidden=5")
    press_steps(page, 12, 0)
    page.get_by_role("tab", name="Chain-rule lab").click()
    share = save_as(page, "XOR, 12 steps")
    experiment_id = share.rsplit("/", 1)[1]
    _, saved = saved_params(page, live_server.url, experiment_id)

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    fresh = context.new_page()
    problems: list[str] = []
    fresh.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    fresh.on("pageerror", lambda e: problems.append(str(e)))
    created: list[str] = []
    fresh.on(
        "request",
        lambda r: (
            created.append(r.url)
            if r.method == "POST" and r.url.endswith("/api/sessions")
            else None
        ),
    )
    open_url = f"/api/experiments/{experiment_id}/open"
    with fresh.expect_response(lambda r: r.url.endswith(open_url)) as opened:
        fresh.goto(share)
    session_id = opened.value.json()["id"]
    expect(fresh.locator("#connection")).to_have_attribute("data-status", "open")
    expect(fresh.locator("#step-counter")).to_have_text("12")
    chain_rule = fresh.get_by_role("tab", name="Chain-rule lab")
    expect(chain_rule).to_have_attribute("aria-selected", "true")
    expect(fresh.locator("select[data-prop=dataset]")).to_have_value("xor")
    fresh.wait_for_function("window.backpropLab.lastFrame()?.step === 12")
    params = session_params(fresh, live_server.url, session_id)
    for (w, b), (sw, sb) in zip(params, saved, strict=True):
        assert np.array_equal(w, sw) and np.array_equal(b, sb)
    assert_frame_shows(fresh, params)
    assert created == [], "the share link made a default session besides the experiment"
    fresh.get_by_role("button", name="Step", exact=True).click()
    expect(fresh.locator("#step-counter")).to_have_text("13")
    context.close()
    assert not problems, problems


def test_an_unknown_share_link_says_so_and_opens_the_defaults(
    page, live_server, page_problems
) -> None:
    open_url = "/api/experiments/no-such-thing/open"
    with page.expect_response(lambda r: r.url.endswith(open_url)) as answer:
        page.goto(f"{live_server.url}/e/no-such-thing")
    assert answer.value.status == 404
    expect(page.locator("#banner")).to_contain_text("cannot be opened")
    expect(page.locator("#banner")).to_contain_text("opening the defaults instead")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    expect(page.locator("#network .node").first).to_be_visible()
    expect(page.locator("#step-counter")).to_have_text("0")
    assert page.evaluate("location.pathname") == "/"
    screenshot(page, "experiment-unknown-link-1280x720")
    # the browser logs the refused request itself: that, and nothing else, is expected
    not_found = "console.error: Failed to load resource: the server responded with a status of 404"
    assert len(page_problems.messages) == 1, page_problems.messages
    assert page_problems.messages.pop().startswith(not_found)


def test_an_experiment_exported_to_a_file_is_imported_as_saved(page, live_server) -> None:
    """Open → Export downloads one file; Import file (here, on the same server, as another
    server would) makes a new experiment holding exactly the same state; a file that is
    not JSON is refused with a sentence, nothing else changes."""
    open_lab(page, live_server, "#dataset=xor")
    press_steps(page, 25, 0)
    save_as(page, "xor after 25")
    page.keyboard.press("Escape")
    dialog = open_list(page)
    item = item_named(dialog, "xor after 25")
    with page.expect_download() as downloading:
        item.get_by_role("button", name="Export").click()
    path = downloading.value.path()
    exported = json.loads(path.read_text())
    assert exported["experiment"]["name"] == "xor after 25" and exported["state"]["step"] == 25
    items = dialog.locator(".exp-item")
    before = items.count()  # the server is shared with other tests: theirs are listed too
    upload = dialog.locator('input[type="file"]')
    upload.set_input_files(str(path))
    expect(items).to_have_count(before + 1)
    copies = item_named(dialog, "xor after 25")
    expect(copies).to_have_count(2)  # the original and the imported one
    ids = [i.get_attribute("data-id") for i in copies.all()]
    states = [page.request.get(f"{live_server.url}/api/experiments/{i}/export").json() for i in ids]
    assert states[0]["state"] == states[1]["state"] == exported["state"]
    upload.set_input_files(
        files=[{"name": "notes.json", "mimeType": "application/json", "buffer": b"not json"}]
    )
    expect(dialog.get_by_role("status")).to_contain_text("notes.json is not JSON")
    expect(items).to_have_count(before + 1)
