"""The trainer: SGD steps, determinism, hyperparameters, phases and divergence."""

import numpy as np
import pytest

from engine import Config, ConfigError, Layer, Metrics, PhaseError, Trainer


def params_of(trainer):
    return [(layer.W.copy(), layer.b.copy()) for layer in trainer.layers]


def same_params(a, b):
    return all(
        np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1]) for p, q in zip(a, b, strict=True)
    )


def test_default_trainer_learns_the_circle():
    t = Trainer()
    before = t.metrics()
    m = t.train(1000)
    assert isinstance(m, Metrics)
    assert m.step == t.step == 1000
    assert m.train_loss < before.train_loss
    assert m.test_accuracy >= 0.97
    assert t.epoch == pytest.approx(1000 * 10 / len(t.dataset.y_train))


def test_layers_and_names():
    t = Trainer(Config.from_dict({"model": {"hidden": [5, 3], "features": ["x1", "x2", "x1^2"]}}))
    assert t.layer_names == ["W1", "W2", "U"]
    assert [layer.W.shape for layer in t.layers] == [(5, 3), (3, 5), (2, 3)]
    assert all(isinstance(layer, Layer) and layer.W.dtype == np.float64 for layer in t.layers)
    logistic = Trainer(Config.from_dict({"model": {"model": "logistic", "hidden": []}}))
    assert logistic.layer_names == ["W"]
    assert logistic.layers[0].W.shape == (1, 2)  # binary logistic: one sigmoid output


def test_identical_seeds_give_identical_results():
    cfg = Config.from_dict({"train": {"momentum": 0.5, "l2": 0.001, "batch_size": 7}})
    a, b = Trainer(cfg), Trainer(cfg)
    ma, mb = a.train(137), b.train(137)
    assert same_params(params_of(a), params_of(b))
    assert ma.train_loss == mb.train_loss
    c = Trainer(cfg.merged({"train": {"seed": 1}}))
    c.train(137)
    assert not same_params(params_of(a), params_of(c))


def test_steps_split_across_calls_equal_one_call():
    a, b = Trainer(), Trainer()
    a.train(50)
    for _ in range(5):
        b.train(10)
    assert same_params(params_of(a), params_of(b))


def test_train_rejects_bad_step_counts():
    with pytest.raises(ConfigError):
        Trainer().train(-1)
    with pytest.raises(ConfigError):
        Trainer().train(2.5)


def test_hand_computed_sgd_step():
    """One step equals θ − η ∂J/∂θ with the gradient recomputed here from the formulas."""
    t = Trainer(Config.from_dict({"train": {"batch_size": 8, "learning_rate": 0.3}}))
    trace = t.trace_batch()  # the minibatch the next step will use
    x = trace["x"]  # (m, d)
    y = trace["y"]  # (m, K)
    W, b = t.layers[0].W.copy(), t.layers[0].b.copy()
    U, c = t.layers[1].W.copy(), t.layers[1].b.copy()
    z = x @ W.T + b
    h = np.maximum(z, 0)
    v = h @ U.T + c
    o = np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
    d_o = (o - y) / len(x)
    dU, dc = d_o.T @ h, d_o.sum(0)
    d_z = (d_o @ U) * (z > 0)
    dW, db = d_z.T @ x, d_z.sum(0)
    t.train(1)
    np.testing.assert_allclose(t.layers[0].W, W - 0.3 * dW, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.layers[0].b, b - 0.3 * db, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.layers[1].W, U - 0.3 * dU, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(t.layers[1].b, c - 0.3 * dc, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- phases
def test_three_phases_equal_one_step():
    a, b = Trainer(), Trainer()
    a.train(3)
    b.train(2)
    before = params_of(b)
    assert b.phase == "ready"
    fwd = b.forward_phase()
    assert b.phase == "forward"
    assert "J" in fwd and "delta_o" not in fwd  # forward quantities only
    bwd = b.backward_phase()
    assert b.phase == "backward"
    assert "delta_o" in bwd and "dJ/dW[n]" in bwd
    m = b.update_phase()
    assert b.phase == "ready" and m.step == b.step == 3
    assert same_params(params_of(a), params_of(b))
    # the backward trace's batch-mean gradient is the one the update used: θ − η ∂J/∂θ
    assert np.array_equal(bwd.x_raw, fwd.x_raw)
    eta = b.config.train.learning_rate
    for (W, c), layer, name, bias in zip(before, b.layers, ["W", "U"], ["b", "c"], strict=True):
        np.testing.assert_allclose(layer.W, W - eta * bwd[f"dJ/d{name}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.b, c - eta * bwd[f"dJ/d{bias}"], rtol=1e-12, atol=1e-15)


def test_phases_out_of_order_raise_phase_error():
    t = Trainer()
    with pytest.raises(PhaseError, match="forward_phase"):
        t.backward_phase()
    with pytest.raises(PhaseError, match="backward_phase"):
        t.update_phase()
    t.forward_phase()
    with pytest.raises(PhaseError, match="backward_phase"):
        t.forward_phase()
    with pytest.raises(PhaseError, match="backward_phase"):
        t.update_phase()
    t.backward_phase()
    with pytest.raises(PhaseError, match="update_phase"):
        t.forward_phase()
    assert issubclass(PhaseError, ValueError)


def test_train_from_the_middle_of_a_step_finishes_it_first():
    a, b = Trainer(), Trainer()
    a.train(5)
    b.forward_phase()
    b.train(5)  # finishes the pending step, then 4 more
    assert b.step == 5 and b.phase == "ready"
    assert same_params(params_of(a), params_of(b))
    c = Trainer()
    c.forward_phase()
    c.backward_phase()
    c.train(5)
    assert same_params(params_of(a), params_of(c))


def test_trace_batch_is_the_minibatch_the_next_step_uses():
    t = Trainer(Config.from_dict({"train": {"batch_size": 4}}))
    t.train(7)
    peek = t.trace_batch()
    fwd = t.forward_phase()
    np.testing.assert_array_equal(peek.x_raw, fwd.x_raw)
    np.testing.assert_array_equal(t.trace_batch().x_raw, fwd.x_raw)


# ---------------------------------------------------------------- hyperparameters
def test_hyperparameters_change_live_without_reset():
    t = Trainer()
    t.train(20)
    before = params_of(t)
    config = t.set_hyperparameters(learning_rate=0.5, batch_size=32, l2=0.01, momentum=0.9)
    assert config.train.learning_rate == 0.5 and t.config is config
    assert t.step == 20 and same_params(params_of(t), before)
    t.train(10)
    assert t.step == 30
    with pytest.raises(ConfigError) as info:
        t.set_hyperparameters(momentum=1.5)
    assert info.value.field == "train.momentum"
    assert t.config.train.momentum == 0.9


def test_hyperparameter_change_equals_training_with_them():
    """Switching η mid-run = a run whose second part used that η from a saved state."""
    a = Trainer()
    a.train(10)
    b = Trainer.from_state(a.to_state())
    a.set_hyperparameters(learning_rate=0.3)
    a.train(10)
    b.reconfigure({"train": {"learning_rate": 0.3}})
    b.train(10)
    assert same_params(params_of(a), params_of(b))


def test_momentum_and_l2_update_rule():
    t = Trainer(Config.from_dict({"train": {"momentum": 0.9, "l2": 0.1, "learning_rate": 0.2}}))
    W0 = t.layers[0].W.copy()
    t.forward_phase()
    g1 = t.backward_phase()["dJ/dW"]
    t.update_phase()
    u1 = -0.2 * (g1 + 0.1 * W0)
    np.testing.assert_allclose(t.layers[0].W, W0 + u1, rtol=1e-12, atol=1e-15)
    W1 = t.layers[0].W.copy()
    t.forward_phase()
    g2 = t.backward_phase()["dJ/dW"]
    t.update_phase()
    u2 = 0.9 * u1 - 0.2 * (g2 + 0.1 * W1)
    np.testing.assert_allclose(t.layers[0].W, W1 + u2, rtol=1e-12, atol=1e-15)


def test_batch_larger_than_training_set_is_batch_gradient_descent():
    t = Trainer(Config.from_dict({"train": {"batch_size": 2000}}))
    tr = t.trace_batch()
    assert len(tr.target) == len(t.dataset.y_train)
    t.train(3)
    assert t.epoch == 3.0


def test_reconfigure_model_reinitialises_and_train_is_live():
    t = Trainer()
    t.train(10)
    config, reinit = t.reconfigure({"train": {"batch_size": 5}})
    assert not reinit and t.step == 10
    config, reinit = t.reconfigure({"model": {"hidden": [4, 4]}})
    assert reinit and t.step == 0 and t.layer_names == ["W1", "W2", "U"]
    config, reinit = t.reconfigure({"data": {"dataset": "xor"}})
    assert reinit and config.data.dataset == "xor"
    with pytest.raises(ConfigError):
        t.reconfigure({"model": {"activation": "swish"}})
    assert t.config.data.dataset == "xor"  # a rejected change leaves the config alone


def test_reset_keeps_data_and_restores_initial_parameters():
    t = Trainer()
    initial = params_of(t)
    t.add_points(np.array([[0.0, 0.0]]), np.array([1]))
    t.train(25)
    t.reset()
    assert t.step == 0 and t.epoch == 0 and len(t.history) == 1
    assert same_params(params_of(t), initial)
    assert len(t.dataset.y_train) == 321  # custom point kept


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize(("lr", "momentum"), [(10.0, 0.0), (3.0, 0.0), (1.5, 0.9)])
def test_divergence_is_detected_reported_and_rolled_back(lr, momentum):
    cfg = Config.from_dict({"train": {"learning_rate": lr, "momentum": momentum}})
    t = Trainer(cfg)
    m = t.train(500)
    assert t.diverged and m.diverged
    assert "learning rate" in t.divergence and "diverged" in t.divergence
    assert all(np.isfinite(layer.W).all() and np.isfinite(layer.b).all() for layer in t.layers)
    # the kept parameters are exactly those after t.step good updates ...
    ref = Trainer(cfg)
    ref.train(t.step)
    assert not ref.diverged
    assert same_params(params_of(ref), params_of(t))
    # ... and the next update from them is the one that made the loss non-finite
    ref.train(2)
    assert ref.diverged and ref.step == t.step
    assert all(row <= t.step for row in t.history.step)


def test_training_recovers_after_lowering_the_learning_rate():
    t = Trainer(Config.from_dict({"train": {"learning_rate": 10.0}}))
    t.train(100)
    assert t.diverged
    step = t.step
    t.set_hyperparameters(learning_rate=0.05)
    m = t.train(50)
    assert not t.diverged and t.divergence is None and m.step == step + 50


@pytest.mark.parametrize(
    ("dataset", "classes", "lr"),
    [("circle", 2, 10.0), ("xor", 2, 5.0), ("spiral", 3, 10.0), ("blobs", 6, 3.0)],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_lowered_learning_rate_always_recovers(dataset, classes, lr, seed):
    # the parameters kept by a rollback may have a loss in the hundreds; a small step from
    # them must not count as divergence again just because the loss is high
    config = {"data": {"dataset": dataset, "classes": classes, "seed": seed}}
    config |= {"model": {"init_seed": seed}, "train": {"learning_rate": lr, "seed": seed}}
    t = Trainer(Config.from_dict(config))
    t.train(300)
    assert t.diverged
    t.set_hyperparameters(learning_rate=0.01)
    m = t.train(20)
    assert not t.diverged and not m.diverged and np.isfinite(m.train_loss)


def test_a_confidently_wrong_network_has_a_finite_exact_loss():
    t = Trainer()
    t.set_parameter("U", [[3e3] * 8, [-3e3] * 8])  # every point "certainly" class 0
    t.set_parameter("c", [0.0, 0.0])
    x, y = t.dataset.x_train, t.dataset.y_train
    h = np.maximum(x @ t.layers[0].W.T + t.layers[0].b, 0.0)
    v = h @ t.layers[-1].W.T  # (n, 2)
    # −log o_k = log(e^v₀ + e^v₁) − v_k, by hand: o_k itself underflows to 0 for class 1
    expected = np.mean(np.logaddexp(v[:, 0], v[:, 1]) - v[np.arange(len(y)), y])
    assert expected > 1000
    m = t.metrics()
    assert m.train_loss == pytest.approx(expected, rel=1e-12)
    assert t.trace_example(int(np.argmax(y)))["J"] > 1000  # a class-1 point, finite J
    t.set_hyperparameters(learning_rate=1e-4)
    assert not t.train(5).diverged  # no update made it worse: a bad start, not divergence


def test_divergence_in_the_forward_phase():
    t = Trainer(Config.from_dict({"train": {"learning_rate": 10.0}}))
    for _ in range(100):
        t.forward_phase()
        if t.diverged:
            break
        t.backward_phase()
        t.update_phase()
    assert t.diverged and t.phase == "ready"
