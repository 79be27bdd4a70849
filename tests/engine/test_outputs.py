"""Output layers: softmax, its Jacobian, targets."""

import numpy as np

from engine.outputs import SigmoidOutput, SoftmaxOutput, softmax, softmax_jacobian


def test_softmax_is_shift_invariant_and_stable():
    v = np.array([[1.0, 2.0, 3.0], [1001.0, 1002.0, 1003.0]])
    with np.errstate(all="raise"):
        o = softmax(v)
    np.testing.assert_allclose(o[0], o[1], rtol=1e-12)
    np.testing.assert_allclose(o[0], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-12)


def test_softmax_jacobian_batch_and_single():
    o = softmax(np.array([[0.2, -1.0, 0.5], [2.0, 0.0, 0.0]]))
    J = softmax_jacobian(o)
    assert J.shape == (2, 3, 3)
    for n in range(2):
        np.testing.assert_allclose(J[n], np.diag(o[n]) - np.outer(o[n], o[n]), rtol=1e-12)
        np.testing.assert_allclose(softmax_jacobian(o[n]), J[n])
        np.testing.assert_allclose(J[n].sum(axis=1), 0.0, atol=1e-15)  # probabilities sum to 1


def test_targets():
    y = np.array([2, 0, 1])
    np.testing.assert_array_equal(SoftmaxOutput.targets(y, 3), np.eye(3)[y])
    np.testing.assert_array_equal(SigmoidOutput.targets(np.array([1, 0]), 2), [[1.0], [0.0]])
    o = np.array([[0.8], [0.3]])
    np.testing.assert_allclose(
        SigmoidOutput.true_class_probability(o, np.array([1, 1]), np.arange(2)), [0.8, 0.3]
    )


def test_nll_is_minus_log_o_k():
    v = np.array([[0.2, -1.0, 0.5], [2.0, 0.0, 0.0]])
    y = np.array([2, 1])
    o = np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
    rows = np.arange(2)
    np.testing.assert_allclose(SoftmaxOutput.nll(v, y, rows), -np.log(o[rows, y]), rtol=1e-13)
    s = np.array([[0.3], [-2.0], [4.0]])
    yb = np.array([1, 0, 0])
    sig = 1.0 / (1.0 + np.exp(-s[:, 0]))
    expected = -np.log(np.where(yb == 1, sig, 1.0 - sig))
    np.testing.assert_allclose(SigmoidOutput.nll(s, yb, np.arange(3)), expected, rtol=1e-13)


def test_nll_stays_exact_where_o_k_underflows():
    # o_k = e^−1000 / (1 + e^−1000) is 0 in float64, but −log o_k = 1000 + log(1 + e^−1000);
    # e^−1000 itself may underflow to 0 (harmlessly), nothing may overflow or divide by 0
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_allclose(
            SoftmaxOutput.nll(np.array([[0.0, 1000.0]]), np.array([0]), np.arange(1)), [1000.0]
        )
        np.testing.assert_allclose(
            SigmoidOutput.nll(np.array([[-800.0], [900.0]]), np.array([1, 0]), np.arange(2)),
            [800.0, 900.0],
        )


def test_argmax_columns_is_argmax_along_axis_0():
    from engine.outputs import argmax_columns

    rng = np.random.default_rng(1)
    for trial in range(600):
        K, n = int(rng.integers(1, 7)), int(rng.integers(0, 40))
        dtype = np.float32 if trial % 2 else np.float64
        o = rng.integers(0, 3, (K, n)).astype(dtype)  # small integers: many ties
        if n and trial % 3 == 0:
            o[rng.integers(0, K), rng.integers(0, n)] = np.nan
        if n and trial % 5 == 0:
            o[rng.integers(0, K), rng.integers(0, n)] = -np.inf if trial % 2 else np.inf
        got = argmax_columns(o)
        assert got.dtype == np.uint8 and got.shape == (n,)
        if n:
            np.testing.assert_array_equal(got, o.argmax(axis=0))
