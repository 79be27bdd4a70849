"""The built-in lecture, walked end to end as a lecturer presents it: /lesson/lecture, then
PageDown through every slide. Each scene must show what its caption names: its caption,
its tab, its phase, the step it was built at, and every equation its caption names with
the live numbers of the scene's own network (the trace the page draws, which must be the
server's trace of that session)."""

import re

import numpy as np
from playwright.sync_api import expect

from server import lecture
from tests.browser.conftest import PageProblems, screenshot
from tests.browser.test_panels_equations import api_trace, array

PHASES = ("forward", "loss", "backward", "update")


FRAME_QUANTITY = """async (s) => {
  const { decode, isTyped } = await import("/static/js/typed.js");
  const q = window.backpropLab.lastFrame().trace.quantities.find((q) => q.symbol === s);
  if (!q) return null;
  return isTyped(q.value) ? Array.from(decode(q.value).data) : [q.value].flat(2);
}"""


def frame_quantity(page, symbol: str) -> np.ndarray:
    """A quantity of the trace the page drew, flat."""
    value = page.evaluate(FRAME_QUANTITY, symbol)
    assert value is not None, f"the page's trace has no {symbol}"
    return np.asarray(value, dtype=float)


def test_the_lecture_tour_is_walked_end_to_end(browser, live_server) -> None:
    problems = PageProblems()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems.attach(page)
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/lesson/{lecture.LECTURE_ID}")
    bar = page.locator("#lesson-bar")
    session_id = None
    for index, scene in enumerate(lecture.SCENES):
        if index:
            page.locator("#boundary-title").click()  # the keys go to the page
            page.keyboard.press("PageDown")
        expect(bar).to_have_attribute("data-scene", str(index + 1))
        # the scene's own session, and a frame of it drawn (consecutive scenes may have the
        # same numbers: a frame of the last one must not pass for this one's)
        page.wait_for_function(
            "(old) => { const lab = window.backpropLab; const id = lab.sessionId();"
            " return id !== old && lab.frameSession() === id"
            " && lab.lastFrame()?.trace?.quantities?.length > 0; }",
            arg=session_id,
        )
        session_id = page.evaluate("window.backpropLab.sessionId()")
        expect(page.locator("#lesson-counter")).to_have_text(
            f"scene {index + 1} of {len(lecture.SCENES)}"
        )
        expect(page.locator("#lesson-caption")).to_have_text(scene.caption)
        step = scene.steps + (1 if "update" in scene.phases else 0)
        expect(page.locator("#step-counter")).to_have_text(f"{step:,}")
        tab = scene.view["tab"]
        expect(page.locator(f"#tab-{tab}")).to_have_attribute("aria-selected", "true")
        expect(page.locator(f"#{tab}")).to_be_visible()
        if tab != "curves":  # a scene about that tab scrolls to it: it is on screen
            expect(page.locator(f"#tab-{tab}")).to_be_in_viewport()
        # the edges show what the scene says, not what the scene before it showed
        edges = page.locator(f'input[data-prop="edgeMode"][value="{scene.view["edge_mode"]}"]')
        expect(edges).to_be_checked()
        phase = scene.view["phase"]
        if phase in PHASES:
            expect(page.locator(f'#phase-strip [data-phase="{phase}"]')).to_have_class(
                re.compile(r"\bcurrent\b")
            )
        if scene.id == "jacobian":
            # the chain-rule lab: the slide's Jacobian and the vector chain rule, with numbers
            lab = page.locator("#chain-rule")
            expect(lab).to_contain_text("6yx")
            expect(lab.get_by_label("Vector chain rule")).to_be_visible()
        trace = api_trace(page, live_server, session_id, index=scene.view.get("selected", 0))
        for symbol in scene.shows:
            # its own row (an equation whose result it is), or an operand with its numbers
            shown_at = page.locator(
                f'#equations :is(.eq-row, .operand)[data-symbol="{symbol}"]'
            ).first
            expect(shown_at).to_be_attached()
            numbers = shown_at.locator(".eq-numbers, .mat").first
            if scene.question is None:
                expect(numbers).not_to_have_text("")
            shown = frame_quantity(page, symbol)
            served = array(trace[symbol]["value"])
            assert np.allclose(shown, served.ravel()), (scene.id, symbol, shown, served)
        if scene.question is not None:
            expect(page.locator("#lesson-poll")).to_contain_text(scene.question.text)
        screenshot(page, f"lecture-tour-{index + 1:02d}-{scene.id}")
    context.close()
    assert not problems.messages, "\n".join(problems.messages)
