"""A lesson as a lecturer builds and presents it: three scenes, each a different state and
view, added from the page with a caption; the server restarts on the same data directory;
then the lesson is presented with a clicker's keys and every scene shows exactly what was
saved: step, tab, phase, presenting, caption, and the parameters (checked through the API
of the session each scene opens). The keys move through the lesson only: they never also
step the network or move the timeline.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from server.background import BackgroundServer
from server.settings import Settings
from tests.browser.conftest import PageProblems, screenshot
from tests.browser.test_experiments import (
    assert_frame_shows,
    press_steps,
    session_params,
    walk_phases,
)
from tests.browser.test_page_training import open_lab
from tests.browser.test_ux_connection import HANDSHAKE_FAILED, REFUSED

PRESENTING = re.compile(r"\bpresentation\b")
CAPTIONS = (
    "The forward pass: each column of units lights up from the input x to the output o.",
    "After 200 steps: W and U as matrices, each cell one weight.",
    "A harder dataset, presented: the spiral after 5 steps.",
)


@pytest.fixture()
def pages(browser: object) -> Iterator[Callable[[], object]]:
    """New 1280×720 pages whose console errors fail the test (but for the refused
    connections of a server that is down)."""
    problems = PageProblems()
    contexts = []

    def new_page():
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        contexts.append(context)
        page = context.new_page()
        problems.attach(page)
        page.set_default_timeout(15_000)
        return page

    yield new_page
    for context in contexts:
        context.close()
    unexpected = [
        m for m in problems.messages if not (HANDSHAKE_FAILED.match(m) or REFUSED.match(m))
    ]
    assert not unexpected, "the page reported problems:\n" + "\n".join(unexpected)


def session_of(page, server) -> str:
    """The id of the one session a test's server has."""
    sessions = server.app.state.store.sessions()
    assert len(sessions) == 1
    return sessions[0].id


def add_scene(page, caption: str) -> None:
    """Lesson → Add this view as a scene, with `caption`."""
    page.get_by_role("button", name="Lesson", exact=True).click()
    dialog = page.get_by_role("dialog", name="Lessons")
    expect(dialog).to_be_visible()
    count = dialog.locator(".scene-item").count()
    dialog.get_by_label("Caption of the new scene").fill(caption)
    dialog.get_by_role("button", name="Add this view as a scene").click()
    expect(dialog.locator(".scene-item")).to_have_count(count + 1)
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()


def expect_scene(page, server_url: str, k: int, expected: dict, opened) -> None:
    """Scene k shows exactly what was saved."""
    bar = page.locator("#lesson-bar")
    expect(bar.locator("#lesson-counter")).to_have_text(f"scene {k} of 3")
    expect(bar.locator("#lesson-caption")).to_have_text(expected["caption"])
    expect(page.locator("#step-counter")).to_have_text(str(expected["step"]))
    tab = page.locator(f"#tab-{expected['tab']}")
    expect(tab).to_have_attribute("aria-selected", "true")
    card = page.locator("#step-card")
    if expected["phase"] == "ready":
        expect(card).to_be_hidden()
    else:
        expect(card).to_have_attribute("data-phase", expected["phase"])
    body = page.locator("body")
    if expected["presentation"]:
        expect(body).to_have_class(PRESENTING)
    else:
        expect(body).not_to_have_class(PRESENTING)
    expect(page.locator("select[data-prop=dataset]")).to_have_value(expected["dataset"])
    expect(page.get_by_role("button", name="Play")).to_be_visible()  # paused
    session_id = opened.value.json()["id"]
    page.wait_for_function(f"window.backpropLab.lastFrame().step === {expected['step']}")
    params = session_params(page, server_url, session_id)
    for (w, b), (ew, eb) in zip(params, expected["params"], strict=True):
        assert np.array_equal(w, ew) and np.array_equal(b, eb), f"scene {k}"
    assert_frame_shows(page, params)


def test_a_three_scene_lesson_survives_a_restart_and_presents_as_saved(
    pages, tmp_path: Path
) -> None:
    settings = Settings(data_dir=str(tmp_path))
    expected: list[dict] = []
    first = BackgroundServer(settings)
    port = first.port
    with first:
        page = pages()
        page.goto(first.url + "/#dataset=moons&hidden=5")
        expect(page.locator("#connection")).to_have_attribute("data-status", "open")
        page.wait_for_function("window.Plotly !== undefined")

        # a new lesson
        page.get_by_role("button", name="Lesson", exact=True).click()
        dialog = page.get_by_role("dialog", name="Lessons")
        expect(dialog.get_by_label("Lesson", exact=True)).to_contain_text("lecture")
        dialog.get_by_label("New lesson").fill("Backprop in three scenes")
        dialog.get_by_role("button", name="Create").click()
        expect(dialog.locator("#lesson-select option:checked")).to_have_text(
            "Backprop in three scenes (0 scenes)"
        )
        lesson_id = dialog.locator("#lesson-select").input_value()
        dialog.get_by_role("button", name="Done").click()

        # 1: step 0, the forward phase
        page.locator("#boundary-title").click()
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", "forward")
        sid = session_of(page, first)
        expected.append(
            {
                "step": 0,
                "tab": "curves",
                "phase": "forward",
                "presentation": False,
                "dataset": "moons",
                "params": session_params(page, first.url, sid),
            }
        )
        add_scene(page, CAPTIONS[0])

        # 2: step 200 on the matrices tab
        walk_phases(page, "loss", "backward", "update")  # step 1
        expect(page.locator("#step-counter")).to_have_text("1")
        press_steps(page, 199, 1)
        page.get_by_role("tab", name="Matrices & delta maps").click()
        expected.append(
            {
                "step": 200,
                "tab": "matrices",
                "phase": "ready",
                "presentation": False,
                "dataset": "moons",
                "params": session_params(page, first.url, sid),
            }
        )
        add_scene(page, CAPTIONS[1])

        # 3: another dataset, 5 steps, presenting
        page.locator("select[data-prop=dataset]").select_option("spiral")
        expect(page.locator("#step-counter")).to_have_text("0")
        press_steps(page, 5, 0)
        page.get_by_role("button", name="Present", exact=True).click()
        expect(page.locator("body")).to_have_class(PRESENTING)
        expected.append(
            {
                "step": 5,
                "tab": "matrices",
                "phase": "ready",
                "presentation": True,
                "dataset": "spiral",
                "params": session_params(page, first.url, sid),
            }
        )
        add_scene(page, CAPTIONS[2])
        page.context.close()

    # the server restarts on the same data directory: the lesson is still there
    with BackgroundServer(settings, port=port) as second:
        page = pages()
        page.goto(second.url + "/")
        expect(page.locator("#connection")).to_have_attribute("data-status", "open")
        page.wait_for_function("window.Plotly !== undefined")
        page.get_by_role("button", name="Lesson", exact=True).click()
        dialog = page.get_by_role("dialog", name="Lessons")
        dialog.get_by_label("Lesson", exact=True).select_option(lesson_id)
        scenes = dialog.locator(".scene-item")
        expect(scenes).to_have_count(3)
        for k, caption in enumerate(CAPTIONS):
            expect(scenes.nth(k).get_by_role("textbox")).to_have_value(caption)
        screenshot(page, "lesson-dialog-1280x720")

        def opening(k: int):
            scid = scenes_ids[k - 1]
            return page.expect_response(lambda r: r.url.endswith(f"/scenes/{scid}/open"))

        scenes_ids = [scenes.nth(k).get_attribute("data-id") for k in range(3)]
        with opening(1) as opened:
            dialog.get_by_role("button", name="Present", exact=True).click()
        expect(dialog).to_be_hidden()
        expect_scene(page, second.url, 1, {**expected[0], "caption": CAPTIONS[0]}, opened)
        screenshot(page, "lesson-scene-1-1280x720")
        assert page.evaluate("location.pathname") == f"/lesson/{lesson_id}"

        # a clicker's keys: PageDown, →, PageUp, ←; the network never steps with them
        with opening(2) as opened:
            page.keyboard.press("PageDown")
        expect_scene(page, second.url, 2, {**expected[1], "caption": CAPTIONS[1]}, opened)
        screenshot(page, "lesson-scene-2-1280x720")
        with opening(3) as opened:
            page.keyboard.press("ArrowRight")
        expect_scene(page, second.url, 3, {**expected[2], "caption": CAPTIONS[2]}, opened)
        screenshot(page, "lesson-scene-3-presenting-1280x720")
        expect(page.get_by_role("button", name="Next ›")).to_be_disabled()
        page.keyboard.press("PageDown")  # past the end: nothing moves
        expect(page.locator("#step-counter")).to_have_text("5")
        with opening(2) as opened:
            page.keyboard.press("PageUp")
        expect_scene(page, second.url, 2, {**expected[1], "caption": CAPTIONS[1]}, opened)
        with opening(1) as opened:
            page.keyboard.press("ArrowLeft")
        expect_scene(page, second.url, 1, {**expected[0], "caption": CAPTIONS[0]}, opened)

        # a scene plays live; Escape leaves the lesson, and → is the Step key again
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("Number(document.querySelector('#step-counter').textContent) > 30")
        page.get_by_role("button", name="Pause").click()
        page.keyboard.press("Escape")
        expect(page.locator("#lesson-bar")).to_have_count(0)
        assert page.evaluate("location.pathname") == "/"
        page.locator("#boundary-title").click()
        before = int(page.locator("#step-counter").inner_text())
        page.keyboard.press("ArrowRight")
        expect(page.locator("#step-counter")).to_have_text(str(before + 1))

        # a lesson's link presents it from its first scene
        fresh = pages()
        fresh.goto(f"{second.url}/lesson/{lesson_id}")
        expect(fresh.locator("#lesson-counter")).to_have_text("scene 1 of 3")
        expect(fresh.locator("#lesson-caption")).to_have_text(CAPTIONS[0])
        expect(fresh.locator("#step-counter")).to_have_text("0")
        expect(fresh.locator("#step-card")).to_have_attribute("data-phase", "forward")
        # closed while the server still runs: a page left open would go on loading its
        # charts' modules from a server that has stopped
        page.context.close()
        fresh.context.close()


def test_scenes_are_reordered_edited_and_deleted_from_the_keyboard(page, live_server) -> None:
    open_lab(page, live_server)
    api = f"{live_server.url}/api/lessons"
    page.get_by_role("button", name="Lesson", exact=True).click()
    dialog = page.get_by_role("dialog", name="Lessons")
    dialog.get_by_label("New lesson").fill("Order matters")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator("#lesson-select option:checked")).to_have_text("Order matters (0 scenes)")
    lesson_id = dialog.locator("#lesson-select").input_value()
    dialog.get_by_role("button", name="Done").click()
    for n, caption in enumerate(("A", "B", "C")):
        if n:
            press_steps(page, 1, n - 1)
        add_scene(page, caption)

    page.get_by_role("button", name="Lesson", exact=True).click()
    captions = dialog.locator(".scene-item textarea")
    expect(captions).to_have_count(3)
    # scene 3 up twice, by keyboard: the focus stays on the moved scene's button
    dialog.get_by_role("button", name="Move scene 3 up").focus()
    page.keyboard.press("Enter")
    expect(captions.nth(1)).to_have_value("C")
    expect(dialog.get_by_role("button", name="Move scene 2 up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(captions.nth(0)).to_have_value("C")
    expect(dialog.get_by_role("button", name="Move scene 1 down")).to_be_focused()
    expect(dialog.get_by_role("button", name="Move scene 1 up")).to_be_disabled()
    lesson = page.request.get(f"{api}/{lesson_id}").json()
    assert [s["caption"] for s in lesson["scenes"]] == ["C", "A", "B"]
    assert [s["step"] for s in lesson["scenes"]] == [2, 0, 1]

    # a caption edited in place is saved when the field is left
    captions.nth(1).fill("A, rewritten")
    page.keyboard.press("Tab")
    page.wait_for_function(
        f"""async () => (await (await fetch("/api/lessons/{lesson_id}")).json())
            .scenes[1].caption === "A, rewritten" """
    )
    dialog.get_by_role("button", name="Delete scene 3").click()
    expect(captions).to_have_count(2)
    assert [s["caption"] for s in page.request.get(f"{api}/{lesson_id}").json()["scenes"]] == [
        "C",
        "A, rewritten",
    ]
    screenshot(page, "lesson-dialog-edited-1280x720")

    # "Present from here" starts at that scene
    dialog.get_by_role("button", name="Present from scene 2").click()
    expect(page.locator("#lesson-counter")).to_have_text("scene 2 of 2")
    expect(page.locator("#lesson-caption")).to_have_text("A, rewritten")
    expect(page.locator("#step-counter")).to_have_text("0")
    page.get_by_role("button", name="End lesson").click()
    expect(page.locator("#lesson-bar")).to_have_count(0)

    # the lesson goes, after a confirmation; the built-in lecture cannot be edited
    page.get_by_role("button", name="Lesson", exact=True).click()
    dialog.get_by_role("button", name="Delete lesson").click()
    dialog.get_by_role("button", name="Delete for good").click()
    expect(dialog.locator("#lesson-select option")).not_to_contain_text(["Order matters"])
    assert page.request.get(f"{api}/{lesson_id}").status == 404
    dialog.get_by_label("Lesson", exact=True).select_option("lecture")
    expect(dialog.get_by_text("The built-in lecture cannot be changed")).to_be_visible()
    expect(dialog.get_by_role("button", name="Add this view as a scene")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Move scene 2 up")).to_have_count(0)
    dialog.get_by_role("button", name="Present", exact=True).click()
    expect(page.locator("#lesson-counter")).to_contain_text("scene 1 of")
    expect(page.locator("#lesson-caption")).not_to_be_empty()
    screenshot(page, "lesson-lecture-scene-1-1280x720")
