"""Metrics and history, against direct recomputation."""

import numpy as np

from engine import Config, History, Metrics, Trainer
from engine.metrics import confusion_matrix, history_interval


def softmax_rows(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_metrics_match_a_direct_evaluation():
    t = Trainer()
    t.train(200)
    m = t.metrics()
    assert isinstance(m, Metrics) and m.step == 200
    (W, b), (U, c) = [(layer.W, layer.b) for layer in t.layers]
    for x, y, loss, acc in (
        (t.dataset.x_train, t.dataset.y_train, m.train_loss, m.train_accuracy),
        (t.dataset.x_test, t.dataset.y_test, m.test_loss, m.test_accuracy),
    ):
        o = softmax_rows(np.maximum(x @ W.T + b, 0) @ U.T + c)
        assert (
            loss == np.float64(-np.log(o[np.arange(len(y)), y]).mean())
            or abs(loss + np.log(o[np.arange(len(y)), y]).mean()) < 1e-12
        )
        assert acc == np.mean(o.argmax(axis=1) == y)
    pred = softmax_rows(np.maximum(t.dataset.x_test @ W.T + b, 0) @ U.T + c).argmax(axis=1)
    expected = np.zeros((2, 2), dtype=int)
    for yt, yp in zip(t.dataset.y_test, pred, strict=True):
        expected[yt, yp] += 1
    np.testing.assert_array_equal(m.confusion, expected)
    assert m.confusion.sum() == len(t.dataset.y_test)


def test_grad_norms_are_those_of_the_last_minibatch_gradient():
    t = Trainer()
    t.train(5)
    (W, b), (U, c) = [(layer.W.copy(), layer.b.copy()) for layer in t.layers]
    tr = t.forward_phase()  # only for the minibatch: x and labels
    x, y = tr["x"], np.eye(2)[tr.target]
    t.backward_phase()
    t.update_phase()
    m = t.metrics()
    # the minibatch-mean gradient, recomputed here from the lecture's formulas
    z = x @ W.T + b
    h = np.maximum(z, 0)
    d_o = (softmax_rows(h @ U.T + c) - y) / len(x)  # δ^(o) = o − y, averaged
    d_z = (d_o @ U) * (z > 0)  # δ^(z) = δ^(o) U diag(I(z > 0))
    expected_W = np.sqrt(((d_z.T @ x) ** 2).sum() + (d_z.sum(0) ** 2).sum())
    expected_U = np.sqrt(((d_o.T @ h) ** 2).sum() + (d_o.sum(0) ** 2).sum())
    assert abs(m.grad_norms["W"] - expected_W) < 1e-12
    assert abs(m.grad_norms["U"] - expected_U) < 1e-12
    assert set(m.grad_norms) == {"W", "U"}


def test_dead_units_counted_on_the_training_set():
    t = Trainer(Config.from_dict({"model": {"hidden": [8]}}))
    assert t.metrics().dead_units == 0
    # kill units 2 and 5: z = Wx + b < 0 for every point
    W, b = t.parameters()["W"].copy(), t.parameters()["b"].copy()
    W[[2, 5]], b[[2, 5]] = 0.0, -1.0
    t.set_parameter("W", W)
    t.set_parameter("b", b)
    assert t.metrics().dead_units == 2
    tanh = Trainer(Config.from_dict({"model": {"activation": "tanh"}}))
    W, b = tanh.parameters()["W"].copy(), tanh.parameters()["b"].copy()
    W[0], b[0] = 0.0, -1.0
    tanh.set_parameter("W", W)
    tanh.set_parameter("b", b)
    assert tanh.metrics().dead_units == 0  # only ReLU units die


def test_history_rows():
    t = Trainer()
    assert len(t.history) == 1 and t.history.step[0] == 0
    t.train(250)
    every = history_interval(t.dataset.size)
    assert every == 100
    np.testing.assert_array_equal(t.history.step, [0, 100, 200, 250])
    assert isinstance(t.history, History)
    assert t.history.train_loss[-1] == t.metrics().train_loss
    assert t.history.train_loss[-1] < t.history.train_loss[0]
    d = t.history.to_dict()
    assert set(d["grad_norm"]) == {"W", "U"} and len(d["test_accuracy"]) == 4
    assert history_interval(2000) == 400


def test_confusion_matrix():
    c = confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1]), 3)
    np.testing.assert_array_equal(c, [[1, 0, 0], [0, 0, 1], [0, 1, 1]])


def _assert_columns_equal(got, expected):
    assert set(got) == set(expected)
    for key, value in expected.items():
        if isinstance(value, dict):
            assert set(got[key]) == set(value)
            for name in value:
                np.testing.assert_array_equal(got[key][name], value[name])
                assert got[key][name].dtype == value[name].dtype
        else:
            np.testing.assert_array_equal(got[key], value)
            assert got[key].dtype == value.dtype


def test_history_since_is_the_tail_of_the_full_history():
    t = Trainer(Config.from_dict({"model": {"hidden": [4, 3]}}))
    for steps in (3, 120, 1, 7, 95):
        t.train(steps).train_loss  # noqa: B018 - read, as a server frame does: a row each
    full = t.history.to_dict()
    steps = full["step"]
    assert len(steps) > 5
    for after in (-1, 0, 2, 3, 50, 100, 123, int(steps[-2]), int(steps[-1]), 10_000):
        keep = steps > after
        expected = {
            k: ({n: a[keep] for n, a in v.items()} if isinstance(v, dict) else v[keep])
            for k, v in full.items()
        }
        _assert_columns_equal(t.history.since(after), expected)
    # an empty history gives empty columns of the same dtypes
    t.history.clear()
    empty = t.history.since(-1)
    assert empty["step"].dtype == np.int64 and len(empty["step"]) == 0
    assert set(empty["grad_norm"]) == {"W1", "W2", "U"}


def test_history_step_of_reads_one_row():
    t = Trainer()
    t.train(250)
    steps = t.history.step
    for i in range(-len(steps), len(steps)):
        assert t.history.step_of(i) == steps[i]
