"""The lecture's demos, one click each: every demo opens from the Demos menu, trains, and
shows what its title promises. The server's state is read through the API, not trusted
from the page.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from engine import Trainer
from tests.browser.conftest import screenshot
from tests.browser.test_page_training import open_lab, server_config

README = Path(__file__).resolve().parents[2] / "README.md"


def choose_demo(page, title: str) -> None:
    page.locator("#demos > summary").click()
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.locator("#demos")).not_to_have_attribute("open", "")
    expect(page.locator("#notice")).to_contain_text(title)


def play_until(page, steps: int, timeout: float = 60_000) -> None:
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        f"Number(document.querySelector('#step-counter').textContent) >= {steps}",
        timeout=timeout,
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def session_state(page, live_server, session_id: str) -> dict:
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}")
    assert answer.ok, answer.text()
    return answer.json()


def trainer_of(page, live_server, session_id: str) -> Trainer:
    """The session's trainer, rebuilt from its export: the server's state, exactly."""
    answer = page.request.get(f"{live_server.url}/api/sessions/{session_id}/export")
    assert answer.ok, answer.text()
    return Trainer.from_state(answer.json()["state"])


def test_the_lectures_mlp(page, live_server) -> None:
    session_id = open_lab(page, live_server, "#dataset=spiral&classes=3&speed=7")
    page.keyboard.press("ArrowRight")  # the session has trained: the demo starts afresh
    choose_demo(page, "The lecture's MLP")
    expect(page.locator("#step-counter")).to_have_text("0")
    config = server_config(page, live_server, session_id)
    assert (config["data"]["dataset"], config["data"]["classes"]) == ("circle", 2)
    assert (config["model"]["hidden"], config["model"]["activation"]) == ([8], "relu")
    # The slides' notation: log-likelihood, δ rows, the bias inside W; the page's own
    # choices the demo does not name (the speed) stay.
    for label in ("J = log P, ascent", "row vector (slides)", "in W (x with 1)"):
        expect(page.get_by_role("radio", name=label)).to_be_checked()
    expect(page.locator('output[for="speed"]')).to_have_text("7")
    card = page.locator("#step-card")
    for phase in ("forward", "loss", "backward"):
        page.keyboard.press("Shift+ArrowRight")
        expect(card).to_have_attribute("data-phase", phase)
    expect(card.locator('.sc-row[data-symbol="delta_o"]')).to_contain_text("y − o")
    expect(page.locator("#network")).to_contain_text("softmax")
    screenshot(page, "demo-lecture-mlp")


def test_binary_logistic_regression(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    choose_demo(page, "Binary logistic regression")
    config = server_config(page, live_server, session_id)
    assert config["model"]["model"] == "logistic" and config["model"]["hidden"] == []
    expect(page.locator("#network")).to_contain_text("σ")
    play_until(page, 300)
    accuracy = session_state(page, live_server, session_id)["metrics"]["test_accuracy"]
    assert accuracy >= 0.9, accuracy
    screenshot(page, "demo-binary-logistic")


def test_multi_class_logistic_regression(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    choose_demo(page, "Multi-class logistic regression")
    config = server_config(page, live_server, session_id)
    assert config["model"]["model"] == "logistic" and config["data"]["classes"] == 3
    expect(page.locator("#network")).to_contain_text("softmax")
    play_until(page, 300)
    accuracy = session_state(page, live_server, session_id)["metrics"]["test_accuracy"]
    assert accuracy >= 0.85, accuracy


def test_a_spiral_that_learns(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    choose_demo(page, "A spiral that learns")
    play_until(page, 4000, timeout=120_000)
    accuracy = session_state(page, live_server, session_id)["metrics"]["test_accuracy"]
    assert accuracy >= 0.9, f"the spiral reached {accuracy:.0%} test accuracy"
    screenshot(page, "demo-spiral")


def test_a_learning_rate_too_large(page, live_server) -> None:
    open_lab(page, live_server)
    choose_demo(page, "A learning rate too large")
    page.get_by_role("button", name="Play").click()
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Training diverged", timeout=30_000)
    screenshot(page, "demo-divergence")


def test_vanishing_gradients_in_a_deep_sigmoid_stack_but_not_with_relu(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    norms = {}
    for title, activation in [
        ("Vanishing gradients: five sigmoid layers", "sigmoid"),
        ("Vanishing gradients: the same five layers with ReLU", "relu"),
    ]:
        choose_demo(page, title)
        config = server_config(page, live_server, session_id)
        assert config["model"]["hidden"] == [8] * 5 and config["model"]["activation"] == activation
        expect(page.get_by_role("tab", name=re.compile("Curves"))).to_have_attribute(
            "aria-selected", "true"
        )
        play_until(page, 400)
        grad = trainer_of(page, live_server, session_id).metrics().grad_norms
        norms[activation] = grad["W1"] / grad["U"]
        screenshot(page, f"demo-vanishing-{activation}")
    # ‖∂J/∂W₁‖ is orders of magnitude below ‖∂J/∂U‖ with sigmoid, of the same order with ReLU.
    assert norms["sigmoid"] < 1e-2, norms
    assert norms["relu"] > 1e-1, norms


def test_dead_relus(page, live_server) -> None:
    session_id = open_lab(page, live_server)
    choose_demo(page, "Dead ReLUs")
    play_until(page, 300)
    trainer = trainer_of(page, live_server, session_id)
    h = np.array([
        np.asarray(next(q for q in trainer.trace_example(i).quantities if q.symbol == "h").value)
        for i in range(len(trainer.dataset.y_train))
    ]).reshape(len(trainer.dataset.y_train), -1)
    dead = int((h == 0).all(axis=0).sum())
    assert dead >= 4, f"only {dead} of {h.shape[1]} hidden units are dead"
    screenshot(page, "demo-dead-relu")


def test_a_demo_keeps_presentation_mode_and_the_readme_lists_every_demo(page, live_server) -> None:
    open_lab(page, live_server, "#presentation=true")
    choose_demo(page, "A spiral that learns")
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresentation\b"))
    demos = page.evaluate("import('/static/js/demos.js').then((m) => m.DEMOS)")
    readme = README.read_text()
    for demo in demos:
        link = f"http://localhost:8000/{demo['hash']}"
        assert f"[{demo['title']}]({link})" in readme, f"README lacks {demo['title']}: {link}"


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_demos_menu_fits_the_screen(page, live_server, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_lab(page, live_server)
    page.locator("#demos > summary").click()
    links = page.locator(".demos-list a")
    expect(links.first).to_be_visible()
    for link in links.all():
        expect(link).to_be_in_viewport(ratio=1)
    screenshot(page, f"demos-menu-{size[0]}x{size[1]}")


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_demo_on_screen_at_both_sizes(page, live_server, size) -> None:
    """A screenshot of every demo after a short run, at both sizes, for people to look at;
    the boundary, the network and the top bar stay inside the window."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_lab(page, live_server)
    demos = page.evaluate("import('/static/js/demos.js').then((m) => m.DEMOS)")
    for demo in demos:
        choose_demo(page, demo["title"])
        expect(page.locator("#step-counter")).to_have_text("0")
        if demo["id"] == "divergence":  # it stops itself, saying why
            page.get_by_role("button", name="Play").click()
            expect(page.get_by_role("alert")).to_contain_text("diverged", timeout=30_000)
        else:
            play_until(page, 100)
        for selector in ("#boundary", "#network", ".topbar"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 1, (demo["id"], selector)
            assert box["y"] >= 0 and box["y"] + box["height"] <= size[1] + 1, (demo["id"], selector)
        screenshot(page, f"demo-{demo['id']}-{size[0]}x{size[1]}")
