"""Binary logistic regression's trace speaks the slide's notation and nothing else.

The slide writes z = wᵀx + b, o = σ(z) = P(y = 1 | x), y ∈ {0, 1},
J = y log o + (1 − y) log(1 − o) and ∂J/∂w = (y − o)xᵀ. The trace must carry those names
with those values, in both sign conventions and both bias forms, and no second name for
the same number (no v beside z, no W or ∂J/∂W beside w and ∂J/∂w, no k beside y).
Expected values are recomputed from the trainer's weights, and the gradients by finite
differences of J, never read back from the trace under test.
"""

import numpy as np
import pytest

from engine import Config, Convention, Trainer

FEATURES = ["x1", "x2", "x1*x2"]
BINARY_SYMBOLS = [
    "x", "w", "b", "z", "o", "y", "J", "dJ/do", "do/dz", "delta_o", "dz/dx", "delta_x",
    "dJ/dw", "dJ/db",
]


def sigma(t):
    return 1.0 / (1.0 + np.exp(-t))


def log_likelihood(w, b, x, y):
    o = sigma(w @ x + b)
    return y * np.log(o) + (1 - y) * np.log(1 - o)


def numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = eps
        g[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return g


@pytest.fixture(scope="module")
def trainer():
    config = {"data": {"dataset": "gauss"}, "model": {"model": "logistic", "features": FEATURES}}
    t = Trainer(Config.from_dict(config))
    t.train(40)  # away from the initial weights: a non-zero bias
    return t


def test_the_binary_trace_has_the_slide_symbols_and_no_duplicates(trainer):
    tr = trainer.trace_point(0.8, -1.2, 1)
    assert tr.symbols == BINARY_SYMBOLS
    for duplicate in ["v", "W", "dJ/dW", "do/dv", "dJ/dz", "k", "K"]:
        assert duplicate not in tr, duplicate
    batch = trainer.trace_batch()
    assert "dJ/dw[n]" in batch and "dJ/dW" not in batch and "v" not in batch


def test_the_binary_formulas_are_the_slide_s(trainer):
    loglik = trainer.trace_point(0.8, -1.2, 1, Convention(sign="loglik"))
    formulas = {q.symbol: q.formula for q in loglik.quantities}
    assert formulas["z"] == "z = wᵀx + b"
    assert formulas["o"] == "o = σ(z) = 1 / (1 + exp(−z)) = P(y = 1 | x)"
    assert formulas["y"] == "y ∈ {0, 1}"
    assert formulas["J"] == "J = y log(o) + (1 − y) log(1 − o)"
    assert formulas["do/dz"] == "∂o/∂z = σ(z)(1 − σ(z)) = o(1 − o)"
    assert formulas["delta_o"] == "δ^(o) = ∂J/∂z = y − o"
    assert formulas["dJ/dw"] == "∂J/∂w = δ^(o) xᵀ = (y − o) xᵀ"
    assert formulas["dJ/db"] == "∂J/∂b = δ^(o) = y − o"
    loss = trainer.trace_point(0.8, -1.2, 1)
    assert loss.get("delta_o").formula == "δ^(o) = ∂J/∂z = o − y"
    assert loss.get("dJ/dw").formula == "∂J/∂w = δ^(o) xᵀ = (o − y) xᵀ"
    assert loss.get("J").formula == "J = −[y log(o) + (1 − y) log(1 − o)]"
    # "y = 1" is the second class: the label the API calls 1
    assert "class 2" in loss.get("o").name and "y = 1 for class 2" in loss.get("y").name
    aug = trainer.trace_point(0.8, -1.2, 1, Convention(bias="augmented"))
    assert aug.get("z").formula == "z = wᵀx" and "b" not in aug


@pytest.mark.parametrize("y", [0, 1])
@pytest.mark.parametrize("sign", ["loss", "loglik"])
def test_dJ_dw_is_y_minus_o_times_x_and_matches_finite_differences(trainer, y, sign):
    x1, x2 = 0.8, -1.2
    x = np.array([x1, x2, x1 * x2])
    w, b = trainer.layers[0].W[0].copy(), float(trainer.layers[0].b[0])
    o = sigma(w @ x + b)
    s = 1.0 if sign == "loglik" else -1.0  # J = ±log-likelihood
    tr = trainer.trace_point(x1, x2, y, Convention(sign=sign))
    np.testing.assert_allclose(tr["w"], w, rtol=0)
    assert tr["z"].item() == pytest.approx(w @ x + b, rel=1e-12)
    assert tr["o"].item() == pytest.approx(o, rel=1e-12)
    assert tr["y"].item() == y
    assert tr["J"] == pytest.approx(s * log_likelihood(w, b, x, y), rel=1e-12)
    err = (y - o) if sign == "loglik" else (o - y)
    assert tr["delta_o"].item() == pytest.approx(err, rel=1e-12)
    np.testing.assert_allclose(tr["dJ/dw"], err * x, rtol=1e-12)
    assert tr["dJ/db"].item() == pytest.approx(err, rel=1e-12)
    # against finite differences of J itself
    J_of_w = lambda wv: s * log_likelihood(wv, b, x, y)  # noqa: E731
    J_of_b = lambda bv: s * log_likelihood(w, bv[0], x, y)  # noqa: E731
    np.testing.assert_allclose(tr["dJ/dw"], numeric_grad(J_of_w, w), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tr["dJ/db"], numeric_grad(J_of_b, np.array([b])), rtol=1e-6)
    # δ^(x) = δ^(o) wᵀ, and ∂z/∂x = wᵀ
    np.testing.assert_allclose(tr["dz/dx"], w[None, :], rtol=0)
    np.testing.assert_allclose(tr["delta_x"], err * w[None, :], rtol=1e-12)


def test_augmented_bias_puts_b_into_w_and_a_one_into_x(trainer):
    x1, x2, y = -0.4, 1.5, 0
    x = np.array([x1, x2, x1 * x2, 1.0])
    w = np.append(trainer.layers[0].W[0], trainer.layers[0].b[0])
    tr = trainer.trace_point(x1, x2, y, Convention(sign="loglik", bias="augmented"))
    np.testing.assert_allclose(tr["x"], x, rtol=0)
    np.testing.assert_allclose(tr["w"], w, rtol=0)
    o = sigma(w @ x)
    assert tr["z"].item() == pytest.approx(w @ x, rel=1e-12)
    assert tr.get("z").formula == "z = wᵀx" and "b" not in tr  # b lives in w now
    # the last entry of ∂J/∂w is ∂J/∂b = y − o: the gradient of the whole augmented w
    np.testing.assert_allclose(tr["dJ/dw"], (y - o) * x, rtol=1e-12)
    J_of_w = lambda wv: log_likelihood(wv, 0.0, x, y)  # noqa: E731
    np.testing.assert_allclose(tr["dJ/dw"], numeric_grad(J_of_w, w), rtol=1e-6, atol=1e-9)


def test_column_layout_transposes_the_jacobian_and_delta(trainer):
    x1, x2, y = 0.3, 0.9, 1
    w = trainer.layers[0].W[0]
    row = trainer.trace_point(x1, x2, y)
    col = trainer.trace_point(x1, x2, y, Convention(layout="column"))
    np.testing.assert_allclose(col["dz/dx"], w[:, None], rtol=0)
    np.testing.assert_allclose(col["delta_x"], row["delta_x"].T, rtol=0)
    assert col.get("dz/dx").formula == "∂z/∂x = w"
    assert col.get("delta_x").formula == "δ^(x) = ∂J/∂x = w δ^(o)"
    assert col.get("dJ/dw").formula == "∂J/∂w = x δ^(o) = (o − y) x"
    np.testing.assert_allclose(col["dJ/dw"], row["dJ/dw"], rtol=0)


def test_multiclass_and_mlp_traces_keep_their_names():
    multi = Trainer(
        Config.from_dict(
            {"data": {"dataset": "blobs", "classes": 3}, "model": {"model": "logistic"}}
        )
    ).trace_example(0)
    for s in ["W", "b", "v", "z", "k", "K", "do/dv", "dJ/dz", "dJ/dW"]:
        assert s in multi, s
    assert "w" not in multi and "dJ/dw" not in multi
    mlp = Trainer(Config.from_dict({"model": {"hidden": [4]}})).trace_example(0)
    for s in ["W", "U", "v", "k", "K", "do/dv", "dv/dh", "dz/dx", "dJ/dW", "dJ/dU"]:
        assert s in mlp, s
    assert mlp.get("delta_o").formula.startswith("δ^(o) = ∂J/∂v = o − y")
