"""Seeded 2-D data sets: circle, xor, gauss, spiral, moons, blobs, and custom points.

Coordinates follow TF Playground's scale (roughly −6…6), so that the sin features see a
few periods. Every generator draws classes in (near) equal shares; the noise level is the
standard deviation of Gaussian jitter relative to the shape's size. The split into train
and test is a seeded permutation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.config import DataConfig

RADIUS = 5.0
"""Size of every shape: TF Playground's radius."""

EXTENT_MARGIN = 0.1
"""Grid extent = data bounding box widened by this share of its size on each side."""


@dataclass
class Dataset:
    """Labelled points split into train and test; y holds class indices 0..K−1."""

    x_train: np.ndarray  # (n_train, 2) float64 raw points (x₁, x₂)
    y_train: np.ndarray  # (n_train,) int64 class index k
    x_test: np.ndarray  # (n_test, 2)
    y_test: np.ndarray  # (n_test,)
    classes: int  # K

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x1min, x1max, x2min, x2max) of all points, with a margin for the grid."""
        points = np.concatenate([self.x_train, self.x_test])
        if len(points) == 0:
            return (-RADIUS - 1.0, RADIUS + 1.0, -RADIUS - 1.0, RADIUS + 1.0)
        lo = points.min(axis=0)  # (2,)
        hi = points.max(axis=0)  # (2,)
        pad = np.maximum(hi - lo, 1.0) * EXTENT_MARGIN
        return (
            float(lo[0] - pad[0]),
            float(hi[0] + pad[0]),
            float(lo[1] - pad[1]),
            float(hi[1] + pad[1]),
        )

    @property
    def size(self) -> int:
        """Total number of points, train + test."""
        return len(self.y_train) + len(self.y_test)

    def to_dict(self) -> dict[str, Any]:
        return {
            "x_train": self.x_train,
            "y_train": self.y_train,
            "x_test": self.x_test,
            "y_test": self.y_test,
            "extent": self.extent,
            "classes": self.classes,
        }


Points = tuple[np.ndarray, np.ndarray]
"""A generator's result: xy (n, 2) float64 and the class labels y (n,)."""


def _class_sizes(n: int, classes: int) -> list[int]:
    """n split into K near-equal counts."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def circle(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """Class 0 inside radius R/2, class 1 on the ring 0.7R…R (TF Playground's circle)."""
    n0, n1 = _class_sizes(n, 2)
    r0 = RADIUS * 0.5 * np.sqrt(rng.uniform(0.0, 1.0, n0))
    r1 = rng.uniform(0.7 * RADIUS, RADIUS, n1)
    r = np.concatenate([r0, r1])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    xy = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)  # (n, 2)
    xy += rng.normal(0.0, noise * RADIUS * 0.5, (n, 2))
    return xy, np.repeat([0, 1], [n0, n1])


def xor(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """Quadrants: class 1 where x₁x₂ > 0, with a gap of 0.5 around the axes."""
    sizes = _class_sizes(n, 2)
    y = np.repeat([0, 1], sizes)
    s1 = rng.choice([-1.0, 1.0], n)
    s2 = np.where(y == 1, s1, -s1)  # same signs ⇔ x₁x₂ > 0 ⇔ class 1
    magnitude = rng.uniform(0.5, RADIUS + 0.5, (n, 2))  # keep the clean points off the axes
    xy = magnitude * np.stack([s1, s2], axis=1)
    xy += rng.normal(0.0, noise * RADIUS * 0.5, (n, 2))
    return xy, y


def gauss(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """Two Gaussian blobs centred at (2, 2) and (−2, −2)."""
    sizes = _class_sizes(n, 2)
    centres = np.array([[2.0, 2.0], [-2.0, -2.0]])
    y = np.repeat([0, 1], sizes)
    xy = centres[y] + rng.normal(0.0, 0.6 + 2.0 * noise, (n, 2))
    return xy, y


def spiral(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """K interleaved arms r = R(0.1 + 0.9t), angle = 1.75·2πt + 2πk/K (TF Playground's
    spiral, starting a little off the centre, where the arms would otherwise overlap)."""
    sizes = _class_sizes(n, classes)
    y = np.repeat(np.arange(classes), sizes)
    t = np.concatenate([np.linspace(0.0, 1.0, s, endpoint=False) for s in sizes])
    r = RADIUS * (0.1 + 0.9 * t)
    angle = 1.75 * 2 * np.pi * t + 2 * np.pi * y / classes
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    xy += rng.normal(0.0, noise * RADIUS * 0.2, (n, 2))
    return xy, y


def moons(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """Two interleaving half circles (scikit-learn's moons), scaled to the common size."""
    n0, n1 = _class_sizes(n, 2)
    a0 = rng.uniform(0.0, np.pi, n0)
    a1 = rng.uniform(0.0, np.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    xy = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 2.5  # (n, 2), centred
    xy += rng.normal(0.0, noise * 2.5 * 0.5, (n, 2))
    return xy, np.repeat([0, 1], [n0, n1])


def blobs(n: int, classes: int, noise: float, rng: np.random.Generator) -> Points:
    """K Gaussian blobs with centres on a circle of radius 0.8R."""
    sizes = _class_sizes(n, classes)
    y = np.repeat(np.arange(classes), sizes)
    angle = 2 * np.pi * np.arange(classes) / classes
    centres = 0.8 * RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (K, 2)
    xy = centres[y] + rng.normal(0.0, 0.6 + 2.0 * noise, (n, 2))
    return xy, y


GENERATORS: dict[str, Callable[[int, int, float, np.random.Generator], Points]] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
    "blobs": blobs,
}


def make_dataset(config: DataConfig) -> Dataset:
    """Draw ``config.points`` points with ``config.seed`` and split them train/test."""
    rng = np.random.default_rng(config.seed)
    xy, y = GENERATORS[config.dataset](config.points, config.classes, config.noise, rng)
    order = rng.permutation(config.points)
    xy = np.ascontiguousarray(xy[order], dtype=np.float64)
    y = y[order].astype(np.int64)
    n_train = min(max(1, round(config.train_ratio * config.points)), config.points - 1)
    return Dataset(
        x_train=xy[:n_train].copy(),
        y_train=y[:n_train].copy(),
        x_test=xy[n_train:].copy(),
        y_test=y[n_train:].copy(),
        classes=config.classes,
    )
