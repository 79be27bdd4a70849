"""Custom points: add and remove labelled points, so a user can build a data set or
perturb a generated one. Every edit is bounds checked (total ≤ 2000 points, labels < K,
at least one training point left) and raises ConfigError naming the field.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.bounds import BOUNDS, MAX_POINTS, ConfigError, check_finite
from engine.datasets import Dataset


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise ConfigError("points.split", f"points.split must be train or test (got {split!r})")
    return split


def add_points(ds: Dataset, xy: Any, labels: Any, split: str = "train") -> Dataset:
    """Append points ``xy`` (n, 2) with class ``labels`` (n,) to one split of ``ds``."""
    try:
        xy = np.asarray(xy, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise ConfigError("points", f"points must be numbers ({error})") from None
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ConfigError(
            "points.xy", f"points.xy must be a list of (x1, x2) pairs (got shape {xy.shape})"
        )
    split = _check_split(split)
    if len(labels) != len(xy):
        raise ConfigError(
            "points.labels",
            f"points.labels must have one label per point ({len(xy)}, got {len(labels)})",
        )
    if not np.isfinite(xy).all():
        raise ConfigError("points.xy", "points.xy must be finite numbers")
    K = ds.classes
    if len(labels) and (
        not np.all(labels == np.round(labels)) or labels.min() < 0 or labels.max() >= K
    ):
        raise ConfigError("points.labels", f"points.labels must be classes between 0 and {K - 1}")
    total = ds.size + len(labels)
    if total > MAX_POINTS:
        bound = BOUNDS["points.total"]
        raise ConfigError(
            "points.total",
            f"points.total must be between {bound.min} and {bound.max} (got {total})",
        )
    if split == "train":
        ds.x_train = np.concatenate([ds.x_train, xy])
        ds.y_train = np.concatenate([ds.y_train, labels.astype(np.int64)])
    else:
        ds.x_test = np.concatenate([ds.x_test, xy])
        ds.y_test = np.concatenate([ds.y_test, labels.astype(np.int64)])
    return ds


def remove_points(ds: Dataset, indices: Any, split: str = "train") -> Dataset:
    """Remove the points at ``indices`` of one split (the training set keeps ≥ 1 point)."""
    split = _check_split(split)
    n = len(ds.y_train) if split == "train" else len(ds.y_test)
    raw = np.asarray(indices).reshape(-1)
    if len(raw) and not np.issubdtype(raw.dtype, np.integer):
        raise ConfigError("points.indices", "points.indices must be integers")
    idx = raw.astype(np.int64)
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise ConfigError("points.indices", f"points.indices must be between 0 and {n - 1}")
    keep = np.ones(n, dtype=bool)
    keep[idx] = False
    if split == "train":
        if not keep.any():
            raise ConfigError("points.indices", "the training set must keep at least 1 point")
        ds.x_train, ds.y_train = ds.x_train[keep], ds.y_train[keep]
    else:
        ds.x_test, ds.y_test = ds.x_test[keep], ds.y_test[keep]
    return ds


def remove_near(ds: Dataset, x1: float, x2: float, radius: float) -> int:
    """Remove every point (train and test) within ``radius`` of (x1, x2); returns how many."""
    check_finite("points.x1", x1)
    check_finite("points.x2", x2)
    check_finite("points.radius", radius)
    if radius < 0:
        raise ConfigError("points.radius", f"points.radius must be ≥ 0 (got {radius:g})")
    centre = np.array([x1, x2], dtype=np.float64)
    far_train = ((ds.x_train - centre) ** 2).sum(axis=1) > radius * radius  # (n_train,)
    far_test = ((ds.x_test - centre) ** 2).sum(axis=1) > radius * radius  # (n_test,)
    if not far_train.any():
        raise ConfigError("points.radius", "the training set must keep at least 1 point")
    removed = int((~far_train).sum() + (~far_test).sum())
    ds.x_train, ds.y_train = ds.x_train[far_train], ds.y_train[far_train]
    ds.x_test, ds.y_test = ds.x_test[far_test], ds.y_test[far_test]
    return removed
