"""Input features x = φ(x₁, x₂), as TF Playground offers them.

The network never sees the raw point (x₁, x₂) directly: its input vector x is the chosen
features stacked in the order the user listed them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FEATURES: tuple[str, ...] = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2")
"""Every selectable input feature."""

FEATURE_DISPLAY: dict[str, str] = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁x₂",
    "sin_x1": "sin x₁",
    "sin_x2": "sin x₂",
}


def feature_column(name: str, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """One feature evaluated at every point."""
    if name == "x1":
        return x1
    if name == "x2":
        return x2
    if name == "x1^2":
        return x1 * x1
    if name == "x2^2":
        return x2 * x2
    if name == "x1*x2":
        return x1 * x2
    if name == "sin_x1":
        return np.sin(x1)
    if name == "sin_x2":
        return np.sin(x2)
    raise KeyError(name)


def feature_matrix(points: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """φ applied row-wise: points (n, 2) → x (n, d), d = len(features), same dtype."""
    x1 = points[:, 0]  # (n,)
    x2 = points[:, 1]  # (n,)
    out = np.empty((points.shape[0], len(features)), dtype=points.dtype)  # (n, d)
    for j, name in enumerate(features):
        out[:, j] = feature_column(name, x1, x2)
    return out
