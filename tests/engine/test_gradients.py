"""Trainer.gradients(): the current minibatch's ∂J/∂W, ∂J/∂b without building a trace."""

import numpy as np
import pytest

from engine import Config, Trainer
from engine.activations import get_activation
from engine.gradcheck import central_differences, mean_nll
from engine.network import bias_names
from engine.outputs import OUTPUTS

CONFIGS = [
    {},
    {"model": {"hidden": [5, 3], "activation": "tanh", "features": ["x1", "x2", "x1*x2"]}},
    {"model": {"model": "logistic", "hidden": []}},
    {"data": {"classes": 3, "dataset": "blobs"}, "model": {"hidden": [6]}},
    {"train": {"batch_size": 7, "momentum": 0.9, "l2": 0.01}},
    {"train": {"batch_size": 2000}},  # the whole training set
]


def trace_gradients(trainer):
    """(∂J/∂W, ∂J/∂b) per layer, read from the batch trace (the lecture's symbols).

    Binary logistic regression's trace names the gradient of its single weight row ∂J/∂w,
    as the slide does; it is ∂J/∂W as the 1×d matrix the trainer keeps."""
    trace = trainer.trace_batch()
    values = {q.symbol: q.value for q in trace.quantities}
    if "dJ/dw" in values:
        values["dJ/dW"] = values["dJ/dw"][None, :]
    biases = bias_names(len(trainer.layer_names) - 1)
    return [
        (values[f"dJ/d{w}"], values[f"dJ/d{b}"])
        for w, b in zip(trainer.layer_names, biases, strict=True)
    ]


def assert_gradients_equal(got, expected):
    assert len(got) == len(expected)
    for (gW, gb), (eW, eb) in zip(got, expected, strict=True):
        assert gW.shape == eW.shape and gb.shape == eb.shape
        np.testing.assert_allclose(gW, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gb, eb, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("config", CONFIGS)
def test_gradients_equal_the_batch_trace_in_every_phase(config):
    t = Trainer(Config.from_dict(config))
    assert_gradients_equal(t.gradients(), trace_gradients(t))  # step 0
    t.train(37)
    assert_gradients_equal(t.gradients(), trace_gradients(t))  # between steps
    t.forward_phase()
    assert_gradients_equal(t.gradients(), trace_gradients(t))  # mid-step: pending batch
    t.backward_phase()
    assert_gradients_equal(t.gradients(), trace_gradients(t))
    t.update_phase()
    assert_gradients_equal(t.gradients(), trace_gradients(t))


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_gradients_equal_finite_differences_on_the_minibatch(config):
    t = Trainer(Config.from_dict(config))
    t.train(23)
    trace = t.trace_batch()  # the minibatch the next step uses
    x = trace["x"]  # (m, d) features
    labels = np.asarray(trace.target)
    act, output = get_activation(t.config.model.activation), OUTPUTS[t.config.output]
    layers = [layer.copy() for layer in t.layers]

    def J():
        return mean_nll(layers, x, labels, act, output)

    for (gW, gb), layer in zip(t.gradients(), layers, strict=True):
        for analytic, param in ((gW, layer.W), (gb, layer.b)):
            numeric = central_differences(J, param, np.arange(param.size), 1e-6)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradients_are_the_ones_the_next_update_applies():
    t = Trainer(Config.from_dict({"train": {"learning_rate": 0.2}}))
    t.train(11)
    before = [(layer.W.copy(), layer.b.copy()) for layer in t.layers]
    grads = t.gradients()
    t.train(1)
    for (W, b), (gW, gb), layer in zip(before, grads, t.layers, strict=True):
        np.testing.assert_allclose(layer.W, W - 0.2 * gW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.b, b - 0.2 * gb, rtol=1e-12, atol=1e-15)


def test_gradients_change_nothing():
    a, b = Trainer(), Trainer()
    for _ in range(40):  # crosses epoch boundaries, where the sampler only peeks
        a.train(1)
        b.train(1)
        grads = b.gradients()
        grads[0][0][...] = np.nan  # the caller may scribble on what it got
    a.forward_phase()
    b.forward_phase()
    a.backward_phase()
    b.backward_phase()
    b.gradients()[0][0][...] = np.nan
    a.update_phase()
    b.update_phase()
    a.train(5)
    b.train(5)
    for la, lb in zip(a.layers, b.layers, strict=True):
        np.testing.assert_array_equal(la.W, lb.W)
        np.testing.assert_array_equal(la.b, lb.b)
