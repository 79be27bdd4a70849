"""The grid pass: one batched evaluation agreeing with the float64 trace, point by point."""

import numpy as np
import pytest

from engine import MAX_RESOLUTION, Config, ConfigError, Trainer


@pytest.fixture(scope="module")
def deep():
    t = Trainer(
        Config.from_dict(
            {
                "data": {"dataset": "spiral", "classes": 3},
                "model": {"hidden": [6, 4], "features": ["x1", "x2", "sin_x1"]},
            }
        )
    )
    t.train(200)
    return t


def test_shapes_and_dtypes(deep):
    g = deep.grid(30)
    assert g.resolution == 30 and g.x1.shape == (30,) and g.x2.shape == (30,)
    assert g.probabilities.shape == (3, 30, 30) and g.probabilities.dtype == np.float32
    assert g.predicted.shape == (30, 30) and g.predicted.dtype == np.uint8
    assert [a.shape for a in g.activations] == [(6, 30, 30), (4, 30, 30)]
    assert [d.shape for d in g.deltas] == [(6, 30, 30), (4, 30, 30)]
    assert all(a.dtype == np.float32 for a in g.activations + g.deltas)
    np.testing.assert_allclose(g.probabilities.sum(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(g.predicted, g.probabilities.argmax(axis=0))
    x1min, _, _, x2max = g.extent
    assert g.x1[0] == pytest.approx(x1min) and g.x2[-1] == pytest.approx(x2max, rel=1e-6)


def test_grid_without_deltas_skips_them_and_keeps_the_rest(deep):
    full = deep.grid(20, target=1)
    lean = deep.grid(20, target=1, deltas=False)
    assert lean.deltas is None and full.deltas is not None
    np.testing.assert_array_equal(lean.probabilities, full.probabilities)
    np.testing.assert_array_equal(lean.predicted, full.predicted)
    for a, b in zip(lean.activations, full.activations, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("target", [None, 0, 2])
def test_grid_maps_equal_traces_at_grid_points(deep, target):
    g = deep.grid(25, target=target)
    for i, j in [(0, 0), (3, 17), (24, 24), (12, 5)]:  # row i ↔ x2[i], column j ↔ x1[j]
        x1, x2 = float(g.x1[j]), float(g.x2[i])
        k = int(g.predicted[i, j]) if target is None else target
        tr = deep.trace_point(x1, x2, k)
        np.testing.assert_allclose(g.probabilities[:, i, j], tr["o"], atol=1e-5)
        np.testing.assert_allclose(g.activations[0][:, i, j], tr["h1"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g.activations[1][:, i, j], tr["h2"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g.deltas[0][:, i, j], tr["delta_z1"][0], rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(g.deltas[1][:, i, j], tr["delta_z2"][0], rtol=1e-3, atol=1e-5)


def test_binary_logistic_grid():
    t = Trainer(Config.from_dict({"model": {"model": "logistic", "hidden": []}}))
    t.train(20)
    g = t.grid(10)
    assert g.probabilities.shape == (2, 10, 10) and g.activations == [] and g.deltas == []
    tr = t.trace_point(float(g.x1[3]), float(g.x2[7]), 1)
    assert g.probabilities[1, 7, 3] == pytest.approx(tr["o"][0], abs=1e-5)


def test_resolution_and_target_bounds():
    t = Trainer()
    assert t.grid(MAX_RESOLUTION).probabilities.shape == (2, 200, 200)
    for bad in (1, 201, 2.5):
        with pytest.raises(ConfigError) as info:
            t.grid(bad)
        assert info.value.field == "grid.resolution"
    with pytest.raises(ConfigError) as info:
        t.grid(10, target=2)
    assert info.value.field == "grid.target"


def test_grid_extent_follows_custom_points():
    t = Trainer()
    before = t.grid(10).extent
    assert before == t.dataset.extent
    t.add_points(np.array([[40.0, -35.0]]), np.array([1]))
    after = t.grid(10)
    assert after.extent == t.dataset.extent != before
    assert after.x1[-1] == np.float32(after.extent[1])
    t.remove_near(40.0, -35.0, 1.0)
    assert t.grid(10).extent == before


def test_relu_maps_are_max_of_z_and_0():
    t = Trainer(Config.from_dict({"model": {"hidden": [5]}}))
    g = t.grid(20)
    X = np.stack(np.meshgrid(g.x1, g.x2)).reshape(2, -1)  # (2, R²), x₁ fastest
    z = t.layers[0].W.astype(np.float32) @ X + t.layers[0].b.astype(np.float32)[:, None]
    np.testing.assert_array_equal(g.activations[0].reshape(5, -1), np.maximum(z, 0))
