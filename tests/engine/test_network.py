"""Backprop against central finite differences of an independent NumPy loss, in float64.

The reference loss below re-implements the forward pass from the lecture's equations with
its own code (no engine function), so a wrong engine forward or backward cannot agree
with it by construction.
"""

import itertools

import numpy as np
import pytest

from engine import ACTIVATIONS
from engine.activations import get_activation
from engine.network import (
    Layer,
    backward,
    bias_names,
    forward,
    init_layers,
    input_rms,
    layer_names,
)
from engine.outputs import SigmoidOutput, SoftmaxOutput

EPS = 1e-6
TOL = 1e-6

REF_ACT = {
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}


def reference_loss(params, x, labels, act_name, output_name):
    """J = −(1/m) Σ log P(y_n | x_n), from the lecture's equations, one example at a time."""
    total = 0.0
    for xn, k in zip(x, labels, strict=True):
        a = xn
        for W, b in params[:-1]:
            a = REF_ACT[act_name](W @ a + b)
        U, c = params[-1]
        v = U @ a + c
        if output_name == "sigmoid":
            o = 1.0 / (1.0 + np.exp(-v[0]))
            total += -(k * np.log(o) + (1 - k) * np.log(1 - o))
        else:
            Z = np.sum(np.exp(v))
            total += -np.log(np.exp(v[k]) / Z)
    return total / len(labels)


def finite_differences(params, x, labels, act_name, output_name):
    grads = []
    for W, b in params:
        pair = []
        for p in (W, b):
            g = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                saved = p[idx]
                p[idx] = saved + EPS
                plus = reference_loss(params, x, labels, act_name, output_name)
                p[idx] = saved - EPS
                minus = reference_loss(params, x, labels, act_name, output_name)
                p[idx] = saved
                g[idx] = (plus - minus) / (2 * EPS)
            pair.append(g)
        grads.append(pair)
    return grads


def rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def make_problem(depth, act_name, output_name, seed=0, m=6, d=3):
    rng = np.random.default_rng(seed)
    K = 1 if output_name == "sigmoid" else 3
    sizes = [d] + [4 + i for i in range(depth)] + [K]
    layers = init_layers(sizes, get_activation(act_name).gain, seed)
    for layer in layers:  # non-zero biases so their gradients are exercised
        layer.b[:] = rng.normal(0, 0.3, layer.b.shape)
    x = rng.normal(0, 1.0, (m, d))
    labels = rng.integers(0, 2 if output_name == "sigmoid" else K, m)
    return layers, x, labels, K


@pytest.mark.parametrize(
    ("act_name", "depth", "output_name"),
    list(itertools.product(ACTIVATIONS, [0, 1, 2, 3], ["softmax", "sigmoid"])),
)
def test_backprop_matches_finite_differences(act_name, depth, output_name):
    layers, x, labels, K = make_problem(depth, act_name, output_name)
    act = get_activation(act_name)
    output = SigmoidOutput if output_name == "sigmoid" else SoftmaxOutput
    classes = 2 if output_name == "sigmoid" else K
    fwd = forward(layers, x, act, output)
    bwd = backward(layers, fwd, output.targets(labels, classes), act, scale=1.0 / len(x))
    params = [(layer.W.copy(), layer.b.copy()) for layer in layers]
    numeric = finite_differences(params, x, labels, act_name, output_name)
    for i, (gW, gb) in enumerate(numeric):
        assert rel_err(bwd.weight_grads[i], gW) < TOL, (i, "W")
        assert rel_err(bwd.bias_grads[i], gb) < TOL, (i, "b")


def test_forward_matches_the_lecture_equations():
    layers, x, _, _ = make_problem(1, "relu", "softmax")
    fwd = forward(layers, x, get_activation("relu"), SoftmaxOutput)
    W, b = layers[0].W, layers[0].b
    U, c = layers[1].W, layers[1].b
    for n in range(len(x)):
        z = W @ x[n] + b
        h = np.maximum(z, 0)
        v = U @ h + c
        o = np.exp(v) / np.exp(v).sum()
        np.testing.assert_allclose(fwd.zs[0][n], z, rtol=1e-12)
        np.testing.assert_allclose(fwd.hs[0][n], h, rtol=1e-12)
        np.testing.assert_allclose(fwd.v[n], v, rtol=1e-12)
        np.testing.assert_allclose(fwd.o[n], o, rtol=1e-12)


def test_layer_and_bias_names_follow_the_lecture():
    assert layer_names(0) == ["W"] and bias_names(0) == ["b"]
    assert layer_names(1) == ["W", "U"] and bias_names(1) == ["b", "c"]
    assert layer_names(2) == ["W1", "W2", "U"] and bias_names(2) == ["b1", "b2", "c"]


def test_init_is_seeded_and_scaled():
    a = init_layers([2, 64, 2], 2**0.5, seed=1)
    b = init_layers([2, 64, 2], 2**0.5, seed=1)
    c = init_layers([2, 64, 2], 2**0.5, seed=2)
    assert all(np.array_equal(p.W, q.W) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0].W, c[0].W)
    assert a[0].W.shape == (64, 2) and a[1].W.shape == (2, 64)
    # He init: Var(W) = 2 / fan_in
    big = init_layers([100, 400], 2**0.5, seed=0)[0].W
    assert abs(big.var() - 2 / 100) < 0.002
    assert isinstance(a[0], Layer) and np.all(a[0].b == 0)
    biased = init_layers([2, 4, 3, 2], 1.0, seed=0, hidden_bias=0.1)
    assert [list(la.b) for la in biased] == [[0.1] * 4, [0.1] * 3, [0.0] * 2]


def test_init_scales_the_first_layer_by_the_input_rms_and_the_output_by_its_gain():
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1.0, (4000, 50)) * np.linspace(0.1, 6.0, 50)  # raw, unnormalised
    rms = np.sqrt((x**2).mean(axis=0))
    np.testing.assert_allclose(input_rms(x), rms)
    plain = init_layers([50, 400, 3], 2**0.5, seed=0)
    scaled = init_layers([50, 400, 3], 2**0.5, seed=0, input_scale=rms, output_gain=0.1)
    np.testing.assert_allclose(scaled[0].W, plain[0].W / rms)  # column j divided by rms_j
    # variance preserved as for unit inputs: Var(z) ≈ gain² = 2, whatever the input scale
    assert abs((x @ scaled[0].W.T).var() - 2.0) < 0.2
    np.testing.assert_allclose(scaled[1].W, plain[1].W * (0.1 / 2**0.5))
    # a feature that is 0 everywhere keeps its weights (nothing to scale by)
    assert input_rms(np.zeros((5, 2))).tolist() == [1.0, 1.0]
