"""The page's state: a shared link, editing the data, and refusals that lose nothing."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import session_created_by
from tests.browser.test_page_training import open_lab, server_config


def test_a_link_opens_the_setup_it_carries(page, live_server) -> None:
    link = (
        "#dataset=spiral&classes=3&noise=0.2&hidden=6,4&activation=tanh&learningRate=0.03"
        "&batchSize=20&features=x1,x2,x1*x2&edgeMode=gradient&discretize=true&tab=matrices"
    )
    session_id = open_lab(page, live_server, link)

    # The controls show it…
    expect(page.get_by_label("Dataset")).to_have_value("spiral")
    expect(page.get_by_label("Classes")).to_have_value("3")
    expect(page.get_by_label("Noise")).to_have_value("0.2")
    expect(page.get_by_label("units in hidden layer 1", exact=True)).to_have_text("6")
    expect(page.get_by_label("units in hidden layer 2", exact=True)).to_have_text("4")
    expect(page.get_by_label("Activation")).to_have_value("tanh")
    expect(page.get_by_label("Learning rate η")).to_have_value("0.03")
    expect(page.get_by_label("Batch size")).to_have_value("20")
    expect(page.get_by_label("feature x1*x2")).to_be_checked()
    expect(page.get_by_label("feature x1^2")).not_to_be_checked()
    expect(page.get_by_role("radio", name="gradients ∂J/∂W")).to_be_checked()
    expect(page.get_by_label("Discretise")).to_be_checked()
    expect(page.get_by_role("tab", name=re.compile("Matrices"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("#matrices")).to_be_visible()
    expect(page.locator("#curves")).to_be_hidden()
    # …the drawing shows it (three classes, inputs x₁ x₂ x₁x₂, two hidden layers)…
    # (The legend numbers classes 1 … K, as the lecture does.)
    expect(page.locator("#boundary-legend", has_text="class 3")).to_be_visible()
    expect(page.locator("#network .column-label")).to_have_count(4)
    expect(page.locator("#network .node")).to_have_count(3 + 6 + 4 + 3)
    expect(page.locator("#network-panel-caption, .net-caption")).to_contain_text("minibatch")
    # …and the server trains exactly that.
    config = server_config(page, live_server, session_id)
    assert config["data"] == {**config["data"], "dataset": "spiral", "classes": 3, "noise": 0.2}
    assert config["model"]["hidden"] == [6, 4]
    assert config["model"]["activation"] == "tanh"
    assert config["model"]["features"] == ["x1", "x2", "x1*x2"]
    assert config["train"]["learning_rate"] == 0.03
    assert config["train"]["batch_size"] == 20


def test_a_link_opens_its_sign_convention_and_layout(page, live_server) -> None:
    """A teacher whose slides use the log-likelihood shares a link that opens in it."""
    open_lab(page, live_server, "#sign=loglik&layout=column")
    expect(page.get_by_role("radio", name="J = log P, ascent")).to_be_checked()
    expect(page.get_by_role("radio", name="column vector")).to_be_checked()
    equations = page.locator("#equations")
    expect(equations).to_contain_text("y − o")
    expect(equations).to_contain_text("column")
    assert "sign=loglik" in page.evaluate("location.hash")
    assert "layout=column" in page.evaluate("location.hash")


def test_the_address_follows_every_change(page, live_server) -> None:
    open_lab(page, live_server)
    page.get_by_label("Dataset").select_option("moons")
    page.wait_for_function("location.hash.includes('dataset=moons')")
    page.get_by_role("button", name="more units in hidden layer 1").click()
    page.wait_for_function("location.hash.includes('hidden=9')")
    page.get_by_role("radio", name="gradients ∂J/∂W").check()
    page.wait_for_function("location.hash.includes('edgeMode=gradient')")


def settled_box(page, selector: str) -> dict:
    """The box of an element once it has stopped moving (the same in two reads 150 ms apart)."""
    box = page.locator(selector).bounding_box()
    for _ in range(40):
        page.wait_for_timeout(150)
        again = page.locator(selector).bounding_box()
        if again == box:
            return box
        box = again
    raise AssertionError(f"{selector} kept moving: {box}")


def test_a_click_in_edit_mode_adds_a_point_and_shift_click_removes_it(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    count = page.locator("#point-count")
    expect(count).to_have_text("320 train · 80 test")

    page.get_by_label("Edit data").check()
    page.get_by_role("radio", name="add class 1").check()
    # The edit bar takes room above the chart, which then resizes: click once it has.
    area = settled_box(page, "#boundary .nsewdrag")
    # A spot with no data point near it, inside the plane: near its top-left corner.
    x, y = area["x"] + 0.1 * area["width"], area["y"] + 0.15 * area["height"]
    page.mouse.click(x, y)
    expect(count).to_have_text("321 train · 80 test")
    state = page.request.get(f"{live_server.url}/api/sessions/{session_id}").json()
    assert state["dataset"]["x_train"]["shape"] == "321,2"

    area = settled_box(page, "#boundary .nsewdrag")  # the same spot of the plane
    x, y = area["x"] + 0.1 * area["width"], area["y"] + 0.15 * area["height"]
    page.keyboard.down("Shift")
    page.mouse.click(x, y)
    page.keyboard.up("Shift")
    expect(count).to_have_text("320 train · 80 test")


def test_a_refused_value_shows_the_servers_message_and_loses_nothing(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    rate = page.get_by_label("Learning rate η")
    rate.fill("50")
    rate.press("Enter")

    message = page.locator('[data-error-for="learningRate"]')
    expect(message).to_contain_text("train.learning_rate")
    expect(message).to_contain_text("50")
    expect(message).to_contain_text("still using 0.1")
    expect(rate).to_have_attribute("aria-invalid", "true")
    # What the user typed stays, to be corrected; the model keeps the previous value.
    expect(rate).to_have_value("50")
    assert "learningRate=0.1&" in page.evaluate("location.hash")
    assert server_config(page, live_server, session_id)["train"]["learning_rate"] == 0.1

    # Training still works with the previous value, and a good value clears the message.
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#step-counter")).to_have_text("1")
    rate.fill("0.05")
    rate.press("Enter")
    expect(message).to_be_empty()
    expect(rate).to_have_attribute("aria-invalid", "false")
    page.wait_for_function("location.hash.includes('learningRate=0.05')")


def test_hovering_a_node_or_an_edge_shows_its_numbers(page, live_server) -> None:
    open_lab(page, live_server)
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#step-counter")).to_have_text("1")
    tooltip = page.locator("#network .net-tooltip")

    page.locator('#network .node[data-node="1,0"]').hover()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("h₁")
    expect(tooltip).to_contain_text("δ")
    expect(tooltip).to_contain_text("bias b = ")

    # Edges are thin curves that cross each other: point at one by name rather than by pixel.
    page.locator('#network [data-edge="1,0,0"]').dispatch_event("mousemove")
    expect(tooltip).to_contain_text("u₁,₁")
    expect(tooltip).to_contain_text("∂J/∂u, minibatch = ")


def test_clicking_a_training_point_traces_it(page, live_server) -> None:
    open_lab(page, live_server)
    expect(page.locator("#equations")).to_contain_text("Training example #0")
    # The third point drawn of class 1 (a filled square): click it as a person would.
    # (Plotly's drag layer takes the pointer events, so click where the point is drawn.)
    point = page.locator("#boundary .scatterlayer .trace").nth(1).locator(".point").nth(2)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("!location.hash.includes('selected=0&')")
    selected = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('selected')")
    expect(page.locator("#equations")).to_contain_text(f"Training example #{selected}")


def test_a_downloaded_model_uploads_and_continues_where_it_was(page, live_server) -> None:
    open_lab(page, live_server, "#learningRate=0.05&speed=5")
    page.get_by_role("button", name="Step").click()
    page.locator("body").press("ArrowRight")
    page.locator("body").press("ArrowRight")
    expect(page.locator("#step-counter")).to_have_text("3")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download model JSON").click()
    saved = download.value.path()

    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator("#step-counter")).to_have_text("0")
    page.get_by_label("Upload model JSON").set_input_files(saved)
    expect(page.locator("#step-counter")).to_have_text("3")
    expect(page.get_by_label("Learning rate η")).to_have_value("0.05")
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#step-counter")).to_have_text("4")

    with page.expect_download() as csv:
        page.get_by_role("button", name="Loss history CSV").click()
    header = csv.value.path().read_text().splitlines()[0]
    assert header.startswith("step,epoch,train_loss")


def test_a_lost_session_is_rebuilt_from_the_link(page, live_server) -> None:
    first = open_lab(page, live_server, "#dataset=moons&learningRate=0.02")
    # No request of the old session may still be coming: the curves re-read the history at
    # most once a second, so one may wait up to 1 s before it is sent.
    page.wait_for_timeout(1_100)
    page.wait_for_load_state("networkidle")
    # The server forgets the session (expiry, eviction): the next command finds it gone,
    # and the page starts a new one from the settings in its address.
    assert page.request.delete(f"{live_server.url}/api/sessions/{first}").ok
    second = session_created_by(page, page.get_by_role("button", name="Step").click)
    assert second != first
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    config = server_config(page, live_server, second)
    assert config["data"]["dataset"] == "moons"
    assert config["train"]["learning_rate"] == 0.02
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#step-counter")).to_have_text("1")


def test_the_legend_says_what_hollow_markers_are_and_a_test_point_says_it_is_held_out(
    page, live_server
) -> None:
    """Filled and hollow markers were on the plane, the legend named only the filled ones,
    and clicking a hollow (test) point did nothing without saying why. (A test point is
    traced on click now: tests/browser/test_ux_trace_test_points.py.)"""
    open_lab(page, live_server)
    legend = page.locator("#boundary-legend .legend-item")
    expect(legend.filter(has_text="hollow = test")).to_be_visible()
    # Point at a test point of the first class (the third trace drawn) and read its label.
    point = page.locator("#boundary .scatterlayer .trace").nth(2).locator(".point").first
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#boundary .hoverlayer .hovertext")).to_contain_text("held out")
    page.get_by_label("Test data").uncheck()
    expect(legend.filter(has_text="hollow = test")).to_have_count(0)
    expect(legend.filter(has_text="class 1")).to_be_visible()


def test_the_sidebar_selects_show_their_whole_choice(page, live_server) -> None:
    """The activation read "ReLU max(z" at both screen sizes: the select was narrower than
    its option."""
    open_lab(page, live_server)
    for size in [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}]:
        page.set_viewport_size(size)
        for name in ["activation", "dataset"]:
            select = page.locator(f"#controls select[data-prop={name}]")
            values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            assert len(values) >= 4, values
            for value in values:
                select.select_option(value)
                room, needed = select.evaluate(
                    """s => {
                        const css = getComputedStyle(s);
                        const ctx = document.createElement("canvas").getContext("2d");
                        ctx.font = `${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
                        const text = s.options[s.selectedIndex].text;
                        const arrow = 20;  // the drop-down arrow
                        return [s.clientWidth - parseFloat(css.paddingLeft)
                                - parseFloat(css.paddingRight) - arrow,
                                ctx.measureText(text).width];
                    }"""
                )
                assert needed <= room, f"{name} {value!r} at {size}: needs {needed}, has {room}"
