"""The chain-rule lab: the lecture's two examples, against hand-written derivatives."""

import math

import numpy as np
import pytest

from engine import ConfigError, chain_rule_examples


@pytest.mark.parametrize(("x", "y"), [(1.0, 2.0), (-0.7, 0.3), (2.5, -1.5)])
def test_jacobian_of_f_and_g(x, y):
    r = chain_rule_examples(x, y)
    J = np.array([[6 * y * x, 3 * x**2], [5 * y, 5 * x + 3 * y**2]])
    np.testing.assert_allclose(r["jacobian"]["analytic"], J, rtol=1e-12)
    np.testing.assert_allclose(r["jacobian"]["numeric"], J, rtol=1e-6, atol=1e-8)
    assert r["jacobian"]["values"]["f"] == pytest.approx(3 * x**2 * y)
    d = chain_rule_examples(x, y, layout="denominator")
    np.testing.assert_allclose(d["jacobian"]["analytic"], J.T, rtol=1e-12)


@pytest.mark.parametrize("x", [0.5, -1.2, 3.0])
def test_vector_chain_rule(x):
    r = chain_rule_examples(x, 0.0)["vector_chain_rule"]
    np.testing.assert_allclose(r["g"], [x**2, 3 * x])
    np.testing.assert_allclose(r["y"], [math.log(x**2), math.sin(3 * x)])
    np.testing.assert_allclose(r["dy_dg"], np.diag([1 / x**2, math.cos(3 * x)]), rtol=1e-12)
    np.testing.assert_allclose(r["dg_dx"], [[2 * x], [3.0]])
    expected = np.array([[2 / x], [3 * math.cos(3 * x)]])
    np.testing.assert_allclose(r["product"], expected, rtol=1e-12)
    np.testing.assert_allclose(r["numeric"], expected, rtol=1e-6, atol=1e-8)
    d = chain_rule_examples(x, 0.0, layout="denominator")["vector_chain_rule"]
    np.testing.assert_allclose(d["product"], expected.T, rtol=1e-12)
    np.testing.assert_allclose(d["dg_dx"] @ d["dy_dg"], d["product"], rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0.0, 1.0), "x"),
        ((float("nan"), 1.0), "x"),
        ((1.0, float("inf")), "y"),
        ((1.0, 1.0, "diagonal"), "layout"),
    ],
)
def test_invalid_points_name_the_field(args, field):
    with pytest.raises(ValueError) as info:
        chain_rule_examples(*args)
    assert isinstance(info.value, ConfigError) and info.value.field == field
    assert field in str(info.value)
