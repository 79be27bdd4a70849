"""The lecture as a lesson: its slides, in order, each a live scene of the product.

The built-in lesson "lecture" follows the backpropagation lecture slide by slide: the
Jacobian and the vector chain rule (the chain-rule lab), binary logistic regression and its
gradient, multi-class logistic regression and the softmax Jacobian, the MLP's forward pass,
the error signals δ⁽ᵒ⁾, δ⁽ʰ⁾ = δ⁽ᵒ⁾U, δ⁽ᶻ⁾ = δ⁽ʰ⁾diag(I(z > 0)), δ⁽ˣ⁾, the gradients ∂J/∂U
and ∂J/∂W, and minibatch SGD. Each scene is captioned with the slide's own equation in the
slide's notation, and opens on the view where that equation's live numbers are.

A scene is not stored: it is a recipe (a configuration, SGD steps, the phases run after
them) that `trainer_of` builds afresh, deterministically, so the tour is the same on every
server and never goes stale when the engine's state format changes.

The lecture's conventions, kept by the view of every scene: δ's are row vectors
(layout "row"); J is the log-likelihood in the derivations (sign "loglik": δ⁽ᵒ⁾ =
[−o₁ ⋯ 1 − o_k ⋯ −o_K]) and the loss that SGD descends on its slide (sign "loss"); the MLP
slides fold the bias into the weights (bias "augmented"), the logistic-regression slides
write b apart (bias "separate").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import Config, Convention, Trainer

LECTURE_ID = "lecture"
LECTURE_TITLE = "Backpropagation, the lecture"

#: The engine phases a view's phase is reached by, from a step's start ("loss" is the
#: forward pass seen from the loss; "update" is after the parameters moved).
PHASES_OF_VIEW: dict[str, tuple[str, ...]] = {
    "ready": (),
    "forward": ("forward",),
    "loss": ("forward",),
    "backward": ("forward", "backward"),
    "update": ("forward", "backward", "update"),
}


#: What a scene's view is unless it says otherwise (the page's own defaults).
VIEW_DEFAULTS: dict[str, Any] = {
    "edge_mode": "weight",
    "selected": 0,
    "selected_split": "train",
    "discretize": False,
    "show_test": True,
    "presentation": False,
}


@dataclass(frozen=True)
class Question:
    """Predict, then reveal: asked before the phase `reveal`, answered by its numbers."""

    text: str
    options: tuple[str, ...]
    reveal: str  # the engine phase whose numbers answer it: "forward", "backward", "update"
    answer: Callable[[dict[str, np.ndarray]], int]  # trace quantities after it → option

    def to_dict(self, answer: int | None) -> dict[str, Any]:
        return {
            "text": self.text,
            "options": list(self.options),
            "reveal": self.reveal,
            "answer": answer,
        }


@dataclass(frozen=True)
class LectureScene:
    """One slide as a scene: what to build, how to show it, what its caption names."""

    id: str
    slide: str  # the slide's title in the lecture
    caption: str  # the slide's equation, in its notation, and one sentence
    config: dict[str, Any]  # the body of POST /api/sessions
    steps: int  # minibatch SGD steps trained before the scene
    view: dict[str, Any]  # a SceneView: tab, phase, convention, traced example…
    shows: tuple[str, ...] = ()  # trace symbols the caption names (checked by the tests)
    phases: tuple[str, ...] = field(default=())  # engine phases run after the steps
    question: Question | None = None  # asked before the next phase, if the scene has one

    def __post_init__(self) -> None:
        # A scene opens exactly as written: what its view leaves out takes the page's
        # defaults, not whatever the scene before it showed.
        object.__setattr__(self, "view", {**VIEW_DEFAULTS, **self.view})
        if not self.phases:
            object.__setattr__(self, "phases", PHASES_OF_VIEW[self.view.get("phase", "ready")])


# The lecture's networks. Its MLP: one ReLU hidden layer, softmax over K = 3 classes.
_BINARY = {
    "data": {"dataset": "gauss", "classes": 2, "noise": 0.3, "seed": 1},
    "model": {"model": "logistic", "hidden": []},
}
_MULTI = {
    "data": {"dataset": "blobs", "classes": 3, "seed": 2},
    "model": {"model": "logistic", "hidden": []},
}
_MLP = {
    "data": {"dataset": "blobs", "classes": 3, "seed": 2},
    "model": {"model": "mlp", "hidden": [4], "activation": "relu", "init_seed": 3},
    "train": {"learning_rate": 0.1, "batch_size": 10},
}
_LOGLIK_ROW = {"sign": "loglik", "layout": "row"}

SCENES: tuple[LectureScene, ...] = (
    LectureScene(
        id="jacobian",
        slide="Jacobian matrix · Vector chain rule",
        caption=(
            "J = [∂f/∂x ∂f/∂y; ∂g/∂x ∂g/∂y] = [6yx 3x²; 5y 5x + 3y²], and "
            "∂/∂x f(g(x)) = (∂f/∂g)(∂g/∂x): pick a point, the numbers are the Jacobian's there."
        ),
        config=_MLP,
        steps=0,
        view={"tab": "chain-rule", "phase": "ready", **_LOGLIK_ROW, "bias": "augmented"},
    ),
    LectureScene(
        id="binary-logistic",
        slide="Logistic regression for binary classification",
        caption=(
            "z = wᵀx + b,  o = σ(z),  J = y log(o) + (1 − y) log(1 − o): "
            "the traced example's z, its probability o and its log-likelihood."
        ),
        config=_BINARY,
        steps=20,
        view={"tab": "curves", "phase": "loss", **_LOGLIK_ROW, "bias": "separate"},
        shows=("z", "o", "J"),
    ),
    LectureScene(
        id="binary-logistic-gradient",
        slide="Logistic regression: derivative of J with respect to w",
        caption=(
            "∂J/∂w = (∂J/∂o)(∂o/∂z)(∂z/∂w) = (y/o − (1 − y)/(1 − o)) · o(1 − o) xᵀ = (y − o)xᵀ"
        ),
        config=_BINARY,
        steps=20,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "separate"},
        shows=("dJ/do", "do/dz", "dJ/dw"),
    ),
    LectureScene(
        id="softmax-regression",
        slide="Logistic regression for multi-class classification",
        caption=(
            "z = Wx + b,  o = softmax(z) = exp(z)/Z,  J = yᵀ log(o): "
            "K = 3 classes, y the one-hot target."
        ),
        config=_MULTI,
        steps=20,
        view={"tab": "curves", "phase": "loss", **_LOGLIK_ROW, "bias": "separate"},
        shows=("z", "o", "J"),
    ),
    LectureScene(
        id="softmax-jacobian",
        slide="Logistic regression: derivative of J with respect to W",
        caption=(
            "∂o/∂z = [o_j I(i = j) − o_i o_j]_ij,  ∂J/∂z = (∂J/∂o)(∂o/∂z) = "
            "[I(1 = k) − o₁ ⋯ 1 − o_k ⋯ I(K = k) − o_K]"
        ),
        config=_MULTI,
        steps=20,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "separate"},
        shows=("do/dv", "dJ/dz"),
    ),
    LectureScene(
        id="softmax-gradient",
        slide="Logistic regression: derivative of J with respect to W (cont.)",
        caption="∂J/∂W_i* = (I(i = k) − o_i) xᵀ, so ∂J/∂W = (∂J/∂z)ᵀ xᵀ: one row per class.",
        config=_MULTI,
        steps=20,
        view={
            "tab": "curves",
            "phase": "backward",
            "edge_mode": "gradient",
            **_LOGLIK_ROW,
            "bias": "separate",
        },
        shows=("dJ/dW",),
    ),
    LectureScene(
        id="mlp-forward",
        slide="MLP with single hidden layer: matrix notation",
        caption="h = max(Wx, 0),  o = softmax(Uh): the forward pass, bias folded into W and U.",
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "forward", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("z", "h", "v", "o"),
    ),
    LectureScene(
        id="predict-delta-o",
        slide="Derivative of J with respect to the output layer: predict",
        caption=(
            "Predict, then reveal: J = yᵀ log(o) is known. Which sign will δ⁽ᵒ⁾_k, the error "
            "signal at the target class k, have? Reveal with the backward pass."
        ),
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "loss", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("o", "J"),
        question=Question(
            text="What sign will δ⁽ᵒ⁾_k have, at the target class k?",
            options=("positive", "negative", "zero"),
            reveal="backward",
            answer=lambda q: _sign_option(q["delta_o"].ravel()[int(q["k"].item()) - 1]),
        ),
    ),
    LectureScene(
        id="delta-o",
        slide="Derivative of J with respect to the output layer",
        caption="δ⁽ᵒ⁾ := ∂J/∂v = [−o₁ ⋯ 1 − o_k ⋯ −o_K], a row vector.",
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("o", "delta_o"),
    ),
    LectureScene(
        id="delta-h",
        slide="Error propagation to the hidden layer",
        caption="δ⁽ʰ⁾ := ∂J/∂h = (∂J/∂v)(∂v/∂h) = δ⁽ᵒ⁾U",
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("delta_o", "U", "delta_h"),
    ),
    LectureScene(
        id="predict-relu-mask",
        slide="Error propagation to the input layer: predict",
        caption=(
            "Predict, then reveal: δ⁽ᶻ⁾ = δ⁽ʰ⁾ diag(I(z_i > 0)). Look at z in the forward pass: "
            "how many of the 4 hidden units will pass no error back?"
        ),
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "loss", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("z", "h"),
        question=Question(
            text="How many of the 4 hidden units will have δ⁽ᶻ⁾ᵢ = 0?",
            options=("0", "1", "2", "3", "4"),
            reveal="backward",
            answer=lambda q: int(np.sum(q["delta_z"].ravel() == 0)),
        ),
    ),
    LectureScene(
        id="delta-z",
        slide="Error propagation to the input layer",
        caption=(
            "δ⁽ᶻ⁾ := ∂J/∂z = δ⁽ʰ⁾ diag(I(z_i > 0)): a hidden unit with z ≤ 0 passes no error back."
        ),
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("delta_h", "dh/dz", "delta_z"),
    ),
    LectureScene(
        id="delta-x",
        slide="Error propagation to the input layer (δ⁽ˣ⁾)",
        caption="δ⁽ˣ⁾ := ∂J/∂x = δ⁽ʰ⁾ diag(I(z_i > 0)) W",
        config=_MLP,
        steps=0,
        view={"tab": "curves", "phase": "backward", **_LOGLIK_ROW, "bias": "augmented"},
        shows=("delta_z", "W", "delta_x"),
    ),
    LectureScene(
        id="dJ-dU",
        slide="Derivative of J with respect to the hidden-output weights U",
        caption="∂J/∂U_i* = δᵢ⁽ᵒ⁾ hᵀ, so ∂J/∂U = δ⁽ᵒ⁾ᵀ hᵀ: an outer product, one row per class.",
        config=_MLP,
        steps=0,
        view={
            "tab": "curves",
            "phase": "backward",
            "edge_mode": "gradient",
            **_LOGLIK_ROW,
            "bias": "augmented",
        },
        shows=("delta_o", "h", "dJ/dU"),
    ),
    LectureScene(
        id="dJ-dW",
        slide="Derivative of J with respect to the input-hidden weights W",
        caption=(
            "∂J/∂W_i* = δᵢ⁽ᶻ⁾ xᵀ, so ∂J/∂W = δ⁽ᶻ⁾ᵀ xᵀ: the rows of a unit with z ≤ 0 are zero."
        ),
        config=_MLP,
        steps=0,
        view={
            "tab": "curves",
            "phase": "backward",
            "edge_mode": "gradient",
            **_LOGLIK_ROW,
            "bias": "augmented",
        },
        shows=("delta_z", "x", "dJ/dW"),
    ),
    LectureScene(
        id="sgd-step",
        slide="Stochastic gradient method",
        caption=(
            "A minibatch of m examples, J its loss, then W ← W − η ∂J/∂W for every W ∈ θ: "
            "one update, step by step."
        ),
        config=_MLP,
        steps=0,
        view={
            "tab": "curves",
            "phase": "update",
            "sign": "loss",
            "layout": "row",
            "bias": "augmented",
        },
        shows=("W", "dJ/dW"),
    ),
    LectureScene(
        id="sgd-trained",
        slide="Stochastic gradient method: iterate",
        caption=(
            "Iterate until a stopping criterion is met: 300 minibatch steps later the loss has "
            "fallen and the boundary separates the classes. Press Play to go on."
        ),
        config=_MLP,
        steps=300,
        view={
            "tab": "curves",
            "phase": "ready",
            "sign": "loss",
            "layout": "row",
            "bias": "augmented",
        },
        shows=("J",),
    ),
)


def _sign_option(value: float) -> int:
    """The option of ("positive", "negative", "zero") that `value` is."""
    return 0 if value > 0 else 1 if value < 0 else 2


def convention_of(scene: LectureScene) -> Convention:
    """The display convention the scene's view asks for."""
    view = scene.view
    return Convention(
        sign=view.get("sign", "loss"),
        layout=view.get("layout", "row"),
        bias=view.get("bias", "separate"),
    )


def answer_of(scene: LectureScene) -> int | None:
    """The right option of the scene's question, from the numbers its reveal shows: the
    scene's network is taken through the reveal's phase and its traced example read."""
    question = scene.question
    if question is None:
        return None
    trainer = trainer_of(scene)
    order = ("forward", "backward", "update")
    for phase in order[len(scene.phases) : order.index(question.reveal) + 1]:
        getattr(trainer, f"{phase}_phase")()
    trace = trainer.trace_example(scene.view.get("selected", 0), convention=convention_of(scene))
    return question.answer({q.symbol: np.asarray(q.value, dtype=float) for q in trace.quantities})


def scene(scene_id: str) -> LectureScene | None:
    """The scene with this id, or None."""
    return next((s for s in SCENES if s.id == scene_id), None)


def trainer_of(scene: LectureScene) -> Trainer:
    """The scene's network, built afresh: the same parameters on every call and server."""
    trainer = Trainer(Config.from_dict(scene.config))
    if scene.steps:
        trainer.train(scene.steps)
    for phase in scene.phases:
        getattr(trainer, f"{phase}_phase")()
    return trainer
