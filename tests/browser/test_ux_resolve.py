"""Controls resolve conflicts instead of refusing them, and say what else they changed.

A lecturer who picks "Logistic regression" with the default hidden layer, or the circle
with three classes, gets a working setup and a note, not a checked radio beside a red
error; an error that was shown leaves when its cause is fixed; a change that restarts
training says so where the room looks.
"""

from playwright.sync_api import expect

from engine.bounds import TWO_CLASS_DATASETS
from tests.browser.test_page_training import open_lab, server_config


def note(page, name: str):
    return page.locator(f'[data-error-for="{name}"]')


def test_logistic_regression_removes_the_hidden_layer_and_mlp_brings_it_back(
    page, live_server
) -> None:
    session_id = open_lab(page, live_server)
    page.get_by_label("Logistic regression").check()
    expect(note(page, "hidden")).to_contain_text("Logistic regression has no hidden layer")
    expect(note(page, "hidden")).to_contain_text("8 units")
    expect(note(page, "hidden")).to_have_class("field-error field-note")
    expect(note(page, "model")).to_be_empty()
    expect(page.locator('[aria-invalid="true"]')).to_have_count(0)
    expect(page.get_by_label("Logistic regression")).to_be_checked()
    config = server_config(page, live_server, session_id)
    assert config["model"]["model"] == "logistic" and config["model"]["hidden"] == []
    expect(page.locator("#hidden-layers")).to_contain_text("no hidden layer")

    page.get_by_label("MLP").check()
    expect(note(page, "hidden")).to_contain_text("is back")
    config = server_config(page, live_server, session_id)
    assert config["model"]["model"] == "mlp" and config["model"]["hidden"] == [8]
    expect(page.locator("#hidden-layers output")).to_have_text(["8"])


def test_a_hidden_layer_added_to_logistic_regression_makes_it_an_mlp(page, live_server) -> None:
    session_id = open_lab(page, live_server, "#model=logistic&hidden=")
    page.get_by_role("button", name="+ layer").click()
    expect(note(page, "model")).to_contain_text("makes the model an MLP")
    expect(page.get_by_label("MLP")).to_be_checked()
    assert server_config(page, live_server, session_id)["model"]["model"] == "mlp"


def test_a_two_class_data_set_sets_two_classes_and_the_spiral_gets_them_back(
    page, live_server
) -> None:
    session_id = open_lab(page, live_server, "#dataset=spiral&classes=3")
    dataset = page.locator('select[data-prop="dataset"]')
    classes = page.locator('input[data-prop="classes"]')
    dataset.select_option("circle")
    expect(note(page, "classes")).to_contain_text("The circle data set has two classes")
    expect(classes).to_have_value("2")
    expect(page.locator('[aria-invalid="true"]')).to_have_count(0)
    assert server_config(page, live_server, session_id)["data"] == {
        **server_config(page, live_server, session_id)["data"],
        "dataset": "circle",
        "classes": 2,
    }
    dataset.select_option("spiral")
    expect(note(page, "classes")).to_contain_text("Classes back to 3")
    expect(classes).to_have_value("3")
    data = server_config(page, live_server, session_id)["data"]
    assert (data["dataset"], data["classes"]) == ("spiral", 3)


def test_an_error_leaves_when_its_cause_is_fixed(page, live_server) -> None:
    session_id = open_lab(page, live_server)  # the circle: two classes
    classes = page.locator('input[data-prop="classes"]')
    classes.fill("3")
    classes.press("Enter")
    error = note(page, "classes")
    expect(error).to_contain_text("must be 2 for the circle data set")
    expect(error).to_contain_text("still using 2")
    expect(classes).to_have_attribute("aria-invalid", "true")
    expect(classes).to_have_value("3")  # what the user typed stays to be corrected
    # The cause was the data set: choosing the spiral (which takes 2 to 6) clears the error.
    page.locator('select[data-prop="dataset"]').select_option("spiral")
    expect(error).to_be_empty()
    expect(classes).to_have_attribute("aria-invalid", "false")
    assert server_config(page, live_server, session_id)["data"]["dataset"] == "spiral"


def test_a_change_that_restarts_training_says_so(page, live_server) -> None:
    open_lab(page, live_server)
    page.keyboard.press("ArrowRight")  # one SGD step
    expect(page.locator("#step-counter")).to_have_text("1")
    notice = page.locator("#notice")
    expect(notice).to_be_hidden()
    page.locator('select[data-prop="activation"]').select_option("tanh")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Training restarted from step 0")
    expect(notice).to_contain_text("activation")
    expect(page.locator("#step-counter")).to_have_text("0")
    # A live change (the learning rate) does not restart anything and says nothing.
    page.locator('input[data-prop="learningRate"]').fill("0.2")
    page.locator('input[data-prop="learningRate"]').press("Enter")
    expect(notice).to_be_hidden(timeout=8_000)  # the restart notice leaves by itself


def test_the_page_knows_the_engine_two_class_data_sets(page, live_server) -> None:
    open_lab(page, live_server)
    listed = page.evaluate(
        "import('/static/js/resolve.js').then((m) => m.TWO_CLASS_DATASETS)"
    )
    assert sorted(listed) == sorted(TWO_CLASS_DATASETS)
