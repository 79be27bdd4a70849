"""Training health: a loss that runs away without overflowing, saturated and dead units.

The symptom these guard: tanh at η = 10 on the 3-class spiral climbs from J ≈ 1.1 to
J ≈ 10 with weights in the hundreds, and the overflow check never fires.
"""

import numpy as np
import pytest

from engine import Config, Trainer
from engine.health import (
    GROWTH,
    SATURATED_SHARE,
    SATURATION,
    HealthWatch,
    loss_is_diverging,
    stuck_units,
)
from engine.metrics import History, Metrics


def _trainer(dataset="spiral", classes=3, activation="tanh", hidden=(8, 8), lr=0.1, **model):
    return Trainer(
        Config.from_dict(
            {
                "data": {"dataset": dataset, "classes": classes},
                "model": {"activation": activation, "hidden": list(hidden), **model},
                "train": {"learning_rate": lr},
            }
        )
    )


def _kinds(warnings):
    return [(w.kind, w.layer) for w in warnings]


def test_tanh_at_learning_rate_10_is_flagged_as_diverging_within_100_steps() -> None:
    t = _trainer(lr=10.0)
    start = t.metrics().train_loss
    flagged = None
    while t.step < 100 and flagged is None:
        metrics = t.train(10)  # a frame of 10 steps, as the page plays
        flagged = next((w for w in t.health(metrics) if w.kind == "diverging"), None)
    assert flagged is not None, f"no warning by step {t.step}, J = {metrics.train_loss}"
    assert not t.diverged  # the overflow check does not see it: that is the point
    assert flagged.loss > GROWTH * flagged.best and flagged.loss > flagged.start
    assert flagged.start == pytest.approx(start)
    assert flagged.since_step == t.step
    assert "growing" in flagged.message and "learning rate 10" in flagged.message
    # it stays flagged, with the step it was first seen
    t.train(200)
    again = [w for w in t.health() if w.kind == "diverging"]
    assert again and again[0].since_step == flagged.since_step


def test_a_script_that_trains_in_one_call_sees_the_warning_too() -> None:
    t = _trainer(lr=10.0)
    t.train(500)  # history rows every 100 steps only
    assert ("diverging", None) in _kinds(t.health())


def test_the_runaway_tanh_net_is_also_saturated() -> None:
    t = _trainer(lr=10.0)
    t.train(500)
    saturated = [w for w in t.health() if w.kind == "saturated"]
    assert saturated, t.metrics().stuck_units
    w = saturated[0]
    assert w.layer == 1 and w.of == 8 and w.units > 4 and w.activation == "tanh"
    assert f"{w.units} of 8 tanh units are saturated" in w.message


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dataset", ["circle", "xor", "spiral"])
def test_default_setups_are_never_flagged(dataset: str, activation: str) -> None:
    """The defaults (one hidden layer of 8, η = 0.1, m = 10) for 3000 steps, judged every
    30 steps as a page playing would: noisy SGD is not divergence."""
    config = {"data": {"dataset": dataset}, "model": {"activation": activation}}
    t = Trainer(Config.from_dict(config))
    seen = []
    for _ in range(100):
        seen += t.health(t.train(30))
    assert t.step == 3000
    assert seen == [], [w.message for w in seen]


def test_a_spike_that_recovers_is_not_diverging_but_one_that_stays_is() -> None:
    """Rows every 10 steps: a loss that learnt from 1.1 to 0.3 and jumps to 1.6 for 20
    steps (as SGD on the spiral at η = 0.1 occasionally does) is noise; at 1.6 for more
    than half of the last 100 steps it is divergence."""

    def judge(losses):
        history, watch = History([]), HealthWatch()
        warnings = []
        for i, loss in enumerate(losses):
            history.record(_metrics(10 * i, loss))
            warnings.append(watch.judge(history, (), (), "tanh", 0.1, 10 * i))
        return warnings

    learnt = list(np.linspace(1.1, 0.3, 30))
    spike = judge([*learnt, 1.6, 1.6, *[0.3] * 20])
    assert all(w == [] for w in spike)
    stays = judge([*learnt, *[1.6] * 6])
    assert all(w == [] for w in stays[:-1])
    assert _kinds(stays[-1]) == [("diverging", None)]
    assert stays[-1][0].best == pytest.approx(0.3) and stays[-1][0].best_step == 290


def test_the_divergence_rule() -> None:
    assert loss_is_diverging(start=1.1, best=1.0, smoothed=2.5)
    assert not loss_is_diverging(start=1.1, best=1.0, smoothed=1.9)  # below twice the best
    assert not loss_is_diverging(start=0.7, best=0.01, smoothed=0.5)  # 50× best, below start
    assert loss_is_diverging(start=0.7, best=0.01, smoothed=0.8)
    assert not loss_is_diverging(start=0.7, best=0.01, smoothed=float("nan"))


def test_stuck_units_counts_saturated_tanh_and_sigmoid_units() -> None:
    n = 100
    high = int(SATURATED_SHARE * n) + 1  # just over the share of inputs
    low = int(SATURATED_SHARE * n) - 5
    tanh = np.zeros((4, n))  # (units, n)
    tanh[0, :high] = 0.999  # saturated at +1 for most inputs
    tanh[1, :high] = 0.999 * (-1.0) ** np.arange(high)  # at ±1
    tanh[2, :low] = 0.999  # saturated too rarely
    tanh[3, :] = SATURATION  # at, not past, the threshold
    assert stuck_units([tanh], "tanh") == (2,)
    sigmoid = np.full((3, n), 0.5)
    sigmoid[0, :high] = 0.001
    sigmoid[1, :high] = 0.999
    assert stuck_units([sigmoid, sigmoid[:1]], "sigmoid") == (2, 1)
    relu = np.ones((3, n))
    relu[0] = 0.0
    relu[1, :-1] = 0.0  # one input still reaches it
    assert stuck_units([relu], "relu") == (1,)
    assert stuck_units([tanh], "linear") == ()


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_a_constructed_saturated_layer_is_flagged_and_a_fresh_one_is_not(activation) -> None:
    t = _trainer(activation=activation)
    assert t.health() == []
    assert t.metrics().stuck_units == (0, 0)
    t.set_parameter("W1", 100.0 * t.parameters()["W1"])  # huge |z|: h at ±1 (or 0/1)
    warnings = t.health()
    assert _kinds(warnings) == [("saturated", 1)]
    w = warnings[0]
    assert w.units > 4 and w.of == 8 and w.activation == activation
    assert w.to_dict()["kind"] == "saturated" and "loss" not in w.to_dict()
    t.reset()
    assert t.health() == []


def test_dead_relu_layer_is_flagged() -> None:
    t = _trainer(activation="relu", hidden=(8,), dataset="circle", classes=2)
    assert t.health() == []
    b = np.full(8, -100.0)
    b[:2] = 0.1  # two units live on
    t.set_parameter("b", b)
    warnings = t.health()
    assert _kinds(warnings) == [("dead", 1)]
    assert warnings[0].units == 6 and "6 of 8 ReLU units are dead" in warnings[0].message
    assert t.metrics().dead_units == 6


def test_stuck_units_travel_with_the_metrics() -> None:
    t = _trainer()
    assert t.train(5).stuck_units == (0, 0)
    assert t.metrics().to_dict()["stuck_units"] == [0, 0]


def _metrics(step: int, loss: float) -> Metrics:
    return Metrics(step, 0.0, loss, 0.5, loss, 0.5, {}, 0, np.zeros((2, 2)), False)
