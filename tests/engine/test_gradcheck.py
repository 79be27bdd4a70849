"""The user-facing gradient check passes for correct backprop and catches a wrong one."""

import numpy as np
import pytest

from engine import ACTIVATIONS, Config, GradCheck, Trainer
from engine.activations import ACTIVATION_BY_NAME, Activation
from engine.gradcheck import gradient_check


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("hidden", [[], [5], [5, 4], [4, 3, 3]])
def test_gradient_check_passes(activation, hidden):
    t = Trainer(
        Config.from_dict(
            {
                "data": {"dataset": "spiral", "classes": 3},
                "model": {
                    "hidden": hidden,
                    "activation": activation,
                    "features": ["x1", "x2", "x1*x2"],
                },
            }
        )
    )
    t.train(20)
    check = t.gradient_check()
    assert isinstance(check, GradCheck)
    assert check.passed, {k: c.relative_error for k, c in check.layers.items()}
    names = (
        ["W", "b"]
        if not hidden
        else (
            ["W", "b", "U", "c"]
            if len(hidden) == 1
            else [n for i in range(len(hidden)) for n in (f"W{i + 1}", f"b{i + 1}")] + ["U", "c"]
        )
    )
    assert sorted(check.layers) == sorted(names)
    for c in check.layers.values():
        assert c.relative_error < 1e-6 and c.analytic.shape == c.numeric.shape


def test_gradient_check_binary_logistic():
    t = Trainer(Config.from_dict({"model": {"model": "logistic", "hidden": []}}))
    t.train(10)
    assert t.gradient_check().passed


def test_gradient_check_does_not_touch_the_parameters():
    t = Trainer()
    before = [layer.W.copy() for layer in t.layers]
    t.gradient_check()
    assert all(np.array_equal(a, layer.W) for a, layer in zip(before, t.layers, strict=True))


def test_gradient_check_catches_a_wrong_derivative():
    relu = ACTIVATION_BY_NAME["relu"]
    wrong = Activation(  # claims ∂h/∂z = 0.5·I(z > 0)
        "relu",
        relu.output,
        relu.derivative,
        lambda d, z, h: 0.5 * d * (z > 0),
        relu.formula,
        relu.jacobian_formula,
        relu.gain,
        relu.bias,
    )
    t = Trainer()
    check = gradient_check(t.layers, t._phi_train[:16], t._Y_train[:16], wrong, t._output)
    assert not check.passed
    assert check["W"].relative_error > 0.1
    assert check["U"].relative_error < 1e-6  # the output layer does not use ∂h/∂z


def test_big_arrays_are_checked_on_a_sample():
    t = Trainer(Config.from_dict({"model": {"hidden": [40, 30]}}))
    t.train(5)
    check = t.gradient_check()
    assert check.passed
    w2 = check["W2"]  # 30×40 = 1200 entries
    assert w2.checked == 200 and np.isnan(w2.numeric).sum() == 1000
    sampled = ~np.isnan(w2.numeric)
    np.testing.assert_allclose(w2.numeric[sampled], w2.analytic[sampled], rtol=1e-5, atol=1e-9)
    assert check["W1"].checked == 80 and not np.isnan(check["W1"].numeric).any()
