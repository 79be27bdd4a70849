"""The decision boundary and every neuron's map, from ONE batched pass over an R×R grid.

The grid points are laid out as columns, so each layer is a single matrix product
Z = W X + b with X (d, R²): every result row is already one unit's map, and reshaping
(units, R²) → (units, R, R) is free. The pass runs in float32: maps are for display, and
halving the bytes halves the memory traffic that dominates at R = 200.

Map layout: ``maps[..., i, j]`` is the value at (x1[j], x2[i]), i.e. rows follow x₂ and
columns follow x₁, the orientation of a Plotly heatmap ``z``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.activations import Activation, backprop_inplace, output_inplace
from engine.features import feature_column
from engine.network import Layer
from engine.outputs import argmax_columns


@dataclass
class GridMaps:
    """Class probabilities, prediction, activations and deltas over the input plane."""

    resolution: int  # R
    extent: tuple[float, float, float, float]  # (x1min, x1max, x2min, x2max)
    x1: np.ndarray  # (R,) float32 column coordinates
    x2: np.ndarray  # (R,) float32 row coordinates
    probabilities: np.ndarray  # (K, R, R) float32, P(class k | point)
    predicted: np.ndarray  # (R, R) uint8, argmax_k of the probabilities
    activations: list[np.ndarray]  # per hidden layer: (units, R, R) float32 h maps
    # per hidden layer: (units, R, R) float32 δ^(z) = ∂J/∂z maps; None when not asked for
    deltas: list[np.ndarray] | None
    target: int | None  # class k of the deltas (None: each point's predicted class)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resolution": self.resolution,
            "extent": self.extent,
            "x1": self.x1,
            "x2": self.x2,
            "probabilities": self.probabilities,
            "predicted": self.predicted,
            "activations": self.activations,
            "deltas": self.deltas,
            "target": self.target,
        }


def grid_inputs(
    extent: tuple[float, float, float, float], resolution: int, features: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x1 (R,), x2 (R,) and the feature columns X (d, R²) float32, x₁ varying fastest."""
    x1 = np.linspace(extent[0], extent[1], resolution, dtype=np.float32)  # (R,)
    x2 = np.linspace(extent[2], extent[3], resolution, dtype=np.float32)  # (R,)
    p1 = np.tile(x1, resolution)  # (R²,)
    p2 = np.repeat(x2, resolution)  # (R²,)
    X = np.empty((len(features), resolution * resolution), dtype=np.float32)  # (d, R²)
    for j, name in enumerate(features):
        X[j] = feature_column(name, p1, p2)
    return x1, x2, X


def evaluate_grid(
    layers: Sequence[Layer],
    act: Activation,
    output_name: str,
    X: np.ndarray,
    resolution: int,
    target: int | None,
    with_deltas: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray] | None]:
    """One forward pass and one backward pass for the hidden deltas, column layout.

    The deltas are those of the loss J = −log o_k with k = ``target`` (or each point's
    predicted class): δ^(o) = o − y, then δ^(h) = Uᵀ δ^(o) and δ^(z) = f'(z) ⊙ δ^(h).
    Every h is computed over its z and every δ^(z) over its δ^(h): fresh arrays of this
    size cost page faults, and only h and δ^(z) are returned.
    Returns probabilities (K, R, R), predicted (R, R), activations and deltas per layer;
    without `with_deltas` the backward pass is skipped and the deltas are None (a view
    that shows no delta map should not pay for them: they are half the maps).
    """
    R = resolution
    a = X  # (d, N)
    hs: list[np.ndarray] = []
    f32 = np.float32
    for layer in layers[:-1]:
        z = layer.W.astype(f32) @ a  # (units, N)
        z += layer.b.astype(f32)[:, None]
        a = output_inplace(act.name, z)  # (units, N) h, written over z
        hs.append(a)
    last = layers[-1]
    U = last.W.astype(f32)  # (K or 1, units)
    v = U @ a  # (K, N)
    v += last.b.astype(f32)[:, None]
    if output_name == "sigmoid":
        o = output_inplace("sigmoid", v)  # (1, N) P(y = 1)
        probabilities = np.concatenate([1.0 - o, o])  # (2, N)
        predicted = (o[0] > 0.5).astype(np.uint8)  # (N,)
    else:
        v -= v.max(axis=0)  # softmax in place, shifted for stability
        e = np.exp(v, out=v)  # (K, N)
        e /= e.sum(axis=0)
        probabilities = e
        predicted = argmax_columns(e)  # (N,) uint8
    K = probabilities.shape[0]
    h_maps = [h.reshape(-1, R, R) for h in hs]
    maps = probabilities.reshape(K, R, R), predicted.reshape(R, R), h_maps
    if not with_deltas:
        return (*maps, None)
    if output_name == "sigmoid":
        k = predicted if target is None else target
        delta = o - (k == 1)  # (1, N) δ^(o) = o − y
    else:
        if target is None:
            y = predicted == np.arange(K, dtype=np.uint8)[:, None]  # (K, N) one-hot
        else:
            y = (np.arange(K) == target)[:, None]  # (K, 1), broadcast
        delta = e - y  # (K, N) δ^(o) = o − y
    deltas: list[np.ndarray] = [None] * len(hs)  # type: ignore[list-item]
    W_up = U
    for i in range(len(hs) - 1, -1, -1):
        delta = W_up.T @ delta  # (units, N) δ^(h) = Uᵀ δ^(o) in column layout
        deltas[i] = backprop_inplace(act.name, delta, hs[i])  # (units, N) δ^(z)
        W_up = layers[i].W.astype(f32)
    return (*maps, [d.reshape(-1, R, R) for d in deltas])
