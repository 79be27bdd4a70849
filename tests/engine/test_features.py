"""Input features φ(x₁, x₂)."""

import numpy as np

from engine import FEATURES
from engine.features import feature_matrix


def test_every_feature():
    p = np.array([[0.5, -2.0], [3.0, 1.0]])
    x = feature_matrix(p, FEATURES)
    x1, x2 = p[:, 0], p[:, 1]
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(x, expected)


def test_order_follows_the_selection_and_dtype_is_kept():
    p = np.array([[0.5, -2.0]], dtype=np.float32)
    x = feature_matrix(p, ("sin_x2", "x1"))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[np.sin(-2.0), 0.5]], rtol=1e-6)
