"""The engine as a notebook user meets it: each test is one trap of issue 14.

Values are checked against the lecture's closed forms or central finite differences,
computed here from the public parameters with plain NumPy, never against the engine's
own backward pass.
"""

import math

import numpy as np
import pytest

from engine import Config, ConfigError, ModelConfig, PhaseError, Trainer
from engine.metrics import history_interval


def _relu_softmax_J(params: dict[str, np.ndarray], x: np.ndarray, k: np.ndarray) -> float:
    """The lecture's J = −(1/m) Σ log o_k for h = max(Wx + b, 0), o = softmax(Uh + c)."""
    h = np.maximum(x @ params["W"].T + params["b"], 0.0)
    v = h @ params["U"].T + params["c"]
    v = v - v.max(axis=1, keepdims=True)
    log_o = v - np.log(np.exp(v).sum(axis=1, keepdims=True))
    return float(-log_o[np.arange(len(k)), k].mean())


# ---------------------------------------------------------------- 1. no aliasing
def test_parameters_held_from_the_api_do_not_change_when_training_continues():
    t = Trainer()
    held_layer_W = t.layers[0].W
    held = t.parameters()
    held_trace_W = t.trace_example(0)["W"]
    W0 = held["W"].copy()
    t.train(1)
    t.train(1)  # the second step writes into the buffer the first one read from
    np.testing.assert_array_equal(held_layer_W, W0)
    np.testing.assert_array_equal(held["W"], W0)
    np.testing.assert_array_equal(held_trace_W, W0)
    assert not np.array_equal(t.parameters()["W"], W0)  # training did move W
    assert not np.array_equal(t.layers[0].W, W0)


def test_parameters_are_named_as_in_the_lecture_and_read_only():
    t = Trainer()
    assert list(t.parameters()) == ["W", "b", "U", "c"]
    assert t.parameters()["W"].shape == (8, 2) and t.parameters()["U"].shape == (2, 8)
    deep = Trainer(Config(model=ModelConfig(hidden=(4, 3))))
    assert list(deep.parameters()) == ["W1", "b1", "W2", "b2", "U", "c"]
    with pytest.raises(ValueError, match="read-only"):
        t.parameters()["W"][0, 0] = 1.0  # writing would change nothing: say so
    with pytest.raises(ValueError, match="read-only"):
        t.layers[1].b[0] = 1.0


# ---------------------------------------------------------------- 2. train(1) in a loop
def test_train_one_step_at_a_time_evaluates_the_full_set_only_at_the_cadence(monkeypatch):
    t = Trainer()
    every = history_interval(t.dataset.size)
    evaluated: list[int] = []
    original = Trainer._evaluate

    def counting(self, *args):
        evaluated.append(self.step)
        return original(self, *args)

    monkeypatch.setattr(Trainer, "_evaluate", counting)
    for _ in range(2 * every + 50):
        t.train(1)
    # today every call evaluates train and test sets: 2 per step; now 2 per history row
    assert len(evaluated) == 2 * 2
    np.testing.assert_array_equal(t.history.step, [0, every, 2 * every, 2 * every + 50])


def test_metrics_of_a_train_call_are_those_of_its_parameters_even_when_read_later():
    t = Trainer()
    m = t.train(1)
    params = t.parameters()
    t.train(7)  # the buffers m's step used are overwritten by now
    x = t.dataset.x_train  # the default features are x1, x2 themselves
    J = _relu_softmax_J(params, x, t.dataset.y_train)
    assert m.step == 1
    assert m.train_loss == pytest.approx(J, rel=1e-12)


def test_a_read_train_result_keeps_its_history_row_as_a_server_frame_needs():
    t = Trainer()
    for _ in range(3):
        m = t.train(7)
        assert m.train_loss > 0  # a server frame reads the metrics of every train() call
    t.train(7)  # not read: only the latest call's row stays
    t.train(7)
    np.testing.assert_array_equal(t.history.step, [0, 7, 14, 21, 35])
    assert t.history.train_loss[-1] == t.metrics().train_loss


# ---------------------------------------------------------------- 3. logistic from one argument
def test_logistic_regression_from_one_argument():
    assert ModelConfig(model="logistic").hidden == ()
    assert ModelConfig().hidden == (8,)
    t = Trainer(Config(model=ModelConfig(model="logistic")))
    assert t.layer_names == ["W"] and t.parameters()["W"].shape == (1, 2)  # σ(wᵀx + b)
    # what POST /api/sessions and PATCH …/config do with {"model": {"model": "logistic"}}
    t = Trainer(Config.from_dict({"model": {"model": "logistic"}}))
    assert t.config.model.hidden == ()
    deep = Trainer(Config.from_dict({"model": {"hidden": [16, 16]}}))
    _, reinitialised = deep.reconfigure({"model": {"model": "logistic"}})
    assert reinitialised and deep.layer_names == ["W"]
    deep.reconfigure({"model": {"model": "mlp"}})  # back to the MLP's default hidden layer
    assert deep.config.model.hidden == (8,)


def test_logistic_regression_with_an_explicit_hidden_layer_is_a_clear_error():
    with pytest.raises(ConfigError, match="logistic") as err:
        ModelConfig(model="logistic", hidden=(8,))
    assert err.value.field == "model.hidden"
    assert '"mlp"' in str(err.value) and "empty" in str(err.value)
    with pytest.raises(ConfigError) as err:
        Config.from_dict({"model": {"model": "logistic", "hidden": [4]}})
    assert err.value.field == "model.hidden"


# ---------------------------------------------------------------- 4. named gradients
def test_named_gradients_match_finite_differences_and_the_trace():
    t = Trainer(Config.from_dict({"train": {"batch_size": 1000}}))  # m ≥ n: the whole set
    g = t.grads()
    assert list(g) == ["W", "b", "U", "c"]
    params = {k: v.copy() for k, v in t.parameters().items()}
    x, k = t.dataset.x_train, t.dataset.y_train
    eps = 1e-6
    rng = np.random.default_rng(0)
    for name, value in params.items():
        for _ in range(4):
            i = tuple(int(rng.integers(n)) for n in value.shape)
            plus, minus = dict(params), dict(params)
            plus[name], minus[name] = value.copy(), value.copy()
            plus[name][i] += eps
            minus[name][i] -= eps
            numeric = (_relu_softmax_J(plus, x, k) - _relu_softmax_J(minus, x, k)) / (2 * eps)
            assert g[name][i] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (name, i)
    trace = t.trace_batch()
    for name in g:
        np.testing.assert_allclose(g[name], trace[f"dJ/d{name}"], rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- 5. setting a parameter
def test_set_parameter_validates_name_shape_and_values():
    t = Trainer()
    with pytest.raises(ConfigError, match="W, b, U, c") as err:
        t.set_parameter("V", np.zeros((2, 8)))
    assert err.value.field == "parameters"
    with pytest.raises(ConfigError, match="2×8") as err:
        t.set_parameter("U", np.zeros((8, 2)))
    assert err.value.field == "parameters.U"
    with pytest.raises(ConfigError, match="finite") as err:
        t.set_parameter("c", [0.0, math.nan])
    assert err.value.field == "parameters.c"


def test_set_parameter_copies_the_value_and_training_starts_from_it():
    t = Trainer()
    U = np.full((2, 8), 0.5)
    t.set_parameter("U", U)
    U[0, 0] = 99.0  # the caller's array stays the caller's
    np.testing.assert_array_equal(t.parameters()["U"], np.full((2, 8), 0.5))
    g = t.grads()
    before = t.parameters()
    t.train(1)  # plain SGD: θ ← θ − η ∂J/∂θ, from the value set
    np.testing.assert_allclose(t.parameters()["U"], before["U"] - 0.1 * g["U"], rtol=1e-12)
    t.forward_phase()
    with pytest.raises(PhaseError, match="update_phase"):
        t.set_parameter("U", U)


def test_zeroing_a_hidden_units_outgoing_weights_silences_its_delta_h():
    """δ^(h) = δ^(o) U: δ^(h)_j = Σ_k δ^(o)_k u_kj, a sum over column j of U (the lecture's
    u_kj joins hidden unit j to output k), so zeroing that column makes δ^(h)_j = 0."""
    t = Trainer()
    t.train(20)
    j = 3
    U = t.parameters()["U"].copy()
    U[:, j] = 0.0
    t.set_parameter("U", U)
    for index in range(5):
        tr = t.trace_example(index)
        delta_o = tr["o"] - tr["y"]  # the lecture's closed form, loss sign: o − y
        np.testing.assert_allclose(tr["delta_o"][0], delta_o, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tr["delta_h"][0], delta_o @ U, rtol=1e-12, atol=1e-15)
        assert tr["delta_h"][0, j] == 0.0
        assert tr["delta_z"][0, j] == 0.0  # δ^(z) = δ^(h) diag(I(z > 0))
        np.testing.assert_array_equal(tr["dJ/dW"][j], 0.0)  # ∂J/∂W = δ^(z)ᵀ xᵀ
        assert tr["dJ/db"][j] == 0.0
        assert np.any(tr["delta_h"][0] != 0.0)  # the other units still get an error signal


# ---------------------------------------------------------------- 6. repr and HTML
def test_reprs_are_short():
    t = Trainer()
    t.train(10)
    tr = t.trace_example(0)
    J = float(tr["J"])
    r = repr(tr)
    assert len(r) < 300, r
    assert f"J={J:.4g}" in r and "k=" in r
    assert len(repr(t.trace_batch())) < 300
    r = repr(t)
    assert len(r) < 300 and "2-8-2" in r and "step 10" in r, r
    r = repr(t.history)
    assert len(r) < 300 and "2 rows" in r, r


def test_trace_html_shows_the_equations_with_their_numbers():
    t = Trainer()
    t.train(10)
    tr = t.trace_example(4)
    html = tr._repr_html_()
    o, y = tr["o"], tr["y"]
    k = int(np.argmax(y))
    J = -math.log(o[k])  # the lecture's NLL of one example
    assert f"{J:.4g}" in html
    assert "δ<sup>(o)</sup> = ∂J/∂v = o − y" in html
    assert "δ<sup>(h)</sup> = ∂J/∂h = δ<sup>(o)</sup> U" in html
    for value in o - y:  # δ^(o), entry by entry
        assert f"{value:.4g}" in html
    U = t.parameters()["U"]
    for value in ((o - y) @ U)[:3]:  # δ^(h) = δ^(o) U
        assert f"{value:.4g}" in html
    assert "∂J/∂W" in html and "diag(I(z &gt; 0))" in html


def test_trainer_and_history_html_show_the_network_and_the_rows():
    t = Trainer()
    m = t.train(150)
    html = t._repr_html_()
    for text in ("W", "U", "8×2", "2×8", "relu", "circle", f"{m.train_loss:.4g}", "150"):
        assert text in html, text
    hist = t.history._repr_html_()
    assert "<table" in hist
    for step, loss in zip(t.history.step, t.history.train_loss, strict=True):
        assert f"<td>{step}</td>" in hist and f"{loss:.4g}" in hist
