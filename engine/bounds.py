"""One table of every user-settable bound, and the error raised when a value breaks one.

The server builds its option lists and validation messages from :data:`BOUNDS`, so the
limits live in exactly one place (the idea of TF Playground's single property table).
Nothing in the engine clamps a value silently: an out-of-range value raises
:class:`ConfigError`, whose message names the dotted field and its allowed range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.activations import ACTIVATIONS
from engine.features import FEATURES

DATASETS: tuple[str, ...] = ("circle", "xor", "gauss", "spiral", "moons", "blobs")
"""The seeded 2-D generators (see :mod:`engine.datasets`)."""

TWO_CLASS_DATASETS: tuple[str, ...] = ("circle", "xor", "gauss", "moons")
"""Shapes that only make sense with K = 2 classes."""

MODELS: tuple[str, ...] = ("mlp", "logistic")
""""mlp": the lecture's x → z = Wx → h → v = Uh → o = softmax(v);
"logistic": zero hidden layers, o = σ(wᵀx + b) for K = 2, softmax(Wx + b) for K > 2."""

MAX_RESOLUTION: int = 200
"""Largest R of the R×R decision-boundary grid (40,000 points in one batched pass)."""

MAX_POINTS: int = 2000
"""Largest data set, generated or custom (train + test)."""


class ConfigError(ValueError):
    """A value outside its bound. ``field`` is the dotted name, e.g. "train.learning_rate"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Bound:
    """The allowed values of one field: a numeric range [min, max] or a set of choices."""

    min: float | int | None = None  # smallest allowed value (None: no numeric bound)
    max: float | int | None = None  # largest allowed value
    choices: tuple[str, ...] | None = None  # allowed names, for categorical fields
    description: str = ""  # one line for the UI's help text

    def to_dict(self) -> dict[str, Any]:
        return {
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
            "description": self.description,
        }


SEED_MAX = 2**32 - 1

BOUNDS: dict[str, Bound] = {
    "data.dataset": Bound(choices=DATASETS, description="Which 2-D generator draws the points."),
    "data.classes": Bound(
        2, 6, description="K, the number of classes (circle, xor, gauss and moons have K = 2)."
    ),
    "data.noise": Bound(0.0, 1.0, description="Spread of the points (0 = clean shape)."),
    "data.points": Bound(10, MAX_POINTS, description="Number of generated points, train + test."),
    "data.train_ratio": Bound(0.1, 0.9, description="Share of the points used for training."),
    "data.seed": Bound(0, SEED_MAX, description="Seed of the data generator."),
    "model.model": Bound(
        choices=MODELS,
        description='"mlp" (softmax output) or "logistic" (no hidden layer; sigmoid if K = 2).',
    ),
    "model.hidden": Bound(0, 6, description="Hidden layers: a list of 0 to 6 layer widths."),
    "model.hidden.units": Bound(1, 64, description="Units in one hidden layer."),
    "model.activation": Bound(choices=ACTIVATIONS, description="Hidden activation h = f(z)."),
    "model.features": Bound(
        choices=FEATURES, description="Input features φ(x₁, x₂): a non-empty subset."
    ),
    "model.init_seed": Bound(0, SEED_MAX, description="Seed of the initial weights."),
    "train.learning_rate": Bound(
        1e-5, 10.0, description="η in θ ← θ − η ∂J/∂θ (large values diverge, on purpose)."
    ),
    "train.batch_size": Bound(
        1,
        MAX_POINTS,
        description="m, examples per step; m ≥ training-set size means the whole set "
        "(batch gradient descent).",
    ),
    "train.l2": Bound(0.0, 1.0, description="λ of the L2 penalty (λ/2)‖W‖² on the weights."),
    "train.momentum": Bound(0.0, 0.99, description="μ of momentum SGD (0 = plain SGD)."),
    "train.seed": Bound(0, SEED_MAX, description="Seed of the minibatch sampling."),
    "grid.resolution": Bound(2, MAX_RESOLUTION, description="R of the R×R grid."),
    "grid.target": Bound(0, 5, description="Target class k of the delta maps."),
    "trace.index": Bound(0, MAX_POINTS - 1, description="Index of a training example."),
    "points.total": Bound(0, MAX_POINTS, description="Total number of points after an edit."),
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_range(field: str, value: Any, *, integer: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a number inside ``BOUNDS[field]``."""
    bound = BOUNDS[field]
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise ConfigError(
            field,
            f"{field} must be {kind} between {_fmt(bound.min)} and {_fmt(bound.max)} "
            f"(got {value!r})",
        )
    if not (bound.min <= value <= bound.max):  # also rejects NaN
        raise ConfigError(
            field,
            f"{field} must be between {_fmt(bound.min)} and {_fmt(bound.max)} (got {_fmt(value)})",
        )


def check_finite(field: str, value: Any) -> float:
    """``value`` as a float; ConfigError unless it is a finite int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(field, f"{field} must be a finite number (got {value!r})")
    return float(value)


def check_index(field: str, value: Any, count: int, noun: str = "") -> int:
    """``value`` as an int; ConfigError unless it is an integer in 0 … count − 1.

    ``noun`` names what is indexed in the message: "must be a class between 0 and 2"."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < count:
        what = f"a {noun} between" if noun else "between"
        raise ConfigError(field, f"{field} must be {what} 0 and {count - 1} (got {value!r})")
    return int(value)


def check_choice(field: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` is one of ``BOUNDS[field].choices``."""
    choices = BOUNDS[field].choices or ()
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(field, f"{field} must be one of {', '.join(choices)} (got {value!r})")


def check_subset(field: str, values: Sequence[Any]) -> None:
    """Raise ConfigError unless ``values`` is a non-empty list of distinct allowed choices."""
    choices = BOUNDS[field].choices or ()
    message = f"{field} must be a non-empty list of distinct items from {', '.join(choices)}"
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
        raise ConfigError(field, f"{message} (got {values!r})")
    if any(not isinstance(v, str) or v not in choices for v in values):
        raise ConfigError(field, f"{message} (got {list(values)!r})")
    if len(set(values)) != len(values):
        raise ConfigError(field, f"{message} (got {list(values)!r})")
