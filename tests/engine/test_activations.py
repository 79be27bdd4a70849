"""Activations: each output and derivative against its definition and finite differences."""

import numpy as np
import pytest

from engine import ACTIVATIONS
from engine.activations import get_activation, sigmoid

Z = np.linspace(-4.0, 4.0, 41) + 0.013  # avoid z = 0 exactly (ReLU's kink)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivative_matches_finite_differences(name):
    act = get_activation(name)
    h = act.output(Z)
    eps = 1e-6
    numeric = (act.output(Z + eps) - act.output(Z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.derivative(Z, h), numeric, rtol=1e-7, atol=1e-9)
    delta_h = np.cos(Z)  # any upstream δ^(h)
    np.testing.assert_allclose(act.backprop(delta_h, Z, h), delta_h * numeric, rtol=1e-7, atol=1e-9)


def test_outputs_are_the_named_functions():
    np.testing.assert_array_equal(get_activation("relu").output(Z), np.maximum(Z, 0))
    np.testing.assert_allclose(get_activation("tanh").output(Z), np.tanh(Z))
    np.testing.assert_allclose(get_activation("sigmoid").output(Z), 1 / (1 + np.exp(-Z)))
    np.testing.assert_array_equal(get_activation("linear").output(Z), Z)
    assert get_activation("relu").derivative(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_float32_stays_float32():
    z = Z.astype(np.float32)
    for name in ACTIVATIONS:
        act = get_activation(name)
        h = act.output(z)
        assert h.dtype == np.float32
        assert act.backprop(z, z, h).dtype == np.float32


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_in_place_forms_equal_the_plain_ones(name):
    from engine.activations import backprop_inplace, output_inplace

    act = get_activation(name)
    h = act.output(Z)
    z = Z.copy()
    assert output_inplace(name, z) is z
    np.testing.assert_allclose(z, h, rtol=1e-15)
    delta_h = np.cos(Z)
    d = delta_h.copy()
    np.testing.assert_allclose(
        backprop_inplace(name, d, h), act.backprop(delta_h, Z, h), rtol=1e-15
    )
    eps = 1e-6  # and against finite differences, not only against the plain form
    numeric = (act.output(Z + eps) - act.output(Z - eps)) / (2 * eps)
    np.testing.assert_allclose(d, delta_h * numeric, rtol=1e-7, atol=1e-9)
