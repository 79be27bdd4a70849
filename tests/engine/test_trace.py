"""Traces: the lecture's closed forms, checked literally against independent NumPy.

Every expected value here is recomputed from the trainer's weights with plain NumPy (or
by finite differences), never read back from the trace under test.
"""

import numpy as np
import pytest

from engine import Config, Convention, Trainer

LOGLIK = Convention(sign="loglik")


def sigma(t):
    return 1.0 / (1.0 + np.exp(-t))


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def numeric_grad(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        g[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return g


def dJ_do_value(y, o):
    return y / o - (1 - y) / (1 - o)


def trained(config: dict, steps=30) -> Trainer:
    t = Trainer(Config.from_dict(config))
    t.train(steps)  # move away from the initial weights (non-zero biases)
    return t


# ---------------------------------------------------------------- logistic regression
def test_binary_logistic_gradient_is_y_minus_o_times_x():
    t = trained({"model": {"model": "logistic", "hidden": [], "features": ["x1", "x2", "x1*x2"]}})
    x1, x2, k = 1.3, -0.7, 1
    tr = t.trace_point(x1, x2, k, LOGLIK)
    x = np.array([x1, x2, x1 * x2])
    w, b = t.layers[0].W[0], t.layers[0].b[0]
    o = sigma(w @ x + b)  # o = σ(wᵀx + b)
    y = k
    assert tr["o"][0] == pytest.approx(o, rel=1e-12)
    assert tr["J"] == pytest.approx(y * np.log(o) + (1 - y) * np.log(1 - o), rel=1e-12)
    np.testing.assert_allclose(tr["dJ/dw"], (y - o) * x, rtol=1e-12)  # (y − o)xᵀ
    assert "dJ/dW" not in tr  # one name for one gradient: the slide's ∂J/∂w
    assert tr["dJ/db"][0] == pytest.approx(y - o, rel=1e-12)
    # the chain of the slide: ∂J/∂o · ∂o/∂z · ∂z/∂w
    dJ_do = y / o - (1 - y) / (1 - o)
    assert tr["dJ/do"].item() == pytest.approx(dJ_do, rel=1e-10)
    assert tr["do/dz"].item() == pytest.approx(o * (1 - o), rel=1e-12)
    assert tr.get("dJ/do").formula == "∂J/∂o = y/o − (1 − y)/(1 − o)"
    assert tr.get("dJ/dw").formula == "∂J/∂w = δ^(o) xᵀ = (y − o) xᵀ"
    loss_sign = t.trace_point(x1, x2, k)
    assert loss_sign.get("dJ/do").formula == "∂J/∂o = −[y/o − (1 − y)/(1 − o)]"
    assert loss_sign["dJ/do"].item() == pytest.approx(-dJ_do_value(y, o), rel=1e-10)
    np.testing.assert_allclose(dJ_do * o * (1 - o) * x, (y - o) * x, rtol=1e-10)
    # the lecture's name for the pre-activation of logistic regression is z
    assert tr["z"][0] == pytest.approx(w @ x + b, rel=1e-12)

    # and the same gradient by finite differences of the log-likelihood
    def loglik(wv):
        ov = sigma(wv @ x + b)
        return y * np.log(ov) + (1 - y) * np.log(1 - ov)

    np.testing.assert_allclose(tr["dJ/dw"], numeric_grad(loglik, w), rtol=1e-6)
    # with label 0 the sign of (y − o) flips
    tr0 = t.trace_point(x1, x2, 0, LOGLIK)
    np.testing.assert_allclose(tr0["dJ/dw"], (0 - o) * x, rtol=1e-12)


def test_multiclass_logistic_gradient_is_indicator_minus_o_times_x():
    t = trained(
        {
            "data": {"dataset": "blobs", "classes": 4},
            "model": {"model": "logistic", "hidden": []},
        }
    )
    x1, x2, k = -2.0, 0.5, 2
    tr = t.trace_point(x1, x2, k, LOGLIK)
    x = np.array([x1, x2])
    W, b = t.layers[0].W, t.layers[0].b
    o = softmax(W @ x + b)  # o = softmax(Wx + b)
    K = 4
    assert tr["J"] == pytest.approx(np.log(o[k]), rel=1e-12)  # J = yᵀ log o
    for i in range(K):  # row i: (I(i = k) − o_i) xᵀ
        np.testing.assert_allclose(tr["dJ/dW"][i], (float(i == k) - o[i]) * x, rtol=1e-12)
    # ∂J/∂z = [I(1=k) − o_1 … I(K=k) − o_K]
    np.testing.assert_allclose(tr["dJ/dz"][0], np.eye(K)[k] - o, rtol=1e-12)
    # ∂J/∂o = [0 … 1/o_k … 0]
    expected = np.zeros(K)
    expected[k] = 1 / o[k]
    np.testing.assert_allclose(tr["dJ/do"][0], expected, rtol=1e-12)


def test_softmax_jacobian_is_diag_o_minus_o_o_transpose():
    t = trained({"data": {"dataset": "spiral", "classes": 3}, "model": {"hidden": [6]}})
    tr = t.trace_point(0.4, -1.1, 0)
    v = tr["v"]
    o = softmax(v)
    np.testing.assert_allclose(tr["do/dv"], np.diag(o) - np.outer(o, o), rtol=1e-12, atol=1e-15)
    # element-wise form of the slide: [o_j I(i=j) − o_i o_j]_ij
    K = len(o)
    elementwise = np.array([[o[j] * (i == j) - o[i] * o[j] for j in range(K)] for i in range(K)])
    np.testing.assert_allclose(tr["do/dv"], elementwise, rtol=1e-12, atol=1e-15)
    # and the Jacobian of softmax by finite differences
    numeric = np.stack([numeric_grad(lambda vv, i=i: softmax(vv)[i], v) for i in range(K)])
    np.testing.assert_allclose(tr["do/dv"], numeric, atol=1e-9)


# ---------------------------------------------------------------- the MLP
@pytest.fixture(scope="module")
def mlp():
    return trained({"model": {"hidden": [8]}}, steps=60)


def lecture_forward(t, x1, x2):
    W, b = t.layers[0].W, t.layers[0].b
    U, c = t.layers[1].W, t.layers[1].b
    x = np.array([x1, x2])
    z = W @ x + b
    h = np.maximum(z, 0)
    v = U @ h + c
    return x, W, b, U, c, z, h, v, softmax(v)


def test_mlp_deltas_follow_the_lecture(mlp):
    x1, x2, k = 0.8, -1.9, 1
    tr = mlp.trace_point(x1, x2, k)
    x, W, _, U, _, z, h, _, o = lecture_forward(mlp, x1, x2)
    y = np.eye(2)[k]
    np.testing.assert_allclose(tr["z"], z, rtol=1e-12)
    np.testing.assert_allclose(tr["h"], h, rtol=1e-12)
    np.testing.assert_allclose(tr["o"], o, rtol=1e-12)
    np.testing.assert_allclose(tr["y"], y)
    assert tr["J"] == pytest.approx(-np.log(o[k]), rel=1e-12)
    d_o = (o - y)[None, :]  # 1×K row, loss sign: δ^(o) = o − y
    np.testing.assert_allclose(tr["delta_o"], d_o, rtol=1e-12)
    d_h = d_o @ U  # δ^(h) = δ^(o) U
    np.testing.assert_allclose(tr["delta_h"], d_h, rtol=1e-12)
    d_z = d_h @ np.diag((z > 0).astype(float))  # δ^(z) = δ^(h) diag(I(z > 0))
    np.testing.assert_allclose(tr["delta_z"], d_z, rtol=1e-12, atol=1e-15)
    d_x = d_z @ W  # δ^(x) = δ^(z) W
    np.testing.assert_allclose(tr["delta_x"], d_x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["dJ/dU"], d_o.T @ h[None, :], rtol=1e-12)  # δ^(o)ᵀ hᵀ
    np.testing.assert_allclose(tr["dJ/dW"], d_z.T @ x[None, :], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["dJ/dc"], d_o[0], rtol=1e-12)
    np.testing.assert_allclose(tr["dJ/db"], d_z[0], rtol=1e-12, atol=1e-15)
    # the Jacobians written out on the slides
    np.testing.assert_allclose(tr["dv/dh"], U)
    np.testing.assert_allclose(tr["dz/dx"], W)
    np.testing.assert_allclose(tr["dh/dz"], np.diag((z > 0).astype(float)))


def test_mlp_deltas_are_the_derivatives_they_name(mlp):
    """δ^(h) = ∂J/∂h, δ^(z) = ∂J/∂z, δ^(x) = ∂J/∂x, by finite differences of J."""
    x1, x2, k = -0.6, 2.2, 0
    tr = mlp.trace_point(x1, x2, k)
    x, W, b, U, c, z, h, _, _ = lecture_forward(mlp, x1, x2)

    def J_of_h(hv):
        return -np.log(softmax(U @ hv + c)[k])

    def J_of_z(zv):
        return J_of_h(np.maximum(zv, 0))

    def J_of_x(xv):
        return J_of_z(W @ xv + b)

    np.testing.assert_allclose(tr["delta_h"][0], numeric_grad(J_of_h, h), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(tr["delta_z"][0], numeric_grad(J_of_z, z), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(tr["delta_x"][0], numeric_grad(J_of_x, x), rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_activation_jacobians(activation):
    t = trained({"model": {"hidden": [5], "activation": activation}})
    tr = t.trace_point(1.0, 0.5, 1)
    z, h = tr["z"], tr["h"]
    expected = {
        "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
        "sigmoid": (sigma(z), sigma(z) * (1 - sigma(z))),
        "linear": (z, np.ones_like(z)),
    }[activation]
    np.testing.assert_allclose(h, expected[0], rtol=1e-12)
    np.testing.assert_allclose(tr["dh/dz"], np.diag(expected[1]), rtol=1e-12)
    np.testing.assert_allclose(tr["delta_z"], tr["delta_h"] @ np.diag(expected[1]), rtol=1e-12)


def test_deep_network_symbols_and_chain():
    t = trained({"model": {"hidden": [6, 5, 4]}})
    x1, x2, k = 0.3, 0.9, 1
    tr = t.trace_point(x1, x2, k)
    for s in ["z1", "h1", "z2", "h2", "z3", "h3", "delta_h1", "delta_z3", "dJ/dW1", "dJ/db2"]:
        assert s in tr
    assert tr.get("delta_h2").display == "δ^(h₂)"
    assert tr.get("dJ/dW1").display == "∂J/∂W₁"
    W2, W3 = t.layers[1].W, t.layers[2].W
    np.testing.assert_allclose(tr["delta_h2"], tr["delta_z3"] @ W3, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["delta_h1"], tr["delta_z2"] @ W2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["dz3/dh2"], W3)
    np.testing.assert_allclose(
        tr["dJ/dW2"], tr["delta_z2"].T @ tr["h1"][None, :], rtol=1e-12, atol=1e-15
    )
    # and every δ is the derivative it names, by finite differences of a forward pass
    # written here: J as a function of z_l (then h_l = max(z_l, 0), and on up to v)
    (W1, b1), *rest = [(layer.W, layer.b) for layer in t.layers]

    def J_from(layer, a):  # a = z_layer; the layers above it, then −log o_k
        for W, b in rest[layer - 1 :]:
            a = W @ np.maximum(a, 0) + b
        return -np.log(softmax(a)[k])

    z1 = W1 @ np.array([x1, x2]) + b1
    z = [z1]
    for W, b in rest[:-1]:
        z.append(W @ np.maximum(z[-1], 0) + b)
    for layer in (1, 2, 3):
        numeric = numeric_grad(lambda zl, layer=layer: J_from(layer, zl), z[layer - 1])
        np.testing.assert_allclose(tr[f"z{layer}"], z[layer - 1], rtol=1e-12)
        np.testing.assert_allclose(tr[f"delta_z{layer}"][0], numeric, rtol=1e-6, atol=1e-10)


# ---------------------------------------------------------------- conventions
def test_loglik_convention_flips_j_deltas_and_gradients_only(mlp):
    loss = mlp.trace_point(0.5, 0.5, 1)
    ll = mlp.trace_point(0.5, 0.5, 1, LOGLIK)
    for s in ["J", "delta_o", "delta_h", "delta_z", "delta_x", "dJ/dU", "dJ/dW", "dJ/db"]:
        np.testing.assert_array_equal(ll[s], -loss[s])
    for s in ["x", "z", "h", "v", "o", "y", "do/dv", "dh/dz", "dv/dh", "dz/dx"]:
        np.testing.assert_array_equal(ll[s], loss[s])
    y, o = loss["y"], loss["o"]
    np.testing.assert_allclose(ll["delta_o"][0], y - o, rtol=1e-12)  # δ^(o) = y − o
    assert "y − o" in ll.get("delta_o").formula
    assert "o − y" in loss.get("delta_o").formula
    assert ll.convention.update_rule == "θ ← θ + η ∂J/∂θ"


def test_column_layout_transposes_deltas_and_jacobians(mlp):
    row = mlp.trace_point(0.5, -0.5, 0)
    col = mlp.trace_point(0.5, -0.5, 0, Convention(layout="column"))
    assert row["delta_h"].shape == (1, 8) and col["delta_h"].shape == (8, 1)
    np.testing.assert_array_equal(col["delta_h"], row["delta_h"].T)
    np.testing.assert_array_equal(col["dv/dh"], row["dv/dh"].T)
    # the column-layout recursion: δ^(h) = Uᵀ δ^(o)
    np.testing.assert_allclose(col["delta_h"], col["dv/dh"] @ col["delta_o"], rtol=1e-12)
    np.testing.assert_array_equal(col["dJ/dU"], row["dJ/dU"])  # same matrix either way
    assert "Uᵀ δ^(o)" in col.get("delta_h").formula


def test_augmented_bias_convention(mlp):
    sep = mlp.trace_point(0.5, -0.5, 0)
    aug = mlp.trace_point(0.5, -0.5, 0, Convention(bias="augmented"))
    np.testing.assert_array_equal(aug["x"], np.append(sep["x"], 1.0))
    np.testing.assert_array_equal(aug["W"], np.column_stack([sep["W"], sep["b"]]))
    np.testing.assert_array_equal(aug["dJ/dW"], np.column_stack([sep["dJ/dW"], sep["dJ/db"]]))
    np.testing.assert_array_equal(aug["dJ/dU"], np.column_stack([sep["dJ/dU"], sep["dJ/dc"]]))
    assert "b" not in aug and "dJ/db" not in aug
    # z = [W | b][x; 1]: the augmented form computes the same z
    np.testing.assert_allclose(aug["W"] @ aug["x"], sep["z"], rtol=1e-12)
    # ∂z/∂x is W without the bias column (the constant 1 is not a variable), and says so
    np.testing.assert_array_equal(aug["dz/dx"], aug["W"][:, :-1])
    np.testing.assert_array_equal(aug["dv/dh"], aug["U"][:, :-1])
    assert "without its bias column" in aug.get("dz/dx").formula
    assert "without its bias column" in aug.get("delta_h").formula
    assert "bias column" not in sep.get("dz/dx").formula


def test_convention_rejects_unknown_values():
    with pytest.raises(ValueError, match=r"convention\.sign"):
        Convention(sign="gain")


# ---------------------------------------------------------------- minibatch traces
def test_batch_trace_averages_per_example_gradients():
    t = trained({"train": {"batch_size": 6}})
    tr = t.trace_batch()
    assert tr.batch and tr["x"].shape == (6, 2) and tr["dJ/dW[n]"].shape == (6, 8, 2)
    np.testing.assert_allclose(tr["dJ/dW"], tr["dJ/dW[n]"].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(tr["J"], tr["J[n]"].mean(), rtol=1e-12)
    for n in range(6):  # each example's gradient is δ^(z)ᵀ xᵀ of that example
        d_z = tr["delta_z"][n]  # (1, 8)
        np.testing.assert_allclose(
            tr["dJ/dW[n]"][n], d_z.T @ tr["x"][n][None, :], rtol=1e-12, atol=1e-15
        )
    single = t.trace_point(*tr.x_raw[2], int(tr.target[2]))
    np.testing.assert_allclose(single["dJ/dW"], tr["dJ/dW[n]"][2], rtol=1e-12)
    # the batch means against the lecture's formulas, written here for all m examples
    W, b = t.layers[0].W, t.layers[0].b
    U, c = t.layers[1].W, t.layers[1].b
    x, y = tr.x_raw, np.eye(2)[tr.target]  # the features are x1, x2 themselves
    z = x @ W.T + b
    h = np.maximum(z, 0)
    v = h @ U.T + c
    o = np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
    d_o = o - y
    d_z = (d_o @ U) * (z > 0)
    np.testing.assert_allclose(tr["J[n]"], -np.log(o[np.arange(6), tr.target]), rtol=1e-12)
    np.testing.assert_allclose(tr["dJ/dU"], d_o.T @ h / 6, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["dJ/dW"], d_z.T @ x / 6, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr["dJ/db"], d_z.mean(axis=0), rtol=1e-12, atol=1e-15)


def test_trace_example_is_the_training_point():
    t = Trainer()
    tr = t.trace_example(5)
    np.testing.assert_array_equal(tr.x_raw, t.dataset.x_train[5])
    assert tr.target == int(t.dataset.y_train[5])


def test_quantities_carry_display_and_formula(mlp):
    tr = mlp.trace_point(0.1, 0.2, 0)
    q = tr.get("delta_o")
    assert q.display == "δ^(o)" and q.formula and q.name
    assert tr.get("dJ/dU").display == "∂J/∂U"
    assert tr.get("do/dv").formula == "∂o/∂v = diag(o) − o oᵀ"
    # The lecture's k counts classes from 1 and picks the one-hot entry: y_i = I(i = k).
    assert tr["k"] == 1 and tr["K"] == 2
    np.testing.assert_array_equal(tr["y"], [1.0, 0.0])
    assert tr.get("k").formula == "k ∈ {1, …, K}"
    assert mlp.trace_point(0.1, 0.2, 1)["k"] == 2
    np.testing.assert_allclose(tr["Z"], np.exp(tr["v"]).sum(), rtol=1e-12)
    with pytest.raises(KeyError, match="known"):
        tr.get("nope")
    d = tr.to_dict()
    assert isinstance(d["quantities"][0]["value"], np.ndarray)


@pytest.mark.parametrize("hidden", [[], [5], [4, 3]])
def test_augmented_gradients_match_finite_differences(hidden):
    """Bias 'contained in the weights': ∂J/∂[W | b] by central differences over [W | b]."""
    t = trained({"data": {"dataset": "blobs", "classes": 3}, "model": {"hidden": hidden}})
    x1, x2, k = 0.7, -1.3, 2
    aug = t.trace_point(x1, x2, k, Convention(bias="augmented"))
    mats = [np.column_stack([layer.W, layer.b]) for layer in t.layers]  # [W | b]

    def J(ms):
        a = np.array([x1, x2])
        for M in ms[:-1]:
            a = np.maximum(M @ np.append(a, 1.0), 0)  # z = [W | b][a; 1]
        return -np.log(softmax(ms[-1] @ np.append(a, 1.0))[k])

    for i, name in enumerate(aug.layer_names):

        def J_i(M, i=i):
            return J([M if j == i else mats[j] for j in range(len(mats))])

        np.testing.assert_allclose(
            aug[f"dJ/d{name}"], numeric_grad(J_i, mats[i]), rtol=1e-6, atol=1e-9
        )


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda t: t.trace_point(0.0, 0.0, 2), "trace.target"),
        (lambda t: t.trace_point(0.0, 0.0, -1), "trace.target"),
        (lambda t: t.trace_point(float("nan"), 0.0, 0), "trace.x1"),
        (lambda t: t.trace_point(0.0, "a", 0), "trace.x2"),
        (lambda t: t.trace_example(320), "trace.index"),
        (lambda t: t.trace_example(-1), "trace.index"),
        (lambda t: t.gradient_check(eps=0.0), "gradcheck.eps"),
        (lambda t: t.train(-3), "steps"),
    ],
)
def test_bad_arguments_name_their_field(call, field):
    from engine import ConfigError

    with pytest.raises(ConfigError) as info:
        call(Trainer())
    assert info.value.field == field and field in str(info.value)
