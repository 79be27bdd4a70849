"""Predict, then reveal, in a lecture hall: the lecturer presents the built-in lecture with a
class open; the class follows from scene to scene; at a question, each student answers on
their own screen while the numbers that answer it are veiled; the lecturer sees the tally,
reveals, and everyone sees the backward pass's numbers, the right option and the tally."""

import re

from playwright.sync_api import expect

from server import lecture
from tests.browser.conftest import PageProblems, screenshot
from tests.browser.test_class import browser, open_class, open_follower  # noqa: F401
from tests.browser.test_page_training import open_lab

QUESTION = next(i for i, s in enumerate(lecture.SCENES) if s.id == "predict-delta-o")
ANSWER = lecture.SCENES[QUESTION].question.options[
    lecture.answer_of(lecture.SCENES[QUESTION])
]  # "positive": δ⁽ᵒ⁾_k = 1 − o_k for the log-likelihood
WRONG = "negative"
OPTIONS = list(lecture.SCENES[QUESTION].question.options)
VEILED_NUMBERS = '.eq-section[data-phase="backward"] .eq-numbers'


def test_a_question_is_answered_by_the_class_and_revealed_by_the_backward_pass(
    browser,  # noqa: F811
    live_server,
) -> None:
    problems = PageProblems()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    lecturer = context.new_page()
    problems.attach(lecturer)
    lecturer.set_default_timeout(15_000)
    lecturer.goto(f"{live_server.url}/lesson/{lecture.LECTURE_ID}")
    bar = lecturer.locator("#lesson-bar")
    expect(bar).to_have_attribute("data-scene", "1")
    expect(lecturer.locator("#network .node").first).to_be_visible()
    code = open_class(lecturer)
    student_context, student = open_follower(browser, live_server, code, problems)
    expect(student.locator("#follow-poll")).to_be_hidden()

    lecturer.locator("#boundary-title").click()  # the keys go to the page, not a control
    for scene in range(2, QUESTION + 2):
        lecturer.keyboard.press("PageDown")
        expect(bar).to_have_attribute("data-scene", str(scene))
    expect(lecturer.locator("#lesson-caption")).to_contain_text("Predict, then reveal")

    # the lecturer's card: the question, its options, a reveal; the numbers veiled
    card = lecturer.locator("#lesson-poll")
    expect(card).to_contain_text("What sign will δ⁽ᵒ⁾_k have")
    expect(lecturer.locator("body")).to_have_attribute("data-veil", "backward")
    expect(lecturer.locator("#equations .eq-section[data-phase='backward']")).to_be_attached()
    assert lecturer.locator(VEILED_NUMBERS).first.is_hidden(), "the answer is on screen"

    # the student follows to the same scene, gets the question, answers (wrongly)
    poll = student.locator("#follow-poll")
    expect(poll).to_contain_text("What sign will δ⁽ᵒ⁾_k have")
    expect(student.locator("body")).to_have_attribute("data-veil", "backward")
    expect(student.locator("#step-counter")).to_have_text("0")
    # the lecturer's scene: its data (three blobs) and its phase (the loss)
    expect(student.locator("#boundary-legend")).to_contain_text("class 3")
    expect(student.locator('#phase-strip [data-phase="loss"]')).to_have_class(re.compile("current"))
    student.get_by_role("button", name=WRONG).click()
    expect(poll.get_by_role("button", name=WRONG)).to_have_attribute("aria-pressed", "true")
    expect(poll).to_contain_text("Answered")
    expect(card).to_contain_text("1 of the class answered")
    wrong = card.locator(f'[data-option="{OPTIONS.index(WRONG)}"]')
    expect(wrong).to_contain_text("· 1")
    screenshot(lecturer, "question-lecturer-asking-1280x720")
    screenshot(student, "question-student-answered-1280x720")

    # the reveal runs the backward pass: its numbers, the right option, the tally
    card.get_by_role("button", name="Reveal: run backward").click()
    expect(lecturer.locator("#step-card")).to_have_attribute("data-phase", "backward")
    expect(lecturer.locator("body")).not_to_have_attribute("data-veil", re.compile(".*"))
    expect(card.locator(".right")).to_have_text(ANSWER + " · 0")
    expect(lecturer.locator(VEILED_NUMBERS).first).to_be_visible()
    expect(poll).to_contain_text("Revealed")
    expect(poll.locator(".right")).to_contain_text(ANSWER)
    expect(poll.get_by_role("button", name=WRONG)).to_contain_text("1 (100 %)")
    expect(poll).to_contain_text("The numbers on the page show why.")
    expect(student.locator("body")).not_to_have_attribute("data-veil", re.compile(".*"))
    expect(student.locator("#step-card")).to_have_attribute("data-phase", "backward")
    delta_o = student.evaluate(
        "(() => { const t = window.backpropLab.lastFrame().trace;"
        " const q = Object.fromEntries(t.quantities.map((q) => [q.symbol, q]));"
        " return [q.delta_o, q.k]; })()"
    )
    assert delta_o[0] is not None and delta_o[1] is not None
    screenshot(lecturer, "question-lecturer-revealed-1280x720")
    screenshot(student, "question-student-revealed-1280x720")

    # the next scene withdraws the question from everyone
    lecturer.keyboard.press("PageDown")
    expect(bar).to_have_attribute("data-scene", str(QUESTION + 2))
    expect(card).to_be_hidden()
    expect(poll).to_be_hidden()
    context.close()
    student_context.close()
    assert not problems.messages, "\n".join(problems.messages)


def test_a_lecturer_writes_a_question_into_a_scene_and_the_reveal_answers_it(
    page, live_server
) -> None:
    """Without a class: the room answers aloud; the page veils, then reveals and marks."""
    problems = PageProblems()
    problems.attach(page)
    open_lab(page, live_server)
    page.locator("#boundary-title").click()
    for phase in ("forward", "loss"):
        page.keyboard.press("Shift+ArrowRight")
        expect(page.locator("#step-card")).to_have_attribute("data-phase", phase)
    page.get_by_role("button", name="Lesson", exact=True).click()
    dialog = page.get_by_role("dialog", name="Lessons")
    dialog.get_by_label("New lesson").fill("Guessing δ")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_label("Lesson", exact=True)).to_contain_text("Guessing δ")
    dialog.get_by_label("Caption of the new scene").fill("The loss is known. What comes back?")
    dialog.get_by_text("Ask the room first").click()
    dialog.get_by_label("Question").fill("Will δ⁽ᵒ⁾ at the target be negative?")
    dialog.get_by_label("Options, one per line").fill("yes\nno")
    dialog.get_by_label("Right option").fill("1")  # the loss convention: δ⁽ᵒ⁾_k = o_k − 1 < 0
    screenshot(page, "question-authoring-form-1280x720")
    dialog.get_by_role("button", name="Add this view as a scene").click()
    item = dialog.locator(".scene-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("asks “Will δ⁽ᵒ⁾ at the target be negative?”")
    screenshot(page, "question-authoring-1280x720")
    dialog.get_by_role("button", name="Present", exact=True).click()
    card = page.locator("#lesson-poll")
    expect(card).to_contain_text("Will δ⁽ᵒ⁾ at the target be negative?")
    expect(card).to_contain_text("open a class")
    expect(page.locator("body")).to_have_attribute("data-veil", "backward")
    card.get_by_role("button", name="Reveal: run backward").click()
    expect(page.locator("#step-card")).to_have_attribute("data-phase", "backward")
    expect(card.locator(".right")).to_have_text("yes")
    # the revealed numbers agree with the option marked right
    delta_o, k = page.evaluate(
        """async () => {
          const { decode, isTyped } = await import("/static/js/typed.js");
          const q = Object.fromEntries(window.backpropLab.lastFrame().trace.quantities
            .map((q) => [q.symbol, isTyped(q.value) ? Array.from(decode(q.value).data) : q.value]));
          return [q.delta_o, [q.k].flat(2)[0]];
        }"""
    )
    assert delta_o[int(k) - 1] < 0, (delta_o, k)
    assert not problems.messages, "\n".join(problems.messages)
