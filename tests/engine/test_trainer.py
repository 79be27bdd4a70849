"""The trainer: SGD steps, determinism, hyperparameters, phases and divergence."""

import numpy as np
import pytest

from engine import Config, ConfigError, Layer, Metrics, Trainer


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
