"""The built-in lecture tour (server/lecture.py): every scene builds, deterministically, and
its trace has the quantities its caption names, with the numbers the lecture's closed forms
give for them."""

import numpy as np
import pytest

from engine import Convention
from server.lecture import PHASES_OF_VIEW, SCENES, answer_of, scene, trainer_of

LECTURE_ORDER = [
    "jacobian",
    "binary-logistic",
    "binary-logistic-gradient",
    "softmax-regression",
    "softmax-jacobian",
    "softmax-gradient",
    "mlp-forward",
    "predict-delta-o",
    "delta-o",
    "delta-h",
    "predict-relu-mask",
    "delta-z",
    "delta-x",
    "dJ-dU",
    "dJ-dW",
    "sgd-step",
    "sgd-trained",
]


def trace_of(s):
    trainer = trainer_of(s)
    convention = Convention(
        sign=s.view.get("sign", "loss"),
        layout=s.view.get("layout", "row"),
        bias=s.view.get("bias", "separate"),
    )
    trace = trainer.trace_example(s.view.get("selected", 0), convention=convention)
    return trainer, {q.symbol: np.asarray(q.value, dtype=float) for q in trace.quantities}


def test_the_tour_follows_the_lecture_in_order() -> None:
    assert [s.id for s in SCENES] == LECTURE_ORDER
    assert len({s.id for s in SCENES}) == len(SCENES)
    assert scene("delta-h") is SCENES[LECTURE_ORDER.index("delta-h")]
    assert scene("no such slide") is None


@pytest.mark.parametrize("s", SCENES, ids=lambda s: s.id)
def test_each_scene_builds_the_same_network_every_time(s) -> None:
    first, second = trainer_of(s), trainer_of(s)
    assert first.step == second.step == s.steps + (1 if "update" in s.phases else 0)
    for name, value in first.parameters().items():
        assert np.array_equal(value, second.parameters()[name]), name
    assert first.phase == ("ready" if not s.phases or s.phases[-1] == "update" else s.phases[-1])
    assert s.phases == PHASES_OF_VIEW[s.view.get("phase", "ready")]


@pytest.mark.parametrize("s", [s for s in SCENES if s.shows], ids=lambda s: s.id)
def test_each_scene_traces_what_its_caption_names(s) -> None:
    _, q = trace_of(s)
    missing = [symbol for symbol in s.shows if symbol not in q]
    assert not missing, f"{s.id}: the trace has no {missing}"


def test_binary_logistic_gradient_is_y_minus_o_times_x() -> None:
    _, q = trace_of(scene("binary-logistic-gradient"))
    y, o, x = q["y"].item(), q["o"].item(), q["x"].ravel()
    assert 0.05 < o < 0.95, "after 20 steps o is a probability worth reading, not ½"
    assert np.allclose(q["dJ/dw"].ravel(), (y - o) * x)


def test_softmax_jacobian_and_its_product_are_the_slides() -> None:
    _, q = trace_of(scene("softmax-jacobian"))
    o = q["o"].ravel()
    k = int(q["k"].item())  # 1-based, as on the slides
    expected = np.diag(o) - np.outer(o, o)  # [o_j I(i = j) − o_i o_j]_ij
    assert np.allclose(q["do/dv"], expected)
    one_hot = np.eye(len(o))[k - 1]
    assert np.allclose(q["dJ/dz"].ravel(), one_hot - o)


def test_mlp_scenes_show_the_relu_mask_at_work() -> None:
    """δ⁽ᶻ⁾ = δ⁽ʰ⁾diag(I(z > 0)) and ∂J/∂W = δ⁽ᶻ⁾ᵀxᵀ: the traced example has units on both
    sides of 0, so the slide's zero entries and zero rows are there to point at."""
    _, q = trace_of(scene("delta-z"))
    z = q["z"].ravel()
    assert (z > 0).any() and (z <= 0).any(), z
    assert np.allclose(q["delta_z"].ravel(), q["delta_h"].ravel() * (z > 0))
    assert np.allclose(q["delta_h"].ravel(), q["delta_o"].ravel() @ q["U"][:, : len(z)])
    _, q = trace_of(scene("dJ-dW"))
    dw = q["dJ/dW"]
    dead = q["z"].ravel() <= 0
    assert np.all(dw[dead] == 0) and np.any(dw[~dead] != 0)


def test_delta_o_is_minus_o_plus_the_one_hot() -> None:
    _, q = trace_of(scene("delta-o"))
    o = q["o"].ravel()
    k = int(q["k"].item())
    assert np.allclose(q["delta_o"].ravel(), np.eye(len(o))[k - 1] - o)


def test_the_last_scene_has_learnt() -> None:
    start = trainer_of(scene("mlp-forward")).metrics()
    trained = trainer_of(scene("sgd-trained")).metrics()
    assert trained.train_loss < start.train_loss / 10
    assert trained.test_accuracy > 0.9


def test_the_questions_are_answered_by_the_numbers_the_reveal_shows() -> None:
    """Read before the reveal, the forward pass already decides them: δ⁽ᵒ⁾_k = 1 − o_k > 0
    for the log-likelihood, and δ⁽ᶻ⁾ᵢ = 0 exactly where zᵢ ≤ 0 (δ⁽ʰ⁾ has no zeros here)."""
    asked = [s for s in SCENES if s.question]
    assert [s.id for s in asked] == ["predict-delta-o", "predict-relu-mask"]
    for s in asked:
        assert s.view["phase"] == "loss" and s.question.reveal == "backward"
        assert len(set(s.question.options)) == len(s.question.options)
    s = scene("predict-delta-o")
    _, q = trace_of(s)  # at the loss: no δ yet on the page
    o_k = q["o"].ravel()[int(q["k"].item()) - 1]
    assert s.question.options[answer_of(s)] == ("positive" if 1 - o_k > 0 else "negative")
    s = scene("predict-relu-mask")
    _, q = trace_of(s)
    dead = int(np.sum(q["z"].ravel() <= 0))
    assert answer_of(s) == dead == 3, "the mask is the lesson: most units pass nothing back"
