"""Custom points: add, remove, remove near a point; bounds checked."""

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer


def test_add_points_to_train_and_test():
    t = Trainer()
    n_train, n_test = len(t.dataset.y_train), len(t.dataset.y_test)
    t.add_points(np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([0, 1]))
    t.add_points([[0.5, 0.5]], [1.0], split="test")  # plain lists, as JSON delivers them
    assert len(t.dataset.y_train) == n_train + 2 and len(t.dataset.y_test) == n_test + 1
    np.testing.assert_array_equal(t.dataset.x_train[-2:], [[1.0, 2.0], [3.0, -1.0]])
    assert t.dataset.y_test[-1] == 1
    t.train(40)  # the new points are trained on (whole batch covers them)
    assert t.trace_example(n_train + 1).target == 1


def test_points_change_the_gradient():
    t = Trainer(Config.from_dict({"train": {"batch_size": 2000}}))
    g0 = t.trace_batch()["dJ/dW"]
    t.add_points(np.full((50, 2), 4.0), np.zeros(50, dtype=int))
    g1 = t.trace_batch()["dJ/dW"]
    assert not np.allclose(g0, g1)


def test_remove_points_and_remove_near():
    t = Trainer()
    first = t.dataset.x_train[0].copy()
    t.remove_points([0, 1, 2])
    assert len(t.dataset.y_train) == 317
    assert not np.any(np.all(t.dataset.x_train == first, axis=1))
    x1, x2 = t.dataset.x_train[5]
    total = t.dataset.size
    removed = t.remove_near(float(x1), float(x2), 0.5)
    assert removed >= 1 and t.dataset.size == total - removed
    remaining = np.concatenate([t.dataset.x_train, t.dataset.x_test])
    assert np.all(np.hypot(remaining[:, 0] - x1, remaining[:, 1] - x2) > 0.5)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda t: t.add_points(np.zeros((1, 2)), np.array([2])), "points.labels"),
        (lambda t: t.add_points(np.zeros((1, 2)), np.array([-1])), "points.labels"),
        (lambda t: t.add_points(np.zeros((2, 2)), np.array([0])), "points.labels"),
        (lambda t: t.add_points(np.array([[np.nan, 0.0]]), np.array([0])), "points.xy"),
        (lambda t: t.add_points(np.zeros((1601, 2)), np.zeros(1601, int)), "points.total"),
        (lambda t: t.add_points(np.zeros((1, 2)), np.array([0]), split="dev"), "points.split"),
        (lambda t: t.add_points(np.zeros((1, 2)), np.array([0.5])), "points.labels"),
        (lambda t: t.add_points(np.zeros(3), np.array([0])), "points.xy"),
        (lambda t: t.add_points([["a", 1]], [0]), "points"),
        (lambda t: t.remove_points([400]), "points.indices"),
        (lambda t: t.remove_points(list(range(320))), "points.indices"),
        (lambda t: t.remove_near(0.0, 0.0, 100.0), "points.radius"),
        (lambda t: t.remove_near(0.0, 0.0, -1.0), "points.radius"),
        (lambda t: t.remove_near(float("nan"), 0.0, 1.0), "points.x1"),
        (lambda t: t.remove_points([1.5]), "points.indices"),
    ],
)
def test_point_edits_are_bounds_checked(call, field):
    t = Trainer()
    size = t.dataset.size
    with pytest.raises(ConfigError) as info:
        call(t)
    assert info.value.field == field
    assert t.dataset.size == size


def test_reconfiguring_data_replaces_custom_points_but_train_changes_keep_them():
    t = Trainer()
    t.add_points(np.zeros((3, 2)), np.array([0, 1, 0]))
    t.reconfigure({"train": {"learning_rate": 0.2}})
    assert len(t.dataset.y_train) == 323
    t.reconfigure({"data": {"noise": 0.2}})
    assert len(t.dataset.y_train) == 320
